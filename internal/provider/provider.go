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
	"time"

	"github.com/sluis-gateway/sluis/internal/signing"
)

// Named errors of the registry.
var (
	// ErrUnknown is returned for an AGB code that is not in the registry.
	ErrUnknown = errors.New("provider not in registry")
	// ErrNoCertificate is returned when a provider has no retour
	// certificate configured.
	ErrNoCertificate = errors.New("provider has no retour certificate")
	// ErrBadCertificate is returned at load when a configured retour
	// certificate file is missing, holds no parseable PEM CERTIFICATE block,
	// or holds a certificate that fails signing's checks (wrapped:
	// signing.ErrCertExpired, ErrCertNotYetValid, ErrCertKeyUsage,
	// ErrCertIsCA, ErrWeakKey).
	ErrBadCertificate = errors.New("provider retour certificate unusable")
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
	// directory. The file is read and every certificate in it checked when
	// the registry is loaded (at start): a missing file or a certificate
	// that is expired, not yet valid, without digitalSignature or a CA is a
	// load error naming the file. A file created or changed later is not
	// read until the next start. Empty: retours from the provider cannot be
	// verified and are parked.
	RetourCertificate string `json:"retour_certificate,omitempty"`
	// BrokerUser is the RabbitMQ user the provider publishes its retours
	// with: a retour is accepted only when its broker-validated user-id is
	// this user (and its signature the provider's). Empty: every retour of
	// the provider is parked (wrong_publisher).
	BrokerUser string `json:"broker_user,omitempty"`
}

// Registry is an immutable set of providers with their checked retour
// certificates. It is safe for concurrent use.
type Registry struct {
	byAGB map[string]Provider
	certs map[string][]*x509.Certificate // by AGB, read at load
}

var agbRe = regexp.MustCompile(`^[0-9]{8}$`)

// New checks and indexes providers, and reads and checks each configured
// retour certificate file (signing.CheckSignerCertificate, now). Every
// error names the provider and, for a certificate, the file.
func New(ps []Provider) (*Registry, error) {
	r := &Registry{byAGB: make(map[string]Provider, len(ps)), certs: map[string][]*x509.Certificate{}}
	now := time.Now()
	for i, p := range ps {
		if !agbRe.MatchString(p.AGB) {
			return nil, fmt.Errorf("provider %d: agb must be 8 digits", i+1)
		}
		if _, dup := r.byAGB[p.AGB]; dup {
			return nil, fmt.Errorf("provider %d: agb %s listed twice", i+1, p.AGB)
		}
		r.byAGB[p.AGB] = p
		if p.RetourCertificate == "" {
			continue
		}
		certs, err := loadChecked(p.RetourCertificate, now)
		if err != nil {
			return nil, fmt.Errorf("provider %s: retour certificate %s: %w", p.AGB, p.RetourCertificate, err)
		}
		r.certs[p.AGB] = certs
	}
	return r, nil
}

// loadChecked reads every certificate of a PEM file and checks each as a
// signer's certificate at now.
func loadChecked(path string, now time.Time) ([]*x509.Certificate, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadCertificate, err)
	}
	certs, err := signing.ParseCertificates(data)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadCertificate, err)
	}
	for i, c := range certs {
		if err := signing.CheckSignerCertificate(c, now); err != nil {
			return nil, fmt.Errorf("%w: certificate %d (%s): %w", ErrBadCertificate, i+1, c.Subject.CommonName, err)
		}
	}
	return certs, nil
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

// Development is the embedded development registry (SLUIS_DEV_PROVIDERS,
// `make run`): the two providers of the official example messages, each
// with a development key pair in dir/<AGB>/ (DevelopmentPair: generated
// when missing, never overwritten) whose certificate it trusts.
// DEVELOPMENT ONLY.
func Development(dir string) (*Registry, error) {
	var ps []Provider
	if err := json.Unmarshal(development, &ps); err != nil {
		return nil, fmt.Errorf("embedded development registry: %w", err)
	}
	for i := range ps {
		_, cert, err := DevelopmentPair(dir, ps[i].AGB)
		if err != nil {
			return nil, err
		}
		ps[i].RetourCertificate = cert
	}
	r, err := New(ps)
	if err != nil {
		return nil, fmt.Errorf("embedded development registry: %w", err)
	}
	return r, nil
}

// DevelopmentPair returns the development key pair of the provider with
// this AGB code in dir/<AGB>/, generating it when both files are missing
// (signing.GenerateDevelopment: a half pair or one that does not load is
// an error, nothing is overwritten). `sluis provider` signs its retours
// with it; the development registry trusts its certificate.
func DevelopmentPair(dir, agb string) (keyFile, certFile string, err error) {
	if !agbRe.MatchString(agb) {
		return "", "", fmt.Errorf("development provider %q: agb must be 8 digits", agb)
	}
	keyFile, certFile, err = signing.GenerateDevelopment(filepath.Join(dir, agb), "sluis provider "+agb)
	if err != nil {
		return "", "", fmt.Errorf("development provider %s keys: %w", agb, err)
	}
	return keyFile, certFile, nil
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
// signs its retours with, as read and checked at load. Errors: ErrUnknown,
// ErrNoCertificate (none configured).
func (r *Registry) RetourCertificates(agb string) ([]*x509.Certificate, error) {
	if _, err := r.Get(agb); err != nil {
		return nil, err
	}
	certs, ok := r.certs[agb]
	if !ok {
		return nil, fmt.Errorf("provider %s: %w", agb, ErrNoCertificate)
	}
	return certs, nil
}

// DevelopmentDir is the default folder (relative to the working directory)
// of the development providers' key pairs: SLUIS_DEV_PROVIDERS_DIR's
// default, where `sluis provider` looks.
const DevelopmentDir = "var/dev/providers"
