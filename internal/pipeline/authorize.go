package pipeline

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/sluis-gateway/sluis/internal/actor"
	"github.com/sluis-gateway/sluis/internal/bus"
	"github.com/sluis-gateway/sluis/internal/disclosure"
	"github.com/sluis-gateway/sluis/internal/identity"
	"github.com/sluis-gateway/sluis/internal/ledger"
	"github.com/sluis-gateway/sluis/internal/receipts"
)

// Ledger events of intake requests the principal may not send.
const (
	// EventIntakeRefused: an authenticated system claimed a sender or a
	// legal basis it may not use; nothing was created.
	EventIntakeRefused = "intake:refused"
	// EventIntakeUnauthenticated: a message without an authenticated
	// system reached the pipeline; nothing was created.
	EventIntakeUnauthenticated = "intake:unauthenticated"
)

// ReasonUnauthenticated is the invalid reason of a request without an
// authenticated system.
const ReasonUnauthenticated = "not authenticated"

// Ledger appends ledger entries that are no state change (the store's
// Append). Requests refused before registration are recorded with
// RecordInvalid instead, which bounds them (receipts.InvalidRecordedPerWindow).
type Ledger interface {
	Append(ctx context.Context, disclosureID, event string, detail map[string]string) (ledger.Entry, error)
}

// ownKey returns the municipality and system of s under which it hears
// about a request claiming (municipality, system): the claimed pair when s
// may act for it, else s's own (its first municipality). A status event
// never goes to a sender the principal may not act for.
func ownKey(s identity.System, municipality, system string) (string, string) {
	if identity.MayActFor(s, municipality, system) == nil {
		return municipality, system
	}
	own := ""
	if len(s.Municipalities) > 0 {
		own = s.Municipalities[0]
	}
	if slices.Contains(s.Municipalities, municipality) {
		own = municipality
	}
	return own, s.ID
}

// authorize checks that the principal in ctx may send req (identity.MaySend)
// and returns ctx with the ledger actor "principal for municipality on
// behalf of sender.employee". A refusal is recorded and answered here, on
// the principal's own routing key, and returned as a *identity.RefusedError
// (wrapped); nothing else happens to the request.
func (p *Pipeline) authorize(ctx context.Context, ob *outbox, sys identity.System, req disclosure.Request) (context.Context, error) {
	err := identity.MaySend(sys, req.Sender.Municipality, req.Sender.System, req.LegalBasis.Kind)
	if err == nil {
		return actor.With(ctx, actor.SenderEmployee(sys.ID, req.Sender.Municipality, req.Sender.Employee)), nil
	}
	var ref *identity.RefusedError
	if !errors.As(err, &ref) {
		return ctx, err
	}
	municipality, system := ownKey(sys, req.Sender.Municipality, req.Sender.System)
	actx := actor.With(ctx, actor.SenderEmployee(sys.ID, municipality, req.Sender.Employee))
	if lerr := p.store.RecordInvalid(actx, receipts.InvalidRequest{
		Municipality: municipality, System: system, Reason: ref.Error(), ReceivedAt: p.now(),
		Event: EventIntakeRefused, Detail: map[string]string{"request_id": req.ID, "field": ref.Field},
	}); lerr != nil {
		return ctx, fmt.Errorf("ledger: %w", lerr)
	}
	code := ReasonCodeOf(ref)
	p.metrics.refused.Inc()
	p.metrics.refusal(code)
	p.logger(ctx).Info("disclosure request refused", "system", sys.ID, "field", ref.Field, "reason_codes", code)
	ob.events = append(ob.events, bus.Event{
		DisclosureID: req.ID, State: string(receipts.Refused), At: p.now(),
		Municipality: municipality, System: system, Reason: ref.Error(),
		ReasonCodes: []string{code},
	})
	return ctx, fmt.Errorf("request %s: %w", req.ID, err)
}

// Reason codes of an authorization refusal.
const (
	CodeSenderNotAllowed = "sender_not_allowed"
	CodeBasisNotAllowed  = "basis_not_allowed"
)

// ReasonCodeOf is the reason code of an authorization refusal:
// CodeSenderNotAllowed or CodeBasisNotAllowed.
func ReasonCodeOf(err error) string {
	if errors.Is(err, identity.ErrBasisNotAllowed) {
		return CodeBasisNotAllowed
	}
	return CodeSenderNotAllowed
}

// unauthenticated records a message that reached the pipeline without an
// authenticated system: a ledger entry, no status event (its sender is
// unproven).
func (p *Pipeline) unauthenticated(ctx context.Context, payload []byte) error {
	env := disclosure.Peek(payload)
	ctx = actor.With(ctx, actor.Actor{Kind: "broker_user", ID: "none"})
	if err := p.store.RecordInvalid(ctx, receipts.InvalidRequest{
		Reason: ReasonUnauthenticated, ReceivedAt: p.now(),
		Event: EventIntakeUnauthenticated, Detail: map[string]string{"request_id": env.ID},
	}); err != nil {
		return fmt.Errorf("ledger: %w", err)
	}
	p.metrics.CountInvalid(ChannelAMQP)
	p.log.Warn("disclosure request without an authenticated system", "disclosure_id", env.ID, "reason", ReasonUnauthenticated)
	return nil
}
