// Package provider is the registry of care providers sluis may send to:
// their AGB code, name and the certificate they sign retour messages with.
// Adding a provider is a change to the registry file, not to code.
package provider

import (
	"crypto/x509"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"sync"
	"time"

	"github.com/sluis-gateway/sluis/internal/signing"
)

// Named errors of the registry.
var (
	// ErrUnknown is returned for an AGB code that is not in the registry.
	ErrUnknown = errors.New("provider not in registry")
	// ErrNoCertificate is returned when a provider has no retour
	// certificate configured, or its file does not exist (yet).
	ErrNoCertificate = errors.New("provider has no retour certificate")
	// ErrBadCertificate is returned when the retour certificate file exists
	// but holds no parseable PEM CERTIFICATE block.
	ErrBadCertificate = errors.New("provider retour certificate unreadable")
)

// Provider is one care provider.
type Provider struct {
	// AGB is the provider's 8-digit AGB code; its queue is sluis.provider.<AGB>.
	AGB string `json:"agb"`
	// Name is for operators (dashboards, logs).
	Name string `json:"name"`
	// RetourCertificate is a PEM file with the certificate(s) the provider
	// signs its retour messages with (several blocks: any of them is
	// trusted, for key rollover). A relative path is relative to the working
	// directory. The file is read when a retour is verified, not at start,
	// so a provider may create it after the gateway started; a changed file
	// is read again. Empty or missing: retours from the provider cannot be
	// verified and are parked.
	RetourCertificate string `json:"retour_certificate,omitempty"`
	// BrokerUser is the RabbitMQ user the provider publishes its retours
	// with: a retour is accepted only when its broker-validated user-id is
	// this user (and its signature the provider's). Empty: every retour of
	// the provider is parked (wrong_publisher).
	BrokerUser string `json:"broker_user,omitempty"`
}

// Registry is an immutable set of providers. It is safe for concurrent use.
type Registry struct {
	byAGB map[string]Provider

	mu    sync.Mutex
	certs map[string]certCache // by file path
}

// certCache is a parsed certificate file and the file facts it was read at.
type certCache struct {
	modTime time.Time
	size    int64
	certs   []*x509.Certificate
}

var agbRe = regexp.MustCompile(`^[0-9]{8}$`)

// New checks and indexes providers.
func New(ps []Provider) (*Registry, error) {
	r := &Registry{byAGB: make(map[string]Provider, len(ps)), certs: map[string]certCache{}}
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

// BrokerUser returns the broker user the provider with this AGB code
// publishes retours with ("" when none is configured), or ErrUnknown.
func (r *Registry) BrokerUser(agb string) (string, error) {
	p, err := r.Get(agb)
	if err != nil {
		return "", err
	}
	return p.BrokerUser, nil
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

// RetourCertificates returns the certificates the provider with this AGB code
// signs its retours with, read from its RetourCertificate file (cached until
// the file changes). Errors: ErrUnknown, ErrNoCertificate (none configured,
// or the file does not exist), ErrBadCertificate (no parseable certificate
// in the file), or the wrapped I/O error.
func (r *Registry) RetourCertificates(agb string) ([]*x509.Certificate, error) {
	p, err := r.Get(agb)
	if err != nil {
		return nil, err
	}
	if p.RetourCertificate == "" {
		return nil, fmt.Errorf("provider %s: %w", agb, ErrNoCertificate)
	}
	path := p.RetourCertificate
	fi, err := os.Stat(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("provider %s: %w: %s does not exist", agb, ErrNoCertificate, path)
	}
	if err != nil {
		return nil, fmt.Errorf("provider %s: retour certificate: %w", agb, err)
	}
	r.mu.Lock()
	c, ok := r.certs[path]
	r.mu.Unlock()
	if ok && c.modTime.Equal(fi.ModTime()) && c.size == fi.Size() {
		return c.certs, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("provider %s: retour certificate: %w", agb, err)
	}
	certs, err := parseCerts(data)
	if err != nil {
		return nil, fmt.Errorf("provider %s: %s: %w", agb, path, err)
	}
	r.mu.Lock()
	r.certs[path] = certCache{modTime: fi.ModTime(), size: fi.Size(), certs: certs}
	r.mu.Unlock()
	return certs, nil
}

// parseCerts reads every PEM CERTIFICATE block of data.
func parseCerts(data []byte) ([]*x509.Certificate, error) {
	certs, err := signing.ParseCertificates(data)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadCertificate, err)
	}
	return certs, nil
}

// DevelopmentCertificate is where `sluis provider` keeps the development
// certificate of the provider with this AGB code (relative to the working
// directory), and where the development registry points.
func DevelopmentCertificate(agb string) string {
	return filepath.Join(DevelopmentDir(agb), signing.DevCertFile)
}

// DevelopmentDir is the folder (relative to the working directory) of the
// development key pair of the provider with this AGB code.
func DevelopmentDir(agb string) string {
	return filepath.Join("var", "dev", "providers", agb)
}
