package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	httpapi "github.com/sluis-gateway/sluis/adapters/http"
	"github.com/sluis-gateway/sluis/docs/contract"
	"github.com/sluis-gateway/sluis/internal/identity"
	"github.com/sluis-gateway/sluis/internal/jsoncheck"
	"github.com/sluis-gateway/sluis/internal/rights"
)

// staffPost posts body to path with a bearer token (none when empty).
func (h *harness) staffPost(path, token string, body any) (int, []byte, http.Header) {
	h.t.Helper()
	b, err := json.Marshal(body)
	if err != nil {
		h.t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, h.api(path), bytes.NewReader(b))
	if err != nil {
		h.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := h.client.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, out, resp.Header
}

// A client with a delivered, a refused and an overridden share: the access
// report over the real gateway lists each as the ledger does, validates
// against its schema, is printable in Dutch, is scoped to the employee's
// municipality and is itself in the ledger.
func TestEndToEndAccessReport(t *testing.T) {
	h := start(t)
	const (
		delivered = "a1111111-2222-4333-8444-555555555555"
		refused   = "a2222222-2222-4333-8444-555555555555"
		overrode  = "a3333333-2222-4333-8444-555555555555"
	)
	if code, out := h.postConsent(recordConsent("a0000000-2222-4333-8444-555555555555", "c-access")); code != 200 {
		t.Fatalf("record consent: %d %v", code, out)
	}
	h.send(consentRequest(t, delivered, "c-access"))
	h.waitState(delivered, "delivered")
	h.send(consentRequest(t, refused, "c-none"))
	h.waitState(refused, "refused")
	m, _ := readExample(t, "iwmo-301.json")
	override(m, overrode)
	body, _ := json.Marshal(m)
	h.send(body)
	h.waitState(overrode, "delivered")

	q := map[string]string{"bsn": "999900006", "request_reference": "ZK-2026/7"}
	code, out, hdr := h.staffPost("/v1/rights/access", h.staffToken(identity.RoleEmployee, "0363"), q)
	if code != 200 || hdr.Get("Cache-Control") != "no-store" {
		t.Fatalf("access: %d %s", code, out)
	}
	schema, err := jsoncheck.Compile("urn:sluis:contract:access:1", contract.AccessV1)
	if err != nil {
		t.Fatal(err)
	}
	if ps := schema.Check(out); len(ps) > 0 {
		t.Fatalf("the export does not validate: %v", ps)
	}
	var rep rights.Report
	if err := json.Unmarshal(out, &rep); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, d := range rep.Disclosures {
		ids = append(ids, d.ID)
		es, err := h.gw.Store.EntriesFor(context.Background(), d.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(es) != len(d.Ledger) {
			t.Fatalf("%s: %d events in the report, %d in the ledger", d.ID, len(d.Ledger), len(es))
		}
		for i, e := range es {
			g := d.Ledger[i]
			want := e.Detail
			if want == nil {
				want = map[string]string{}
			}
			if g.Seq != e.Seq || !g.At.Equal(e.At) || g.Event != e.Event || !maps.Equal(g.Detail, want) {
				t.Errorf("%s event %d: report %+v, ledger %+v", d.ID, i, g, e)
			}
		}
	}
	if want := []string{delivered, refused, overrode}; !slices.Equal(ids, want) {
		t.Fatalf("report lists %v, want %v", ids, want)
	}
	if d := rep.Disclosures[0]; d.Message.Status != rights.MessageArchived || !strings.Contains(d.Message.Content, "Signature") ||
		len(d.Categories) == 0 || d.Recipient.AGB != "42420001" {
		t.Fatalf("delivered share: %+v", d)
	}
	if d := rep.Disclosures[1]; d.Refusal == nil || !slices.Contains(d.Refusal.Codes, "CONSENT_MISSING") || d.Message.Status != rights.MessageNotArchived {
		t.Fatalf("refused share: %+v", d)
	}
	if d := rep.Disclosures[2]; d.LegalBasis != "safety_override" || !slices.Contains(d.FollowUps, "inform_client") {
		t.Fatalf("override: %+v", d)
	}

	// The printable document.
	code, out, hdr = h.staffPost("/v1/rights/access/document", h.staffToken(identity.RolePrivacyOfficer, "0363"), q)
	if code != 200 || !strings.HasPrefix(hdr.Get("Content-Type"), "text/html") || !strings.Contains(string(out), "Overzicht van gedeelde gegevens") {
		t.Fatalf("document: %d %s %.200s", code, hdr.Get("Content-Type"), out)
	}

	// Recipients (art. 19).
	code, out, _ = h.staffPost("/v1/rights/recipients", h.staffToken(identity.RoleEmployee, "0363"), q)
	var list rights.RecipientList
	if err := json.Unmarshal(out, &list); code != 200 || err != nil || len(list.Recipients) != 1 ||
		!slices.Equal(list.Recipients[0].Disclosures, []string{delivered, overrode}) {
		t.Fatalf("recipients: %d %s", code, out)
	}

	// Scoping and refusals.
	cases := []struct {
		name  string
		path  string
		token string
		body  any
		code  int
		check func(b []byte) bool
	}{
		{"an employee of another municipality sees nothing", "/v1/rights/access", h.staffToken(identity.RoleEmployee, "0599"), q, 200,
			func(b []byte) bool { return strings.Contains(string(b), `"disclosures":[]`) }},
		{"no token", "/v1/rights/access", "", q, 401, nil},
		{"an operator may not ask", "/v1/rights/access", h.staffToken(identity.RoleOperator, "0363"), q, 403, nil},
		{"a bad BSN is refused by field", "/v1/rights/access", h.staffToken(identity.RoleEmployee, "0363"),
			map[string]string{"bsn": "123456789", "request_reference": "ZK-1"}, 400,
			func(b []byte) bool {
				return strings.Contains(string(b), `"field":"bsn"`) && !strings.Contains(string(b), "123456789")
			}},
		{"an unknown field is refused", "/v1/rights/recipients", h.staffToken(identity.RoleEmployee, "0363"),
			map[string]string{"bsn": "999900006", "request_reference": "ZK-1", "name": "x"}, 400, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, b, _ := h.staffPost(tc.path, tc.token, tc.body)
			if code != tc.code || (tc.check != nil && !tc.check(b)) {
				t.Fatalf("%d %s, want %d", code, b, tc.code)
			}
		})
	}

	// Every answer is in the ledger: two access answers of 0363 (JSON and
	// document), one of 0599, one recipients answer.
	access := h.ledgerEvents(rights.EventAccess)
	if len(access) != 3 || access[0].Detail["disclosures"] != "3" || access[0].Detail["messages"] != "2" || access[2].Detail["municipality"] != "0599" {
		t.Fatalf("access answers in the ledger: %+v", access)
	}
	if got := h.ledgerEvents(rights.EventRecipients); len(got) != 1 {
		t.Fatalf("recipients answers in the ledger: %+v", got)
	}
	assertNoPersonalData(t, h.logs.String())
}

// An objection (art. 21) recorded over the consent API refuses a
// consent-based share with OBJECTED; a legal obligation overrides it; once
// lifted, consent shares go again.
func TestEndToEndObjection(t *testing.T) {
	h := start(t)
	if code, out := h.postConsent(recordConsent("b0000000-2222-4333-8444-555555555555", "c-obj")); code != 200 {
		t.Fatalf("record consent: %d %v", code, out)
	}
	if code, out := h.postConsent(consentCommand("b0000001-2222-4333-8444-555555555555", "record_objection", nil)); code != 200 {
		t.Fatalf("record objection: %d %v", code, out)
	}
	h.send(consentRequest(t, "b1111111-2222-4333-8444-555555555555", "c-obj"))
	ev := h.waitState("b1111111-2222-4333-8444-555555555555", "refused")
	if !slices.Contains(ev.ReasonCodes, "OBJECTED") || strings.Contains(ev.Reason, "999900006") {
		t.Fatalf("refusal under an objection: %+v", ev)
	}
	_, legal := readExample(t, "iwmo-301.json") // legal obligation
	var m map[string]any
	_ = json.Unmarshal(legal, &m)
	m["id"] = "b2222222-2222-4333-8444-555555555555"
	body, _ := json.Marshal(m)
	h.send(body)
	h.waitState("b2222222-2222-4333-8444-555555555555", "delivered")

	if code, out := h.postConsent(consentCommand("b0000002-2222-4333-8444-555555555555", "lift_objection", nil)); code != 200 {
		t.Fatalf("lift objection: %d %v", code, out)
	}
	h.send(consentRequest(t, "b3333333-2222-4333-8444-555555555555", "c-obj"))
	h.waitState("b3333333-2222-4333-8444-555555555555", "delivered")
	if n := len(h.ledgerEvents("objection:recorded")); n != 1 {
		t.Fatalf("%d objection:recorded entries", n)
	}
	if n := len(h.ledgerEvents("objection:lifted")); n != 1 {
		t.Fatalf("%d objection:lifted entries", n)
	}
	assertNoPersonalData(t, h.logs.String())
}

// staffTokenAs issues a development login token for staff member id.
func (h *harness) staffTokenAs(id string, role identity.Role, municipality string) string {
	h.t.Helper()
	tok, err := h.gw.Identity.DevLogin.Issue(identity.Staff{ID: id, Municipality: municipality, Roles: []identity.Role{role}}, time.Hour)
	if err != nil {
		h.t.Fatal(err)
	}
	return tok
}

// staffGet asks path with a bearer token.
func (h *harness) staffGet(path, token string) (int, []byte) {
	h.t.Helper()
	req, err := http.NewRequest(http.MethodGet, h.api(path), nil)
	if err != nil {
		h.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := h.client.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// Break-glass, human review and an override's follow-ups over the real
// gateway: only a coordinator of the municipality lists and judges, the
// sending employee reads without breaking the glass, a human review's
// outcome reaches the sender as a status event, every step is in the
// ledger.
func TestEndToEndCasework(t *testing.T) {
	h := start(t)
	const (
		overrode = "c1111111-2222-4333-8444-555555555555"
		refused  = "c2222222-2222-4333-8444-555555555555"
	)
	m, _ := readExample(t, "iwmo-301.json")
	override(m, overrode)
	body, _ := json.Marshal(m)
	h.send(body)
	h.waitState(overrode, "delivered")
	h.send(consentRequest(t, refused, "c-none"))
	h.waitState(refused, "refused")

	employee := h.staffTokenAs("e-0b11", identity.RoleEmployee, "0363")
	sender := h.staffTokenAs("e-7f3a", identity.RoleEmployee, "0363") // the request's sender.employee
	coordinator := h.staffTokenAs("c-1", identity.RoleCoordinator, "0363")
	other := h.staffTokenAs("c-9", identity.RoleCoordinator, "0599")

	// Break-glass.
	steps := []struct {
		name  string
		token string
		body  map[string]string
		code  int
		glass bool
	}{
		{"a colleague without a reason is refused", employee, map[string]string{"disclosure_id": overrode}, 400, false},
		{"a colleague with a reason breaks the glass", employee, map[string]string{"disclosure_id": overrode, "reason": "colleague_absent", "reference": "ZK-9"}, 200, true},
		{"the sending employee reads their own", sender, map[string]string{"disclosure_id": overrode}, 200, false},
		{"another municipality's coordinator finds nothing", other, map[string]string{"disclosure_id": overrode, "reason": "audit"}, 404, false},
		{"nothing archived of a refused share", employee, map[string]string{"disclosure_id": refused, "reason": "audit"}, 404, false},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			code, b, _ := h.staffPost("/v1/archive/read", st.token, st.body)
			if code != st.code {
				t.Fatalf("%d %s, want %d", code, b, st.code)
			}
			if code == 400 && !strings.Contains(string(b), `"field":"reason"`) {
				t.Fatalf("refusal %s", b)
			}
			if code == 200 {
				var out map[string]any
				_ = json.Unmarshal(b, &out)
				if !strings.Contains(out["content"].(string), "Signature") || (out["break_glass"] != nil) != st.glass {
					t.Fatalf("read %.300s", b)
				}
			}
		})
	}
	code, b := h.staffGet("/v1/review-items?kind=break_glass", coordinator)
	var items []httpapi.ItemView
	if err := json.Unmarshal(b, &items); code != 200 || err != nil || len(items) != 1 || items[0].Reason != "colleague_absent" {
		t.Fatalf("break-glass list: %d %s", code, b)
	}
	if code, b := h.staffGet("/v1/review-items", employee); code != 403 {
		t.Fatalf("an employee lists: %d %s", code, b)
	}
	if code, b := h.staffGet("/v1/review-items", other); code != 200 || string(bytes.TrimSpace(b)) != "[]" {
		t.Fatalf("0599's coordinator lists: %d %s", code, b)
	}
	judgement := "/v1/review-items/" + items[0].ID + "/judgement"
	if code, b, _ := h.staffPost(judgement, employee, map[string]string{"outcome": "justified"}); code != 403 {
		t.Fatalf("an employee judges: %d %s", code, b)
	}
	if code, b, _ := h.staffPost(judgement, coordinator, map[string]string{"outcome": "justified", "reference": "ZK-10"}); code != 200 {
		t.Fatalf("judge: %d %s", code, b)
	}
	if code, b, _ := h.staffPost(judgement, coordinator, map[string]string{"outcome": "unjustified"}); code != 409 {
		t.Fatalf("judge again: %d %s", code, b)
	}

	// Human review of the refusal: the outcome is a status event to the sender.
	code, b, _ = h.staffPost("/v1/human-reviews", employee, map[string]string{"disclosure_id": refused, "request_reference": "ZK-11"})
	var review httpapi.ItemView
	if err := json.Unmarshal(b, &review); code != 201 || err != nil || review.ID != "human_review:"+refused {
		t.Fatalf("human review: %d %s", code, b)
	}
	if code, b, _ := h.staffPost("/v1/review-items/"+review.ID+"/judgement", coordinator, map[string]string{"outcome": "upheld"}); code != 200 {
		t.Fatalf("judge the review: %d %s", code, b)
	}
	if ev := h.waitState(refused, "review_upheld"); ev.Municipality != "0363" || ev.System != "regsys-demo" {
		t.Fatalf("status event %+v", ev)
	}

	// The override's follow-ups appear (the tracker scans every 5 s).
	deadline := time.Now().Add(30 * time.Second)
	for {
		code, b = h.staffGet("/v1/review-items?kind=inform_client", coordinator)
		items = nil
		_ = json.Unmarshal(b, &items)
		if len(items) == 1 || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if code != 200 || len(items) != 1 || items[0].DisclosureID != overrode || items[0].Due == nil || items[0].Overdue {
		t.Fatalf("inform_client items: %d %s", code, b)
	}
	if code, b, _ := h.staffPost("/v1/follow-ups/inform-client", sender, map[string]string{"disclosure_id": overrode, "outcome": "informed"}); code != 200 {
		t.Fatalf("informed: %d %s", code, b)
	}
	if code, b := h.staffGet("/v1/review-items?kind=coordinator_review", coordinator); code != 200 || !strings.Contains(string(b), overrode) {
		t.Fatalf("coordinator review items: %d %s", code, b)
	}
	if v := h.gauge("sluis_review_items_overdue", "kind", "inform_client"); v != 0 {
		t.Fatalf("overdue inform_client: %v", v)
	}

	for _, ev := range []string{"break_glass:opened", "break_glass:closed", "archive:read", "human_review:opened",
		"human_review:closed", "inform_client:opened", "inform_client:closed", "coordinator_review:opened", "review_items:read"} {
		if len(h.ledgerEvents(ev)) == 0 {
			t.Errorf("no %s in the ledger", ev)
		}
	}
	assertNoPersonalData(t, h.logs.String())
}

// gauge reads gauge name{label=value} from the gateway's registry (-1 when
// absent).
func (h *harness) gauge(name, label, value string) float64 {
	h.t.Helper()
	mfs, err := h.gw.Registry.Gather()
	if err != nil {
		h.t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			if hasLabel(m, label, value) {
				return m.GetGauge().GetValue()
			}
		}
	}
	return -1
}
