package identity

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/sluis-gateway/sluis/internal/actor"
)

// testIssuer is a real OIDC issuer over HTTPS: discovery and JWKS, and
// tokens signed with its key.
type testIssuer struct {
	srv    *httptest.Server
	key    *rsa.PrivateKey
	signer jose.Signer
}

func newTestIssuer(t *testing.T) *testIssuer {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	iss := &testIssuer{key: key}
	iss.signer = rsaSigner(t, key, "k1")
	mux := http.NewServeMux()
	iss.srv = httptest.NewTLSServer(mux)
	t.Cleanup(iss.srv.Close)
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(map[string]any{
			"issuer":                                iss.srv.URL,
			"jwks_uri":                              iss.srv.URL + "/jwks",
			"authorization_endpoint":                iss.srv.URL + "/auth",
			"token_endpoint":                        iss.srv.URL + "/token",
			"id_token_signing_alg_values_supported": []string{"RS256"},
		})
	})
	mux.HandleFunc("GET /jwks", func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: key.Public(), KeyID: "k1", Algorithm: "RS256", Use: "sig"}}})
	})
	return iss
}

func rsaSigner(t *testing.T, key *rsa.PrivateKey, kid string) jose.Signer {
	t.Helper()
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: key},
		(&jose.SignerOptions{}).WithType("JWT").WithHeader(jose.HeaderKey("kid"), kid))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// claims are a good token's claims for audience "sluis".
func (iss *testIssuer) claims() map[string]any {
	now := time.Now()
	return map[string]any{
		"iss": iss.srv.URL, "sub": "s-42", "aud": "sluis",
		"iat": now.Unix(), "exp": now.Add(10 * time.Minute).Unix(),
		"roles": []string{"coordinator", "some-other-app-role"}, "municipality": "0363",
	}
}

func sign(t *testing.T, s jose.Signer, claims map[string]any) string {
	t.Helper()
	tok, err := jwt.Signed(s).Claims(claims).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// unsigned is a JWT with alg none.
func unsigned(t *testing.T, claims map[string]any) string {
	t.Helper()
	enc := func(v any) string {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return base64.RawURLEncoding.EncodeToString(b)
	}
	return enc(map[string]string{"alg": "none", "typ": "JWT"}) + "." + enc(claims) + "."
}

func with(c map[string]any, kv ...any) map[string]any {
	out := map[string]any{}
	for k, v := range c {
		out[k] = v
	}
	for i := 0; i < len(kv); i += 2 {
		if kv[i+1] == nil {
			delete(out, kv[i].(string))
			continue
		}
		out[kv[i].(string)] = kv[i+1]
	}
	return out
}

// staffServer serves the ledger actor of a coordinator-only route.
func staffServer(t *testing.T, v TokenVerifier, roles ...Role) *httptest.Server {
	t.Helper()
	h := RequireStaff(v, RequireRole(roles...)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a, err := actor.From(r.Context())
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		io.WriteString(w, a.String())
	})))
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

func call(t *testing.T, url, token string) (int, string, string) {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header.Get("WWW-Authenticate")
}

