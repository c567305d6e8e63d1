// Package actor carries accountability in the context: who (which system or
// person, pseudonymously) caused what sluis does. Every ledger write needs
// one; a write without an actor fails loudly.
package actor

import (
	"context"
	"errors"
	"fmt"
)

// ErrMissing is returned when an operation that must be accounted for has no
// actor in its context.
var ErrMissing = errors.New("no actor in context")

// Actor names who is accountable. It never holds personal data of clients;
// an employee is named by a pseudonymous id only.
type Actor struct {
	// Kind is "system" (a registration system or sluis itself), "provider"
	// (a care provider, by AGB code) or "employee" (pseudonymous id).
	Kind string
	// ID identifies the actor within its kind, e.g. "sluis", "0363/regsys-a",
	// "42420001", "e-7f3a".
	ID string
	// OnBehalfOf is the municipality code (4 digits) or AGB code the actor
	// acts for, when there is one.
	OnBehalfOf string
}

// String renders the actor for ledger entries: kind:id[@onbehalfof].
func (a Actor) String() string {
	if a.OnBehalfOf != "" {
		return fmt.Sprintf("%s:%s@%s", a.Kind, a.ID, a.OnBehalfOf)
	}
	return a.Kind + ":" + a.ID
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
