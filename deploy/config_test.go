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
var fileSettings = []string{"SLUIS_SIGNING_KEY", "SLUIS_SIGNING_CERT", "SLUIS_CLIENT_KEY_SECRET", "SLUIS_ARCHIVE_MASTER_KEY", "SLUIS_PROVIDERS_FILE"}
