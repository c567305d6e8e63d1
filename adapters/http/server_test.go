package http_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	httpapi "github.com/sluis-gateway/sluis/adapters/http"
	"github.com/sluis-gateway/sluis/internal/bus"
	"github.com/sluis-gateway/sluis/internal/disclosure"
	"github.com/sluis-gateway/sluis/internal/identity"
	"github.com/sluis-gateway/sluis/internal/receipts"
)

// nowhere is an intake and receipts store that is never reached: these
// tests only ask which routes exist and what is refused before the store.
type nowhere struct{}

func (nowhere) Enqueue(context.Context, string, []byte) error { return nil }
func (nowhere) Get(context.Context, string) (receipts.Record, error) {
	return receipts.Record{}, receipts.ErrNotFound
}
func (nowhere) RecordInvalid(context.Context, receipts.InvalidRequest) error { return nil }

// asDemo is the registration systems' routes as development system
// regsys-demo (0363, every basis), as if its certificate had verified.
func asDemo(t *testing.T, dec *disclosure.Decoder) http.Handler {
	t.Helper()
	s, sys := demoServer(t, dec)
	routes := s.SystemRoutes()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		routes.ServeHTTP(w, r.WithContext(identity.WithSystem(r.Context(), sys)))
	})
}

// demoServer is a server on the development registry, and its system
// regsys-demo.
func demoServer(t *testing.T, dec *disclosure.Decoder) (*httpapi.Server, identity.System) {
	t.Helper()
	reg, err := identity.Development()
	if err != nil {
		t.Fatal(err)
	}
	sys, err := reg.Get("regsys-demo")
	if err != nil {
		t.Fatal(err)
	}
	s, err := httpapi.New(dec, nowhere{}, nowhere{}, reg, nil)
	if err != nil {
		t.Fatal(err)
	}
	return s, sys
}

func jsonPost(body []byte) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/v1/disclosures", bytes.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	return r
}

func TestPprofOnlyWhenEnabled(t *testing.T) {
	cases := []struct {
		name string
		on   bool
		want int
	}{
		{"off by default", false, http.StatusNotFound},
		{"on when asked", true, http.StatusOK},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := httpapi.Admin{Gatherer: prometheus.NewRegistry(), Pprof: c.on}.Handler()
			for _, path := range []string{"/debug/pprof/", "/debug/pprof/cmdline"} {
				rr := httptest.NewRecorder()
				h.ServeHTTP(rr, httptest.NewRequest(http.MethodGet, path, nil))
				if rr.Code != c.want {
					t.Errorf("GET %s: %d, want %d", path, rr.Code, c.want)
				}
			}
		})
	}
}

// The API routes answer 401 without a principal, even called without the
// certificate middleware; a request without JSON is 415 naming the header;
// a sender or basis the principal may not use is 403 naming the field.
func TestRefusals(t *testing.T) {
	dec, err := disclosure.NewDecoder()
	if err != nil {
		t.Fatal(err)
	}
	bare, _ := demoServer(t, dec)
	example := func(edit func(m map[string]any)) []byte {
		m := example301(t)
		if edit != nil {
			edit(m)
		}
		b, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	sender := func(k, v string) func(m map[string]any) {
		return func(m map[string]any) { m["sender"].(map[string]any)[k] = v }
	}
	cases := []struct {
		name      string
		h         http.Handler
		req       *http.Request
		wantCode  int
		wantField string
	}{
		{"no principal", bare.Handler(), jsonPost(example(nil)), http.StatusUnauthorized, ""},
		{"no principal, routes alone", bare.SystemRoutes(), jsonPost(example(nil)), http.StatusUnauthorized, ""},
		{"text/plain", asDemo(t, dec), func() *http.Request {
			r := jsonPost(example(nil))
			r.Header.Set("Content-Type", "text/plain")
			return r
		}(), http.StatusUnsupportedMediaType, "Content-Type"},
		{"no Content-Type", asDemo(t, dec), func() *http.Request {
			r := jsonPost(example(nil))
			r.Header.Del("Content-Type")
			return r
		}(), http.StatusUnsupportedMediaType, "Content-Type"},
		{"another municipality", asDemo(t, dec), jsonPost(example(sender("municipality", "0599"))), http.StatusForbidden, identity.FieldSenderMunicipality},
		{"another system", asDemo(t, dec), jsonPost(example(sender("system", "regsys-bench"))), http.StatusForbidden, identity.FieldSenderSystem},
		{"charset allowed", asDemo(t, dec), func() *http.Request {
			r := jsonPost(example(nil))
			r.Header.Set("Content-Type", "application/json; charset=utf-8")
			return r
		}(), http.StatusAccepted, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rr := httptest.NewRecorder()
			c.h.ServeHTTP(rr, c.req)
			if rr.Code != c.wantCode {
				t.Fatalf("%d, want %d: %s", rr.Code, c.wantCode, rr.Body)
			}
			if c.wantCode >= 400 {
				checkProblem(t, rr.Result(), rr.Body.Bytes())
			}
			var resp struct {
				Field string `json:"field"`
			}
			if err := json.Unmarshal(rr.Body.Bytes(), &resp); err != nil {
				t.Fatal(err)
			}
			if resp.Field != c.wantField {
				t.Errorf("field %q, want %q", resp.Field, c.wantField)
			}
		})
	}
}

