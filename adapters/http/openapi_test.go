package http_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/prometheus/client_golang/prometheus"

	httpapi "github.com/sluis-gateway/sluis/adapters/http"
	"github.com/sluis-gateway/sluis/docs/api"
	"github.com/sluis-gateway/sluis/internal/breach"
	"github.com/sluis-gateway/sluis/internal/bus"
	"github.com/sluis-gateway/sluis/internal/casework"
	"github.com/sluis-gateway/sluis/internal/disclosure"
	"github.com/sluis-gateway/sluis/internal/identity"
	"github.com/sluis-gateway/sluis/internal/ledger"
	"github.com/sluis-gateway/sluis/internal/problem"
	"github.com/sluis-gateway/sluis/internal/retention"
	"github.com/sluis-gateway/sluis/internal/rights"
)

const openAPIFile = "../../docs/api/openapi.json"

// loadOpenAPI loads docs/api/openapi.json with its $refs to docs/contract
// resolved, and validates it (OpenAPI 3.1, kin-openapi).
func loadOpenAPI(t *testing.T) *openapi3.T {
	t.Helper()
	loader := openapi3.NewLoader()
	loader.IsExternalRefsAllowed = true
	doc, err := loader.LoadFromFile(openAPIFile)
	if err != nil {
		t.Fatalf("load %s: %v", openAPIFile, err)
	}
	if !doc.IsOpenAPI31OrLater() {
		t.Fatalf("openapi %q, want 3.1", doc.OpenAPI)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("%s does not validate: %v", openAPIFile, err)
	}
	return doc
}

// TestOpenAPIValidates: the committed description is valid OpenAPI 3.1,
// its $refs resolve, and the embedded copy the gateway serves is the same
// file.
func TestOpenAPIValidates(t *testing.T) {
	doc := loadOpenAPI(t)
	for _, ref := range []string{"postDisclosure", "postConsent"} {
		op := operation(doc, ref)
		if op == nil || op.RequestBody == nil || op.RequestBody.Value.Content.Get("application/json").Schema.Value == nil {
			t.Errorf("%s: no resolved request schema", ref)
		}
	}
	// The validator is not a formality: a $ref that does not resolve and
	// a response without its description are refused.
	raw, err := os.ReadFile(openAPIFile)
	if err != nil {
		t.Fatal(err)
	}
	for name, edit := range map[string]func(string) string{
		"a missing contract file": func(s string) string {
			return strings.Replace(s, "../contract/disclosure-v1.schema.json", "../contract/missing.schema.json", 1)
		},
		"a response without description": func(s string) string {
			return strings.Replace(s, `"description": "the receipt",`, "", 1)
		},
	} {
		loader := openapi3.NewLoader()
		loader.IsExternalRefsAllowed = true
		bad, err := loader.LoadFromDataWithPath([]byte(edit(string(raw))), &url.URL{Path: openAPIFile})
		if err == nil {
			err = bad.Validate(context.Background())
		}
		if err == nil {
			t.Errorf("%s: the document still validates", name)
		}
	}
	// The disclosure schema resolved through the relative $ref is the
	// contract: its version is const 1, its id a uuid.
	body := operation(doc, "postDisclosure").RequestBody.Value.Content.Get("application/json").Schema.Value
	if body.Properties["id"] == nil || body.Properties["id"].Value.Format != "uuid" {
		t.Errorf("the disclosure request schema did not resolve to docs/contract: %v", body.Properties)
	}
}

func operation(doc *openapi3.T, id string) *openapi3.Operation {
	for _, item := range doc.Paths.Map() {
		for _, op := range item.Operations() {
			if op.OperationID == id {
				return op
			}
		}
	}
	return nil
}

