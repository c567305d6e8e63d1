package main

import (
	"bytes"
	"crypto/x509"
	"errors"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sluis-gateway/sluis/internal/archive"
	"github.com/sluis-gateway/sluis/internal/signing"
	"github.com/sluis-gateway/sluis/internal/testenv"
)

func TestMain(m *testing.M) {
	code := m.Run()
	testenv.RemoveSluisBinary()
	os.Exit(code)
}

// TestServeFailsClosed runs `sluis serve` (the real binary) on a
// configuration with one thing wrong and checks that it refuses to start:
// a non-zero exit, output naming what is wrong, no panic, and no key or
// certificate written. The base configuration uses no SLUIS_DEV: only the
// individual development switches a case does not concern.
func TestServeFailsClosed(t *testing.T) {
	bin := testenv.SluisBinary(t)
	vhost := testenv.VHost(t)
	dir := t.TempDir()
	key, cert, err := signing.GenerateDevelopment(filepath.Join(dir, "keys"), "sluis")
	if err != nil {
		t.Fatal(err)
	}
	secret := filepath.Join(dir, "keys", "client-key.secret")
	if err := os.WriteFile(secret, []byte(strings.Repeat("fc01", 16)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	openSecret := filepath.Join(dir, "keys", "open.secret")
	if err := os.WriteFile(openSecret, []byte(strings.Repeat("fc02", 16)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(openSecret, 0o644); err != nil {
		t.Fatal(err)
	}
	expiredKey, expiredCert := testenv.CertPair(t, dir, "expired", 2048, func(c *x509.Certificate) {
		c.NotBefore, c.NotAfter = time.Now().Add(-48*time.Hour), time.Now().Add(-time.Hour)
	})
	expiredProviders := filepath.Join(dir, "providers-expired.json")
	if err := os.WriteFile(expiredProviders, []byte(`[{"agb": "42420001", "name": "expired", "retour_certificate": "`+expiredCert+`"}]`), 0o644); err != nil {
		t.Fatal(err)
	}
	master := filepath.Join(dir, "keys", "archive-master.key")
	if err := archive.GenerateMasterKeyFile(master); err != nil {
		t.Fatal(err)
	}
	aFile := filepath.Join(dir, "a-file")
	if err := os.WriteFile(aFile, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	with := func(raw string, change func(*url.URL)) string {
		u, err := url.Parse(raw)
		if err != nil {
			t.Fatal(err)
		}
		change(u)
		return u.String()
	}
	base := map[string]string{
		"SLUIS_AMQP_URL":             vhost,
		"SLUIS_AMQP_ALLOW_PLAINTEXT": "true", // a private vhost of the local broker
		"SLUIS_HTTP_ADDR":            "127.0.0.1:0",
		"SLUIS_SQLITE_PATH":          filepath.Join(dir, "sluis.db"),
		"SLUIS_SIGNING_KEY":          key,
		"SLUIS_SIGNING_CERT":         cert,
		"SLUIS_CLIENT_KEY_SECRET":    secret,
		"SLUIS_ARCHIVE_MASTER_KEY":   master,
		"SLUIS_DEV_PROVIDERS":        "true",
		"SLUIS_DEV_PROVIDERS_DIR":    filepath.Join(dir, "providers"),
		"SLUIS_DEV_CA":               "true",
		"SLUIS_DEV_IDENTITY_DIR":     filepath.Join(dir, "identity"),
	}
	const drop = "\x00drop"
	missingKey := filepath.Join(dir, "keys", "mistyped.key.pem")
	tests := []struct {
		name     string
		change   map[string]string // drop: leave the setting out
		mentions []string
	}{
		{"missing signing key without development mode", map[string]string{"SLUIS_SIGNING_KEY": missingKey},
			[]string{missingKey}},
		{"expired own certificate", map[string]string{"SLUIS_SIGNING_KEY": expiredKey, "SLUIS_SIGNING_CERT": expiredCert},
			[]string{expiredCert, "expired"}},
		{"no providers file", map[string]string{"SLUIS_DEV_PROVIDERS": drop}, []string{"SLUIS_PROVIDERS_FILE"}},
		{"no systems file", map[string]string{"SLUIS_DEV_CA": drop}, []string{"SLUIS_SYSTEMS_FILE"}},
		{"no signing key configured", map[string]string{"SLUIS_SIGNING_KEY": drop, "SLUIS_SIGNING_CERT": drop}, []string{"SLUIS_SIGNING_KEY"}},
		{"no client-key secret configured", map[string]string{"SLUIS_CLIENT_KEY_SECRET": drop}, []string{"SLUIS_CLIENT_KEY_SECRET"}},
		{"no archive master key configured", map[string]string{"SLUIS_ARCHIVE_MASTER_KEY": drop}, []string{"SLUIS_ARCHIVE_MASTER_KEY"}},
		{"expired provider certificate", map[string]string{"SLUIS_DEV_PROVIDERS": drop, "SLUIS_PROVIDERS_FILE": expiredProviders},
			[]string{expiredCert, "expired", "42420001"}},
		{"missing client-key secret", map[string]string{"SLUIS_CLIENT_KEY_SECRET": filepath.Join(dir, "keys", "no.secret")},
			[]string{filepath.Join(dir, "keys", "no.secret")}},
		{"client-key secret readable by others", map[string]string{"SLUIS_CLIENT_KEY_SECRET": openSecret},
			[]string{openSecret, "accessible to others", "0644"}},
		{"unwritable SQLite path", map[string]string{"SLUIS_SQLITE_PATH": filepath.Join(aFile, "sluis.db")},
			[]string{"sqlite store", filepath.Join(aFile, "sluis.db")}},
		{"unreachable PostgreSQL", map[string]string{"SLUIS_STORE": "postgres", "SLUIS_POSTGRES_URL": "postgres://postgres@127.0.0.1:1/test"},
			[]string{"postgres store", "127.0.0.1:1"}},
		{"bad broker credentials", map[string]string{"SLUIS_AMQP_URL": with(vhost, func(u *url.URL) { u.User = url.UserPassword("guest", "wrong-pw") })},
			[]string{"RabbitMQ refused the login", "user and password"}},
		{"missing vhost", map[string]string{"SLUIS_AMQP_URL": with(vhost, func(u *url.URL) { u.Path = "/no-such-vhost" })},
			[]string{"RabbitMQ refused the virtual host", "no-such-vhost"}},
		{"unreachable broker", map[string]string{"SLUIS_AMQP_URL": "amqp://guest:guest@127.0.0.1:1/"},
			[]string{"RabbitMQ is not reachable", "rabbitmq-server -detached"}},
		{"plaintext without the allowance", map[string]string{"SLUIS_AMQP_ALLOW_PLAINTEXT": drop},
			[]string{"SLUIS_AMQP_ALLOW_PLAINTEXT", "amqps://"}},
		{"an unknown setting is named", map[string]string{"SLUIS_SIGNNG_KEY": key, "SLUIS_AMQP_URL": "amqp://guest:guest@127.0.0.1:1/"},
			[]string{"unknown setting SLUIS_SIGNNG_KEY", "RabbitMQ is not reachable"}},
	}
	certBefore, err := os.ReadFile(cert)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			vars := testenv.WithSettings(base, tc.change)
			for k, v := range vars {
				if v == drop {
					delete(vars, k)
				}
			}
			p := testenv.StartProcess(t, "sluis", bin, testenv.Environ(vars), "serve")
			select {
			case <-p.Exited():
			case <-time.After(2 * time.Minute): // only turns a hang into a failure
				t.Fatal("sluis serve did not exit")
			}
			var exit *exec.ExitError
			if err := p.Stop(time.Second); !errors.As(err, &exit) || exit.ExitCode() == 0 {
				t.Fatalf("exit = %v, want a non-zero exit status", err)
			}
			out := p.Log()
			for _, line := range strings.Split(out, "\n") {
				if strings.HasPrefix(line, "sluis:") || strings.Contains(line, "unknown setting") {
					t.Log(line)
				}
			}
			for _, m := range tc.mentions {
				if !strings.Contains(out, m) {
					t.Errorf("output does not mention %q:\n%s", m, out)
				}
			}
			for _, bad := range []string{"panic", "goroutine ", "wrong-pw"} {
				if strings.Contains(out, bad) {
					t.Errorf("output holds %q:\n%s", bad, out)
				}
			}
			if _, err := os.Stat(missingKey); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("a key was written at the mistyped path: %v", err)
			}
			if got, _ := os.ReadFile(cert); !bytes.Equal(got, certBefore) {
				t.Error("the configured certificate was changed")
			}
		})
	}
}
