package consent

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Named errors of the consent port (Store). Adapters wrap them; callers
// match them with errors.Is.
var (
	// ErrConsentUsed is what Store.UseConsents returns (wrapped) when a
	// single-share consent was already used by another disclosure.
	ErrConsentUsed = errors.New("single-share consent already used by another disclosure")
	// ErrUnknownConsent: a withdrawal or a use names a consent not on record
	// for this client.
	ErrUnknownConsent = errors.New("consent not on record for this client")
	// ErrConflict: a consent id already recorded with different content.
	ErrConflict = errors.New("consent id already recorded with different content")
	// ErrNotSingleShare: UseConsents was asked to use a consent that is not
	// a single-share consent. Stores report it as a bad argument.
	ErrNotSingleShare = errors.New("not a single-share consent")
)

// Store is the consent port: the consent register as the screening stage
// and the register's commands need it. The SQLite and PostgreSQL stores
// implement it and pass one contract suite (adapters/store/storetest).
// Implementations are safe for concurrent use.
type Store interface {
	UseStore
	CommandStore
}

// UseStore is what screening needs of the consent register.
type UseStore interface {
	// ConsentRegister returns everything on record for one client.
	ConsentRegister(ctx context.Context, clientKey string) (Register, error)
	// UseConsents marks single-share consents as used by disclosureID,
	// atomically: all or none. A consent already used by another disclosure
	// fails with ErrConsentUsed; used by the same one is a no-op. An unknown
	// id fails with ErrUnknownConsent and a consent that is not single-share
	// with a bad-argument error (wrapping ErrNotSingleShare); nothing
	// changes then.
	UseConsents(ctx context.Context, disclosureID string, consentIDs []string) error
}

// CommandStore is what the register's commands need of the store.
// Implementations write a ledger entry with the actor from ctx in the same
// transaction (none when nothing changed), and are idempotent by content:
// applying the same command twice changes nothing the second time.
type CommandStore interface {
	// RecordConsent keeps c; the same consent id with the same content is a
	// no-op, with other content ErrConflict.
	RecordConsent(ctx context.Context, c Consent) error
	// WithdrawConsent marks the client's consent withdrawn at at (the first
	// withdrawal counts). ErrUnknownConsent when it is not on record.
	WithdrawConsent(ctx context.Context, clientKey, consentID string, at time.Time) error
	// RecordRestriction starts a restriction of processing at from.
	RecordRestriction(ctx context.Context, clientKey string, from time.Time) error
	// LiftRestriction lifts every restriction in force at at.
	LiftRestriction(ctx context.Context, clientKey string, at time.Time) error
	// RecordObjection starts an objection (AVG art. 21) at from, kept like
	// a restriction: the same start again is a no-op.
	RecordObjection(ctx context.Context, clientKey string, from time.Time) error
	// LiftObjection lifts every objection in force at at.
	LiftObjection(ctx context.Context, clientKey string, at time.Time) error
	// SetLegalRepresentative records whether the client has a legal representative.
	SetLegalRepresentative(ctx context.Context, clientKey string, recorded bool) error
}

// PlanUse is the single-share rule behind UseConsents: given the consents a
// store found (by id, read under lock), it returns the consents to mark used
// by disclosureID, in ids order (those already used by disclosureID are left
// out), or why nothing may change: ErrUnknownConsent, ErrNotSingleShare or
// ErrConsentUsed. ids must be sorted and without duplicates.
func PlanUse(disclosureID string, ids []string, found map[string]Consent) ([]Consent, error) {
	var mark []Consent
	for _, id := range ids {
		c, ok := found[id]
		switch {
		case !ok:
			return nil, fmt.Errorf("use consent %s: %w", id, ErrUnknownConsent)
		case !c.SingleShare:
			return nil, fmt.Errorf("use consent %s: %w", id, ErrNotSingleShare)
		case c.UsedBy == disclosureID:
			// already ours: no-op
		case c.UsedBy != "":
			return nil, fmt.Errorf("use consent %s for %s: %w", id, disclosureID, ErrConsentUsed)
		default:
			mark = append(mark, c)
		}
	}
	return mark, nil
}