// described are the "METHOD path" operations of the document, those with
// a path-level server (the admin listener) apart.
func described(doc *openapi3.T) (apiOps, adminOps map[string]*openapi3.Operation) {
	apiOps, adminOps = map[string]*openapi3.Operation{}, map[string]*openapi3.Operation{}
	for path, item := range doc.Paths.Map() {
		into := apiOps
		if len(item.Servers) > 0 {
			into = adminOps
		}
		for method, op := range item.Operations() {
			into[method+" "+path] = op
		}
	}
	return apiOps, adminOps
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// fullServer is a server with every optional route on: consents and the
// review list. Consents answers every command consent_invalid; staff
// tokens never verify.
func fullServer(t *testing.T) *httpapi.Server {
	t.Helper()
	dec, err := disclosure.NewDecoder()
	if err != nil {
		t.Fatal(err)
	}
	s, _ := demoServer(t, dec)
	// The staff routes answer 401 before they reach a service (noStaff
	// verifies no token), so the services are not called.
	return s.WithConsents(invalidConsents{}).WithReviews(noLedger{}, noLedger{}, noStaff{}).
		WithBreaches(&breach.Register{}, nil, noStaff{}).WithRights((*rights.Service)(nil), noStaff{}).
		WithErasure((*retention.Service)(nil), noStaff{}).WithCasework((*casework.Service)(nil), noStaff{})
}

type invalidConsents struct{}

func (invalidConsents) Process(context.Context, []byte) (bus.Event, error) {
	return bus.Event{Version: 1, State: "consent_invalid", Reason: "invalid consent command",
		Problems: []bus.Problem{{Path: "/id", Rule: "required", Message: "missing"}}}, nil
}

type noLedger struct{}

func (noLedger) Entries(context.Context, int64, int) ([]ledger.Entry, error) { return nil, nil }
func (noLedger) Append(context.Context, string, string, map[string]string) (ledger.Entry, error) {
	return ledger.Entry{}, nil
}

type noStaff struct{}

func (noStaff) Verify(context.Context, string) (identity.Staff, error) {
	return identity.Staff{}, errors.New("no staff here")
}

// TestOpenAPIDescribesEveryRoute: every pattern of the API's and the admin
// listener's ServeMux is an operation of the document (on the matching
// server), and every operation is a pattern.
func TestOpenAPIDescribesEveryRoute(t *testing.T) {
	doc := loadOpenAPI(t)
	apiOps, adminOps := described(doc)
	cases := []struct {
		name     string
		patterns []string
		ops      map[string]*openapi3.Operation
	}{
		{"API listener", fullServer(t).Patterns(), apiOps},
		{"admin listener", httpapi.Admin{Gatherer: prometheus.NewRegistry(), Pprof: true}.Patterns(), adminOps},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var routed []string
			for _, p := range c.patterns {
				method, path, ok := strings.Cut(p, " ")
				if !ok {
					t.Fatalf("pattern %q has no method: every route names one", p)
				}
				routed = append(routed, method+" "+path)
			}
			sort.Strings(routed)
			if got := keys(c.ops); !slices.Equal(routed, got) {
				t.Errorf("routes %v\ndescribed %v", routed, got)
			}
		})
	}
}

// TestOpenAPIRoutesAnswerAsDescribed sends a request to every operation of
// the document, over mutual TLS as development system regsys-demo, and
// checks the answer's status is one the operation lists, with problem
// details for every error status. Requests without a certificate's system
// (the handlers directly) answer 401, which each protected operation lists.
func TestOpenAPIRoutesAnswerAsDescribed(t *testing.T) {
	doc := loadOpenAPI(t)
	apiOps, adminOps := described(doc)
	full := fullServer(t)
	apiSrv, client := tlsServer(t, full.Handler(), "regsys-demo")
	admin := httptest.NewServer(httpapi.Admin{Gatherer: prometheus.NewRegistry(), Pprof: true,
		Ready: map[string]httpapi.Check{"store": func(context.Context) error { return errors.New("down") }}}.Handler())
	t.Cleanup(admin.Close)

	check := func(t *testing.T, op *openapi3.Operation, res *http.Response) {
		t.Helper()
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if op.Responses.Status(res.StatusCode) == nil {
			t.Fatalf("answered %d, which the operation does not list (%v): %s", res.StatusCode, keys(op.Responses.Map()), b)
		}
		if res.StatusCode >= 400 {
			checkProblem(t, res, b)
		}
	}
	for key, op := range apiOps {
		t.Run(key, func(t *testing.T) {
			method, path, _ := strings.Cut(key, " ")
			path = strings.ReplaceAll(path, "{id}", "6f1c2a3e-8b4d-4c1a-9e2f-3a5b7c9d1e01")
			for _, c := range []*http.Client{client, nil} {
				var res *http.Response
				var err error
				if c == nil {
					// The handler without a verified certificate.
					rr := httptest.NewRecorder()
					full.Handler().ServeHTTP(rr, request(t, method, path))
					res = rr.Result()
				} else {
					res, err = c.Do(request(t, method, apiSrv.URL+path))
					if err != nil {
						t.Fatal(err)
					}
				}
				check(t, op, res)
			}
		})
	}
	for key, op := range adminOps {
		t.Run(key, func(t *testing.T) {
			method, path, _ := strings.Cut(key, " ")
			if path == "/debug/pprof/profile" || path == "/debug/pprof/trace" {
				path += "?seconds=1"
			}
			res, err := http.DefaultClient.Do(request(t, method, admin.URL+path))
			if err != nil {
				t.Fatal(err)
			}
			check(t, op, res)
		})
	}
}

func request(t *testing.T, method, url string) *http.Request {
	t.Helper()
	var body io.Reader
	if method == http.MethodPost {
		body = bytes.NewReader([]byte(`{}`))
	}
	r, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		r.Header.Set("Content-Type", "application/json")
	}
	return r
}

