package identity

import (
	"context"
	"fmt"
	"slices"

	"github.com/sluis-gateway/sluis/internal/actor"
)

// Field names the refusals use: paths of the request and consent contracts.
const (
	FieldSenderMunicipality = "sender.municipality"
	FieldSenderSystem       = "sender.system"
	FieldLegalBasisKind     = "legal_basis.kind"
)

// RefusedError is an authorization refusal: the request's field that the
// principal may not use, and the reason (ErrSenderNotAllowed or
// ErrBasisNotAllowed, matched with errors.Is). It names no value, so it
// may be returned to the caller as it is.
type RefusedError struct {
	Field string
	Err   error
}

func (e *RefusedError) Error() string { return e.Field + ": " + e.Err.Error() }

// Unwrap returns the reason.
func (e *RefusedError) Unwrap() error { return e.Err }

func refused(field string, err error) error { return &RefusedError{Field: field, Err: err} }

// MayActFor decides whether system s may act as sender (municipality,
// system): its own id, for one of its municipalities. For consent
// commands, and the first half of MaySend.
func MayActFor(s System, municipality, system string) error {
	if s.ID == "" || system != s.ID {
		return refused(FieldSenderSystem, ErrSenderNotAllowed)
	}
	if !slices.Contains(s.Municipalities, municipality) {
		return refused(FieldSenderMunicipality, ErrSenderNotAllowed)
	}
	return nil
}

// MaySend decides whether system s may send a disclosure request as sender
// (municipality, system) on legal basis kind basis. The sender is checked
// first, so a system learns nothing about another's bases.
func MaySend(s System, municipality, system, basis string) error {
	if err := MayActFor(s, municipality, system); err != nil {
		return err
	}
	if !slices.Contains(s.LegalBases, basis) {
		return refused(FieldLegalBasisKind, ErrBasisNotAllowed)
	}
	return nil
}

// ActAs checks that the authenticated system in ctx may act as sender
// (municipality, system) for employee (MayActFor; a request's basis is
// checked by MaySend) and returns ctx with the ledger actor "system for
// municipality on behalf of employee". Errors: ErrUnauthenticated, or a
// *RefusedError.
func ActAs(ctx context.Context, municipality, system, employee string) (context.Context, error) {
	s, err := SystemFrom(ctx)
	if err != nil {
		return ctx, err
	}
	if err := MayActFor(s, municipality, system); err != nil {
		return ctx, fmt.Errorf("system %s: %w", s.ID, err)
	}
	return actor.With(ctx, actor.SenderEmployee(s.ID, municipality, employee)), nil
}

// MayReadFor decides whether staff member s may see what belongs to
// municipality (a review list, a client's records): only their own; a
// member whose token names no municipality sees none (ErrMunicipalityNotAllowed).
func MayReadFor(s Staff, municipality string) error {
	if s.Municipality == "" || s.Municipality != municipality {
		return ErrMunicipalityNotAllowed
	}
	return nil
}
