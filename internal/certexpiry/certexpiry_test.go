package certexpiry_test

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/sluis-gateway/sluis/internal/certexpiry"
	"github.com/sluis-gateway/sluis/internal/provider"
	"github.com/sluis-gateway/sluis/internal/signing"
)

const day = 24 * time.Hour

// source is a real signing source of development pairs, with a next key
// when rotate is set.
func source(t *testing.T, rotate bool) *signing.Source {
	t.Helper()
	dir := t.TempDir()
	key, cert, err := signing.GenerateDevelopment(filepath.Join(dir, "current"), "sluis")
	if err != nil {
		t.Fatal(err)
	}
	cfg := signing.SourceConfig{Current: signing.KeyRef{KeyFile: key, CertFile: cert}}
	if rotate {
		nkey, ncert, err := signing.GenerateDevelopment(filepath.Join(dir, "next"), "sluis next")
		if err != nil {
			t.Fatal(err)
		}
		cfg.Next = signing.KeyRef{KeyFile: nkey, CertFile: ncert}
		cfg.NextFrom = time.Now().Add(day)
	}
	s, err := signing.NewSource(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// certFile writes a PEM file with one certificate per NotAfter given.
func certFile(t *testing.T, notAfter ...time.Time) string {
	t.Helper()
	var out []byte
	for i, na := range notAfter {
		key, err := rsa.GenerateKey(rand.Reader, 2048) // what provider.New accepts
		if err != nil {
			t.Fatal(err)
		}
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(int64(i + 1)), Subject: pkix.Name{CommonName: "provider"},
			NotBefore: time.Now().Add(-day), NotAfter: na, KeyUsage: x509.KeyUsageDigitalSignature}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})...)
	}
	path := filepath.Join(t.TempDir(), "retour.pem")
	if err := os.WriteFile(path, out, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestCertificateExpiry(t *testing.T) {
	now := time.Now().Truncate(time.Second)
	cases := []struct {
		name      string
		rotate    bool
		providers func(t *testing.T) *provider.Registry
		// want, with SIGNING and NEXT replaced by the signing certificates' seconds left
		want string
	}{
		{"signing only", false, nil, `
sluis_certificate_expiry_seconds{agb="",role="signing"} SIGNING
`},
		{"during a rotation", true, nil, `
sluis_certificate_expiry_seconds{agb="",role="signing"} SIGNING
sluis_certificate_expiry_seconds{agb="",role="signing_next"} NEXT
`},
		// provider.New refuses a missing, expired or not yet valid
		// certificate at start, so only valid ones and none reach the
		// collector.
		{"providers: the last to expire counts, none configured has no series", false, func(t *testing.T) *provider.Registry {
			r, err := provider.New([]provider.Provider{
				{AGB: "01234567", RetourCertificate: certFile(t, now.Add(10*day), now.Add(40*day))},
				{AGB: "12345678", RetourCertificate: certFile(t, now.Add(2*day))},
				{AGB: "23456789"}, // no certificate configured
			})
			if err != nil {
				t.Fatal(err)
			}
			return r
		}, `
sluis_certificate_expiry_seconds{agb="",role="signing"} SIGNING
sluis_certificate_expiry_seconds{agb="01234567",role="provider"} 3.456e+06
sluis_certificate_expiry_seconds{agb="12345678",role="provider"} 172800
`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			src := source(t, tc.rotate)
			var providers certexpiry.Providers
			if tc.providers != nil {
				providers = tc.providers(t)
			}
			c, err := certexpiry.New(src, providers, func() time.Time { return now })
			if err != nil {
				t.Fatal(err)
			}
			reg := prometheus.NewRegistry()
			if err := reg.Register(c); err != nil {
				t.Fatal(err)
			}
			cur, next := src.Certificates()
			want := strings.ReplaceAll(tc.want, "SIGNING", seconds(cur.NotAfter.Sub(now)))
			if next != nil {
				want = strings.ReplaceAll(want, "NEXT", seconds(next.NotAfter.Sub(now)))
			}
			head := "# HELP sluis_certificate_expiry_seconds " + helpOf(t, reg) + "\n# TYPE sluis_certificate_expiry_seconds gauge"
			if err := testutil.GatherAndCompare(reg, strings.NewReader(head+want), "sluis_certificate_expiry_seconds"); err != nil {
				t.Fatal(err)
			}
			if problems, err := testutil.CollectAndLint(c); err != nil || len(problems) > 0 {
				t.Fatalf("lint: %v %v", problems, err)
			}
		})
	}
}

// seconds formats a duration's seconds exactly, for the text exposition.
func seconds(d time.Duration) string {
	return strconv.FormatFloat(d.Seconds(), 'g', -1, 64)
}

func helpOf(t *testing.T, g prometheus.Gatherer) string {
	t.Helper()
	mfs, err := g.Gather()
	if err != nil || len(mfs) != 1 {
		t.Fatalf("gather: %d families, %v", len(mfs), err)
	}
	return mfs[0].GetHelp()
}

func TestNewNeedsSigning(t *testing.T) {
	if _, err := certexpiry.New(nil, nil, nil); err == nil {
		t.Fatal("want an error without a signing source")
	}
}