// checkProblem: an error answer is RFC 9457 problem details.
func checkProblem(t *testing.T, res *http.Response, b []byte) {
	t.Helper()
	if ct := res.Header.Get("Content-Type"); ct != problem.ContentType {
		t.Fatalf("%d with Content-Type %q, want %s: %s", res.StatusCode, ct, problem.ContentType, b)
	}
	var p struct {
		Type   string `json:"type"`
		Title  string `json:"title"`
		Status int    `json:"status"`
		Detail string `json:"detail"`
		Error  string `json:"error"`
	}
	if err := json.Unmarshal(b, &p); err != nil {
		t.Fatalf("not JSON: %v: %s", err, b)
	}
	if p.Status != res.StatusCode || p.Type != problem.Type(res.StatusCode) || p.Title == "" || p.Detail == "" || p.Error != p.Detail {
		t.Fatalf("not problem details of %d: %s", res.StatusCode, b)
	}
}

// TestUnroutedIsProblem: a path no route takes is 404, a method a path
// does not take 405 with Allow, both problem details, on both listeners.
func TestUnroutedIsProblem(t *testing.T) {
	apiH := fullServer(t).Handler()
	adminH := httpapi.Admin{Gatherer: prometheus.NewRegistry()}.Handler()
	cases := []struct {
		name, method, path string
		h                  http.Handler
		want               int
		allow              string
	}{
		{"API: unknown path", "GET", "/v1/nothing", apiH, 404, ""},
		{"API: root", "GET", "/", apiH, 404, ""},
		{"API: the metrics are not here", "GET", "/metrics", apiH, 404, ""},
		{"API: GET of the intake", "GET", "/v1/disclosures", apiH, 405, "POST"},
		{"API: DELETE of a receipt", "DELETE", "/v1/disclosures/x", apiH, 405, "GET, HEAD"},
		{"API: POST of the review list", "POST", "/v1/reviews", apiH, 405, "GET, HEAD"},
		{"API: POST of the description", "POST", httpapi.PathOpenAPI, apiH, 405, "GET, HEAD"},
		{"admin: unknown path", "GET", "/v1/disclosures", adminH, 404, ""},
		{"admin: pprof off", "GET", "/debug/pprof/", adminH, 404, ""},
		{"admin: POST of the metrics", "POST", "/metrics", adminH, 405, "GET, HEAD"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rr := httptest.NewRecorder()
			c.h.ServeHTTP(rr, httptest.NewRequest(c.method, c.path, nil))
			res := rr.Result()
			if res.StatusCode != c.want {
				t.Fatalf("%d, want %d: %s", res.StatusCode, c.want, rr.Body)
			}
			checkProblem(t, res, rr.Body.Bytes())
			if got := res.Header.Get("Allow"); got != c.allow {
				t.Errorf("Allow %q, want %q", got, c.allow)
			}
		})
	}
}

// TestDescriptionsServed: the documents are served byte for byte as
// embedded from docs/, and the AsyncAPI one is AsyncAPI 3.0.
func TestDescriptionsServed(t *testing.T) {
	h := fullServer(t).Handler()
	cases := []struct {
		name, path, contentType string
		want                    []byte
	}{
		{"OpenAPI", httpapi.PathOpenAPI, "application/json", api.OpenAPI},
		{"AsyncAPI", httpapi.PathAsyncAPI, "application/json", api.AsyncAPI},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rr := httptest.NewRecorder()
			h.ServeHTTP(rr, httptest.NewRequest("GET", c.path, nil))
			if rr.Code != 200 || rr.Header().Get("Content-Type") != c.contentType || !bytes.Equal(rr.Body.Bytes(), c.want) {
				t.Fatalf("%d %s: %.80s", rr.Code, rr.Header().Get("Content-Type"), rr.Body)
			}
		})
	}
}

// devCA is a development CA for the development registry, made once per
// test in a temporary directory.
func devCA(t *testing.T) identity.DevFiles {
	t.Helper()
	reg, err := identity.Development()
	if err != nil {
		t.Fatal(err)
	}
	f, err := identity.DevelopmentCA(t.TempDir(), reg)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// tlsServer serves h over mutual TLS as the API listener does (client
// certificates required and verified against the development CA); the
// returned client presents system's development certificate.
func tlsServer(t *testing.T, h http.Handler, system string) (*httptest.Server, *http.Client) {
	t.Helper()
	f := devCA(t)
	sc, err := identity.ServerTLS(f.CACert, f.ServerCert, f.ServerKey)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(h)
	srv.TLS = sc
	srv.StartTLS()
	t.Cleanup(srv.Close)
	pair, ok := f.Clients[system]
	if !ok {
		t.Fatalf("no development certificate of %s", system)
	}
	cc, err := identity.ClientTLS(f.CACert, pair[0], pair[1])
	if err != nil {
		t.Fatal(err)
	}
	return srv, &http.Client{Transport: &http.Transport{TLSClientConfig: cc}}
}
