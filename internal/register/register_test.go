package register_test

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sluis-gateway/sluis/adapters/store/sqlite"
	"github.com/sluis-gateway/sluis/internal/consent"
	"github.com/sluis-gateway/sluis/internal/identity"
	"github.com/sluis-gateway/sluis/internal/register"
)

func service(t *testing.T) (*register.Service, *sqlite.Store) {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	svc, err := register.New(st, func(bsn string) string { return "key-" + bsn })
	if err != nil {
		t.Fatal(err)
	}
	return svc, st
}

func command(mutate func(m map[string]any)) []byte {
	m := map[string]any{
		"version": 1, "id": "55555555-2222-4333-8444-555555555555", "command": "record_consent",
		"sender": map[string]any{"municipality": "0363", "system": "regsys", "employee": "e-1"},
		"client": map[string]any{"bsn": "999900006"}, "at": "2026-11-20T10:00:00Z",
		"consent": map[string]any{"id": "c-1", "given_by": []string{"client"}, "recipient": "42420001",
			"purpose": "care_assignment", "categories": []string{"identification"},
			"scope": map[string]any{"from": "2026-11-20", "until": "2027-11-19"}},
	}
	if mutate != nil {
		mutate(m)
	}
	b, _ := json.Marshal(m)
	return b
}

func TestDecode(t *testing.T) {
	svc, _ := service(t)
	cases := []struct {
		name     string
		body     []byte
		valid    bool
		wantPath string // where the problem is, when one path is expected
	}{
		{"record consent with a period", command(nil), true, ""},
		{"record a single-share consent", command(func(m map[string]any) {
			m["consent"].(map[string]any)["scope"] = map[string]any{"single_share": true}
		}), true, ""},
		{"withdraw", command(func(m map[string]any) {
			m["command"] = "withdraw_consent"
			delete(m, "consent")
			m["consent_id"] = "c-1"
		}), true, ""},
		{"restriction", command(func(m map[string]any) { m["command"] = "record_restriction"; delete(m, "consent") }), true, ""},
		{"objection", command(func(m map[string]any) { m["command"] = "record_objection"; delete(m, "consent") }), true, ""},
		{"lift objection", command(func(m map[string]any) { m["command"] = "lift_objection"; delete(m, "consent") }), true, ""},
		{"objection with a consent", command(func(m map[string]any) { m["command"] = "record_objection" }), false, ""},
		{"a consent without recipient is not a consent for sharing", command(func(m map[string]any) {
			delete(m["consent"].(map[string]any), "recipient")
		}), false, "/consent"},
		{"a consent without purpose", command(func(m map[string]any) { delete(m["consent"].(map[string]any), "purpose") }), false, "/consent"},
		{"unknown category", command(func(m map[string]any) {
			m["consent"].(map[string]any)["categories"] = []string{"shoe_size"}
		}), false, "/consent/categories/0"},
		{"period ends before it starts", command(func(m map[string]any) {
			m["consent"].(map[string]any)["scope"] = map[string]any{"from": "2027-01-01", "until": "2026-01-01"}
		}), false, "/consent/scope"},
		{"BSN fails the 11-proef", command(func(m map[string]any) { m["client"] = map[string]any{"bsn": "123456789"} }), false, "/client/bsn"},
		{"withdraw without a consent id", command(func(m map[string]any) { m["command"] = "withdraw_consent"; delete(m, "consent") }), false, ""},
		{"unknown command", command(func(m map[string]any) { m["command"] = "forget_everything" }), false, "/command"},
		{"not JSON", []byte(`{"version":`), false, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := svc.Decode(tc.body)
			if tc.valid {
				if err != nil {
					t.Fatalf("want valid, got %v", err)
				}
				return
			}
			var inv *register.InvalidError
			if !errors.As(err, &inv) || !errors.Is(err, register.ErrInvalid) {
				t.Fatalf("want *InvalidError, got %v", err)
			}
			if tc.wantPath != "" {
				found := false
				for _, p := range inv.Problems {
					if p.Path == tc.wantPath {
						found = true
					}
				}
				if !found {
					t.Fatalf("no problem at %s: %v", tc.wantPath, inv.Problems)
				}
			}
			if strings.Contains(err.Error(), "123456789") || strings.Contains(err.Error(), "shoe_size") {
				t.Fatalf("error echoes a value: %v", err)
			}
		})
	}
}

