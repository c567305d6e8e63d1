package provider_test

import (
	"errors"
	"testing"

	"github.com/sluis-gateway/sluis/internal/provider"
)

func TestBrokerUser(t *testing.T) {
	dev, err := provider.Development(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for _, agb := range dev.AGBs() {
		if u, err := dev.BrokerUser(agb); err != nil || u != "guest" {
			t.Errorf("development provider %s: broker user %q (%v), want guest (the local broker's only user)", agb, u, err)
		}
	}
	if _, err := dev.BrokerUser("99999999"); !errors.Is(err, provider.ErrUnknown) {
		t.Errorf("unknown provider: %v, want ErrUnknown", err)
	}
	r, err := provider.New([]provider.Provider{{AGB: "12345678", Name: "none"}})
	if err != nil {
		t.Fatal(err)
	}
	if u, err := r.BrokerUser("12345678"); err != nil || u != "" {
		t.Errorf("a provider without broker_user: %q (%v), want \"\"", u, err)
	}
}
