package http_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/sluis-gateway/sluis/internal/disclosure"
)

func example301(t *testing.T) map[string]any {
	t.Helper()
	b, err := os.ReadFile("../../docs/contract/examples/iwmo-301.json")
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// contractMaximum fills the example to the contract's maximum in full
// detail: 50 products, 20 relations, 4 contacts.
func contractMaximum(m map[string]any) {
	name := func() map[string]any {
		return map[string]any{"surname": "Jansen", "surname_prefix": "van", "partner_surname": "Bakker",
			"partner_surname_prefix": "de", "given_names": "Anna", "initials": "AJ", "name_usage": "2"}
	}
	contact := func() map[string]any {
		return map[string]any{"kind": "04",
			"address": map[string]any{"house_number": 1, "house_letter": "A", "house_number_addition": "bis",
				"residence_indication": "BY", "postcode": "1234AB", "street": "Kerklaan", "city": "Amsterdam", "country": "NL"},
			"organisation": "Zorg BV", "email": "a@example.org",
			"phones": []any{map[string]any{"number": "0201234567", "country_code": "0031"}, map[string]any{"number": "0612345678", "country_code": "0031"}},
			"period": map[string]any{"start": "2026-01-01", "end": "2026-12-31"}}
	}
	c := m["client"].(map[string]any)
	c["name"] = name()
	var rels, contacts, products []any
	for i := 0; i < 20; i++ {
		rels = append(rels, map[string]any{"number": fmt.Sprint(i), "order": i, "kind": "03", "birth_date": "1970-01-01",
			"gender": "2", "name": name(), "contact": contact(), "informed_and_agreed": true})
	}
	for i := 0; i < 4; i++ {
		contacts = append(contacts, contact())
	}
	for i := 0; i < 50; i++ {
		products = append(products, map[string]any{"number": 100 + i, "provider_reference": "ref",
			"product": map[string]any{"category": "01", "code": "01A01"}, "assigned_on": "2026-11-20",
			// TR302: one product code, so periods that do not overlap.
			"assigned_at": "12:34:56", "start": fmt.Sprintf("%04d-01-01", 2027+i), "end": fmt.Sprintf("%04d-12-31", 2027+i), "change_reason": "02",
			"volume": map[string]any{"amount": 10, "unit": "01", "frequency": "2"}, "comment": "toelichting"})
	}
	c["relations"], c["contacts"] = rels, contacts
	m["assignment"] = map[string]any{"products": products}
}

// What the official XSD or the signature would refuse later is answered
// 400 at once, naming the path and the rule.
func TestPostRefusesAtIntake(t *testing.T) {
	dec, err := disclosure.NewDecoder()
	if err != nil {
		t.Fatal(err)
	}
	h := asDemo(t, dec)
	products := func(m map[string]any) map[string]any {
		return m["assignment"].(map[string]any)["products"].([]any)[0].(map[string]any)
	}
	address := func(m map[string]any) map[string]any {
		return m["client"].(map[string]any)["contacts"].([]any)[0].(map[string]any)["address"].(map[string]any)
	}
	name := func(m map[string]any) map[string]any {
		return m["client"].(map[string]any)["name"].(map[string]any)
	}
	cases := []struct {
		name     string
		mutate   func(m map[string]any)
		raw      [2]string // replace raw[0] in the JSON text by raw[1]
		wantCode int
		wantPath string
		wantRule string
	}{
		{name: "the example", wantCode: http.StatusAccepted},
		{name: "RedenWijziging 00", mutate: func(m map[string]any) { products(m)["change_reason"] = "00" }, wantCode: 400, wantPath: "/assignment/products/0/change_reason", wantRule: "schema:enum"},
		{name: "category 99", mutate: func(m map[string]any) { products(m)["product"].(map[string]any)["category"] = "99" }, wantCode: 400, wantPath: "/assignment/products/0/product/category", wantRule: "schema:enum"},
		{name: "LandCode ZZ", mutate: func(m map[string]any) { address(m)["country"] = "ZZ" }, wantCode: 400, wantPath: "/client/contacts/0/address/country", wantRule: "schema:enum"},
		{name: "SoortRelatie 01", mutate: func(m map[string]any) {
			m["client"].(map[string]any)["relations"] = []any{map[string]any{"number": "1", "kind": "01", "informed_and_agreed": true,
				"name": map[string]any{"surname": "Wit", "name_usage": "1"}, "contact": map[string]any{"kind": "02", "email": "r@example.org"}}}
		}, wantCode: 400, wantPath: "/client/relations/0/kind", wantRule: "schema:enum"},
		{name: "newline in the surname", mutate: func(m map[string]any) { name(m)["surname"] = "Wit\nte" }, wantCode: 400, wantPath: "/client/name/surname", wantRule: "schema:pattern"},
		{name: "street of 25 characters", mutate: func(m map[string]any) { address(m)["street"] = strings.Repeat("s", 25) }, wantCode: 400, wantPath: "/client/contacts/0/address/street", wantRule: "schema:maxLength"},
		{name: "NUL in the surname", raw: [2]string{`"Wit"`, `"W\u0000it"`}, wantCode: 400, wantPath: "/client/name/surname", wantRule: disclosure.RuleControl},
		{name: "BEL in the street", raw: [2]string{`"Kerklaan"`, `"Kerk\u0007laan"`}, wantCode: 400, wantPath: "/client/contacts/0/address/street", wantRule: disclosure.RuleControl},
		{name: "lone surrogate in the city", raw: [2]string{`"Amsterdam"`, `"Amster\udc00dam"`}, wantCode: 400, wantPath: "/client/contacts/0/address/city", wantRule: disclosure.RuleSurrogate},
		{name: "Latin-1 byte in the street", raw: [2]string{`"Kerklaan"`, "\"Kerkl\xe4an\""}, wantCode: 400, wantPath: "/client/contacts/0/address/street", wantRule: disclosure.RuleUTF8},
		{name: "TR134 assigned after the day of intake", mutate: func(m map[string]any) { products(m)["assigned_on"] = "2999-01-01" }, wantCode: 400, wantPath: "/assignment/products/0/assigned_on", wantRule: "TR134"},
		{name: "TR378 a sender municipality not in the CBS list", mutate: func(m map[string]any) { m["sender"].(map[string]any)["municipality"] = "9999" }, wantCode: 400, wantPath: "/sender/municipality", wantRule: "TR378"},
		{name: "contract maximum in full detail", mutate: contractMaximum, wantCode: 400, wantPath: "", wantRule: disclosure.RuleElements},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := example301(t)
			if tc.mutate != nil {
				tc.mutate(m)
			}
			body, err := json.Marshal(m)
			if err != nil {
				t.Fatal(err)
			}
			if tc.raw[0] != "" {
				if !bytes.Contains(body, []byte(tc.raw[0])) {
					t.Fatalf("%s not in the body", tc.raw[0])
				}
				body = bytes.Replace(body, []byte(tc.raw[0]), []byte(tc.raw[1]), 1)
			}
			rr := httptest.NewRecorder()
			h.ServeHTTP(rr, jsonPost(body))
			if rr.Code != tc.wantCode {
				t.Fatalf("POST: %d, want %d: %s", rr.Code, tc.wantCode, rr.Body)
			}
			if tc.wantRule == "" {
				return
			}
			checkProblem(t, rr.Result(), rr.Body.Bytes())
			var resp struct {
				Problems []disclosure.Problem `json:"problems"`
			}
			if err := json.Unmarshal(rr.Body.Bytes(), &resp); err != nil {
				t.Fatal(err)
			}
			if len(resp.Problems) != 1 || resp.Problems[0].Path != tc.wantPath || resp.Problems[0].Rule != tc.wantRule {
				t.Fatalf("problems %v, want one %s at %q", resp.Problems, tc.wantRule, tc.wantPath)
			}
			if tc.wantRule == disclosure.RuleElements && !strings.Contains(resp.Problems[0].Message, "950") {
				t.Errorf("the problem does not name the limit: %s", resp.Problems[0].Message)
			}
		})
	}
}
