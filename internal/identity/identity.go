// Package identity knows who is calling sluis: registration systems (from a
// registry loaded from configuration, authenticated by their client
// certificate or broker user) and staff members (authenticated by an OIDC
// token, with roles from its claims). It carries the authenticated
// principal in the context, next to the ledger actor (package actor), and
// decides what a principal may do with pure functions that return nil or a
// named error. Nothing here holds or reports personal data of clients.
package identity

import (
	"context"
	"errors"
	"slices"

	"github.com/sluis-gateway/sluis/internal/actor"
)

// Named errors. Their text names no client data, only what was refused.
var (
	// ErrUnauthenticated: the context or request carries no principal.
	ErrUnauthenticated = errors.New("not authenticated")
	// ErrNoCertificate: a request without a verified client certificate.
	ErrNoCertificate = errors.New("no verified client certificate")
	// ErrUnknownCertificate: a verified client certificate that matches no
	// registered system.
	ErrUnknownCertificate = errors.New("client certificate of no registered system")
	// ErrUnknownBrokerUser: a broker user that is no registered system's.
	ErrUnknownBrokerUser = errors.New("broker user of no registered system")
	// ErrUnknownSystem: a system id that is not in the registry.
	ErrUnknownSystem = errors.New("system not in registry")
	// ErrSenderNotAllowed: the principal may not send as this sender
	// (municipality or system).
	ErrSenderNotAllowed = errors.New("sender not allowed for this principal")
	// ErrBasisNotAllowed: the principal may not use this legal basis.
	ErrBasisNotAllowed = errors.New("legal basis not allowed for this principal")
	// ErrRoleNotAllowed: the staff member has none of the roles required.
	ErrRoleNotAllowed = errors.New("role not allowed")
	// ErrMunicipalityNotAllowed: the staff member does not work for this
	// municipality (or for none).
	ErrMunicipalityNotAllowed = errors.New("municipality not allowed for this staff member")
	// ErrNoToken: a request without a bearer token.
	ErrNoToken = errors.New("no bearer token")
	// ErrBadToken: a bearer token that did not verify (signature, issuer,
	// audience, expiry) or whose claims are unusable.
	ErrBadToken = errors.New("bearer token not accepted")
	// ErrInvalidRegistry: the registry of systems is malformed; the error
	// names the entry and the field.
	ErrInvalidRegistry = errors.New("invalid system registry")
	// ErrNoReceiver: no system of the registry receives the inbound
	// provider messages of this municipality (receives_for).
	ErrNoReceiver = errors.New("no system receives for this municipality")
)

// Legal bases a system may be allowed to use (the request's
// legal_basis.kind; the same values as package disclosure's Basis*).
const (
	BasisConsent         = "consent"
	BasisLegalObligation = "legal_obligation"
	BasisSafetyOverride  = "safety_override"
)

// Role is a staff member's role, taken from their token's claims.
type Role string

// The staff roles sluis knows; any other value in a token is ignored.
const (
	RoleEmployee       Role = "employee"
	RoleCoordinator    Role = "coordinator"
	RolePrivacyOfficer Role = "privacy_officer"
	RoleOperator       Role = "operator"
)

// Roles lists the known roles.
var Roles = []Role{RoleEmployee, RoleCoordinator, RolePrivacyOfficer, RoleOperator}

// Staff is an authenticated person: a municipality's employee, coordinator,
// privacy officer, or an operator.
type Staff struct {
	// ID is the subject of the person's token: a pseudonymous id, never a
	// name.
	ID string
	// Municipality is the CBS code (4 digits) the person works for, from
	// the token; empty when the token names none (e.g. an operator).
	Municipality string
	// Roles are the known roles the token grants, without duplicates.
	Roles []Role
}

// Has reports whether the staff member holds role.
func (s Staff) Has(role Role) bool { return slices.Contains(s.Roles, role) }

// FirstOf returns the first of roles the staff member holds, or
// ErrRoleNotAllowed.
func (s Staff) FirstOf(roles ...Role) (Role, error) {
	for _, r := range roles {
		if s.Has(r) {
			return r, nil
		}
	}
	return "", ErrRoleNotAllowed
}

type systemKey struct{}
type staffKey struct{}

// WithSystem returns a context carrying the authenticated system, and as
// its ledger actor the system itself (for entries written before the
// request's sender is known; ActAs narrows it to the municipality and
// employee).
func WithSystem(ctx context.Context, s System) context.Context {
	ctx = context.WithValue(ctx, systemKey{}, s)
	return actor.With(ctx, actor.Sender(s.ID, ""))
}

// SystemFrom returns the authenticated system in ctx, or ErrUnauthenticated.
func SystemFrom(ctx context.Context) (System, error) {
	s, ok := ctx.Value(systemKey{}).(System)
	if !ok || s.ID == "" {
		return System{}, ErrUnauthenticated
	}
	return s, nil
}

// WithStaff returns a context carrying the authenticated staff member. The
// ledger actor is set when a role is chosen (WithStaffRole, RequireRole).
func WithStaff(ctx context.Context, s Staff) context.Context {
	return context.WithValue(ctx, staffKey{}, s)
}

// WithStaffRole returns a context carrying s and, as the ledger actor, s
// acting in role.
func WithStaffRole(ctx context.Context, s Staff, role Role) context.Context {
	ctx = WithStaff(ctx, s)
	return actor.With(ctx, actor.Staff(s.ID, string(role), s.Municipality))
}

// StaffFrom returns the authenticated staff member in ctx, or
// ErrUnauthenticated.
func StaffFrom(ctx context.Context) (Staff, error) {
	s, ok := ctx.Value(staffKey{}).(Staff)
	if !ok || s.ID == "" {
		return Staff{}, ErrUnauthenticated
	}
	return s, nil
}
