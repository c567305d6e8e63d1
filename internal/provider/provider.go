// Package provider is the registry of care providers sluis may send to:
// their AGB code, name and the certificate they sign retour messages with.
// Adding a provider is a change to the registry file, not to code.
package provider

import (
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"regexp"
	"sort"
)

// ErrUnknown is returned for an AGB code that is not in the registry.
var ErrUnknown = errors.New("provider not in registry")

// Provider is one care provider.
type Provider struct {
	// AGB is the provider's 8-digit AGB code; its queue is sluis.provider.<AGB>.
	AGB string `json:"agb"`
	// Name is for operators (dashboards, logs).
	Name string `json:"name"`
	// RetourCertificate is a PEM file with the certificate the provider signs
	// its retour messages with. Empty: retours from it cannot be verified and
	// are parked.
	RetourCertificate string `json:"retour_certificate,omitempty"`
}

// Registry is an immutable set of providers.
type Registry struct {
	byAGB map[string]Provider
}

var agbRe = regexp.MustCompile(`^[0-9]{8}$`)

// New checks and indexes providers.
func New(ps []Provider) (*Registry, error) {
	r := &Registry{byAGB: make(map[string]Provider, len(ps))}
	for i, p := range ps {
		if !agbRe.MatchString(p.AGB) {
			return nil, fmt.Errorf("provider %d: agb must be 8 digits", i+1)
		}
		if _, dup := r.byAGB[p.AGB]; dup {
			return nil, fmt.Errorf("provider %d: agb %s listed twice", i+1, p.AGB)
		}
		r.byAGB[p.AGB] = p
	}
	return r, nil
}

// Load reads a registry file (a JSON array of providers).
func Load(path string) (*Registry, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("provider registry: %w", err)
	}
	return parse(b, path)
}

//go:embed development.json
var development []byte

// Development is the embedded registry used by `make run`: the two providers
// of the official example messages.
func Development() *Registry {
	r, err := parse(development, "embedded development registry")
	if err != nil {
		panic(err) // the embedded file is tested
	}
	return r
}

func parse(b []byte, name string) (*Registry, error) {
	var ps []Provider
	if err := json.Unmarshal(b, &ps); err != nil {
		return nil, fmt.Errorf("provider registry %s: %w", name, err)
	}
	r, err := New(ps)
	if err != nil {
		return nil, fmt.Errorf("provider registry %s: %w", name, err)
	}
	return r, nil
}

// Get returns the provider with this AGB code, or ErrUnknown.
func (r *Registry) Get(agb string) (Provider, error) {
	p, ok := r.byAGB[agb]
	if !ok {
		return Provider{}, ErrUnknown
	}
	return p, nil
}

// AGBs lists the registered AGB codes, sorted.
func (r *Registry) AGBs() []string {
	out := make([]string, 0, len(r.byAGB))
	for agb := range r.byAGB {
		out = append(out, agb)
	}
	sort.Strings(out)
	return out
}
