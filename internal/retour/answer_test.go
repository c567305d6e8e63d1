package retour_test

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/sluis-gateway/sluis/internal/receipts"
	"github.com/sluis-gateway/sluis/internal/retour"
	"github.com/sluis-gateway/sluis/internal/testenv"
	"github.com/sluis-gateway/sluis/messages"
	"github.com/sluis-gateway/sluis/xsd"
)

func example(t *testing.T, std, name string) messages.Message {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(testenv.Reference(t), std, "3.2", "examples", name))
	if err != nil {
		t.Fatal(err)
	}
	m, err := messages.Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestAnswer builds retours on the official examples, validates them
// against the official XSD and reads them back.
func TestAnswer(t *testing.T) {
	val, err := xsd.NewValidator()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(val.Close)
	today := messages.NewDate(2026, 11, 23)
	tests := []struct {
		name     string
		std, ex  string
		verdict  retour.Verdict
		wantType string
		outcome  messages.Outcome
		state    receipts.State
		codes    []string
	}{
		{"WMO301 accepted", "iwmo", "WMO301.xml", retour.Verdict{}, "WMO302", messages.Accepted, receipts.Accepted, nil},
		{"WMO301 rejected 9332", "iwmo", "WMO301.xml", retour.Verdict{Reject: true, Code: "9332"}, "WMO302",
			messages.Rejected, receipts.Rejected, []string{"9332"}},
		{"JW301 rejected 8001", "ijw", "JW301.xml", retour.Verdict{Reject: true, Code: "8001"}, "JW302",
			messages.Rejected, receipts.Rejected, []string{"8001"}},
		{"JW319 accepted", "ijw", "JW319.xml", retour.Verdict{}, "JW320", messages.Accepted, receipts.Accepted, nil},
		{"WMO319 rejected 9365", "iwmo", "WMO319.xml", retour.Verdict{Reject: true, Code: "9365"}, "WMO320",
			messages.Rejected, receipts.Rejected, []string{"9365"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			heen := example(t, tc.std, tc.ex)
			tc.verdict.IdentificatieRetour = "R-1"
			tc.verdict.Today = today
			m, err := retour.Answer(heen, tc.verdict)
			if err != nil {
				t.Fatal(err)
			}
			doc, err := messages.Build(m, messages.BuildOptions{Today: today})
			if err != nil {
				t.Fatalf("Build: %v", err)
			}
			if err := val.Validate(doc); err != nil {
				t.Fatalf("XSD: %v", err)
			}
			parsed, err := messages.Parse(doc)
			if err != nil {
				t.Fatal(err)
			}
			if got := messages.MessageType(parsed.Standard(), parsed.Kind()); got != tc.wantType {
				t.Fatalf("type %s, want %s", got, tc.wantType)
			}
			h, hh := parsed.Head(), heen.Head()
			if h.Afzender != hh.Afzender || h.Ontvanger != hh.Ontvanger || h.BerichtIdentificatie != hh.BerichtIdentificatie {
				t.Fatal("retour header is not the heenbericht's (IV028)")
			}
			res, err := messages.ReadRetour(parsed)
			if err != nil {
				t.Fatal(err)
			}
			if res.Outcome != tc.outcome || res.IdentificatieRetour != "R-1" {
				t.Fatalf("outcome %s identificatie retour %q", res.Outcome, res.IdentificatieRetour)
			}
			c := retour.Change(res, time.Now())
			if c.To != tc.state || !slices.Equal(c.RetourCodes, tc.codes) {
				t.Fatalf("change to %s codes %v, want %s %v", c.To, c.RetourCodes, tc.state, tc.codes)
			}
			for _, code := range tc.codes {
				if c.Detail["retour_code_"+code] == "" {
					t.Errorf("no meaning for %s in the ledger detail", code)
				}
			}
		})
	}
}

func TestAnswerRefuses(t *testing.T) {
	w := example(t, "iwmo", "WMO301.xml")
	if _, err := retour.Answer(w, retour.Verdict{Reject: true, Code: "0200"}); err == nil {
		t.Error("rejection with 0200 accepted")
	}
	if _, err := retour.Answer(example(t, "iwmo", "WMO305.xml"), retour.Verdict{}); !errors.Is(err, retour.ErrCannotAnswer) {
		t.Errorf("answering a 305: %v", err)
	}
	if _, err := retour.Answer(nil, retour.Verdict{}); !errors.Is(err, retour.ErrCannotAnswer) {
		t.Errorf("answering nil: %v", err)
	}
}
