package config

import (
	"testing"
	"time"
)

func TestGoodSigningConfigs(t *testing.T) {
	from := "2027-01-15T06:00:00Z"
	tests := []struct {
		name string
		env  map[string]string
		want func(Config) bool
	}{
		{"pem by default", map[string]string{}, func(c Config) bool {
			return c.Signer == "pem" && c.SigningNextFrom.IsZero() && len(c.SigningCerts()) == 1
		}},
		{"pem with rotation", map[string]string{
			"SLUIS_SIGNING_NEXT_KEY": "var/next.key.pem", "SLUIS_SIGNING_NEXT_CERT": "var/next.cert.pem", "SLUIS_SIGNING_NEXT_FROM": from,
		}, func(c Config) bool {
			return c.SigningNextKey == "var/next.key.pem" && c.SigningNextFrom.Equal(time.Date(2027, 1, 15, 6, 0, 0, 0, time.UTC)) &&
				len(c.SigningCerts()) == 2 && c.SigningCerts()[1] == "var/next.cert.pem"
		}},
		{"pkcs11", map[string]string{
			"SLUIS_SIGNER": "pkcs11", "SLUIS_PKCS11_MODULE": "/usr/lib/softhsm/libsofthsm2.so", "SLUIS_PKCS11_TOKEN_LABEL": "sluis",
			"SLUIS_PKCS11_PIN_FILE": "var/pin", "SLUIS_PKCS11_KEY_LABEL": "signing-2026",
		}, func(c Config) bool { return c.Signer == "pkcs11" && c.PKCS11KeyLabel == "signing-2026" }},
		{"pkcs11 with rotation", map[string]string{
			"SLUIS_SIGNER": "pkcs11", "SLUIS_PKCS11_MODULE": "/usr/lib/softhsm/libsofthsm2.so", "SLUIS_PKCS11_TOKEN_LABEL": "sluis",
			"SLUIS_PKCS11_PIN_FILE": "var/pin", "SLUIS_PKCS11_KEY_LABEL": "signing-2026",
			"SLUIS_PKCS11_NEXT_KEY_LABEL": "signing-2027", "SLUIS_SIGNING_NEXT_CERT": "var/next.cert.pem", "SLUIS_SIGNING_NEXT_FROM": from,
		}, func(c Config) bool { return c.PKCS11NextKeyLabel == "signing-2027" && !c.SigningNextFrom.IsZero() }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Parse(tc.env)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if !tc.want(c) {
				t.Errorf("unexpected configuration: %+v", c)
			}
		})
	}
}
