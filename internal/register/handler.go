package register

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/sluis-gateway/sluis/internal/actor"
	"github.com/sluis-gateway/sluis/internal/bus"
	"github.com/sluis-gateway/sluis/internal/consent"
	"github.com/sluis-gateway/sluis/internal/disclosure"
	"github.com/sluis-gateway/sluis/internal/identity"
)

// Status event states of a consent command.
const (
	StateApplied = "consent_applied"
	StateInvalid = "consent_invalid"
	StateRefused = "consent_refused" // e.g. withdrawing a consent not on record
)

// Publisher publishes status events (bus.TopicStatus, routed by metadata
// bus.RoutingKey); an unroutable event (an error wrapping bus.ErrUnroutable:
// no queue bound) is not an error for the caller to retry.
type Publisher interface {
	PublishContext(ctx context.Context, topic string, msgs ...*message.Message) []error
}

// Handler applies commands from the AMQP queue and answers with status
// events. Build it with NewHandler.
type Handler struct {
	svc          *Service
	pub          Publisher
	appendLedger func(ctx context.Context, event string, detail map[string]string) error
	log          *slog.Logger
	now          func() time.Time
}

// NewHandler wires the AMQP side. appendLedger records refused and invalid
// commands.
func NewHandler(svc *Service, pub Publisher, appendLedger func(ctx context.Context, event string, detail map[string]string) error, log *slog.Logger) (*Handler, error) {
	if svc == nil || pub == nil || appendLedger == nil {
		return nil, errors.New("register handler: service, publisher and ledger are required")
	}
	if log == nil {
		log = slog.Default()
	}
	return &Handler{svc: svc, pub: pub, appendLedger: appendLedger, log: log, now: time.Now}, nil
}

// Handle processes one command message: nil (ack) once its outcome is
// durable, an error (retry) when the store or broker failed.
func (h *Handler) Handle(msg *message.Message) error {
	_, err := h.Process(msg.Context(), msg.Payload)
	if errors.Is(err, identity.ErrSenderNotAllowed) {
		return nil // recorded and answered: ack
	}
	return err
}

// Process applies one command, records a refusal in the ledger, and sends
// the status event. It returns the event (its State says applied, invalid
// or refused) or an error when something transient failed. A command whose
// sender the authenticated system may not act for is recorded and told
// (consent_refused on the system's own routing key) and returned with an
// error matching identity.ErrSenderNotAllowed (a *identity.RefusedError
// naming the field), for HTTP to answer 403.
//
// A command without an authenticated system in ctx (identity.WithSystem)
// is only recorded in the ledger: its state is consent_invalid, no status
// event is sent (its claimed sender is unproven).
func (h *Handler) Process(ctx context.Context, payload []byte) (bus.Event, error) {
	if _, err := identity.SystemFrom(ctx); err != nil {
		env := disclosure.Peek(payload)
		actx := actor.With(ctx, actor.Actor{Kind: "broker_user", ID: "none"})
		if err := h.appendLedger(actx, "consent:unauthenticated", map[string]string{"command_id": env.ID, "reason": identity.ErrUnauthenticated.Error()}); err != nil {
			return bus.Event{}, fmt.Errorf("ledger: %w", err)
		}
		return bus.Event{CommandID: env.ID, State: StateInvalid, At: h.now(), Reason: identity.ErrUnauthenticated.Error()}, nil
	}
	c, err := h.svc.Apply(ctx, payload)
	ev := bus.Event{CommandID: c.ID, Command: c.Command, At: h.now(),
		Municipality: c.Sender.Municipality, System: c.Sender.System}
	var inv *InvalidError
	switch {
	case err == nil:
		ev.State = StateApplied
	case errors.As(err, &inv):
		// A command has the request's id and sender fields: read them the
		// same lenient way, keeping only values of their contract form.
		env := disclosure.Peek(payload)
		ev.CommandID, ev.Municipality, ev.System = env.ID, env.Municipality, env.System
		ev.State, ev.Reason, ev.Problems = StateInvalid, inv.Error(), inv.Problems
	case errors.Is(err, consent.ErrUnknownConsent), errors.Is(err, consent.ErrConflict):
		ev.State, ev.Reason = StateRefused, refusal(err)
	case errors.Is(err, identity.ErrSenderNotAllowed):
		// Told on the principal's own routing key, never the claimed one.
		var ref *identity.RefusedError
		errors.As(err, &ref)
		sys, _ := identity.SystemFrom(ctx)
		ev.Municipality, ev.System = ownKey(sys, c.Sender.Municipality)
		ev.State, ev.Reason = StateRefused, ref.Error()
		ev.ReasonCodes = []string{"sender_not_allowed"}
	default:
		return bus.Event{}, err
	}
	if ev.State != StateApplied {
		actx := ctx
		if sys, serr := identity.SystemFrom(ctx); serr == nil {
			actx = actor.With(ctx, actor.SenderEmployee(sys.ID, ev.Municipality, c.Sender.Employee))
		} else {
			actx = actor.With(ctx, actor.Sender(ev.System, ev.Municipality))
		}
		if err := h.appendLedger(actx, "consent:"+ev.State, map[string]string{"command_id": ev.CommandID, "command": ev.Command, "reason": ev.Reason}); err != nil {
			return bus.Event{}, fmt.Errorf("ledger: %w", err)
		}
	}
	h.log.Info("consent command", "command_id", ev.CommandID, "command", ev.Command, "state", ev.State)
	if _, err := bus.Publish(ctx, h.pub, ev); err != nil {
		return ev, fmt.Errorf("status event: %w", err)
	}
	if errors.Is(err, identity.ErrSenderNotAllowed) {
		// Recorded and told: the caller maps it (HTTP 403).
		return ev, err
	}
	return ev, nil
}

// ownKey is the municipality under which system s hears about a refused
// command that claimed municipality: that one when s sends for it, else
// s's first.
func ownKey(s identity.System, municipality string) (string, string) {
	if slices.Contains(s.Municipalities, municipality) {
		return municipality, s.ID
	}
	if len(s.Municipalities) > 0 {
		return s.Municipalities[0], s.ID
	}
	return "", s.ID
}

// refusal is the plain reason for a command the register cannot apply.
func refusal(err error) string {
	switch {
	case errors.Is(err, consent.ErrUnknownConsent):
		return consent.ErrUnknownConsent.Error()
	case errors.Is(err, consent.ErrConflict):
		return consent.ErrConflict.Error()
	}
	return "refused"
}