// refusingConsents refuses every command as register does for a sender
// the principal may not act for.
type refusingConsents struct{}

func (refusingConsents) Process(context.Context, []byte) (bus.Event, error) {
	return bus.Event{}, fmt.Errorf("consent: %w", &identity.RefusedError{Field: identity.FieldSenderMunicipality, Err: identity.ErrSenderNotAllowed})
}

// A consent command refused to its principal is 403 naming the field.
func TestConsentRefusalIs403(t *testing.T) {
	dec, err := disclosure.NewDecoder()
	if err != nil {
		t.Fatal(err)
	}
	s, sys := demoServer(t, dec)
	r := httptest.NewRequest(http.MethodPost, "/v1/consents", bytes.NewReader([]byte(`{}`)))
	r.Header.Set("Content-Type", "application/json")
	rr := httptest.NewRecorder()
	s.WithConsents(refusingConsents{}).SystemRoutes().ServeHTTP(rr, r.WithContext(identity.WithSystem(r.Context(), sys)))
	var resp struct {
		Field string `json:"field"`
	}
	_ = json.Unmarshal(rr.Body.Bytes(), &resp)
	if rr.Code != http.StatusForbidden || resp.Field != identity.FieldSenderMunicipality {
		t.Fatalf("%d %s", rr.Code, rr.Body)
	}
	checkProblem(t, rr.Result(), rr.Body.Bytes())
}

// An invalid consent command is 400 problem details that keep the status
// event's members (state, problems), as before problem details.
func TestConsentInvalidIsProblemWithEvent(t *testing.T) {
	r := httptest.NewRequest(http.MethodPost, "/v1/consents", bytes.NewReader([]byte(`{}`)))
	r.Header.Set("Content-Type", "application/json")
	rr := httptest.NewRecorder()
	s := fullServer(t)
	reg, _ := identity.Development()
	sys, _ := reg.Get("regsys-demo")
	s.SystemRoutes().ServeHTTP(rr, r.WithContext(identity.WithSystem(r.Context(), sys)))
	if rr.Code != http.StatusBadRequest {
		t.Fatalf("%d %s", rr.Code, rr.Body)
	}
	checkProblem(t, rr.Result(), rr.Body.Bytes())
	var resp struct {
		State    string               `json:"state"`
		Version  int                  `json:"version"`
		Detail   string               `json:"detail"`
		Problems []disclosure.Problem `json:"problems"`
	}
	if err := json.Unmarshal(rr.Body.Bytes(), &resp); err != nil {
		t.Fatal(err)
	}
	if resp.State != "consent_invalid" || resp.Version != 1 || resp.Detail != "invalid consent command" || len(resp.Problems) != 1 || resp.Problems[0].Path != "/id" {
		t.Fatalf("%s", rr.Body)
	}
}

// A readiness check that fails is 503 problem details with every check's
// result as a member; all passing is the plain object.
func TestReadyz(t *testing.T) {
	cases := []struct {
		name  string
		ready map[string]httpapi.Check
		want  int
	}{
		{"all pass", map[string]httpapi.Check{"store": func(context.Context) error { return nil }}, 200},
		{"the broker fails", map[string]httpapi.Check{
			"store":  func(context.Context) error { return nil },
			"broker": func(context.Context) error { return fmt.Errorf("not connected") }}, 503},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rr := httptest.NewRecorder()
			httpapi.Admin{Gatherer: prometheus.NewRegistry(), Ready: c.ready}.Handler().ServeHTTP(rr, httptest.NewRequest("GET", "/readyz", nil))
			if rr.Code != c.want {
				t.Fatalf("%d %s", rr.Code, rr.Body)
			}
			var m map[string]any
			if err := json.Unmarshal(rr.Body.Bytes(), &m); err != nil {
				t.Fatal(err)
			}
			if m["store"] != "ok" {
				t.Errorf("store %v", m["store"])
			}
			if c.want == 503 {
				checkProblem(t, rr.Result(), rr.Body.Bytes())
				if m["broker"] != "fail: not connected" || m["detail"] != "not ready: broker failed" {
					t.Errorf("%s", rr.Body)
				}
			}
		})
	}
}
