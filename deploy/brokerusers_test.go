package deploy

import (
	"encoding/json"
	"os"
	"regexp"
	"testing"

	"github.com/sluis-gateway/sluis/internal/identity"
)

// TestBrokerUsersMatchDefinitions: every provider of providers.json and
// every system of systems.json publishes as a broker user that
// rabbitmq/definitions.json creates, with write access to the exchange it
// publishes to (sluis.retour for providers, sluis.intake for systems).
func TestBrokerUsersMatchDefinitions(t *testing.T) {
	b, err := os.ReadFile("rabbitmq/definitions.json")
	if err != nil {
		t.Fatal(err)
	}
	var defs struct {
		Permissions []struct {
			User  string `json:"user"`
			Write string `json:"write"`
		} `json:"permissions"`
	}
	if err := json.Unmarshal(b, &defs); err != nil {
		t.Fatal(err)
	}
	writes := func(user, exchange string) bool {
		for _, p := range defs.Permissions {
			if p.User == user && regexp.MustCompile(p.Write).MatchString(exchange) {
				return true
			}
		}
		return false
	}
	// The registry's broker users (read as JSON: provider.Load would also
	// read each retour certificate, which lives on the production host).
	raw, err := os.ReadFile("providers.json")
	if err != nil {
		t.Fatal(err)
	}
	var providers []struct {
		AGB        string `json:"agb"`
		BrokerUser string `json:"broker_user"`
	}
	if err := json.Unmarshal(raw, &providers); err != nil {
		t.Fatal(err)
	}
	for _, p := range providers {
		agb, user := p.AGB, p.BrokerUser
		if user == "" {
			t.Errorf("provider %s has no broker_user: its retours would be parked", agb)
			continue
		}
		if !writes(user, "sluis.retour") {
			t.Errorf("provider %s: broker user %s may not publish to sluis.retour in definitions.json", agb, user)
		}
	}
	systems, err := identity.Load("systems.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range systems.Systems() {
		if s.BrokerUser != "" && !writes(s.BrokerUser, "sluis.intake") {
			t.Errorf("system %s: broker user %s may not publish to sluis.intake in definitions.json", s.ID, s.BrokerUser)
		}
	}
}
