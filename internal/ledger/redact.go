package ledger

import (
	"context"
	"time"
)

// Ref names the ids through which ledger entries refer to one client's
// records: an entry refers to them by its disclosure id, or by the detail
// value of consent_id, restriction_id or objection_id. The ledger holds no
// client key or BSN; these ids are what link an entry to a client.
type Ref struct {
	DisclosureIDs  []string
	ConsentIDs     []string
	RestrictionIDs []string // the restriction's row id, as in the entry's detail
	ObjectionIDs   []string // the objection's row id, as in the entry's detail
}

// Empty reports whether r names no id.
func (r Ref) Empty() bool {
	return len(r.DisclosureIDs) == 0 && len(r.ConsentIDs) == 0 && len(r.RestrictionIDs) == 0 && len(r.ObjectionIDs) == 0
}

// Redactor removes the personal references from ledger entries without
// breaking the chain (docs/ledger.md, "Redaction").
type Redactor interface {
	// RedactAbout redacts, at at, every entry that refers to one of ref's
	// ids, in one transaction. It returns how many entries it redacted; an
	// entry redacted before is left as it is and not counted, so a second
	// call with the same ref returns 0.
	RedactAbout(ctx context.Context, ref Ref, at time.Time) (int, error)
}
