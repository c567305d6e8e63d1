package identity

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"

	"github.com/coreos/go-oidc/v3/oidc"

	"github.com/sluis-gateway/sluis/internal/problem"
)

// OIDCConfig configures staff authentication against an OpenID Connect
// issuer (the municipality's identity provider).
type OIDCConfig struct {
	// Issuer is the issuer URL; its discovery document
	// (/.well-known/openid-configuration) and keys are fetched from it.
	Issuer string
	// ClientID is sluis's client id at the issuer: the audience every token
	// must carry.
	ClientID string
	// RolesClaim is the claim holding the roles: a list of strings or one
	// string of space-separated roles; a dotted path reaches into objects
	// ("realm_access.roles"). Empty: "roles".
	RolesClaim string
	// MunicipalityClaim is the claim holding the member's CBS code (4
	// digits); a dotted path as for RolesClaim. Empty: "municipality".
	MunicipalityClaim string
	// HTTPClient fetches discovery and keys; nil: http.DefaultClient.
	HTTPClient *http.Client
}

// StaffVerifier verifies staff bearer tokens (JWTs: ID tokens, or access
// tokens in JWT form) with go-oidc: signature against the issuer's keys,
// issuer, audience, expiry. It is safe for concurrent use.
type StaffVerifier struct {
	verifier          *oidc.IDTokenVerifier
	rolesClaim        []string
	municipalityClaim []string
}

// NewOIDC fetches the issuer's discovery document and returns a verifier
// of its tokens for cfg.ClientID. An unreachable issuer is an error.
func NewOIDC(ctx context.Context, cfg OIDCConfig) (*StaffVerifier, error) {
	if cfg.Issuer == "" || cfg.ClientID == "" {
		return nil, errors.New("oidc: issuer and client id are required")
	}
	if cfg.HTTPClient != nil {
		ctx = oidc.ClientContext(ctx, cfg.HTTPClient)
	}
	p, err := oidc.NewProvider(ctx, cfg.Issuer)
	if err != nil {
		return nil, fmt.Errorf("oidc issuer %s: %w", cfg.Issuer, err)
	}
	return newStaffVerifier(p.Verifier(&oidc.Config{ClientID: cfg.ClientID}), cfg.RolesClaim, cfg.MunicipalityClaim), nil
}

func newStaffVerifier(v *oidc.IDTokenVerifier, rolesClaim, municipalityClaim string) *StaffVerifier {
	if rolesClaim == "" {
		rolesClaim = "roles"
	}
	if municipalityClaim == "" {
		municipalityClaim = "municipality"
	}
	return &StaffVerifier{
		verifier:          v,
		rolesClaim:        strings.Split(rolesClaim, "."),
		municipalityClaim: strings.Split(municipalityClaim, "."),
	}
}

var subjectRe = regexp.MustCompile(`^[\x21-\x7e]{1,255}$`)

// Verify checks a raw bearer token and returns the staff member it names.
// Every failure is ErrBadToken (wrapping go-oidc's reason, for logs: it
// holds no client data).
func (v *StaffVerifier) Verify(ctx context.Context, raw string) (Staff, error) {
	tok, err := v.verifier.Verify(ctx, raw)
	if err != nil {
		return Staff{}, fmt.Errorf("%w: %w", ErrBadToken, err)
	}
	if !subjectRe.MatchString(tok.Subject) {
		return Staff{}, fmt.Errorf("%w: sub: missing or not printable", ErrBadToken)
	}
	var claims map[string]any
	if err := tok.Claims(&claims); err != nil {
		return Staff{}, fmt.Errorf("%w: claims: %w", ErrBadToken, err)
	}
	s := Staff{ID: tok.Subject}
	if m, ok := claimAt(claims, v.municipalityClaim); ok {
		str, isStr := m.(string)
		if !isStr || !municipalityRe.MatchString(str) {
			return Staff{}, fmt.Errorf("%w: %s: not a 4-digit CBS code", ErrBadToken, strings.Join(v.municipalityClaim, "."))
		}
		s.Municipality = str
	}
	if rs, ok := claimAt(claims, v.rolesClaim); ok {
		var names []string
		switch rs := rs.(type) {
		case string:
			names = strings.Fields(rs)
		case []any:
			for _, r := range rs {
				if n, ok := r.(string); ok {
					names = append(names, n)
				}
			}
		default:
			return Staff{}, fmt.Errorf("%w: %s: neither a list nor a string", ErrBadToken, strings.Join(v.rolesClaim, "."))
		}
		for _, n := range names {
			if r := Role(n); slices.Contains(Roles, r) && !s.Has(r) {
				s.Roles = append(s.Roles, r)
			}
		}
	}
	return s, nil
}

// claimAt follows a dotted path into claims.
func claimAt(claims map[string]any, path []string) (any, bool) {
	var cur any = claims
	for _, p := range path {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[p]; !ok {
			return nil, false
		}
	}
	return cur, true
}

// TokenVerifier verifies a raw bearer token. *StaffVerifier implements it.
type TokenVerifier interface {
	Verify(ctx context.Context, raw string) (Staff, error)
}

// bearer returns the token of an "Authorization: Bearer <token>" header.
func bearer(req *http.Request) (string, bool) {
	h := req.Header.Get("Authorization")
	scheme, tok, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(tok) == "" {
		return "", false
	}
	return strings.TrimSpace(tok), true
}

// RequireStaff is HTTP middleware for the staff API: it verifies the
// request's bearer token and calls next with the staff member in the
// context (WithStaff). Without a token, or with one that does not verify,
// it answers 401 with WWW-Authenticate: Bearer, without calling next.
func RequireStaff(v TokenVerifier, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		raw, ok := bearer(req)
		if !ok {
			w.Header().Set("WWW-Authenticate", `Bearer`)
			writeError(w, http.StatusUnauthorized, ErrNoToken)
			return
		}
		s, err := v.Verify(req.Context(), raw)
		if err != nil {
			w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
			writeError(w, http.StatusUnauthorized, ErrBadToken)
			return
		}
		next.ServeHTTP(w, req.WithContext(WithStaff(req.Context(), s)))
	})
}

// RequireRole returns middleware (inside RequireStaff) that lets a staff
// member through who holds one of roles, with the ledger actor set to the
// member acting in the first of roles they hold (WithStaffRole). No staff
// member in the context: 401; none of the roles: 403.
func RequireRole(roles ...Role) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
			s, err := StaffFrom(req.Context())
			if err != nil {
				w.Header().Set("WWW-Authenticate", `Bearer`)
				writeError(w, http.StatusUnauthorized, err)
				return
			}
			role, err := s.FirstOf(roles...)
			if err != nil {
				writeError(w, http.StatusForbidden, err)
				return
			}
			next.ServeHTTP(w, req.WithContext(WithStaffRole(req.Context(), s, role)))
		})
	}
}

// writeError answers with the API's problem shape (RFC 9457 problem
// details, package problem).
func writeError(w http.ResponseWriter, status int, err error) {
	problem.Error(w, status, err)
}
