package app

import (
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"time"

	"github.com/sluis-gateway/sluis/adapters/amqp"
	"github.com/sluis-gateway/sluis/internal/config"
)

// ErrBrokerUnreachable is returned when RabbitMQ cannot be reached at start.
var ErrBrokerUnreachable = amqp.ErrBrokerUnreachable

// BrokerURL checks the broker settings (SLUIS_AMQP_*, docs/broker.md) and
// returns the URL every gateway connection dials: amqps:// with the TLS
// settings, or amqp:// only when SLUIS_AMQP_ALLOW_PLAINTEXT allows it.
func BrokerURL(cfg config.Config) (string, error) {
	uri, err := amqp.Connection{
		URL:            cfg.AMQPURL,
		CAFile:         cfg.AMQPCAFile,
		CertFile:       cfg.AMQPCertFile,
		KeyFile:        cfg.AMQPKeyFile,
		ServerName:     cfg.AMQPServerName,
		External:       cfg.AMQPExternalAuth,
		AllowPlaintext: cfg.AMQPAllowPlaintext,
	}.URI()
	switch {
	case errors.Is(err, amqp.ErrPlaintext):
		return "", fmt.Errorf("SLUIS_AMQP_URL: %w: use amqps:// (docs/broker.md), or set SLUIS_AMQP_ALLOW_PLAINTEXT=true for development only", err)
	case err != nil:
		return "", fmt.Errorf("SLUIS_AMQP_*: %w", err)
	}
	return uri, nil
}

// CheckBroker dials RabbitMQ once and says what is wrong if that fails: the
// broker unreachable (and how to start one), the login refused, the virtual
// host missing, or the TLS handshake failed.
func CheckBroker(amqpURL string) error {
	conn, err := amqp.Dial(amqpURL, "sluis-check", 5*time.Second)
	if err == nil {
		return conn.Close()
	}
	at := "127.0.0.1:5672"
	if u, perr := url.Parse(amqpURL); perr == nil {
		at = u.Host
		if vh := u.Path; len(vh) > 1 {
			at += " vhost " + vh[1:]
		}
	}
	switch {
	case errors.Is(err, amqp.ErrBrokerUnreachable):
		return fmt.Errorf("%w at %s.\n  Start a local broker with:  rabbitmq-server -detached\n  or point SLUIS_AMQP_URL at a running one", err, at)
	case errors.Is(err, amqp.ErrBrokerAuth):
		return fmt.Errorf("%w at %s: check the user and password in SLUIS_AMQP_URL, or with SLUIS_AMQP_EXTERNAL_AUTH that a broker user named as the client certificate's CN exists", err, at)
	case errors.Is(err, amqp.ErrBrokerVHost):
		return fmt.Errorf("%w at %s: check that the virtual host in SLUIS_AMQP_URL exists and the user has permissions on it (rabbitmqctl add_vhost, set_permissions)", err, at)
	case errors.Is(err, amqp.ErrBrokerTLS):
		return fmt.Errorf("%w at %s: check SLUIS_AMQP_CA_FILE and SLUIS_AMQP_SERVER_NAME against the broker's certificate, and that the broker trusts SLUIS_AMQP_CERT_FILE", err, at)
	}
	return fmt.Errorf("RabbitMQ at %s: %w", at, err)
}

// DeclareTopology declares exchanges and queues (idempotent): a queue per
// provider (and its retour queue) and per receiving registration system,
// each queue with only x-queue-type quorum: their limits and
// dead-lettering are the policies of deploy/rabbitmq/definitions.json. A
// queue that already exists with arguments of its own (an earlier sluis
// declared x-dead-letter-exchange and x-delivery-limit) is kept and named in
// a warning; an exchange of another type or a queue that is not a quorum
// queue stops start-up (amqp.ErrTopologyConflict).
func DeclareTopology(amqpURL string, providers, systems []string, log *slog.Logger) error {
	conn, err := amqp.Dial(amqpURL, "sluis-topology", 5*time.Second)
	if err != nil {
		return fmt.Errorf("declare topology: %w", err)
	}
	defer conn.Close()
	kept, err := (amqp.Topology{Providers: providers, Systems: systems}).DeclareOn(conn)
	if err != nil {
		return fmt.Errorf("declare topology: %w", err)
	}
	for _, k := range kept {
		log.Warn("queue keeps the arguments it was declared with; they override its policy where both set a value (docs/broker.md#upgrading)",
			"queue", k.Queue, "argument", k.Argument)
	}
	return nil
}

// Redact hides the password of a URL for messages.
func Redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparseable URL)"
	}
	return u.Redacted()
}
