// Package actor carries accountability in the context: who (which system or
// person, pseudonymously) caused what sluis does. Every ledger write needs
// one; a write without an actor fails loudly.
package actor

import (
	"context"
	"errors"
)

// ErrMissing is returned when an operation that must be accounted for has no
// actor in its context.
var ErrMissing = errors.New("no actor in context")

// Actor names who is accountable. It never holds personal data of clients;
// an employee is named by a pseudonymous id only.
type Actor struct {
	// Kind is "system" (a registration system or sluis itself), "provider"
	// (a care provider, by AGB code), "employee" (pseudonymous id) or
	// "staff" (an authenticated staff member, by the subject of their
	// identity token).
	Kind string
	// ID identifies the actor within its kind, e.g. "sluis", "0363/regsys-a",
	// "42420001", "e-7f3a".
	ID string
	// OnBehalfOf is the municipality code (4 digits) or AGB code the actor
	// acts for, when there is one.
	OnBehalfOf string
	// Employee is the pseudonymous id of the employee a system acts for
	// (the request's sender.employee), when there is one.
	Employee string
	// Role is the role a staff member acted in (employee, coordinator,
	// privacy_officer, operator), when there is one.
	Role string
}

// String renders the actor for ledger entries:
// kind:id[@onbehalfof][ employee:E][ role:R].
func (a Actor) String() string {
	s := a.Kind + ":" + a.ID
	if a.OnBehalfOf != "" {
		s += "@" + a.OnBehalfOf
	}
	if a.Employee != "" {
		s += " employee:" + a.Employee
	}
	if a.Role != "" {
		s += " role:" + a.Role
	}
	return s
}

// Valid reports whether the actor names somebody.
func (a Actor) Valid() bool { return a.Kind != "" && a.ID != "" }

// System is sluis itself, acting on its own account (timers, start-up).
var System = Actor{Kind: "system", ID: "sluis"}

// Sender is the registration system that sent a request or command, on
// behalf of its municipality. A request whose sender could not be read is
// "unknown", so its ledger entry still names an actor.
func Sender(system, municipality string) Actor {
	if system == "" {
		system = "unknown"
	}
	return Actor{Kind: "system", ID: system, OnBehalfOf: municipality}
}

// SenderEmployee is an authenticated registration system acting for its
// municipality on behalf of one of its employees (the request's
// sender.employee, pseudonymous): the ledger actor of a disclosure request
// or consent command. An employee that could not be read is "unknown", so
// the entry still says that nobody was named.
func SenderEmployee(system, municipality, employee string) Actor {
	a := Sender(system, municipality)
	if employee == "" {
		employee = "unknown"
	}
	a.Employee = employee
	return a
}

// Staff is an authenticated staff member (ID: the subject of their identity
// token, pseudonymous) acting in role for municipality (empty when the
// member has none, e.g. an operator). An empty id gives an invalid actor:
// a ledger write with it fails, as one without an actor does.
func Staff(id, role, municipality string) Actor {
	if id == "" {
		return Actor{}
	}
	return Actor{Kind: "staff", ID: id, OnBehalfOf: municipality, Role: role}
}

type ctxKey struct{}

// With returns a context that carries a.
func With(ctx context.Context, a Actor) context.Context {
	return context.WithValue(ctx, ctxKey{}, a)
}

// From returns the actor in ctx, or ErrMissing.
func From(ctx context.Context) (Actor, error) {
	a, ok := ctx.Value(ctxKey{}).(Actor)
	if !ok || !a.Valid() {
		return Actor{}, ErrMissing
	}
	return a, nil
}
