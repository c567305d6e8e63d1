package http_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/sluis-gateway/sluis/internal/disclosure"
	"github.com/sluis-gateway/sluis/internal/identity"
	"github.com/sluis-gateway/sluis/internal/retention"
	"github.com/sluis-gateway/sluis/internal/rights"
)

// tokens maps bearer tokens to staff (a fake of our TokenVerifier port;
// the end-to-end tests verify real development-login tokens).
type tokens map[string]identity.Staff

func (ts tokens) Verify(_ context.Context, raw string) (identity.Staff, error) {
	s, ok := ts[raw]
	if !ok {
		return identity.Staff{}, identity.ErrBadToken
	}
	return s, nil
}

// answers is a rights service that answers empty reports and records the
// asker (a fake of our Rights port).
type answers struct{ asked []rights.Asker }

func (a *answers) Access(_ context.Context, who rights.Asker, q rights.Question) (rights.Report, error) {
	if err := q.Check(); err != nil {
		return rights.Report{}, err
	}
	a.asked = append(a.asked, who)
	return rights.Report{Version: 1, Municipality: who.Municipality, Disclosures: []rights.Disclosure{}}, nil
}

func (a *answers) Erase(_ context.Context, who rights.Asker, q rights.Question) (retention.Erasure, error) {
	if err := q.Check(); err != nil {
		return retention.Erasure{}, err
	}
	a.asked = append(a.asked, who)
	return retention.Erasure{Version: 1, Municipality: who.Municipality, Outcome: retention.OutcomeRefused,
		Kept: []retention.KeptCount{{Kind: retention.KindDisclosure, Reason: retention.ReasonRetentionTerm, Count: 1}}}, nil
}

func (a *answers) Recipients(context.Context, rights.Asker, rights.Question) (rights.RecipientList, error) {
	return rights.RecipientList{}, errors.New("store away")
}

// The staff routes refuse what they must before asking the domain.
func TestStaffRouteRefusals(t *testing.T) {
	dec, err := disclosure.NewDecoder()
	if err != nil {
		t.Fatal(err)
	}
	s, _ := demoServer(t, dec)
	a := &answers{}
	staff := tokens{
		"emp":      {ID: "e-1", Municipality: "0363", Roles: []identity.Role{identity.RoleEmployee}},
		"po":       {ID: "p-1", Municipality: "0363", Roles: []identity.Role{identity.RolePrivacyOfficer}},
		"op":       {ID: "o-1", Roles: []identity.Role{identity.RoleOperator}},
		"homeless": {ID: "e-2", Roles: []identity.Role{identity.RoleEmployee}},
	}
	h := s.WithRights(a, staff).WithErasure(a, staff).Handler()
	good := `{"bsn":"999900006","request_reference":"ZK-1"}`
	cases := []struct {
		name, path, token, contentType, body string
		code                                 int
		contains                             string
	}{
		{"answered", "/v1/rights/access", "emp", "application/json", good, 200, `"municipality":"0363"`},
		{"the document", "/v1/rights/access/document", "emp", "application/json", good, 200, "<!DOCTYPE html>"},
		{"no token", "/v1/rights/access", "", "application/json", good, 401, "no bearer token"},
		{"a token that does not verify", "/v1/rights/access", "forged", "application/json", good, 401, "bearer token not accepted"},
		{"an operator", "/v1/rights/access", "op", "application/json", good, 403, "role not allowed"},
		{"no municipality", "/v1/rights/access", "homeless", "application/json", good, 403, "municipality not allowed"},
		{"not JSON", "/v1/rights/access", "emp", "text/plain", good, 415, "Content-Type"},
		{"too large", "/v1/rights/access", "emp", "application/json", `{"bsn":"` + strings.Repeat("9", 5000) + `"}`, 413, "4 KiB"},
		{"an unknown field", "/v1/rights/access", "emp", "application/json", `{"bsn":"999900006","request_reference":"ZK-1","name":"x"}`, 400, "unknown fields"},
		{"two objects", "/v1/rights/access", "emp", "application/json", good + good, 400, "unknown fields"},
		{"a bad BSN names the field, not the value", "/v1/rights/access", "emp", "application/json", `{"bsn":"123456789","request_reference":"ZK-1"}`, 400, `"field":"bsn"`},
		{"the store away", "/v1/rights/recipients", "emp", "application/json", good, 503, "try again"},
		{"erasure answered", "/v1/rights/erasure", "po", "application/json", good, 200, `"outcome":"refused"`},
		{"erasure by an operator", "/v1/rights/erasure", "op", "application/json", good, 403, "role not allowed"},
		{"erasure with a bad BSN", "/v1/rights/erasure", "emp", "application/json", `{"bsn":"123456789","request_reference":"ZK-1"}`, 400, `"field":"bsn"`},
		{"a BSN in the URL is no staff route", "/v1/rights/access/999900006", "emp", "application/json", good, 404, "no such route"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, tc.path, bytes.NewReader([]byte(tc.body)))
			r.Header.Set("Content-Type", tc.contentType)
			if tc.token != "" {
				r.Header.Set("Authorization", "Bearer "+tc.token)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != tc.code || !strings.Contains(w.Body.String(), tc.contains) {
				t.Fatalf("%d %s, want %d with %q", w.Code, w.Body, tc.code, tc.contains)
			}
			if strings.Contains(w.Body.String(), "123456789") {
				t.Fatal("the answer echoes the BSN")
			}
		})
	}
	if len(a.asked) != 3 || a.asked[0] != (rights.Asker{ID: "e-1", Municipality: "0363"}) ||
		a.asked[2] != (rights.Asker{ID: "p-1", Municipality: "0363"}) {
		t.Fatalf("asked %+v", a.asked)
	}
}
