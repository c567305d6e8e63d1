package provider

import (
	"crypto/x509"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sluis-gateway/sluis/internal/signing"
	"github.com/sluis-gateway/sluis/internal/testenv"
)

func TestDevelopmentRegistry(t *testing.T) {
	dir := t.TempDir()
	r, err := Development(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := r.AGBs(); len(got) != 2 || got[0] != "42420001" || got[1] != "65656055" {
		t.Fatalf("AGBs = %v", got)
	}
	if _, err := r.Get("12345678"); !errors.Is(err, ErrUnknown) {
		t.Fatalf("unknown AGB: %v", err)
	}
	// It trusts the pair `sluis provider` signs with, generated once and
	// then reused.
	for _, agb := range r.AGBs() {
		key, cert, err := DevelopmentPair(dir, agb)
		if err != nil {
			t.Fatal(err)
		}
		if p, _ := r.Get(agb); p.RetourCertificate != cert || filepath.Dir(cert) != filepath.Join(dir, agb) {
			t.Errorf("%s: retour_certificate %q, pair %s %s", agb, p.RetourCertificate, key, cert)
		}
		s, err := signing.LoadSigner(key, cert)
		if err != nil {
			t.Fatal(err)
		}
		trusted, err := r.RetourCertificates(agb)
		if err != nil || len(trusted) != 1 || !trusted[0].Equal(s.Certificate()) {
			t.Fatalf("%s: trusted %v, %v", agb, trusted, err)
		}
	}
}

func TestNewRejects(t *testing.T) {
	cases := []struct {
		name string
		ps   []Provider
	}{
		{"agb too short", []Provider{{AGB: "1234"}}},
		{"agb with letters", []Provider{{AGB: "1234567a"}}},
		{"agb twice", []Provider{{AGB: "12345678"}, {AGB: "12345678"}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := New(tc.ps); err == nil {
				t.Fatal("want error")
			}
		})
	}
}

// writeCert writes a certificate made from an edited template
// (testenv.CertPair) to dir/name.cert.pem.
func writeCert(t *testing.T, dir, name string, bits int, edit func(*x509.Certificate)) string {
	t.Helper()
	_, cert := testenv.CertPair(t, dir, name, bits, edit)
	return cert
}

// TestNewChecksEveryCertificate: each configured retour certificate is read
// and checked when the registry is made; a bad one refuses the registry,
// naming the file and the reason.
func TestNewChecksEveryCertificate(t *testing.T) {
	dir := t.TempDir()
	good := writeCert(t, dir, "good", 2048, nil)
	now := time.Now()
	garbage := filepath.Join(dir, "garbage.pem")
	if err := os.WriteFile(garbage, []byte("not a certificate"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		file string
		want error // besides ErrBadCertificate
	}{
		{"missing file", filepath.Join(dir, "later", "cert.pem"), os.ErrNotExist},
		{"file without a certificate", garbage, signing.ErrNoCertificate},
		{"expired", writeCert(t, dir, "expired", 2048, func(c *x509.Certificate) {
			c.NotBefore, c.NotAfter = now.Add(-48*time.Hour), now.Add(-time.Hour)
		}), signing.ErrCertExpired},
		{"not yet valid", writeCert(t, dir, "future", 2048, func(c *x509.Certificate) {
			c.NotBefore, c.NotAfter = now.Add(time.Hour), now.Add(48*time.Hour)
		}), signing.ErrCertNotYetValid},
		{"key usage without digitalSignature", writeCert(t, dir, "usage", 2048, func(c *x509.Certificate) {
			c.KeyUsage = x509.KeyUsageKeyEncipherment
		}), signing.ErrCertKeyUsage},
		{"a CA certificate as signer", writeCert(t, dir, "ca", 2048, func(c *x509.Certificate) {
			c.IsCA, c.KeyUsage = true, x509.KeyUsageDigitalSignature|x509.KeyUsageCertSign
		}), signing.ErrCertIsCA},
		{"RSA-1024", writeCert(t, dir, "weak", 1024, nil), signing.ErrWeakKey},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New([]Provider{{AGB: "11111111", RetourCertificate: good}, {AGB: "22222222", RetourCertificate: tc.file}})
			if !errors.Is(err, ErrBadCertificate) || !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v and %v", err, ErrBadCertificate, tc.want)
			}
			for _, m := range []string{tc.file, "22222222"} {
				if !strings.Contains(err.Error(), m) {
					t.Errorf("error %q does not name %s", err, m)
				}
			}
		})
	}
}

func TestRetourCertificates(t *testing.T) {
	dir := t.TempDir()
	cert := writeCert(t, dir, "a", 2048, nil)
	r, err := New([]Provider{
		{AGB: "11111111", RetourCertificate: cert},
		{AGB: "22222222"},
	})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		agb  string
		want error
	}{
		{"configured", "11111111", nil},
		{"unknown provider", "99999999", ErrUnknown},
		{"no certificate configured", "22222222", ErrNoCertificate},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			certs, err := r.RetourCertificates(tc.agb)
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			if tc.want == nil && len(certs) != 1 {
				t.Fatalf("%d certificates", len(certs))
			}
		})
	}

	// Read at load only: a replaced file is not trusted before a restart.
	first, _ := r.RetourCertificates("11111111")
	writeCert(t, dir, "a", 2048, nil)
	again, err := r.RetourCertificates("11111111")
	if err != nil || !again[0].Equal(first[0]) {
		t.Fatalf("a replaced certificate file was read after load: %v", err)
	}
}

func TestDevelopmentPairRefusesAHalfPair(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "42420001"), 0o700); err != nil {
		t.Fatal(err)
	}
	cert := filepath.Join(dir, "42420001", signing.DevCertFile)
	if err := os.WriteFile(cert, []byte("operator's file"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Development(dir); !errors.Is(err, signing.ErrPartialKeyPair) {
		t.Fatalf("err = %v, want ErrPartialKeyPair", err)
	}
	if b, _ := os.ReadFile(cert); string(b) != "operator's file" {
		t.Fatal("the existing certificate was changed")
	}
}
