package config_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/sluis-gateway/sluis/internal/config"
)

func TestHTTPServerSettings(t *testing.T) {
	cases := []struct {
		name    string
		vars    map[string]string
		wantBad string // the setting the error names; "" for none
	}{
		{"defaults", map[string]string{}, ""},
		{"admin on ::1", map[string]string{"SLUIS_ADMIN_ADDR": "[::1]:9090"}, ""},
		{"admin on localhost", map[string]string{"SLUIS_ADMIN_ADDR": "localhost:0"}, ""},
		{"admin on every address", map[string]string{"SLUIS_ADMIN_ADDR": "0.0.0.0:9090"}, "SLUIS_ADMIN_ADDR"},
		{"admin on a host name", map[string]string{"SLUIS_ADMIN_ADDR": "sluis.example.org:9090"}, "SLUIS_ADMIN_ADDR"},
		{"admin remote when allowed", map[string]string{"SLUIS_ADMIN_ADDR": "0.0.0.0:9090", "SLUIS_ADMIN_ALLOW_REMOTE": "true"}, ""},
		{"admin without port", map[string]string{"SLUIS_ADMIN_ADDR": "127.0.0.1"}, "SLUIS_ADMIN_ADDR"},
		{"read header timeout too short", map[string]string{"SLUIS_HTTP_READ_HEADER_TIMEOUT": "1ms"}, "SLUIS_HTTP_READ_HEADER_TIMEOUT"},
		{"write timeout zero", map[string]string{"SLUIS_HTTP_WRITE_TIMEOUT": "0s"}, "SLUIS_HTTP_WRITE_TIMEOUT"},
		{"no connections", map[string]string{"SLUIS_HTTP_MAX_CONNECTIONS": "0"}, "SLUIS_HTTP_MAX_CONNECTIONS"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg, err := config.Parse(c.vars)
			if c.wantBad == "" {
				if err != nil {
					t.Fatal(err)
				}
				if cfg.HTTPReadHeaderTimeout <= 0 || cfg.HTTPMaxConnections < 1 {
					t.Fatalf("defaults: %+v", cfg.HTTPServer)
				}
				return
			}
			if !errors.Is(err, config.ErrInvalid) || !strings.Contains(err.Error(), c.wantBad) {
				t.Fatalf("error %v, want one naming %s", err, c.wantBad)
			}
		})
	}
}
