package config

import (
	"errors"
	"strings"
	"testing"
)

func TestIdentityDefaultsAreOff(t *testing.T) {
	c, err := Parse(map[string]string{})
	if err != nil {
		t.Fatal(err)
	}
	if c.DevLogin || c.DevCA || c.OIDCIssuer != "" || c.OIDCRolesClaim != "roles" || c.OIDCMunicipalityClaim != "municipality" {
		t.Fatalf("identity defaults: %+v", c.Identity)
	}
}

func TestGoodIdentityConfigs(t *testing.T) {
	cases := []struct {
		name string
		env  map[string]string
	}{
		{"production", map[string]string{
			"SLUIS_SYSTEMS_FILE": "/etc/sluis/systems.json", "SLUIS_TLS_CLIENT_CA": "/etc/sluis/pkio.pem",
			"SLUIS_TLS_CERT": "/etc/sluis/tls.pem", "SLUIS_TLS_KEY": "/etc/sluis/tls.key",
			"SLUIS_OIDC_ISSUER": "https://login.example.nl/realms/sluis", "SLUIS_OIDC_CLIENT_ID": "sluis",
			"SLUIS_OIDC_ROLES_CLAIM": "realm_access.roles"}},
		{"development", map[string]string{"SLUIS_DEV_CA": "true", "SLUIS_DEV_LOGIN": "true"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := Parse(tc.env); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestBadIdentityConfigs(t *testing.T) {
	cases := []struct {
		name  string
		env   map[string]string
		field string
	}{
		{"dev CA with a systems file", map[string]string{"SLUIS_DEV_CA": "true", "SLUIS_SYSTEMS_FILE": "s.json"}, "SLUIS_DEV_CA"},
		{"dev CA with a server certificate", map[string]string{"SLUIS_DEV_CA": "true", "SLUIS_TLS_CERT": "c.pem", "SLUIS_TLS_KEY": "k.pem", "SLUIS_TLS_CLIENT_CA": "ca.pem"}, "SLUIS_DEV_CA"},
		{"dev CA not a boolean", map[string]string{"SLUIS_DEV_CA": "yes please"}, "SLUIS_DEV_CA"},
		{"certificate without key", map[string]string{"SLUIS_TLS_CERT": "c.pem", "SLUIS_TLS_CLIENT_CA": "ca.pem"}, "SLUIS_TLS_CERT"},
		{"server TLS without a client CA", map[string]string{"SLUIS_TLS_CERT": "c.pem", "SLUIS_TLS_KEY": "k.pem"}, "SLUIS_TLS_CLIENT_CA"},
		{"issuer over http", map[string]string{"SLUIS_OIDC_ISSUER": "http://login.example.nl", "SLUIS_OIDC_CLIENT_ID": "sluis"}, "SLUIS_OIDC_ISSUER"},
		{"issuer without client id", map[string]string{"SLUIS_OIDC_ISSUER": "https://login.example.nl"}, "SLUIS_OIDC_CLIENT_ID"},
		{"client id without issuer", map[string]string{"SLUIS_OIDC_CLIENT_ID": "sluis"}, "SLUIS_OIDC_ISSUER"},
		{"dev login next to a production issuer", map[string]string{"SLUIS_OIDC_ISSUER": "https://login.example.nl", "SLUIS_OIDC_CLIENT_ID": "sluis", "SLUIS_DEV_LOGIN": "true"}, "SLUIS_DEV_LOGIN"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(tc.env)
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.field) {
				t.Fatalf("Parse = %v, want ErrInvalid naming %s", err, tc.field)
			}
		})
	}
}

// Empty values in the environment take the defaults; a Config built in code
// is still checked.
func TestBadIdentityValues(t *testing.T) {
	cases := []struct {
		name   string
		change func(*Config)
		field  string
	}{
		{"empty roles claim", func(c *Config) { c.OIDCRolesClaim = "" }, "SLUIS_OIDC_ROLES_CLAIM"},
		{"empty municipality claim", func(c *Config) { c.OIDCMunicipalityClaim = "" }, "SLUIS_OIDC_MUNICIPALITY_CLAIM"},
		{"dev login without a folder", func(c *Config) { c.DevLogin, c.DevIdentityDir = true, "" }, "SLUIS_DEV_IDENTITY_DIR"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Parse(map[string]string{})
			if err != nil {
				t.Fatal(err)
			}
			tc.change(&c)
			if err := c.Validate(); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.field) {
				t.Fatalf("Validate = %v, want ErrInvalid naming %s", err, tc.field)
			}
		})
	}
}
