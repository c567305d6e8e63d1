package identity

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"
	"net/http"
	"os"
	"time"

	"github.com/sluis-gateway/sluis/internal/signing"
)

// oidOrganizationIdentifier is X.520 organizationIdentifier (2.5.4.97).
var oidOrganizationIdentifier = asn1.ObjectIdentifier{2, 5, 4, 97}

// kvkPrefix is the ETSI EN 319 412-1 semantics identifier of a Dutch trade
// register (KvK) number in organizationIdentifier.
const kvkPrefix = "NTRNL-"

// ServerTLS builds the HTTP server's TLS configuration: TLS 1.2 or later,
// the server certificate and key from certFile and keyFile (PEM), and
// client certificates required and verified against the CA certificates in
// clientCAFile (PEM; PKIoverheid in production, the development CA in
// development). Every file is read and checked now: a missing or unreadable
// file, a key that does not fit, a server certificate outside its validity
// or a client CA file without a CA certificate is an error naming the file.
func ServerTLS(clientCAFile, certFile, keyFile string) (*tls.Config, error) {
	pool, err := loadCAPool(clientCAFile)
	if err != nil {
		return nil, err
	}
	cert, err := loadKeyPair(certFile, keyFile)
	if err != nil {
		return nil, err
	}
	return &tls.Config{
		MinVersion:   tls.VersionTLS12,
		Certificates: []tls.Certificate{cert},
		ClientAuth:   tls.RequireAndVerifyClientCert,
		ClientCAs:    pool,
	}, nil
}

// ClientTLS builds a client's TLS configuration for talking to sluis: the
// server verified against the CA certificates in caFile and, when certFile
// is set, the client certificate and key presented (what `sluis send` and
// the tests use with the development CA).
func ClientTLS(caFile, certFile, keyFile string) (*tls.Config, error) {
	pool, err := loadCAPool(caFile)
	if err != nil {
		return nil, err
	}
	c := &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: pool}
	if certFile != "" {
		cert, err := loadKeyPair(certFile, keyFile)
		if err != nil {
			return nil, err
		}
		c.Certificates = []tls.Certificate{cert}
	}
	return c, nil
}

// loadCAPool reads every CERTIFICATE block of file; each must be a CA
// certificate.
func loadCAPool(file string) (*x509.CertPool, error) {
	if file == "" {
		return nil, errors.New("CA file: not configured")
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("CA file: %w", err)
	}
	certs, err := signing.ParseCertificates(data)
	if err != nil {
		return nil, fmt.Errorf("CA file %s: %w", file, err)
	}
	pool := x509.NewCertPool()
	for i, c := range certs {
		if !c.IsCA || !c.BasicConstraintsValid {
			return nil, fmt.Errorf("CA file %s: certificate %d is not a CA certificate", file, i+1)
		}
		pool.AddCert(c)
	}
	return pool, nil
}

// loadKeyPair reads a certificate and its key and checks the certificate's
// validity period.
func loadKeyPair(certFile, keyFile string) (tls.Certificate, error) {
	if certFile == "" || keyFile == "" {
		return tls.Certificate{}, errors.New("certificate and key files: both must be configured")
	}
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("key pair %s, %s: %w", certFile, keyFile, err)
	}
	now := time.Now()
	if leaf := cert.Leaf; leaf != nil && (now.Before(leaf.NotBefore) || now.After(leaf.NotAfter)) {
		return tls.Certificate{}, fmt.Errorf("certificate %s: valid only from %s until %s", certFile,
			leaf.NotBefore.UTC().Format(time.RFC3339), leaf.NotAfter.UTC().Format(time.RFC3339))
	}
	return cert, nil
}

// matches reports whether cert's subject has every attribute m sets.
func (m CertificateMatch) matches(cert *x509.Certificate) bool {
	if m.SubjectCN == "" && m.OIN == "" && m.KvK == "" {
		return false
	}
	if m.SubjectCN != "" && cert.Subject.CommonName != m.SubjectCN {
		return false
	}
	if m.OIN != "" && cert.Subject.SerialNumber != m.OIN {
		return false
	}
	if m.KvK != "" && organizationIdentifier(cert) != kvkPrefix+m.KvK {
		return false
	}
	return true
}

// organizationIdentifier returns the subject's organizationIdentifier, or
// "" when it has none (or more than one).
func organizationIdentifier(cert *x509.Certificate) string {
	found := ""
	for _, atv := range cert.Subject.Names {
		if !atv.Type.Equal(oidOrganizationIdentifier) {
			continue
		}
		v, ok := atv.Value.(string)
		if !ok || found != "" {
			return ""
		}
		found = v
	}
	return found
}

// ByCertificate returns the system whose certificate match the client
// certificate satisfies. cert must have been verified by the TLS layer
// (ServerTLS); this only maps it. Errors: ErrNoCertificate (nil),
// ErrUnknownCertificate (no system, or more than one: fail closed).
func (r *Registry) ByCertificate(cert *x509.Certificate) (System, error) {
	if cert == nil {
		return System{}, ErrNoCertificate
	}
	found := -1
	for i, s := range r.systems {
		if s.Certificate == nil || !s.Certificate.matches(cert) {
			continue
		}
		if found >= 0 {
			return System{}, fmt.Errorf("%w: it matches systems %s and %s", ErrUnknownCertificate, r.systems[found].ID, s.ID)
		}
		found = i
	}
	if found < 0 {
		return System{}, ErrUnknownCertificate
	}
	return r.systems[found].clone(), nil
}

// SystemOf returns the system of the request's verified client certificate
// (the leaf of the first verified chain; a certificate the TLS layer did
// not verify is never used). Errors: ErrNoCertificate (no TLS, or no
// verified chain), ErrUnknownCertificate.
func (r *Registry) SystemOf(req *http.Request) (System, error) {
	if req.TLS == nil || len(req.TLS.VerifiedChains) == 0 || len(req.TLS.VerifiedChains[0]) == 0 {
		return System{}, ErrNoCertificate
	}
	return r.ByCertificate(req.TLS.VerifiedChains[0][0])
}

// RequireSystem is HTTP middleware for the registration systems' API: it
// maps the request's verified client certificate to its registry entry and
// calls next with the system in the context (WithSystem). Without a
// verified certificate it answers 401, with one of no registered system
// 403, each as problem details (package problem) and without calling next.
func RequireSystem(r *Registry, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		s, err := r.SystemOf(req)
		switch {
		case errors.Is(err, ErrNoCertificate):
			writeError(w, http.StatusUnauthorized, err)
			return
		case err != nil:
			writeError(w, http.StatusForbidden, err)
			return
		}
		next.ServeHTTP(w, req.WithContext(WithSystem(req.Context(), s)))
	})
}
