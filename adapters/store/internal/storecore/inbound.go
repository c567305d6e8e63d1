package storecore

import (
	"fmt"
	"maps"
	"strings"
	"time"

	"github.com/sluis-gateway/sluis/internal/inbound"
)

// CheckInbound checks a record given to RecordInbound.
func CheckInbound(r inbound.Record) error {
	fields := []struct{ name, v string }{
		{"id", r.ID}, {"provider", r.Provider}, {"municipality", r.Municipality}, {"system", r.System},
		{"standard", r.Standard}, {"message_type", r.MessageType}, {"identificatie", r.Identificatie},
		{"message_id", r.MessageID},
	}
	for _, f := range fields {
		if f.v == "" {
			return fmt.Errorf("%w: inbound %s is empty", ErrBadArgument, f.name)
		}
		if err := CheckText(f.name, f.v); err != nil {
			return err
		}
	}
	if r.State != inbound.Accepted && r.State != inbound.Rejected {
		return fmt.Errorf("%w: inbound state %q: a new record is accepted or rejected", ErrBadArgument, r.State)
	}
	if r.ReceivedAt.IsZero() {
		return fmt.Errorf("%w: inbound received_at is zero", ErrBadArgument)
	}
	if r.State == inbound.Rejected && !r.Due.IsZero() {
		return fmt.Errorf("%w: a rejected inbound message has no due answer", ErrBadArgument)
	}
	return nil
}

// InboundMove checks c against cur and returns the record after it.
func InboundMove(cur inbound.Record, c inbound.Change) (inbound.Record, error) {
	bad := func() error {
		return fmt.Errorf("inbound %s %s → %s: %w", cur.ID, cur.State, c.To, inbound.ErrInvalidTransition)
	}
	if cur.Due.IsZero() || c.At.IsZero() {
		return inbound.Record{}, bad()
	}
	next := cur
	at := Trunc(c.At)
	switch {
	case c.To == inbound.Answered && (cur.State == inbound.Accepted || cur.State == inbound.Overdue):
		if c.AnsweredBy == "" {
			return inbound.Record{}, fmt.Errorf("%w: answered without answered_by", ErrBadArgument)
		}
		next.AnsweredBy, next.AnsweredAt = c.AnsweredBy, at
	case c.To == inbound.Overdue && cur.State == inbound.Accepted:
		next.OverdueAt = at
	default:
		return inbound.Record{}, bad()
	}
	next.State = c.To
	if err := CheckText("answered_by", c.AnsweredBy); err != nil {
		return inbound.Record{}, err
	}
	if err := CheckDetail(c.Detail); err != nil {
		return inbound.Record{}, err
	}
	return next, nil
}

// InboundEvent is the ledger event of an inbound state.
func InboundEvent(s inbound.State) string { return "inbound:" + string(s) }

// InboundRecordDetail is the ledger detail of a new inbound message: ids
// and codes, no content.
func InboundRecordDetail(r inbound.Record) map[string]string {
	d := map[string]string{
		"provider": r.Provider, "municipality": r.Municipality, "system": r.System,
		"message_type": r.MessageType, "identificatie": r.Identificatie, "message_id": r.MessageID,
		"retour_codes": strings.Join(r.RetourCodes, " "),
	}
	if len(r.Rules) > 0 {
		d["rules"] = strings.Join(r.Rules, " ")
	}
	if !r.Due.IsZero() {
		d["due"] = r.Due.UTC().Format(time.RFC3339)
	}
	return d
}

// InboundMoveDetail is the ledger detail of a move.
func InboundMoveDetail(next inbound.Record, c inbound.Change) map[string]string {
	d := maps.Clone(c.Detail)
	if d == nil {
		d = map[string]string{}
	}
	d["due"] = next.Due.UTC().Format(time.RFC3339)
	if c.AnsweredBy != "" {
		d["answered_by"] = c.AnsweredBy
	}
	return d
}

// MicrosOrNil is t in microseconds, or nil for the zero time.
func MicrosOrNil(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return Micros(t)
}

// TimeOrNil is t truncated, or nil for the zero time.
func TimeOrNil(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return Trunc(t)
}
