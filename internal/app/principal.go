package app

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"log/slog"
	"os"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/sluis-gateway/sluis/adapters/amqp"

	"github.com/sluis-gateway/sluis/internal/actor"
	"github.com/sluis-gateway/sluis/internal/bus"
	"github.com/sluis-gateway/sluis/internal/config"
	"github.com/sluis-gateway/sluis/internal/identity"
)

// BrokerUser is the gateway's own broker user, the user-id of what it
// publishes: the user of the AMQP URL, or with x509 (EXTERNAL) login the
// common name of the client certificate (the broker maps certificates to
// users with ssl_cert_login_from = common_name, see docs/broker.md).
func BrokerUser(cfg config.Config) (string, error) {
	if !cfg.Broker.AMQPExternalAuth {
		return amqp.UserOf(cfg.AMQPURL), nil
	}
	b, err := os.ReadFile(cfg.Broker.AMQPCertFile)
	if err != nil {
		return "", fmt.Errorf("SLUIS_AMQP_CERT_FILE: %w", err)
	}
	block, _ := pem.Decode(b)
	if block == nil || block.Type != "CERTIFICATE" {
		return "", fmt.Errorf("SLUIS_AMQP_CERT_FILE %s: no PEM certificate", cfg.Broker.AMQPCertFile)
	}
	c, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return "", fmt.Errorf("SLUIS_AMQP_CERT_FILE %s: %w", cfg.Broker.AMQPCertFile, err)
	}
	return c.Subject.CommonName, nil
}

// Ledger appends a ledger entry (the store's Append).
type Ledger func(ctx context.Context, event string, detail map[string]string) error

// principals authenticates the messages of the intake and consent queues
// by their broker-validated user-id (see docs/security.md): the principal
// is the registered system of that broker user. A message the gateway
// itself published (user-id = its own broker user) after authenticating
// the system over HTTP names that system in metadata bus.System. A message
// without user-id, of an unregistered broker user, or naming an
// unregistered system is acked after a ledger entry and a count: no status
// event, since its claimed sender is unproven.
type principals struct {
	systems     *identity.Registry
	gatewayUser string
	ledger      Ledger
	count       *prometheus.CounterVec
	log         *slog.Logger
}

func newPrincipals(systems *identity.Registry, gatewayUser string, ledger Ledger, reg prometheus.Registerer, log *slog.Logger) (*principals, error) {
	c := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "sluis_intake_unauthenticated_total",
		Help: "Messages of the intake or consent queue without the user-id of a registered system (acked, not processed).",
	}, []string{"queue"})
	if err := reg.Register(c); err != nil {
		return nil, fmt.Errorf("unauthenticated metric: %w", err)
	}
	return &principals{systems: systems, gatewayUser: gatewayUser, ledger: ledger, count: c, log: log}, nil
}

// principal returns the system that published msg.
func (p *principals) principal(msg *message.Message) (identity.System, error) {
	user := bus.UserID.Get(msg)
	if user == "" {
		return identity.System{}, identity.ErrUnauthenticated
	}
	if id := bus.System.Get(msg); id != "" && user == p.gatewayUser {
		return p.systems.Get(id)
	}
	return p.systems.ByBrokerUser(user)
}

// wrap returns h with the principal of each message in its context.
func (p *principals) wrap(queue string, h message.NoPublishHandlerFunc) message.NoPublishHandlerFunc {
	p.count.WithLabelValues(queue) // exported at 0 from the start
	return func(msg *message.Message) error {
		s, err := p.principal(msg)
		if err != nil {
			ctx := actor.With(msg.Context(), actor.Actor{Kind: "broker_user", ID: userOrNone(bus.UserID.Get(msg))})
			if lerr := p.ledger(ctx, "intake:unauthenticated", map[string]string{
				"queue": queue, "message_id": msg.UUID, "reason": err.Error(),
			}); lerr != nil {
				return fmt.Errorf("ledger: %w", lerr)
			}
			p.count.WithLabelValues(queue).Inc()
			p.log.Warn("message of no registered system", "queue", queue, "message_id", msg.UUID, "err", err)
			return nil
		}
		msg.SetContext(identity.WithSystem(msg.Context(), s))
		return h(msg)
	}
}

func userOrNone(u string) string {
	if u == "" {
		return "none"
	}
	return u
}
