package config

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestDevelopmentSwitches(t *testing.T) {
	cases := []struct {
		name string
		env  map[string]string
		want []string // DevelopmentOn
	}{
		{"nothing asked: nothing on", map[string]string{}, nil},
		{"SLUIS_DEV turns every switch on", map[string]string{"SLUIS_DEV": "true"},
			[]string{"SLUIS_DEV_KEYS", "SLUIS_DEV_CA", "SLUIS_DEV_LOGIN", "SLUIS_DEV_PROVIDERS", "SLUIS_AMQP_ALLOW_PLAINTEXT"}},
		{"an individual switch set false wins over SLUIS_DEV", map[string]string{"SLUIS_DEV": "true", "SLUIS_DEV_KEYS": "false", "SLUIS_AMQP_ALLOW_PLAINTEXT": "false"},
			[]string{"SLUIS_DEV_CA", "SLUIS_DEV_LOGIN", "SLUIS_DEV_PROVIDERS"}},
		{"an individual switch alone", map[string]string{"SLUIS_DEV_KEYS": "true"}, []string{"SLUIS_DEV_KEYS"}},
		{"SLUIS_DEV leaves a configured providers file alone", map[string]string{"SLUIS_DEV": "true", "SLUIS_PROVIDERS_FILE": "p.json"},
			[]string{"SLUIS_DEV_KEYS", "SLUIS_DEV_CA", "SLUIS_DEV_LOGIN", "SLUIS_AMQP_ALLOW_PLAINTEXT"}},
		{"SLUIS_DEV leaves a configured systems file and TLS alone", map[string]string{"SLUIS_DEV": "true", "SLUIS_SYSTEMS_FILE": "s.json",
			"SLUIS_TLS_CLIENT_CA": "ca.pem", "SLUIS_TLS_CERT": "c.pem", "SLUIS_TLS_KEY": "k.pem"},
			[]string{"SLUIS_DEV_KEYS", "SLUIS_DEV_LOGIN", "SLUIS_DEV_PROVIDERS", "SLUIS_AMQP_ALLOW_PLAINTEXT"}},
		{"SLUIS_DEV leaves a configured OIDC issuer alone", map[string]string{"SLUIS_DEV": "true",
			"SLUIS_OIDC_ISSUER": "https://login.example.nl/", "SLUIS_OIDC_CLIENT_ID": "sluis"},
			[]string{"SLUIS_DEV_KEYS", "SLUIS_DEV_CA", "SLUIS_DEV_PROVIDERS", "SLUIS_AMQP_ALLOW_PLAINTEXT"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Parse(tc.env)
			if err != nil {
				t.Fatal(err)
			}
			if got := c.DevelopmentOn(); !slices.Equal(got, tc.want) {
				t.Fatalf("on = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestDevelopmentPaths(t *testing.T) {
	cases := []struct {
		name              string
		env               map[string]string
		key, cert, secret string
	}{
		{"no development keys: no default paths", map[string]string{}, "", "", ""},
		{"development keys: the development paths", map[string]string{"SLUIS_DEV_KEYS": "true"}, DevSigningKey, DevSigningCert, DevClientKeySecret},
		{"configured paths stay", map[string]string{"SLUIS_DEV": "true", "SLUIS_SIGNING_KEY": "k.pem", "SLUIS_SIGNING_CERT": "c.pem",
			"SLUIS_CLIENT_KEY_SECRET": "s"}, "k.pem", "c.pem", "s"},
		{"a half-configured pair is not completed", map[string]string{"SLUIS_DEV": "true", "SLUIS_SIGNING_KEY": "k.pem"}, "k.pem", "", DevClientKeySecret},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Parse(tc.env)
			if err != nil {
				t.Fatal(err)
			}
			if c.SigningKey != tc.key || c.SigningCert != tc.cert || c.ClientKeySecret != tc.secret {
				t.Fatalf("key %q cert %q secret %q", c.SigningKey, c.SigningCert, c.ClientKeySecret)
			}
		})
	}
}

func TestCheckServe(t *testing.T) {
	production := map[string]string{
		"SLUIS_SIGNING_KEY": "/etc/sluis/signing.key", "SLUIS_SIGNING_CERT": "/etc/sluis/signing.pem",
		"SLUIS_CLIENT_KEY_SECRET": "/etc/sluis/client-key.secret", "SLUIS_ARCHIVE_MASTER_KEY": "/etc/sluis/archive-master.key",
		"SLUIS_PROVIDERS_FILE": "/etc/sluis/providers.json",
		"SLUIS_SYSTEMS_FILE":   "/etc/sluis/systems.json", "SLUIS_TLS_CLIENT_CA": "/etc/sluis/pkio.pem",
		"SLUIS_TLS_CERT": "/etc/sluis/tls.pem", "SLUIS_TLS_KEY": "/etc/sluis/tls.key",
	}
	without := func(names ...string) map[string]string {
		m := map[string]string{}
		for k, v := range production {
			if !slices.Contains(names, k) {
				m[k] = v
			}
		}
		return m
	}
	cases := []struct {
		name  string
		env   map[string]string
		field string // "" is accepted
	}{
		{"production settings", production, ""},
		{"development: SLUIS_DEV alone", map[string]string{"SLUIS_DEV": "true"}, ""},
		{"nothing configured", map[string]string{}, "SLUIS_SIGNING_KEY"},
		{"no signing key", without("SLUIS_SIGNING_KEY"), "SLUIS_SIGNING_KEY"},
		{"no signing certificate", without("SLUIS_SIGNING_CERT"), "SLUIS_SIGNING_CERT"},
		{"no client-key secret", without("SLUIS_CLIENT_KEY_SECRET"), "SLUIS_CLIENT_KEY_SECRET"},
		{"no archive master key", without("SLUIS_ARCHIVE_MASTER_KEY"), "SLUIS_ARCHIVE_MASTER_KEY"},
		{"no providers file", without("SLUIS_PROVIDERS_FILE"), "SLUIS_PROVIDERS_FILE"},
		{"no systems file", without("SLUIS_SYSTEMS_FILE", "SLUIS_TLS_CLIENT_CA", "SLUIS_TLS_CERT", "SLUIS_TLS_KEY"), "SLUIS_SYSTEMS_FILE"},
		{"development keys switched off under SLUIS_DEV", map[string]string{"SLUIS_DEV": "true", "SLUIS_DEV_KEYS": "false"}, "SLUIS_SIGNING_KEY"},
		{"development providers switched off under SLUIS_DEV", map[string]string{"SLUIS_DEV": "true", "SLUIS_DEV_PROVIDERS": "false"}, "SLUIS_PROVIDERS_FILE"},
		{"development CA switched off under SLUIS_DEV", map[string]string{"SLUIS_DEV": "true", "SLUIS_DEV_CA": "false"}, "SLUIS_SYSTEMS_FILE"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Parse(tc.env)
			if err != nil {
				t.Fatal(err)
			}
			err = c.CheckServe()
			switch {
			case tc.field == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.field == "":
			case !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.field):
				t.Fatalf("err = %v, want ErrInvalid naming %s", err, tc.field)
			}
		})
	}
}

func TestUnknownSettings(t *testing.T) {
	cases := []struct {
		name    string
		environ []string
		want    []string
	}{
		{"a typo", []string{"SLUIS_SIGNNG_KEY=/etc/sluis/k.pem"}, []string{"SLUIS_SIGNNG_KEY"}},
		{"known names, top level and in sections", []string{"SLUIS_SIGNING_KEY=k", "SLUIS_AMQP_CA_FILE=ca", "SLUIS_SYSTEMS_FILE=s", "SLUIS_DEV=true"}, nil},
		{"not ours", []string{"PATH=/usr/bin", "SLUISX=1", "HOME=/root"}, nil},
		{"other tools' names", []string{"SLUIS_TEST_AMQP_HOST=h", "SLUIS_BROKER_PASSWORD_SLUIS=p", "SLUIS_BENCH_GATEWAY=b", "SLUIS_SKIP_POSTGRES=1"}, nil},
		{"several, sorted", []string{"SLUIS_WORKRES=4", "SLUIS_AMQP_URL=amqps://x/", "SLUIS_DEVKEYS=true"}, []string{"SLUIS_DEVKEYS", "SLUIS_WORKRES"}},
		{"an entry without a value", []string{"SLUIS_PROVIDER_FILE"}, []string{"SLUIS_PROVIDER_FILE"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := UnknownSettings(tc.environ); !slices.Equal(got, tc.want) {
				t.Fatalf("unknown = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestNamesIncludeSections(t *testing.T) {
	names := Names()
	for _, n := range []string{"SLUIS_DEV", "SLUIS_AMQP_URL", "SLUIS_AMQP_CA_FILE", "SLUIS_SYSTEMS_FILE", "SLUIS_DEV_PROVIDERS"} {
		if !slices.Contains(names, n) {
			t.Errorf("Names() lacks %s", n)
		}
	}
}

// TestReferenceListsEverySetting: the configuration reference the README
// points to (docs/configuration.md) names every setting, so a new one
// cannot be left out.
func TestReferenceListsEverySetting(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(readme), "docs/configuration.md") {
		t.Error("README.md does not point to docs/configuration.md")
	}
	b, err := os.ReadFile(filepath.Join("..", "..", "docs", "configuration.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range Names() {
		if !strings.Contains(string(b), "`"+n+"`") {
			t.Errorf("docs/configuration.md does not list %s", n)
		}
	}
}
