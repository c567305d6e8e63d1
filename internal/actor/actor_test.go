package actor_test

import (
	"context"
	"errors"
	"testing"

	"github.com/sluis-gateway/sluis/internal/actor"
)

func TestSender(t *testing.T) {
	cases := []struct {
		name, system, municipality, want string
	}{
		{"a readable sender", "regsys-a", "0363", "system:regsys-a@0363"},
		{"a sender that could not be read", "", "0363", "system:unknown@0363"},
		{"nothing readable at all", "", "", "system:unknown"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := actor.Sender(c.system, c.municipality)
			if got := a.String(); got != c.want || !a.Valid() {
				t.Fatalf("Sender(%q, %q) = %s (valid %v), want %s", c.system, c.municipality, got, a.Valid(), c.want)
			}
		})
	}
}

func TestSenderEmployee(t *testing.T) {
	cases := []struct {
		name, system, municipality, employee, want string
	}{
		{"a system on behalf of an employee", "regsys-a", "0363", "e-7f3a", "system:regsys-a@0363 employee:e-7f3a"},
		{"an employee that could not be read", "regsys-a", "0363", "", "system:regsys-a@0363 employee:unknown"},
		{"a system that could not be read", "", "0599", "e-1", "system:unknown@0599 employee:e-1"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := actor.SenderEmployee(c.system, c.municipality, c.employee)
			if got := a.String(); got != c.want || !a.Valid() {
				t.Fatalf("SenderEmployee(%q, %q, %q) = %s (valid %v), want %s", c.system, c.municipality, c.employee, got, a.Valid(), c.want)
			}
		})
	}
}

func TestStaff(t *testing.T) {
	cases := []struct {
		name, id, role, municipality, want string
		valid                              bool
	}{
		{"a coordinator of a municipality", "s-42", "coordinator", "0363", "staff:s-42@0363 role:coordinator", true},
		{"an operator without a municipality", "s-7", "operator", "", "staff:s-7 role:operator", true},
		{"no subject is nobody", "", "coordinator", "0363", ":", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := actor.Staff(c.id, c.role, c.municipality)
			if got := a.String(); got != c.want || a.Valid() != c.valid {
				t.Fatalf("Staff(%q, %q, %q) = %s (valid %v), want %s (valid %v)", c.id, c.role, c.municipality, got, a.Valid(), c.want, c.valid)
			}
		})
	}
}

func TestStaffWithoutIDIsMissingFromContext(t *testing.T) {
	ctx := actor.With(context.Background(), actor.Staff("", "coordinator", "0363"))
	if _, err := actor.From(ctx); !errors.Is(err, actor.ErrMissing) {
		t.Fatalf("From = %v, want ErrMissing", err)
	}
}
