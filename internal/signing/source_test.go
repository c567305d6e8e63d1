package signing

import (
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// testClock is a settable clock for Source.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// rotation is an old and a new key with certificates whose validity
// overlaps around from (both valid at the real time too: Open and xmlsec1
// check the real clock), written as PEM files and imported into a SoftHSM2
// token when the case asks for PKCS#11.
type rotation struct {
	t0, from           time.Time
	old, new           KeyRef
	oldCert, newCert   *x509.Certificate
	oldKey, newKey     *rsa.PrivateKey
	pkcs11             *PKCS11Config
	oldCertF, newCertF string
}

func newRotation(t *testing.T, viaToken bool) *rotation {
	t.Helper()
	r := &rotation{t0: time.Now().Truncate(time.Second), oldKey: trustedPair(t).key, newKey: otherPair(t).key}
	r.from = r.t0.Add(2 * time.Hour)
	r.oldCert = certFor(t, r.oldKey, func(c *x509.Certificate) {
		c.Subject.CommonName, c.NotBefore, c.NotAfter = "sluis old", r.t0.Add(-time.Hour), r.t0.Add(48*time.Hour)
	})
	r.newCert = certFor(t, r.newKey, func(c *x509.Certificate) {
		c.Subject.CommonName, c.NotBefore, c.NotAfter = "sluis new", r.t0.Add(-30*time.Minute), r.t0.Add(72*time.Hour)
	})
	dir := t.TempDir()
	r.oldCertF = writeCert(t, dir, "old.cert.pem", r.oldCert)
	r.newCertF = writeCert(t, dir, "new.cert.pem", r.newCert)
	r.old = KeyRef{KeyFile: writeKey(t, dir, "old.key.pem", r.oldKey, 0o600), CertFile: r.oldCertF}
	r.new = KeyRef{KeyFile: writeKey(t, dir, "new.key.pem", r.newKey, 0o600), CertFile: r.newCertF}
	if viaToken {
		cfg := softHSM(t, map[string]*rsa.PrivateKey{"old": r.oldKey, "new": r.newKey})
		r.pkcs11 = &cfg
		r.old = KeyRef{KeyLabel: "old", CertFile: r.oldCertF}
		r.new = KeyRef{KeyLabel: "new", CertFile: r.newCertF}
	}
	return r
}

func (r *rotation) source(t *testing.T, clock *testClock) *Source {
	t.Helper()
	s, err := NewSource(SourceConfig{Current: r.old, Next: r.new, NextFrom: r.from, PKCS11: r.pkcs11, Now: clock.Now})
	if err != nil {
		t.Fatalf("NewSource: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("close source: %v", err)
		}
	})
	return s
}

// TestSourceRotation: before NextFrom sluis signs with the old key, from
// then on with the new one; a provider trusting both certificates, as
// docs/signing.md says, verifies every message (Open and xmlsec1), and one
// trusting only the old certificate refuses the new messages.
func TestSourceRotation(t *testing.T) {
	for _, backend := range []string{"PEM", "PKCS11"} {
		t.Run(backend, func(t *testing.T) {
			r := newRotation(t, backend == "PKCS11")
			clock := &testClock{t: r.t0}
			s := r.source(t, clock)
			if got := s.Trusted(); len(got) != 2 || !got[0].Equal(r.oldCert) || !got[1].Equal(r.newCert) {
				t.Fatalf("Trusted = %d certificates, want the old and the new", len(got))
			}
			both, err := LoadVerifier(r.oldCertF, r.newCertF) // as sluis provider -trust old,new
			if err != nil {
				t.Fatal(err)
			}
			oldOnly := mustVerifier(t, r.oldCert)

			moments := []struct {
				name string
				at   time.Time
				want *x509.Certificate
			}{
				{"before the rotation", r.t0, r.oldCert},
				{"a second before", r.from.Add(-time.Second), r.oldCert},
				{"at the rotation moment", r.from, r.newCert},
				{"after the rotation", r.from.Add(time.Hour), r.newCert},
			}
			for _, m := range moments {
				t.Run(m.name, func(t *testing.T) {
					clock.Set(m.at)
					if !s.Certificate().Equal(m.want) {
						t.Fatalf("Certificate() = %s, want %s", s.Certificate().Subject.CommonName, m.want.Subject.CommonName)
					}
					signed, err := s.Seal(testMeta(), wmo301(t))
					if err != nil {
						t.Fatalf("Seal: %v", err)
					}
					if _, err := both.Open(signed); err != nil {
						t.Fatalf("a provider trusting both refuses: %v", err)
					}
					_, err = oldOnly.Open(signed)
					if m.want == r.newCert && !errors.Is(err, ErrUntrusted) {
						t.Errorf("a provider trusting only the old certificate: %v, want ErrUntrusted", err)
					}
					file := writeFile(t, t.TempDir(), "signed.xml", signed)
					if out, err := xmlsec1(t, "--verify", "--trusted-pem", r.oldCertF, "--trusted-pem", r.newCertF,
						"--enabled-reference-uris", "empty", file); err != nil {
						t.Fatalf("xmlsec1 trusting both refuses: %v\n%s", err, out)
					}
				})
			}
		})
	}
}

