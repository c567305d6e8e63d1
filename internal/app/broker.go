package app

import (
	"errors"
	"fmt"
	"net/url"
	"time"

	amqp091 "github.com/rabbitmq/amqp091-go"

	"github.com/sluis-gateway/sluis/adapters/amqp"
)

// ErrBrokerUnreachable is returned when RabbitMQ cannot be reached at start.
var ErrBrokerUnreachable = errors.New("RabbitMQ is not reachable")

// Redact hides the password of a URL for messages.
func Redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparseable URL)"
	}
	return u.Redacted()
}

// CheckBroker dials RabbitMQ once and explains how to start it if that fails.
func CheckBroker(amqpURL string) error {
	conn, err := amqp091.DialConfig(amqpURL, amqp091.Config{Dial: amqp091.DefaultDial(5 * time.Second)})
	if err != nil {
		host := "127.0.0.1:5672"
		if u, perr := url.Parse(amqpURL); perr == nil {
			host = u.Host
		}
		return fmt.Errorf("%w at %s (%v).\n  Start a local broker with:  rabbitmq-server -detached\n  or point SLUIS_AMQP_URL at a running one", ErrBrokerUnreachable, host, err)
	}
	return conn.Close()
}

// DeclareTopology declares exchanges and queues (idempotent).
func DeclareTopology(amqpURL string, providers []string) error {
	conn, err := amqp091.Dial(amqpURL)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrBrokerUnreachable, err)
	}
	defer conn.Close()
	ch, err := conn.Channel()
	if err != nil {
		return fmt.Errorf("topology channel: %w", err)
	}
	defer ch.Close()
	if err := (amqp.Topology{Providers: providers}).Declare(ch); err != nil {
		return fmt.Errorf("declare topology: %w", err)
	}
	return nil
}
