package deploy

import (
	"encoding/json"
	"os"
	"regexp"
	"testing"

	"github.com/sluis-gateway/sluis/internal/identity"
	"github.com/sluis-gateway/sluis/internal/provider"
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
	providers, err := provider.Load("providers.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, agb := range providers.AGBs() {
		user, err := providers.BrokerUser(agb)
		if err != nil || user == "" {
			t.Errorf("provider %s has no broker_user (%v): its retours would be parked", agb, err)
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
