package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	httpapi "github.com/sluis-gateway/sluis/adapters/http"
	"github.com/sluis-gateway/sluis/cmd/sluis/cli"
	"github.com/sluis-gateway/sluis/internal/app"
	"github.com/sluis-gateway/sluis/internal/config"
	"github.com/sluis-gateway/sluis/internal/identity"
	"github.com/sluis-gateway/sluis/internal/ledger"
	"github.com/sluis-gateway/sluis/internal/receipts"
	"github.com/sluis-gateway/sluis/internal/testenv"
)

// staffToken issues a development login token for staff member s-1 in
// role for municipality (empty role: an employee).
func (h *harness) staffToken(role identity.Role, municipality string) string {
	h.t.Helper()
	if h.gw.Identity.DevLogin == nil {
		h.t.Fatal("the gateway has no development login")
	}
	tok, err := h.gw.Identity.DevLogin.Issue(identity.Staff{ID: "s-1", Municipality: municipality,
		Roles: []identity.Role{role}}, time.Hour)
	if err != nil {
		h.t.Fatal(err)
	}
	return tok
}

// reviews asks GET /v1/reviews with token (none when empty).
func (h *harness) reviews(token string) *http.Response {
	h.t.Helper()
	req, err := http.NewRequest(http.MethodGet, h.api("/v1/reviews"), nil)
	if err != nil {
		h.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := h.client.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	return resp
}

// override turns m into a safety override request with id.
func override(m map[string]any, id string) {
	m["id"] = id
	m["legal_basis"] = map[string]any{
		"kind": "safety_override",
		"consultation": map[string]any{"consulted": "e-9c1d", "role": "manager",
			"at": time.Now().Add(-time.Hour).UTC().Format(time.RFC3339), "note": "Acute risk discussed with the team manager; share the assignment today."},
		"reason":          "Acute safety risk at home.",
		"client_informed": map[string]any{"at": time.Now().Add(24 * time.Hour).UTC().Format(time.RFC3339)},
	}
}

// post sends body to POST /v1/disclosures with client and content type.
func (h *harness) post(c *http.Client, contentType string, body []byte) (int, map[string]any) {
	h.t.Helper()
	return h.postTo(c, "/v1/disclosures", contentType, body)
}

// postTo posts body to path on the API with client c, returning the
// status and the decoded answer.
func (h *harness) postTo(c *http.Client, path, contentType string, body []byte) (int, map[string]any) {
	h.t.Helper()
	resp, err := c.Post(h.api(path), contentType, bytes.NewReader(body))
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

// ledgerEvents returns the ledger entries of event.
func (h *harness) ledgerEvents(event string) []ledger.Entry {
	h.t.Helper()
	es, err := h.gw.Store.Entries(context.Background(), 1, 10000)
	if err != nil {
		h.t.Fatal(err)
	}
	var out []ledger.Entry
	for _, e := range es {
		if e.Event == event {
			out = append(out, e)
		}
	}
	return out
}

// Every attack on the HTTP API, against the real gateway: who cannot
// connect, what is refused with which status and field, what is recorded,
// and that nothing refused reaches a provider.
func TestHTTPAttacks(t *testing.T) {
	h := start(t)
	demo := h.client
	bench := h.id.Client(t, "regsys-bench")

	t.Run("no client certificate: refused at the handshake", func(t *testing.T) {
		if resp, err := h.id.Client(t, "").Get(h.api("/v1/disclosures/x")); err == nil {
			resp.Body.Close()
			t.Fatalf("answered %d without a client certificate", resp.StatusCode)
		}
	})
	t.Run("certificate of another CA: refused at the handshake", func(t *testing.T) {
		if resp, err := h.id.Foreign(t, "regsys-demo").Get(h.api("/v1/disclosures/x")); err == nil {
			resp.Body.Close()
			t.Fatalf("answered %d to a certificate of another CA", resp.StatusCode)
		}
	})
	t.Run("plain HTTP on the API port: no answer", func(t *testing.T) {
		resp, err := http.Get("http://" + h.gw.HTTPAddr + "/v1/disclosures/x")
		if err == nil {
			defer resp.Body.Close()
			if resp.StatusCode != http.StatusBadRequest { // Go's answer to plain HTTP on a TLS port
				t.Fatalf("plain HTTP answered %d", resp.StatusCode)
			}
		}
	})

	cases := []struct {
		name      string
		client    *http.Client
		ctype     string
		edit      func(m map[string]any)
		wantCode  int
		wantField string
	}{
		{"another municipality", demo, "application/json", func(m map[string]any) {
			m["id"] = "a0000000-2222-4333-8444-555555555501"
			m["sender"].(map[string]any)["municipality"] = "0599"
		}, http.StatusForbidden, identity.FieldSenderMunicipality},
		{"another system's name", bench, "application/json", func(m map[string]any) {
			m["id"] = "a0000000-2222-4333-8444-555555555502"
		}, http.StatusForbidden, identity.FieldSenderSystem},
		{"a withheld basis", bench, "application/json", func(m map[string]any) {
			override(m, "a0000000-2222-4333-8444-555555555503")
			m["sender"].(map[string]any)["system"] = "regsys-bench"
		}, http.StatusForbidden, identity.FieldLegalBasisKind},
		{"text/plain", demo, "text/plain", func(m map[string]any) {
			m["id"] = "a0000000-2222-4333-8444-555555555504"
		}, http.StatusUnsupportedMediaType, "Content-Type"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m, _ := readExample(t, "iwmo-301.json")
			c.edit(m)
			body, _ := json.Marshal(m)
			code, out := h.post(c.client, c.ctype, body)
			if code != c.wantCode || out["field"] != c.wantField {
				t.Fatalf("%d %v, want %d naming %s", code, out, c.wantCode, c.wantField)
			}
			if _, err := h.gw.Store.Get(context.Background(), m["id"].(string)); !errors.Is(err, receipts.ErrNotFound) {
				t.Fatalf("a refused request was registered: %v", err)
			}
		})
	}
	// Each 403 is in the ledger (intake:invalid, the reason naming the
	// field, the actor the authenticated system); a 415 is not read at all.
	var refusals []string
	for _, e := range h.ledgerEvents("intake:invalid") {
		refusals = append(refusals, e.Actor+" "+e.Detail["reason"])
	}
	got := strings.Join(refusals, "\n")
	for _, want := range []string{identity.FieldSenderMunicipality, identity.FieldSenderSystem, identity.FieldLegalBasisKind} {
		if !strings.Contains(got, want) {
			t.Errorf("no ledger record of the refusal of %s in:\n%s", want, got)
		}
	}
	if n := h.queueLength("42420001"); n != 0 {
		t.Fatalf("a refused request reached the provider: %d messages", n)
	}

	t.Run("another system's receipt is an unknown id", func(t *testing.T) {
		m, _ := readExample(t, "iwmo-301.json")
		override(m, "a0000000-2222-4333-8444-555555555510")
		body, _ := json.Marshal(m)
		if code, out := h.post(demo, "application/json", body); code != http.StatusAccepted {
			t.Fatalf("POST: %d %v", code, out)
		}
		h.waitState("a0000000-2222-4333-8444-555555555510", "delivered")
		read := func(c *http.Client, id string) (int, string) {
			resp, err := c.Get(h.api("/v1/disclosures/" + id))
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			return resp.StatusCode, string(b)
		}
		if code, _ := read(demo, "a0000000-2222-4333-8444-555555555510"); code != http.StatusOK {
			t.Fatalf("own receipt: %d", code)
		}
		// sluis status reads it with the development identity by default.
		status, err := cli.DevClientCert(h.id.Dir, "regsys-demo").HTTPClient()
		if err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		if err := cli.Status(context.Background(), &out, status, h.api(""), "a0000000-2222-4333-8444-555555555510"); err != nil ||
			!strings.Contains(out.String(), `"state": "delivered"`) {
			t.Fatalf("sluis status: %v\n%s", err, out.String())
		}
		otherCode, other := read(bench, "a0000000-2222-4333-8444-555555555510")
		unknownCode, unknown := read(bench, "a0000000-2222-4333-8444-5555555555ff")
		if otherCode != http.StatusNotFound || other != unknown || unknownCode != http.StatusNotFound {
			t.Fatalf("another's receipt %d %s, an unknown one %d %s", otherCode, other, unknownCode, unknown)
		}
	})

	t.Run("review list", func(t *testing.T) {
		list := func(token string, wantCode int) []map[string]any {
			resp := h.reviews(token)
			defer resp.Body.Close()
			if resp.StatusCode != wantCode {
				b, _ := io.ReadAll(resp.Body)
				t.Fatalf("GET /v1/reviews: %d, want %d: %s", resp.StatusCode, wantCode, b)
			}
			var out []map[string]any
			if wantCode == http.StatusOK {
				if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
					t.Fatal(err)
				}
			}
			return out
		}
		list("", http.StatusUnauthorized)
		list("not-a-token", http.StatusUnauthorized)
		list(h.staffToken(identity.RoleEmployee, "0363"), http.StatusForbidden)
		got := list(h.staffToken(identity.RoleCoordinator, "0363"), http.StatusOK)
		if len(got) != 1 || got[0]["disclosure_id"] != "a0000000-2222-4333-8444-555555555510" {
			t.Fatalf("0363's coordinator sees %v", got)
		}
		if got := list(h.staffToken(identity.RoleCoordinator, "0599"), http.StatusOK); len(got) != 0 {
			t.Fatalf("0599's coordinator sees 0363's overrides: %v", got)
		}
		reads := h.ledgerEvents(httpapi.EventReviewsRead)
		if len(reads) != 2 || !strings.Contains(reads[0].Actor, "s-1") || reads[0].Detail["municipality"] != "0363" ||
			reads[0].Detail["count"] != "1" || reads[1].Detail["municipality"] != "0599" {
			t.Fatalf("ledger of the reads: %+v", reads)
		}
	})

	t.Run("admin endpoints are not on the API port", func(t *testing.T) {
		for _, path := range []string{"/metrics", "/healthz", "/livez", "/readyz", "/debug/pprof/"} {
			resp, err := demo.Get(h.api(path))
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusNotFound || resp.Header.Get("Content-Type") != "application/problem+json" {
				t.Errorf("API %s: %d %s", path, resp.StatusCode, resp.Header.Get("Content-Type"))
			}
		}
		// The API description is served to the verified client, and a
		// wrong method is 405 problem details.
		for _, c := range []struct {
			method, path string
			want         int
			contentType  string
		}{
			{http.MethodGet, httpapi.PathOpenAPI, http.StatusOK, "application/json"},
			{http.MethodGet, httpapi.PathDisclosureSchema, http.StatusOK, "application/schema+json"},
			{http.MethodDelete, "/v1/disclosures/x", http.StatusMethodNotAllowed, "application/problem+json"},
		} {
			req, _ := http.NewRequest(c.method, h.api(c.path), nil)
			resp, err := demo.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != c.want || resp.Header.Get("Content-Type") != c.contentType {
				t.Errorf("API %s %s: %d %s", c.method, c.path, resp.StatusCode, resp.Header.Get("Content-Type"))
			}
		}
		for _, path := range []string{"/metrics", "/healthz", "/livez", "/readyz"} {
			resp, err := http.Get(h.admin(path))
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Errorf("admin %s: %d", path, resp.StatusCode)
			}
		}
	})
	assertNoPersonalData(t, h.logs.String())
}

// Without TLS settings (and without the development CA) the gateway does
// not start, naming the settings: there is no plaintext API.
func TestStartWithoutTLSNamesTheSettings(t *testing.T) {
	dir := t.TempDir()
	// Everything else a development gateway has, and a registry of systems
	// (so the development CA is not turned on), but no TLS settings.
	cfg, err := config.Parse(testenv.WithSettings(testenv.DevSettings(dir), map[string]string{
		"SLUIS_AMQP_URL": testenv.VHost(t), testenv.DevBroker: "true",
		"SLUIS_HTTP_ADDR": "127.0.0.1:0", "SLUIS_ADMIN_ADDR": "127.0.0.1:0",
		"SLUIS_SYSTEMS_FILE": filepath.Join(testenv.Root(), "deploy", "systems.json"),
	}))
	if err != nil {
		t.Fatal(err)
	}
	_, err = app.Start(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if !errors.Is(err, app.ErrNoTLS) {
		t.Fatalf("started without TLS: %v", err)
	}
	for _, name := range []string{"SLUIS_TLS_CLIENT_CA", "SLUIS_TLS_CERT", "SLUIS_TLS_KEY", "SLUIS_DEV_CA"} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("the refusal does not name %s: %v", name, err)
		}
	}
}
