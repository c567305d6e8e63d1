package config

import (
	"net/url"
)

// Identity configures who may call sluis (see docs/security.md): the
// registry of registration systems, HTTP over mutual TLS, staff login
// (OIDC), and the development CA and login. It is embedded in Config.
type Identity struct {
	// SystemsFile is the JSON registry of registration systems (see
	// deploy/systems.json and docs/security.md).
	SystemsFile string `env:"SLUIS_SYSTEMS_FILE"`

	// TLSClientCA is a PEM file of the CA certificates that registration
	// systems' client certificates are verified against (PKIoverheid in
	// production).
	TLSClientCA string `env:"SLUIS_TLS_CLIENT_CA"`
	// TLSCert and TLSKey are the HTTP server's certificate and key (PEM).
	TLSCert string `env:"SLUIS_TLS_CERT"`
	TLSKey  string `env:"SLUIS_TLS_KEY"`

	// OIDCIssuer is the staff identity provider's issuer URL (https); its
	// discovery document and keys are fetched at start.
	OIDCIssuer string `env:"SLUIS_OIDC_ISSUER"`
	// OIDCClientID is sluis's client id at the issuer, the audience every
	// staff token must carry.
	OIDCClientID string `env:"SLUIS_OIDC_CLIENT_ID"`
	// OIDCRolesClaim is the token claim holding the staff roles (a dotted
	// path reaches into objects, e.g. realm_access.roles).
	OIDCRolesClaim string `env:"SLUIS_OIDC_ROLES_CLAIM" envDefault:"roles"`
	// OIDCMunicipalityClaim is the token claim holding the staff member's
	// CBS municipality code.
	OIDCMunicipalityClaim string `env:"SLUIS_OIDC_MUNICIPALITY_CLAIM" envDefault:"municipality"`

	// DevCA generates, in DevIdentityDir, a development CA, a server
	// certificate for localhost and a client certificate per development
	// system (never overwriting a file), and uses them with the embedded
	// development registry of systems. DEVELOPMENT ONLY; off by default,
	// and not together with SLUIS_SYSTEMS_FILE or SLUIS_TLS_*. SLUIS_DEV=true
	// turns it on when neither is set. Without it `sluis serve` needs
	// SLUIS_SYSTEMS_FILE.
	DevCA bool `env:"SLUIS_DEV_CA" envDefault:"false"`
	// DevLogin enables the development staff login: tokens signed with a
	// local key in DevIdentityDir for a chosen person, role and
	// municipality. DEVELOPMENT ONLY; off by default, and not together
	// with SLUIS_OIDC_ISSUER. SLUIS_DEV=true turns it on when no
	// SLUIS_OIDC_ISSUER is set.
	DevLogin bool `env:"SLUIS_DEV_LOGIN" envDefault:"false"`
	// DevIdentityDir is where the development CA, certificates and login
	// key are kept.
	DevIdentityDir string `env:"SLUIS_DEV_IDENTITY_DIR" envDefault:"var/dev/identity"`
}

// validateIdentity checks the identity settings and names the bad one.
func (i Identity) validateIdentity(bad func(field, format string, args ...any) error) error {
	tlsSet := i.TLSClientCA != "" || i.TLSCert != "" || i.TLSKey != ""
	switch {
	case i.DevCA && (tlsSet || i.SystemsFile != ""):
		return bad("SLUIS_DEV_CA", "not together with SLUIS_SYSTEMS_FILE or SLUIS_TLS_*: the development CA replaces them")
	case tlsSet && (i.TLSCert == "" || i.TLSKey == ""):
		return bad("SLUIS_TLS_CERT", "SLUIS_TLS_CERT and SLUIS_TLS_KEY go together")
	case tlsSet && i.TLSClientCA == "":
		return bad("SLUIS_TLS_CLIENT_CA", "required with SLUIS_TLS_CERT: registration systems authenticate with client certificates")
	}
	if i.OIDCIssuer != "" {
		u, err := url.Parse(i.OIDCIssuer)
		if err != nil || u.Scheme != "https" || u.Host == "" {
			return bad("SLUIS_OIDC_ISSUER", "must be an https:// URL")
		}
		if i.OIDCClientID == "" {
			return bad("SLUIS_OIDC_CLIENT_ID", "required with SLUIS_OIDC_ISSUER")
		}
		if i.DevLogin {
			return bad("SLUIS_DEV_LOGIN", "not together with SLUIS_OIDC_ISSUER")
		}
	} else if i.OIDCClientID != "" {
		return bad("SLUIS_OIDC_ISSUER", "required with SLUIS_OIDC_CLIENT_ID")
	}
	if i.OIDCRolesClaim == "" {
		return bad("SLUIS_OIDC_ROLES_CLAIM", "must name a claim")
	}
	if i.OIDCMunicipalityClaim == "" {
		return bad("SLUIS_OIDC_MUNICIPALITY_CLAIM", "must name a claim")
	}
	if (i.DevCA || i.DevLogin) && i.DevIdentityDir == "" {
		return bad("SLUIS_DEV_IDENTITY_DIR", "must name a folder")
	}
	return nil
}
