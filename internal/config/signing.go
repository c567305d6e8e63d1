package config

import "fmt"

// validateSigning checks the signing key source and rotation settings
// (docs/signing.md). It fails closed: settings of the other key source, a
// half-configured rotation or a rotation without its moment are errors, not
// ignored.
func (c Config) validateSigning() error {
	bad := func(field, format string, args ...any) error {
		return fmt.Errorf("%w: %s: %s", ErrInvalid, field, fmt.Sprintf(format, args...))
	}
	hasNext := false
	switch c.Signer {
	case "pem":
		for _, s := range c.pkcs11Settings() {
			if s.value != "" {
				return bad(s.field, "is a pkcs11 setting, but SLUIS_SIGNER is pem")
			}
		}
		if (c.SigningNextKey == "") != (c.SigningNextCert == "") {
			return bad("SLUIS_SIGNING_NEXT_KEY", "set SLUIS_SIGNING_NEXT_KEY and SLUIS_SIGNING_NEXT_CERT together")
		}
		if c.SigningNextKey != "" && c.SigningNextKey == c.SigningKey {
			return bad("SLUIS_SIGNING_NEXT_KEY", "must differ from SLUIS_SIGNING_KEY")
		}
		hasNext = c.SigningNextKey != ""
	case "pkcs11":
		for _, s := range c.pkcs11Settings()[:4] {
			if s.value == "" {
				return bad(s.field, "required when SLUIS_SIGNER is pkcs11")
			}
		}
		if c.SigningNextKey != "" {
			return bad("SLUIS_SIGNING_NEXT_KEY", "is a pem setting; with pkcs11 use SLUIS_PKCS11_NEXT_KEY_LABEL")
		}
		if (c.PKCS11NextKeyLabel == "") != (c.SigningNextCert == "") {
			return bad("SLUIS_PKCS11_NEXT_KEY_LABEL", "set SLUIS_PKCS11_NEXT_KEY_LABEL and SLUIS_SIGNING_NEXT_CERT together")
		}
		if c.PKCS11NextKeyLabel != "" && c.PKCS11NextKeyLabel == c.PKCS11KeyLabel {
			return bad("SLUIS_PKCS11_NEXT_KEY_LABEL", "must differ from SLUIS_PKCS11_KEY_LABEL")
		}
		hasNext = c.PKCS11NextKeyLabel != ""
	default:
		return bad("SLUIS_SIGNER", "must be pem or pkcs11")
	}
	if hasNext && c.SigningNextCert == c.SigningCert {
		return bad("SLUIS_SIGNING_NEXT_CERT", "must differ from SLUIS_SIGNING_CERT")
	}
	if hasNext != !c.SigningNextFrom.IsZero() {
		return bad("SLUIS_SIGNING_NEXT_FROM", "set it exactly when a next key is configured")
	}
	return nil
}

// pkcs11Settings are the PKCS#11 settings in a fixed order, the four
// required ones first.
func (c Config) pkcs11Settings() []struct{ field, value string } {
	return []struct{ field, value string }{
		{"SLUIS_PKCS11_MODULE", c.PKCS11Module},
		{"SLUIS_PKCS11_TOKEN_LABEL", c.PKCS11TokenLabel},
		{"SLUIS_PKCS11_PIN_FILE", c.PKCS11PINFile},
		{"SLUIS_PKCS11_KEY_LABEL", c.PKCS11KeyLabel},
		{"SLUIS_PKCS11_NEXT_KEY_LABEL", c.PKCS11NextKeyLabel},
	}
}

// SigningCerts are the certificates providers trust for sluis's
// signatures: SLUIS_SIGNING_CERT, and during a rotation
// SLUIS_SIGNING_NEXT_CERT too.
func (c Config) SigningCerts() []string {
	if c.SigningNextCert == "" {
		return []string{c.SigningCert}
	}
	return []string{c.SigningCert, c.SigningNextCert}
}
