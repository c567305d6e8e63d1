// Package certexpiry exports, at every scrape, the seconds until each
// configured certificate expires: the gateway's signing certificate (and the
// next one during a rotation) and each provider's retour certificate. The
// metric is sluis_certificate_expiry_seconds{role, agb}: role is signing,
// signing_next or provider; agb (an organisation code, not personal data)
// only for providers. One series per configured certificate, so the label
// set is bounded by the configuration.
package certexpiry

import (
	"crypto/x509"
	"errors"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Roles of the certificates.
const (
	RoleSigning     = "signing"
	RoleSigningNext = "signing_next"
	RoleProvider    = "provider"
)

// Signing is the gateway's signing key source; *signing.Source is one. It
// must be safe for concurrent use.
type Signing interface {
	// Certificates returns the current certificate and the next one (nil
	// without rotation).
	Certificates() (current, next *x509.Certificate)
}

// Providers is the provider registry; *provider.Registry is one. It must be
// safe for concurrent use.
type Providers interface {
	AGBs() []string
	// RetourCertificates returns the certificates a provider signs its
	// retours with, or an error when none can be read.
	RetourCertificates(agb string) ([]*x509.Certificate, error)
}

// Collector computes the expiry metric at scrape time.
type Collector struct {
	signing   Signing
	providers Providers
	now       func() time.Time
	desc      *prometheus.Desc
}

// New builds a Collector. providers may be nil (no provider series); now
// defaults to time.Now.
func New(s Signing, p Providers, now func() time.Time) (*Collector, error) {
	if s == nil {
		return nil, errors.New("certificate expiry: missing signing source")
	}
	if now == nil {
		now = time.Now
	}
	return &Collector{signing: s, providers: p, now: now, desc: prometheus.NewDesc(
		"sluis_certificate_expiry_seconds",
		"Seconds until the certificate's NotAfter (negative once expired), by role (signing, signing_next, provider) and, for providers, AGB code. A provider with several retour certificates counts the one that expires last; a provider whose certificate cannot be read has no series.",
		[]string{"role", "agb"}, nil,
	)}, nil
}

// Describe implements prometheus.Collector.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

// Collect implements prometheus.Collector.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	now := c.now()
	emit := func(cert *x509.Certificate, role, agb string) {
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, cert.NotAfter.Sub(now).Seconds(), role, agb)
	}
	cur, next := c.signing.Certificates()
	if cur != nil {
		emit(cur, RoleSigning, "")
	}
	if next != nil {
		emit(next, RoleSigningNext, "")
	}
	if c.providers == nil {
		return
	}
	for _, agb := range c.providers.AGBs() {
		certs, err := c.providers.RetourCertificates(agb)
		if err != nil || len(certs) == 0 {
			continue
		}
		last := certs[0]
		for _, cert := range certs[1:] {
			if cert.NotAfter.After(last.NotAfter) {
				last = cert
			}
		}
		emit(last, RoleProvider, agb)
	}
}
