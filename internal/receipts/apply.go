package receipts

import (
	"fmt"
	"maps"
	"time"
)

// MessageID is the AMQP message id of a record's outbound message: the
// message type, the municipality and the Identificatie, which together name
// the Bericht (TR056) and stay the same on every (re)publish, so a retour
// can be correlated with it.
func MessageID(messageType, municipality, identificatie string) string {
	return messageType + "-" + municipality + "-" + identificatie
}

// ApplyAll applies cs to rec one after the other, each checked against the
// state the one before left (ErrInvalidTransition otherwise), and returns
// the record after each. now is the store's time: a change without its own
// At happens then; every record is updated at now. A change's own At is
// taken as given (a store brings it to its precision first).
func ApplyAll(disclosureID string, rec Record, cs []Change, now time.Time) ([]Record, error) {
	out := make([]Record, 0, len(cs))
	for _, c := range cs {
		if !CanMove(rec.State, c.To) {
			return nil, fmt.Errorf("move %s from %s to %s: %w", disclosureID, rec.State, c.To, ErrInvalidTransition)
		}
		at := now
		if !c.At.IsZero() {
			at = c.At
		}
		rec = Apply(rec, c, at)
		rec.UpdatedAt = now
		out = append(out, rec)
	}
	return out, nil
}

// Apply changes rec by c, moving it at time at. Reason and codes are
// replaced only when c carries them, so an earlier explanation survives a
// later step that has none.
func Apply(rec Record, c Change, at time.Time) Record {
	rec.State = c.To
	rec.Sequence++
	if c.Reason != "" {
		rec.Reason = c.Reason
	}
	if len(c.ReasonCodes) > 0 {
		rec.ReasonCodes = append([]string(nil), c.ReasonCodes...)
	}
	if len(c.RetourCodes) > 0 {
		rec.RetourCodes = append([]string(nil), c.RetourCodes...)
	}
	at2 := make(map[State]time.Time, len(rec.At)+1)
	maps.Copy(at2, rec.At)
	at2[c.To] = at
	rec.At = at2
	rec.UpdatedAt = at
	return rec
}

// Between is how long rec took from entering state from to entering state
// to, by the times the store recorded; ok is false when it has not been in
// both, or to is before from.
func Between(rec Record, from, to State) (d time.Duration, ok bool) {
	a, b := rec.At[from], rec.At[to]
	if a.IsZero() || b.IsZero() || b.Before(a) {
		return 0, false
	}
	return b.Sub(a), true
}