// regsys may send for 0363, rotterdam for 0599.
var (
	regsys    = identity.System{ID: "regsys", Municipalities: []string{"0363"}, LegalBases: []string{identity.BasisConsent}}
	rotterdam = identity.System{ID: "regsys-rotterdam", Municipalities: []string{"0599"}, LegalBases: []string{identity.BasisConsent}}
)

func TestApply(t *testing.T) {
	svc, st := service(t)
	ctx := identity.WithSystem(context.Background(), regsys)
	if _, err := svc.Apply(ctx, command(nil)); err != nil {
		t.Fatalf("record: %v", err)
	}
	if _, err := svc.Apply(ctx, command(nil)); err != nil {
		t.Fatalf("the same command again must be harmless: %v", err)
	}
	reg, err := st.ConsentRegister(ctx, consent.RegisterKey("0363", "key-999900006"))
	if err != nil {
		t.Fatal(err)
	}
	if len(reg.Consents) != 1 || reg.Consents[0].Recipient != "42420001" || reg.Consents[0].ValidUntil.IsZero() {
		t.Fatalf("register: %+v", reg)
	}
	_, err = svc.Apply(ctx, command(func(m map[string]any) {
		m["command"] = "withdraw_consent"
		delete(m, "consent")
		m["consent_id"] = "c-unknown"
	}))
	if !errors.Is(err, consent.ErrUnknownConsent) {
		t.Fatalf("withdrawing an unknown consent: %v", err)
	}
	_, err = svc.Apply(ctx, command(func(m map[string]any) {
		m["consent"].(map[string]any)["recipient"] = "65656055"
	}))
	if !errors.Is(err, consent.ErrConflict) {
		t.Fatalf("same consent id, other content: %v", err)
	}
}

// TestApplyScoped: a command is the authenticated system's, for its own
// municipalities only, and works on that municipality's register: another
// municipality's consent id is as unknown as any, and stays intact.
func TestApplyScoped(t *testing.T) {
	svc, st := service(t)
	amsterdam := identity.WithSystem(context.Background(), regsys)
	if _, err := svc.Apply(amsterdam, command(nil)); err != nil {
		t.Fatalf("record: %v", err)
	}
	withdraw := func(id string) []byte {
		return command(func(m map[string]any) {
			m["command"] = "withdraw_consent"
			delete(m, "consent")
			m["consent_id"] = id
			m["sender"] = map[string]any{"municipality": "0599", "system": "regsys-rotterdam", "employee": "e-9"}
		})
	}
	rdam := identity.WithSystem(context.Background(), rotterdam)
	for _, tc := range []struct {
		name string
		ctx  context.Context
		cmd  []byte
		want error
	}{
		{"no authenticated system", context.Background(), command(nil), identity.ErrUnauthenticated},
		{"another municipality's sender", rdam, command(nil), identity.ErrSenderNotAllowed},
		{"another system's name", amsterdam, command(func(m map[string]any) {
			m["sender"] = map[string]any{"municipality": "0363", "system": "regsys-other", "employee": "e-1"}
		}), identity.ErrSenderNotAllowed},
		{"withdrawing another municipality's consent: unknown", rdam, withdraw("c-1"), consent.ErrUnknownConsent},
		{"withdrawing an id nobody has: the same answer", rdam, withdraw("c-nobody"), consent.ErrUnknownConsent},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := svc.Apply(tc.ctx, tc.cmd)
			if !errors.Is(err, tc.want) {
				t.Fatalf("err %v, want %v", err, tc.want)
			}
		})
	}
	reg, err := st.ConsentRegister(amsterdam, consent.RegisterKey("0363", "key-999900006"))
	if err != nil {
		t.Fatal(err)
	}
	if len(reg.Consents) != 1 || reg.Consents[0].WithdrawnAt != nil {
		t.Fatalf("0363's consent after 0599's attempts: %+v", reg.Consents)
	}
	other, err := st.ConsentRegister(rdam, consent.RegisterKey("0599", "key-999900006"))
	if err != nil {
		t.Fatal(err)
	}
	if len(other.Consents) != 0 {
		t.Fatalf("0599's register holds %d consents of 0363", len(other.Consents))
	}
}
