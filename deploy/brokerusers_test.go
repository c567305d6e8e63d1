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
		TopicPermissions []struct {
			User     string `json:"user"`
			Exchange string `json:"exchange"`
			Write    string `json:"write"`
		} `json:"topic_permissions"`
		Queues []struct {
			Name string `json:"name"`
		} `json:"queues"`
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
		// Its retours go with its own AGB code as routing key, the only key
		// its topic permission allows, into its own retour queue.
		keys := 0
		for _, tp := range defs.TopicPermissions {
			if tp.User != user || tp.Exchange != "sluis.retour" {
				continue
			}
			keys++
			re := regexp.MustCompile(tp.Write)
			if !re.MatchString(agb) || re.MatchString("#") || re.MatchString("99999999") || re.MatchString(agb+".x") {
				t.Errorf("provider %s: topic permission write %q on sluis.retour must allow exactly its AGB code", agb, tp.Write)
			}
		}
		if keys != 1 {
			t.Errorf("provider %s: %d topic permissions on sluis.retour, want 1 (without one it could publish any key)", agb, keys)
		}
		found := false
		for _, q := range defs.Queues {
			found = found || q.Name == "sluis.retours."+agb
		}
		if !found {
			t.Errorf("provider %s: no retour queue sluis.retours.%s in definitions.json", agb, agb)
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
