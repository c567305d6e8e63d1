package app_test

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/sluis-gateway/sluis/internal/actor"
	"github.com/sluis-gateway/sluis/internal/identity"
	"github.com/sluis-gateway/sluis/internal/ledger"
	"github.com/sluis-gateway/sluis/internal/retention"
)

// Issue 17's acceptance through the real gateway (RabbitMQ, SQLite): an
// iWmo share of one client and an iJw share of another, delivered and
// archived; erasure within the retention duty is refused with its reason;
// the retention job's clock moved 15 and 21 years destroys each at its
// term (receipts gone, archived messages unreadable), touches nothing of
// the other client before its own term, and the ledger verifies end to end.
func TestEndToEndRetention(t *testing.T) {
	h := start(t)
	wmo, wmoBody := readExample(t, "iwmo-301.json") // client 999900006
	ijw, ijwBody := readExample(t, "ijw-301.json")  // client 999900018
	wmoID, ijwID := wmo["id"].(string), ijw["id"].(string)
	h.send(wmoBody)
	h.waitState(wmoID, "delivered")
	h.send(ijwBody)
	h.waitState(ijwID, "delivered")

	employee := h.staffTokenAs("e-7f3a", identity.RoleEmployee, "0363") // the sending employee
	readArchived := func(id string) int {
		t.Helper()
		code, _, _ := h.staffPost("/v1/archive/read", employee, map[string]string{"disclosure_id": id})
		return code
	}
	receipt := func(id string) int {
		t.Helper()
		resp, err := h.client.Get(h.api("/v1/disclosures/" + id))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}

	t.Run("erasure within the retention duty is refused with its reason", func(t *testing.T) {
		q := map[string]string{"bsn": "999900006", "request_reference": "ZK-2026/17"}
		if code, _, _ := h.staffPost("/v1/rights/erasure", h.staffToken(identity.RoleOperator, "0363"), q); code != http.StatusForbidden {
			t.Fatalf("an operator: %d, want 403", code)
		}
		code, out, hdr := h.staffPost("/v1/rights/erasure", h.staffToken(identity.RolePrivacyOfficer, "0363"), q)
		if code != http.StatusOK || hdr.Get("Cache-Control") != "no-store" {
			t.Fatalf("erasure: %d %s", code, out)
		}
		var er retention.Erasure
		if err := json.Unmarshal(out, &er); err != nil {
			t.Fatal(err)
		}
		if er.Outcome != retention.OutcomeRefused || er.Municipality != "0363" || er.RequestReference != "ZK-2026/17" ||
			!slices.Contains(er.Kept, retention.KeptCount{Kind: retention.KindDisclosure, Reason: retention.ReasonRetentionTerm, Count: 1}) ||
			!slices.Contains(er.Kept, retention.KeptCount{Kind: retention.KindArchived, Reason: retention.ReasonRetentionTerm, Count: 1}) {
			t.Fatalf("erasure answer %+v", er)
		}
		if readArchived(wmoID) != http.StatusOK || receipt(wmoID) != http.StatusOK {
			t.Fatal("a refused erasure destroyed something")
		}
		found := false
		for _, e := range ledgerEntries(t, h) {
			if e.Event == ledger.EventRightsErasure && e.Detail["outcome"] == "refused" && e.Detail["request_reference"] == "ZK-2026/17" {
				found = true
			}
		}
		if !found {
			t.Fatal("no rights:erasure entry with the outcome")
		}
		if h.counter("sluis_erasure_requests_total", "outcome", "refused") != 1 {
			t.Fatal("the erasure is not counted")
		}
	})

	ctx := actor.With(context.Background(), actor.System)
	now := time.Now().UTC()
	pass := func(years, days int) retention.PassResult {
		t.Helper()
		res, err := h.gw.Retention.Pass(ctx, now.AddDate(years, 0, days))
		if err != nil {
			t.Fatalf("pass %d years on: %v", years, err)
		}
		return res
	}
	if res := pass(14, 0); res.Clients != 0 {
		t.Fatalf("14 years: %+v, want nothing destroyed", res)
	}
	if res := pass(15, 1); res.Clients != 1 {
		t.Fatalf("15 years: %+v, want the iWmo client", res)
	}
	if receipt(wmoID) != http.StatusNotFound || readArchived(wmoID) != http.StatusNotFound {
		t.Fatal("15 years: the iWmo disclosure or its message is still there")
	}
	if receipt(ijwID) != http.StatusOK || readArchived(ijwID) != http.StatusOK {
		t.Fatal("15 years: the other client's iJw disclosure was touched")
	}
	if res := pass(21, 0); res.Clients != 1 {
		t.Fatalf("21 years: %+v, want the iJw client", res)
	}
	if receipt(ijwID) != http.StatusNotFound || readArchived(ijwID) != http.StatusNotFound {
		t.Fatal("21 years: the iJw disclosure or its message is still there")
	}
	for _, c := range []struct{ kind, standard string }{{"disclosure", "iWmo"}, {"disclosure", "iJw"},
		{"archived_message", "iWmo"}, {"archived_message", "iJw"}} {
		if n := destroyedCount(t, h, c.kind, c.standard); n != 1 {
			t.Errorf("sluis_retention_destroyed_total{kind=%s,standard=%s,cause=term} = %v, want 1", c.kind, c.standard, n)
		}
	}
	if _, err := ledger.VerifyReader(ctx, h.gw.Store, ledger.Start, 500); err != nil {
		t.Fatalf("the ledger after the destructions: %v", err)
	}
	for _, e := range ledgerEntries(t, h) {
		if e.DisclosureID == wmoID || e.DisclosureID == ijwID {
			t.Errorf("entry %d (%s) still names a destroyed disclosure", e.Seq, e.Event)
		}
	}
}

func ledgerEntries(t *testing.T, h *harness) []ledger.Entry {
	t.Helper()
	var all []ledger.Entry
	for from := int64(1); ; {
		page, err := h.gw.Store.Entries(context.Background(), from, 500)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, page...)
		if len(page) < 500 {
			return all
		}
		from = page[len(page)-1].Seq + 1
	}
}

func destroyedCount(t *testing.T, h *harness, kind, standard string) float64 {
	t.Helper()
	mfs, err := h.gw.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "sluis_retention_destroyed_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			if hasLabel(m, "kind", kind) && hasLabel(m, "standard", standard) && hasLabel(m, "cause", retention.CauseTerm) {
				return m.GetCounter().GetValue()
			}
		}
	}
	return 0
}
