package app_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/sluis-gateway/sluis/internal/signing"
)

func TestEndToEndMinimisation(t *testing.T) {
	h := start(t)
	build := func(id, purpose string, mutate func(client map[string]any)) []byte {
		m, _ := readExample(t, "iwmo-301.json")
		m["id"] = id
		m["purpose"] = purpose
		mutate(m["client"].(map[string]any))
		b, _ := json.Marshal(m)
		return b
	}

	// Over-sharing that cannot be stripped is refused, by path and code, and
	// nothing reaches the provider.
	h.send(build("c0000001-2222-4333-8444-555555555555", "care_assignment", func(c map[string]any) {
		c["comment"] = "Graag bellen via 0612345678 voor een afspraak"
	}))
	ev := h.waitState("c0000001-2222-4333-8444-555555555555", "refused")
	if !strings.Contains(strings.Join(ev.ReasonCodes, ","), "FREETEXT_PHONE") || strings.Contains(ev.Reason, "0612345678") {
		t.Fatalf("free-text refusal: %+v", ev)
	}
	h.send(build("c0000002-2222-4333-8444-555555555555", "assignment_minimal", func(c map[string]any) {
		c["relations"] = []any{map[string]any{"number": "1", "kind": "03", "informed_and_agreed": true,
			"name":    map[string]any{"surname": "Galen", "name_usage": "1"},
			"contact": map[string]any{"kind": "01", "phones": []any{map[string]any{"number": "0201234567", "country_code": "0031"}}}}}
	}))
	ev = h.waitState("c0000002-2222-4333-8444-555555555555", "refused")
	if !strings.Contains(strings.Join(ev.ReasonCodes, ","), "FIELD_NEVER_SENT") || strings.Contains(ev.Reason, "Galen") {
		t.Fatalf("never-sent refusal: %+v", ev)
	}
	if n := h.queueLength("42420001"); n != 0 {
		t.Fatalf("a refused disclosure reached the provider: %d", n)
	}

	// What the minimal profile strips is said in the status event, and the
	// provider receives none of it.
	h.send(build("c0000003-2222-4333-8444-555555555555", "assignment_minimal", func(c map[string]any) {
		c["name"].(map[string]any)["given_names"] = "Tom"
		c["legal_status"] = "01"
		contact := c["contacts"].([]any)[0].(map[string]any)
		contact["phones"] = []any{map[string]any{"number": "0201234567", "country_code": "0031"}}
		contact["email"] = "tom@example.org"
	}))
	allowed := h.waitState("c0000003-2222-4333-8444-555555555555", "allowed")
	stripped := strings.Join(allowed.Stripped, ",")
	for _, p := range []string{"/client/name/given_names", "/client/legal_status", "/client/contacts/0/phones", "/client/contacts/0/email"} {
		if !strings.Contains(stripped, p) {
			t.Errorf("status event does not say %s was stripped: %v", p, allowed.Stripped)
		}
	}
	if allowed.Profile == "" {
		t.Errorf("status event does not name the profile")
	}
	h.waitState("c0000003-2222-4333-8444-555555555555", "delivered")
	d := h.take("42420001")
	v, err := signing.LoadVerifier(h.cfg.SigningCert)
	if err != nil {
		t.Fatal(err)
	}
	opened, err := v.Open(d.Body)
	if err != nil {
		t.Fatal(err)
	}
	for _, el := range []string{"Voornamen", "JuridischeStatus", "Telefoon", "Emailadres", "Relaties", "Commentaar"} {
		if strings.Contains(string(opened.Bericht), el) {
			t.Errorf("the provider received %s, which the profile strips or never sends", el)
		}
	}
	for _, secret := range []string{"Tom", "0201234567", "tom@example.org"} {
		if strings.Contains(string(opened.Bericht), secret) {
			t.Errorf("the provider received stripped data")
		}
	}
	assertNoPersonalData(t, h.logs.String())
}
