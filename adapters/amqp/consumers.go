package amqp

import (
	"errors"
	"fmt"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	wamqp "github.com/ThreeDotsLabs/watermill-amqp/v3/pkg/amqp"
	"github.com/ThreeDotsLabs/watermill/message"
	amqp "github.com/rabbitmq/amqp091-go"
)

// ErrConsumersClosed is returned by Consumers.Subscriber after Close.
var ErrConsumersClosed = errors.New("amqp: consumer connection closed")

// Consumers is the one AMQP connection every consumer of a gateway shares:
// each Subscriber on it (and each Subscribe call of a Subscriber) opens its
// own channel with its own prefetch on this connection, never a connection
// of its own. It reconnects with backoff (watermill-amqp's
// ConnectionWrapper); the subscriptions then resume on the new connection.
// Safe for concurrent use.
type Consumers struct {
	conn *wamqp.ConnectionWrapper
	url  string
}

// NewConsumers dials the consumer connection, named name in the broker's
// connection list (default "sluis-consumers"). It fails when the broker
// cannot be reached, naming why (ClassifyDialError). logger may be nil.
func NewConsumers(url, name string, logger watermill.LoggerAdapter) (*Consumers, error) {
	if url == "" {
		return nil, errors.New("consumers: empty url")
	}
	if name == "" {
		name = "sluis-consumers"
	}
	if logger == nil {
		logger = watermill.NopLogger{}
	}
	props := amqp.NewConnectionProperties()
	props.SetClientConnectionName(name)
	conn, err := wamqp.NewConnection(wamqp.ConnectionConfig{
		AmqpURI: url,
		AmqpConfig: &amqp.Config{
			Heartbeat:  10 * time.Second,
			Locale:     "en_US",
			Properties: props,
			Dial:       amqp.DefaultDial(5 * time.Second),
		},
		Reconnect: wamqp.DefaultReconnectConfig(),
	}, logger)
	if err != nil {
		return nil, fmt.Errorf("consumer connection: %w", classifyDial(url, err))
	}
	return &Consumers{conn: conn, url: url}, nil
}

// Subscriber returns a watermill subscriber for queue on the shared
// connection (see SubscriberConfig for what it consumes and how). Closing
// it stops its subscriptions and leaves the connection open.
func (c *Consumers) Subscriber(queue string, prefetch int, logger watermill.LoggerAdapter) (message.Subscriber, error) {
	if c.conn.Closed() {
		return nil, ErrConsumersClosed
	}
	if queue == "" {
		return nil, errors.New("subscriber: empty queue")
	}
	if prefetch < 0 {
		return nil, errors.New("subscriber: negative prefetch")
	}
	if logger == nil {
		logger = watermill.NopLogger{}
	}
	s, err := wamqp.NewSubscriberWithConnection(SubscriberConfig(c.url, queue, prefetch), logger, c.conn)
	if err != nil {
		return nil, fmt.Errorf("subscriber for queue %s: %w", queue, err)
	}
	return s, nil
}

// Connected reports whether the shared connection is open now, without
// dialling: what a readiness probe asks.
func (c *Consumers) Connected() bool {
	if c.conn.Closed() || !c.conn.IsConnected() {
		return false
	}
	conn := c.conn.Connection()
	return conn != nil && !conn.IsClosed()
}

// Close closes the connection; close the subscribers (the router) first,
// Close waits for their subscriptions to end.
func (c *Consumers) Close() error {
	return c.conn.Close()
}