func TestOIDCStaff(t *testing.T) {
	iss := newTestIssuer(t)
	v, err := NewOIDC(context.Background(), OIDCConfig{Issuer: iss.srv.URL, ClientID: "sluis", HTTPClient: iss.srv.Client()})
	if err != nil {
		t.Fatal(err)
	}
	srv := staffServer(t, v, RoleCoordinator)
	otherKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	dev, err := OpenDevLogin(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	devToken, err := dev.Issue(Staff{ID: "s-42", Municipality: "0363", Roles: []Role{RoleCoordinator}}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	good := iss.claims()
	cases := []struct {
		name   string
		token  string
		status int
		body   string
	}{
		{"a good token", sign(t, iss.signer, good), 200, "staff:s-42@0363 role:coordinator"},
		{"no token", "", 401, ErrNoToken.Error()},
		{"not a JWT", "opaque-token", 401, ErrBadToken.Error()},
		{"expired", sign(t, iss.signer, with(good, "exp", time.Now().Add(-time.Minute).Unix())), 401, ErrBadToken.Error()},
		{"without expiry", sign(t, iss.signer, with(good, "exp", nil)), 401, ErrBadToken.Error()},
		{"wrong audience", sign(t, iss.signer, with(good, "aud", "another-app")), 401, ErrBadToken.Error()},
		{"wrong issuer", sign(t, iss.signer, with(good, "iss", "https://evil.example")), 401, ErrBadToken.Error()},
		{"unsigned, alg none", unsigned(t, good), 401, ErrBadToken.Error()},
		{"signed with another key under the issuer's kid", sign(t, rsaSigner(t, otherKey, "k1"), good), 401, ErrBadToken.Error()},
		{"a development login token", devToken, 401, ErrBadToken.Error()},
		{"no subject", sign(t, iss.signer, with(good, "sub", nil)), 401, ErrBadToken.Error()},
		{"a municipality that is no CBS code", sign(t, iss.signer, with(good, "municipality", "Amsterdam")), 401, ErrBadToken.Error()},
		{"roles that are not a list", sign(t, iss.signer, with(good, "roles", 7)), 401, ErrBadToken.Error()},
		{"wrong role", sign(t, iss.signer, with(good, "roles", []string{"employee"})), 403, ErrRoleNotAllowed.Error()},
		{"no roles", sign(t, iss.signer, with(good, "roles", nil)), 403, ErrRoleNotAllowed.Error()},
		{"roles as one space-separated string", sign(t, iss.signer, with(good, "roles", "employee coordinator")), 200, "staff:s-42@0363 role:coordinator"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, body, challenge := call(t, srv.URL, tc.token)
			if status != tc.status || !strings.Contains(body, tc.body) {
				t.Fatalf("%d %q, want %d %q", status, body, tc.status, tc.body)
			}
			if (status == 401) != strings.HasPrefix(challenge, "Bearer") {
				t.Fatalf("status %d with WWW-Authenticate %q", status, challenge)
			}
		})
	}
}

func TestOIDCClaimPaths(t *testing.T) {
	iss := newTestIssuer(t)
	v, err := NewOIDC(context.Background(), OIDCConfig{Issuer: iss.srv.URL, ClientID: "sluis", HTTPClient: iss.srv.Client(),
		RolesClaim: "realm_access.roles", MunicipalityClaim: "org.gemeentecode"})
	if err != nil {
		t.Fatal(err)
	}
	base := with(iss.claims(), "roles", nil, "municipality", nil)
	cases := []struct {
		name   string
		claims map[string]any
		want   Staff
	}{
		{"nested roles and municipality", with(base, "realm_access", map[string]any{"roles": []string{"privacy_officer", "operator", "operator"}}, "org", map[string]any{"gemeentecode": "0599"}),
			Staff{ID: "s-42", Municipality: "0599", Roles: []Role{RolePrivacyOfficer, RoleOperator}}},
		{"an operator without a municipality", with(base, "realm_access", map[string]any{"roles": []string{"operator"}}),
			Staff{ID: "s-42", Roles: []Role{RoleOperator}}},
		{"the top-level claims are not read", with(iss.claims()), Staff{ID: "s-42"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, err := v.Verify(context.Background(), sign(t, iss.signer, tc.claims))
			if err != nil {
				t.Fatal(err)
			}
			if s.ID != tc.want.ID || s.Municipality != tc.want.Municipality || len(s.Roles) != len(tc.want.Roles) {
				t.Fatalf("got %+v, want %+v", s, tc.want)
			}
			for i := range s.Roles {
				if s.Roles[i] != tc.want.Roles[i] {
					t.Fatalf("got %+v, want %+v", s, tc.want)
				}
			}
		})
	}
}

func TestNewOIDCRefuses(t *testing.T) {
	iss := newTestIssuer(t)
	cases := []struct {
		name string
		cfg  OIDCConfig
	}{
		{"no issuer", OIDCConfig{ClientID: "sluis"}},
		{"no client id", OIDCConfig{Issuer: iss.srv.URL}},
		{"an issuer whose certificate is not trusted", OIDCConfig{Issuer: iss.srv.URL, ClientID: "sluis"}},
		{"discovery naming another issuer", OIDCConfig{Issuer: iss.srv.URL + "/", ClientID: "sluis", HTTPClient: iss.srv.Client()}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := NewOIDC(context.Background(), tc.cfg); err == nil {
				t.Fatal("accepted")
			}
		})
	}
}

func TestRequireRoleWithoutStaff(t *testing.T) {
	rec := httptest.NewRecorder()
	RequireRole(RoleOperator)(http.NotFoundHandler()).ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	if rec.Code != 401 {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
}
