package config

import (
	"fmt"
	"reflect"
	"sort"
	"strings"
)

// The development files' default paths (relative to the working directory),
// used only when SLUIS_DEV_KEYS is on and the setting is empty.
const (
	DevSigningKey       = "var/dev/sluis-signing-dev.key.pem"
	DevSigningCert      = "var/dev/sluis-signing-dev.cert.pem"
	DevClientKeySecret  = "var/dev/client-key.secret"
	DevArchiveMasterKey = "var/dev/archive-master.key"
)

// applyDevelopment resolves the development switches. Precedence, for each
// of SLUIS_DEV_KEYS, SLUIS_DEV_CA, SLUIS_DEV_LOGIN, SLUIS_DEV_PROVIDERS and
// SLUIS_AMQP_ALLOW_PLAINTEXT:
//
//  1. the switch set in the environment (true or false) wins;
//  2. else SLUIS_DEV=true turns it on, except where the production setting
//     it stands in for is configured: the development CA not next to
//     SLUIS_SYSTEMS_FILE or SLUIS_TLS_*, the development login not next to
//     SLUIS_OIDC_ISSUER, the development providers not next to
//     SLUIS_PROVIDERS_FILE;
//  3. else it is off.
//
// With SLUIS_DEV_KEYS on, an empty SLUIS_SIGNING_KEY and SLUIS_SIGNING_CERT
// (PEM signer) and SLUIS_CLIENT_KEY_SECRET take the development paths.
func (c *Config) applyDevelopment(lookup func(string) (string, bool)) {
	if c.Dev {
		unset := func(name string) bool { _, ok := lookup(name); return !ok }
		if unset("SLUIS_DEV_KEYS") {
			c.DevKeys = true
		}
		if unset("SLUIS_AMQP_ALLOW_PLAINTEXT") {
			c.AMQPAllowPlaintext = true
		}
		if unset("SLUIS_DEV_CA") {
			c.DevCA = c.SystemsFile == "" && c.TLSClientCA == "" && c.TLSCert == "" && c.TLSKey == ""
		}
		if unset("SLUIS_DEV_LOGIN") {
			c.DevLogin = c.OIDCIssuer == ""
		}
		if unset("SLUIS_DEV_PROVIDERS") {
			c.DevProviders = c.ProvidersFile == ""
		}
		if unset("SLUIS_CONSOLE_ADDR") && c.DevLogin {
			c.ConsoleAddr = "127.0.0.1:8443"
		}
	}
	if !c.DevKeys {
		return
	}
	if c.Signer == "pem" && c.SigningKey == "" && c.SigningCert == "" {
		c.SigningKey, c.SigningCert = DevSigningKey, DevSigningCert
	}
	if c.ClientKeySecret == "" {
		c.ClientKeySecret = DevClientKeySecret
	}
	if c.ArchiveMasterKey == "" {
		c.ArchiveMasterKey = DevArchiveMasterKey
	}
}

// CheckServe checks what `sluis serve` needs beyond valid values (the tools
// send, provider, verify and status do not): the signing files, the
// client-key secret, the archive's master key, the provider registry and the registry of systems,
// each configured or its development stand-in asked for. The error names
// the missing setting.
func (c Config) CheckServe() error {
	missing := func(field, dev string) error {
		return fmt.Errorf("%w: %s: not configured (for development: SLUIS_DEV=true, or %s=true)", ErrInvalid, field, dev)
	}
	switch {
	case c.Signer == "pem" && c.SigningKey == "":
		return missing("SLUIS_SIGNING_KEY", "SLUIS_DEV_KEYS")
	case c.SigningCert == "":
		return missing("SLUIS_SIGNING_CERT", "SLUIS_DEV_KEYS")
	case c.ClientKeySecret == "":
		return missing("SLUIS_CLIENT_KEY_SECRET", "SLUIS_DEV_KEYS")
	case c.ArchiveMasterKey == "":
		return missing("SLUIS_ARCHIVE_MASTER_KEY", "SLUIS_DEV_KEYS")
	case c.ProvidersFile == "" && !c.DevProviders:
		return missing("SLUIS_PROVIDERS_FILE", "SLUIS_DEV_PROVIDERS")
	case c.SystemsFile == "" && !c.DevCA:
		return missing("SLUIS_SYSTEMS_FILE", "SLUIS_DEV_CA")
	}
	return nil
}

// DevelopmentOn lists the development conveniences that are on (the
// gateway logs a warning saying which).
func (c Config) DevelopmentOn() []string {
	var on []string
	for _, s := range []struct {
		name string
		on   bool
	}{
		{"SLUIS_DEV_KEYS", c.DevKeys}, {"SLUIS_DEV_CA", c.DevCA}, {"SLUIS_DEV_LOGIN", c.DevLogin},
		{"SLUIS_DEV_PROVIDERS", c.DevProviders}, {"SLUIS_AMQP_ALLOW_PLAINTEXT", c.AMQPAllowPlaintext},
	} {
		if s.on {
			on = append(on, s.name)
		}
	}
	return on
}

// otherTools are prefixes of SLUIS_* names read by other programs than the
// gateway (tests, the bench, the broker definitions script), which
// UnknownSettings does not report.
var otherTools = []string{"SLUIS_TEST_", "SLUIS_SKIP_", "SLUIS_BENCH_", "SLUIS_BROKER_"}

// Names lists every SLUIS_* setting Config reads (sections included),
// sorted.
func Names() []string {
	var names []string
	var walk func(t reflect.Type)
	walk = func(t reflect.Type) {
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if name := f.Tag.Get("env"); name != "" {
				names = append(names, name)
			} else if f.Anonymous && f.Type.Kind() == reflect.Struct {
				walk(f.Type)
			}
		}
	}
	walk(reflect.TypeOf(Config{}))
	sort.Strings(names)
	return names
}

// UnknownSettings returns the SLUIS_* names of environ (NAME=value entries,
// as os.Environ gives them) that no setting reads and no other tool of
// sluis uses, sorted: most likely a typo (SLUIS_SIGNNG_KEY) of a setting
// that then keeps its default. The gateway warns about each.
func UnknownSettings(environ []string) []string {
	known := map[string]bool{}
	for _, n := range Names() {
		known[n] = true
	}
	var unknown []string
	for _, kv := range environ {
		name, _, _ := strings.Cut(kv, "=")
		if !strings.HasPrefix(name, "SLUIS_") || known[name] || otherTool(name) {
			continue
		}
		unknown = append(unknown, name)
	}
	sort.Strings(unknown)
	return unknown
}

func otherTool(name string) bool {
	for _, p := range otherTools {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}
