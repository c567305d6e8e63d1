package deploy

import (
	"net"
	"net/url"
	"path"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/sluis-gateway/sluis/internal/config"
)

// configNames returns every SLUIS_* environment name config.Config reads
// (its env tags, nested structs with their envPrefix included).
func configNames() map[string]bool {
	names := map[string]bool{}
	var walk func(t reflect.Type, prefix string)
	walk = func(t reflect.Type, prefix string) {
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if name, _, _ := strings.Cut(f.Tag.Get("env"), ","); name != "" {
				names[prefix+name] = true
			}
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct && f.Tag.Get("env") == "" {
				walk(ft, prefix+f.Tag.Get("envPrefix"))
			}
		}
	}
	walk(reflect.TypeOf(config.Config{}), "")
	return names
}

// checkNames fails for every name in vars that the configuration does not
// read, and for a file that sets none.
func checkNames(t *testing.T, where string, vars map[string]string) {
	t.Helper()
	known := configNames()
	if len(vars) == 0 {
		t.Errorf("%s: no SLUIS_* settings", where)
	}
	var unknown []string
	for name := range vars {
		if !known[name] {
			unknown = append(unknown, name)
		}
	}
	sort.Strings(unknown)
	for _, name := range unknown {
		t.Errorf("%s: %s is not a setting of internal/config", where, name)
	}
}

// checkConfig fails when vars is not a valid configuration.
func checkConfig(t *testing.T, where string, vars map[string]string) config.Config {
	t.Helper()
	checkNames(t, where, vars)
	c, err := config.Parse(vars)
	if err != nil {
		t.Errorf("%s: the settings do not load: %v", where, err)
	}
	return c
}

// httpPort is the port of SLUIS_HTTP_ADDR.
func httpPort(t *testing.T, where, addr string) string {
	t.Helper()
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatalf("%s: SLUIS_HTTP_ADDR %q: %v", where, addr, err)
	}
	return port
}

// urlHostPort returns host and port of a broker or database URL, with the
// scheme's default port when none is given.
func urlHostPort(t *testing.T, raw string) (string, string) {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatalf("url %q: %v", raw, err)
	}
	port := u.Port()
	if port == "" {
		port = map[string]string{"amqp": "5672", "amqps": "5671", "postgres": "5432", "postgresql": "5432"}[u.Scheme]
	}
	return u.Hostname(), port
}

// under reports whether file lies inside dir (both absolute, slash paths).
func under(file, dir string) bool {
	rel := strings.TrimPrefix(path.Clean(file), path.Clean(dir)+"/")
	return rel != path.Clean(file) && !strings.Contains(rel, "/..")
}

// fileSettings are the settings that name a file the gateway reads.
var fileSettings = []string{"SLUIS_SIGNING_KEY", "SLUIS_SIGNING_CERT", "SLUIS_CLIENT_KEY_SECRET", "SLUIS_ARCHIVE_MASTER_KEY", "SLUIS_PROVIDERS_FILE",
	"SLUIS_SYSTEMS_FILE", "SLUIS_TLS_CLIENT_CA", "SLUIS_TLS_CERT", "SLUIS_TLS_KEY",
	"SLUIS_AMQP_CA_FILE", "SLUIS_AMQP_CERT_FILE", "SLUIS_AMQP_KEY_FILE"}

// checkServes fails when `sluis serve` would refuse the settings before
// reading any file (config.CheckServe: a signing key, the client-key
// secret, the provider registry and the registry of systems configured or
// their development stand-ins asked for).
func checkServes(t *testing.T, where string, c config.Config) {
	t.Helper()
	if err := c.CheckServe(); err != nil {
		t.Errorf("%s: sluis serve refuses the settings: %v", where, err)
	}
}

// checkProduction fails for production settings that use a development
// convenience, plaintext AMQP or the broker's system roots, or HTTP
// without mutual TLS.
func checkProduction(t *testing.T, where string, c config.Config) {
	t.Helper()
	checkServes(t, where, c)
	if on := c.DevelopmentOn(); len(on) > 0 || c.Dev {
		t.Errorf("%s: development settings on: %v (SLUIS_DEV=%t)", where, on, c.Dev)
	}
	if u, err := url.Parse(c.AMQPURL); err != nil || u.Scheme != "amqps" {
		t.Errorf("%s: SLUIS_AMQP_URL must be amqps://", where)
	}
	for name, v := range map[string]string{"SLUIS_AMQP_CA_FILE": c.AMQPCAFile, "SLUIS_AMQP_CERT_FILE": c.AMQPCertFile,
		"SLUIS_SYSTEMS_FILE": c.SystemsFile, "SLUIS_TLS_CLIENT_CA": c.TLSClientCA, "SLUIS_TLS_CERT": c.TLSCert} {
		if v == "" {
			t.Errorf("%s: %s is not set", where, name)
		}
	}
}
