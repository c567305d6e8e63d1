package identity

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net/http"

	"github.com/sluis-gateway/sluis/internal/config"
)

// Setup is everything the adapters need to authenticate callers, built
// from the configuration's identity section.
type Setup struct {
	// Systems is the registry of registration systems.
	Systems *Registry
	// ServerTLS is the HTTP server's mutual-TLS configuration.
	ServerTLS *tls.Config
	// Staff verifies staff bearer tokens (OIDC, or the development login);
	// without either configured it refuses every token.
	Staff TokenVerifier
	// DevLogin is the development login when enabled (to issue tokens),
	// else nil.
	DevLogin *DevLogin
	// DevFiles are the development CA's files when SLUIS_DEV_CA is on.
	DevFiles *DevFiles
}

// ErrNoStaffLogin is the refusal of every staff token when neither OIDC
// nor the development login is configured.
var ErrNoStaffLogin = errors.New("no staff login configured")

// FromConfig loads the registry, builds the server TLS configuration
// (generating the development CA first when c.DevCA) and the staff
// verifier (fetching the OIDC issuer's discovery document; httpClient nil:
// http.DefaultClient). Every error names the setting or file.
func FromConfig(ctx context.Context, c config.Identity, httpClient *http.Client) (*Setup, error) {
	s := &Setup{}
	var err error
	switch {
	case c.DevCA:
		if s.Systems, err = Development(); err != nil {
			return nil, err
		}
		f, err := DevelopmentCA(c.DevIdentityDir, s.Systems)
		if err != nil {
			return nil, fmt.Errorf("SLUIS_DEV_CA: %w", err)
		}
		s.DevFiles = &f
		if s.ServerTLS, err = ServerTLS(f.CACert, f.ServerCert, f.ServerKey); err != nil {
			return nil, fmt.Errorf("SLUIS_DEV_CA: %w", err)
		}
	case c.SystemsFile == "":
		return nil, errors.New("SLUIS_SYSTEMS_FILE: not configured (SLUIS_DEV_CA=true for development)")
	default:
		if s.Systems, err = Load(c.SystemsFile); err != nil {
			return nil, fmt.Errorf("SLUIS_SYSTEMS_FILE: %w", err)
		}
		if s.ServerTLS, err = ServerTLS(c.TLSClientCA, c.TLSCert, c.TLSKey); err != nil {
			return nil, fmt.Errorf("SLUIS_TLS_CLIENT_CA, SLUIS_TLS_CERT, SLUIS_TLS_KEY: %w", err)
		}
	}
	switch {
	case c.OIDCIssuer != "" && c.DevLogin:
		return nil, errors.New("SLUIS_DEV_LOGIN: not together with SLUIS_OIDC_ISSUER")
	case c.OIDCIssuer != "":
		v, err := NewOIDC(ctx, OIDCConfig{Issuer: c.OIDCIssuer, ClientID: c.OIDCClientID,
			RolesClaim: c.OIDCRolesClaim, MunicipalityClaim: c.OIDCMunicipalityClaim, HTTPClient: httpClient})
		if err != nil {
			return nil, fmt.Errorf("SLUIS_OIDC_ISSUER: %w", err)
		}
		s.Staff = v
	case c.DevLogin:
		if s.DevLogin, err = OpenDevLogin(c.DevIdentityDir); err != nil {
			return nil, fmt.Errorf("SLUIS_DEV_LOGIN: %w", err)
		}
		s.Staff = s.DevLogin.Verifier()
	default:
		s.Staff = refuseAll{}
	}
	return s, nil
}

// refuseAll is the staff verifier when no staff login is configured.
type refuseAll struct{}

func (refuseAll) Verify(context.Context, string) (Staff, error) {
	return Staff{}, fmt.Errorf("%w: %w", ErrBadToken, ErrNoStaffLogin)
}
