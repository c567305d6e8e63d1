package register_test

import (
	"context"
	"errors"
	"log/slog"
	"testing"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/sluis-gateway/sluis/internal/bus"
	"github.com/sluis-gateway/sluis/internal/identity"
	"github.com/sluis-gateway/sluis/internal/register"
)

// statusEvents is an in-memory status publisher.
type statusEvents struct{ keys []string }

func (p *statusEvents) PublishContext(_ context.Context, _ string, msgs ...*message.Message) []error {
	for _, m := range msgs {
		p.keys = append(p.keys, bus.RoutingKey.Get(m))
	}
	return make([]error, len(msgs))
}

// TestProcessRefusesAnotherMunicipality: a command for a municipality the
// system may not act for is recorded, told on the system's own key, and
// returned as ErrSenderNotAllowed (HTTP answers 403); the AMQP handler
// acks it. Without a system nothing is told.
func TestProcessRefusesAnotherMunicipality(t *testing.T) {
	svc, _ := service(t)
	var ledger []string
	pub := &statusEvents{}
	h, err := register.NewHandler(svc, pub, func(_ context.Context, event string, _ map[string]string) error {
		ledger = append(ledger, event)
		return nil
	}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	ctx := identity.WithSystem(context.Background(), rotterdam)
	ev, err := h.Process(ctx, command(nil)) // sender 0363.regsys
	var ref *identity.RefusedError
	if !errors.Is(err, identity.ErrSenderNotAllowed) || !errors.As(err, &ref) || ref.Field != identity.FieldSenderSystem {
		t.Fatalf("Process: %v, want a refusal naming %s", err, identity.FieldSenderSystem)
	}
	if ev.State != register.StateRefused || len(pub.keys) != 1 || pub.keys[0] != "0599.regsys-rotterdam.consent_refused" {
		t.Fatalf("event %+v on %v, want consent_refused on 0599.regsys-rotterdam", ev, pub.keys)
	}
	msg := message.NewMessage("m-1", command(nil))
	msg.SetContext(ctx)
	if err := h.Handle(msg); err != nil {
		t.Fatalf("Handle: %v, want ack", err)
	}
	if _, err := h.Process(context.Background(), command(nil)); err != nil {
		t.Fatalf("Process without a system: %v", err)
	}
	if len(pub.keys) != 2 || len(ledger) != 3 || ledger[2] != "consent:unauthenticated" {
		t.Fatalf("events %v, ledger %v: want no event without a system, three ledger entries", pub.keys, ledger)
	}
}
