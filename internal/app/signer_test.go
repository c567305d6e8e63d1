package app

import (
	"bytes"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sluis-gateway/sluis/internal/config"
	"github.com/sluis-gateway/sluis/internal/signing"
)

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// signingConfig is a configuration whose signing files are in dir.
func signingConfig(t *testing.T, dir string, devKeys bool) config.Config {
	t.Helper()
	cfg, err := config.Parse(map[string]string{
		"SLUIS_SIGNING_KEY":  filepath.Join(dir, "keys", "signing.key.pem"),
		"SLUIS_SIGNING_CERT": filepath.Join(dir, "keys", "signing.cert.pem"),
		"SLUIS_DEV_KEYS":     map[bool]string{true: "true", false: "false"}[devKeys],
	})
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// TestOpenSignerNeverOverwrites: with development keys a missing pair is
// generated, but when only one of the files exists sluis refuses to start
// and leaves it as it was; without development keys a missing key is a
// start-up error naming it.
func TestOpenSignerNeverOverwrites(t *testing.T) {
	operatorCert := []byte("-----BEGIN CERTIFICATE-----\nan operator's certificate\n-----END CERTIFICATE-----\n")
	tests := []struct {
		name      string
		devKeys   bool
		certThere bool
		want      error
	}{
		{"development keys, both missing: generated", true, false, nil},
		{"development keys, certificate without key: refused", true, true, signing.ErrPartialKeyPair},
		{"no development keys, both missing: refused", false, false, os.ErrNotExist},
		{"no development keys, certificate without key: refused", false, true, os.ErrNotExist},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := signingConfig(t, t.TempDir(), tc.devKeys)
			if tc.certThere {
				if err := os.MkdirAll(filepath.Dir(cfg.SigningCert), 0o700); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(cfg.SigningCert, operatorCert, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			s, err := OpenSigner(cfg, quiet())
			if !errors.Is(err, tc.want) {
				t.Fatalf("OpenSigner error = %v, want %v", err, tc.want)
			}
			if err == nil {
				s.Close()
				return
			}
			if !strings.Contains(err.Error(), cfg.SigningKey) {
				t.Errorf("error %q does not name the key file", err)
			}
			if _, err := os.Stat(cfg.SigningKey); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("a key file was written: %v", err)
			}
			if tc.certThere {
				if got, _ := os.ReadFile(cfg.SigningCert); !bytes.Equal(got, operatorCert) {
					t.Errorf("the existing certificate was changed")
				}
			}
		})
	}
}

// TestReloadOnHangup: a SIGHUP makes the running gateway's key source read
// a replaced key and certificate, without a restart.
func TestReloadOnHangup(t *testing.T) {
	dir := t.TempDir()
	cfg := signingConfig(t, dir, true)
	src, err := OpenSigner(cfg, quiet())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { src.Close() })
	before := src.Certificate()

	results := make(chan error, 1)
	stop := reloadOnSignal(src, quiet(), syscall.SIGHUP, func(err error) { results <- err })
	t.Cleanup(stop)

	// An operator replaces the pair (here: a new development pair, moved
	// over the old files).
	nextKey, nextCert := filepath.Join(dir, "next.key.pem"), filepath.Join(dir, "next.cert.pem")
	if err := signing.GenerateDevelopmentPair(nextKey, nextCert, "sluis next"); err != nil {
		t.Fatal(err)
	}
	for from, to := range map[string]string{nextKey: cfg.SigningKey, nextCert: cfg.SigningCert} {
		if err := os.Rename(from, to); err != nil {
			t.Fatal(err)
		}
	}
	if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-results:
		if err != nil {
			t.Fatalf("reload: %v", err)
		}
	case <-time.After(time.Minute): // a bound for a hung test, not a timing assertion
		t.Fatal("no reload after SIGHUP")
	}
	after := src.Certificate()
	if after.Equal(before) || !strings.HasPrefix(after.Subject.CommonName, "sluis next") {
		t.Fatalf("certificate after SIGHUP = %q, want the replaced one", after.Subject.CommonName)
	}
}