// TestSourceReload: Reload takes a replaced key and certificate without a
// restart, and a broken replacement leaves the working key in use.
func TestSourceReload(t *testing.T) {
	r := newRotation(t, false)
	clock := &testClock{t: r.t0}
	s, err := NewSource(SourceConfig{Current: r.old, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Trusted()) != 1 {
		t.Fatalf("Trusted without a rotation = %d certificates, want 1", len(s.Trusted()))
	}
	replace := func(t *testing.T, src string, dst string) {
		t.Helper()
		b, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		// Write next to it and rename, as an operator's deploy would.
		tmp := dst + ".tmp"
		if err := os.WriteFile(tmp, b, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, dst); err != nil {
			t.Fatal(err)
		}
	}

	// A certificate that does not match the key: refused, old pair kept.
	replace(t, r.newCertF, r.old.CertFile)
	if err := s.Reload(); !errors.Is(err, ErrKeyMismatch) {
		t.Fatalf("Reload with a mismatched certificate: %v, want ErrKeyMismatch", err)
	}
	if !s.Certificate().Equal(r.oldCert) {
		t.Fatal("a failed Reload replaced the certificate")
	}
	if _, err := mustVerifier(t, r.oldCert).Open(mustSeal(t, s.active(clock.Now()), testMeta(), wmo301(t))); err != nil {
		t.Fatalf("after a failed Reload the old key no longer signs: %v", err)
	}

	// The matching key too: taken.
	replace(t, r.new.KeyFile, r.old.KeyFile)
	if err := s.Reload(); err != nil {
		t.Fatalf("Reload: %v", err)
	}
	if !s.Certificate().Equal(r.newCert) {
		t.Fatal("Reload did not take the new certificate")
	}
	signed, err := s.Seal(testMeta(), wmo301(t))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := mustVerifier(t, r.newCert).Open(signed); err != nil {
		t.Fatalf("after Reload: %v", err)
	}
}

// TestSourceStartupChecks: the validity periods are checked for the time
// each key will sign, and Seal refuses a certificate that has expired since.
func TestSourceStartupChecks(t *testing.T) {
	r := newRotation(t, false)
	tests := []struct {
		name     string
		now      time.Time
		next     KeyRef
		from     time.Time
		want     error
		wantFile string
	}{
		{"current valid, no rotation", r.t0, KeyRef{}, time.Time{}, nil, ""},
		{"current expired, no rotation", r.t0.Add(49 * time.Hour), KeyRef{}, time.Time{}, ErrCertExpired, r.oldCertF},
		{"current not yet valid", r.t0.Add(-2 * time.Hour), KeyRef{}, time.Time{}, ErrCertNotYetValid, r.oldCertF},
		{"next valid at its moment", r.t0, r.new, r.from, nil, ""},
		{"next not yet valid at its moment", r.t0.Add(-45 * time.Minute), r.new, r.t0.Add(-40 * time.Minute), ErrCertNotYetValid, r.newCertF},
		{"next expired at its moment", r.t0, r.new, r.t0.Add(73 * time.Hour), ErrCertExpired, r.newCertF},
		{"current expired but retired", r.t0.Add(49 * time.Hour), r.new, r.from, nil, ""},
		{"next without a moment", r.t0, r.new, time.Time{}, ErrNoNextFrom, ""},
		{"next key file readable by others", r.t0, KeyRef{KeyFile: writeKey(t, t.TempDir(), "k.pem", r.newKey, 0o644), CertFile: r.newCertF},
			r.from, ErrKeyFileMode, "k.pem"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clock := &testClock{t: tc.now}
			s, err := NewSource(SourceConfig{Current: r.old, Next: tc.next, NextFrom: tc.from, Now: clock.Now})
			if !errors.Is(err, tc.want) {
				t.Fatalf("NewSource error = %v, want %v", err, tc.want)
			}
			if err != nil && !strings.Contains(err.Error(), tc.wantFile) {
				t.Errorf("error %q does not name %s", err, filepath.Base(tc.wantFile))
			}
			if err == nil {
				if _, err := s.Seal(testMeta(), wmo301(t)); err != nil {
					t.Errorf("Seal: %v", err)
				}
			}
		})
	}

	// Valid at start, expired later: Seal refuses rather than send what no
	// provider accepts.
	clock := &testClock{t: r.t0}
	s, err := NewSource(SourceConfig{Current: r.old, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	clock.Set(r.oldCert.NotAfter.Add(time.Second))
	if _, err := s.Seal(testMeta(), wmo301(t)); !errors.Is(err, ErrCertExpired) {
		t.Fatalf("Seal with an expired certificate: %v, want ErrCertExpired", err)
	}
}
