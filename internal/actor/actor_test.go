package actor_test

import (
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
