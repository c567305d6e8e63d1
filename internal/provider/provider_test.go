package provider

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/sluis-gateway/sluis/internal/signing"
)

func TestDevelopmentRegistry(t *testing.T) {
	r := Development()
	if got := r.AGBs(); len(got) != 2 || got[0] != "42420001" || got[1] != "65656055" {
		t.Fatalf("AGBs = %v", got)
	}
	if _, err := r.Get("12345678"); !errors.Is(err, ErrUnknown) {
		t.Fatalf("unknown AGB: %v", err)
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

func TestRetourCertificates(t *testing.T) {
	dir := t.TempDir()
	_, cert, err := signing.GenerateDevelopment(filepath.Join(dir, "a"), "provider a")
	if err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "later", "cert.pem")
	garbage := filepath.Join(dir, "garbage.pem")
	if err := os.WriteFile(garbage, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	r, err := New([]Provider{
		{AGB: "11111111", RetourCertificate: cert},
		{AGB: "22222222"},
		{AGB: "33333333", RetourCertificate: missing},
		{AGB: "44444444", RetourCertificate: garbage},
	})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		agb  string
		want error
	}{
		{"configured and present", "11111111", nil},
		{"unknown provider", "99999999", ErrUnknown},
		{"no certificate configured", "22222222", ErrNoCertificate},
		{"file not there yet", "33333333", ErrNoCertificate},
		{"file without a certificate", "44444444", ErrBadCertificate},
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

	// Loaded lazily: the provider creates its certificate after the
	// registry was loaded, and replaces it later.
	if _, _, err := signing.GenerateDevelopment(filepath.Dir(missing), "provider c"); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(filepath.Join(filepath.Dir(missing), signing.DevCertFile), missing); err != nil {
		t.Fatal(err)
	}
	first, err := r.RetourCertificates("33333333")
	if err != nil {
		t.Fatalf("after the file appeared: %v", err)
	}
	other, err := os.ReadFile(cert)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(missing, other, 0o644); err != nil {
		t.Fatal(err)
	}
	future := time.Now().Add(time.Hour)
	if err := os.Chtimes(missing, future, future); err != nil {
		t.Fatal(err)
	}
	second, err := r.RetourCertificates("33333333")
	if err != nil {
		t.Fatal(err)
	}
	if first[0].Equal(second[0]) {
		t.Fatal("a replaced certificate file was not read again")
	}
}

func TestDevelopmentRegistryPointsAtProviderKeys(t *testing.T) {
	r := Development()
	for _, agb := range r.AGBs() {
		p, _ := r.Get(agb)
		if p.RetourCertificate != DevelopmentCertificate(agb) {
			t.Errorf("%s: retour_certificate %q, want %q", agb, p.RetourCertificate, DevelopmentCertificate(agb))
		}
	}
}
