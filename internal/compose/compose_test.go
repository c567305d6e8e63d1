package compose_test

import (
	"bytes"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sluis-gateway/sluis/internal/compose"
	"github.com/sluis-gateway/sluis/internal/disclosure"
	"github.com/sluis-gateway/sluis/internal/receipts"
	"github.com/sluis-gateway/sluis/internal/testenv"
	"github.com/sluis-gateway/sluis/messages"
	"github.com/sluis-gateway/sluis/xsd"
)

// answerRequest is a 319 request as the decoder yields it: no client, no
// assignment.
func answerRequest(std string, a disclosure.Answer) disclosure.Request {
	agb := "42420001"
	if std == "iJw" {
		agb = "65656055"
	}
	return disclosure.Request{
		Version:     1,
		ID:          "3c2b1a09-7e6d-4f5c-8b4a-2d1e0f9a8b03",
		Sender:      disclosure.Sender{Municipality: "0363", System: "regsys-demo", Employee: "e-7f3a"},
		Recipient:   disclosure.Recipient{AGB: agb},
		Standard:    std,
		MessageType: "319",
		Purpose:     "care_assignment",
		LegalBasis:  disclosure.LegalBasis{Kind: disclosure.BasisLegalObligation, DecisionRef: "besluit-2026-0044"},
		Answer:      &a,
	}
}

// record is the receipt record compose takes Identificatie and Dagtekening
// from: registered yesterday evening, Dutch time.
func record() receipts.Record {
	return receipts.Record{Identificatie: "4711", CreatedAt: time.Now().Add(-24 * time.Hour)}
}

func newValidator(t *testing.T) *xsd.Validator {
	t.Helper()
	v, err := xsd.NewValidator()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(v.Close)
	return v
}

// xmllint validates doc against the official reference XSD of the kind
// ("WMO319", "JW319") with libxml2's own command line tool.
func xmllint(t *testing.T, kind string, doc []byte) {
	t.Helper()
	dir := "iwmo"
	if strings.HasPrefix(kind, "JW") {
		dir = "ijw"
	}
	testenv.Xmllint(t, filepath.Join(testenv.Reference(t), dir, "3.2", kind+".xsd"), doc)
}

func TestComposeAntwoordbericht(t *testing.T) {
	v := newValidator(t)
	c := compose.New()
	cases := []struct {
		name   string
		std    string
		answer disclosure.Answer
		kind   string
		want   []string // elements that must be in the XML
		absent []string // elements that must not
	}{
		{
			name: "iWmo rejected: no contract", std: "iWmo", kind: "WMO319",
			answer: disclosure.Answer{ProviderReference: "VOT-2026-0917", Answer: "1", RejectionReason: "3"},
			want:   []string{"<wmo319:Bericht ", "<wmo319:BerichtCode>482<", "<wmo319:ReferentieAanbieder>VOT-2026-0917<", "<wmo319:VerzoekAntwoord>1<", "<wmo319:RedenAfwijzingVerzoek>3<"},
			absent: []string{"Woonplaatsbeginsel", "Client"},
		},
		{
			name: "iWmo in onderzoek", std: "iWmo", kind: "WMO319",
			answer: disclosure.Answer{ProviderReference: "VOW 17", Answer: "2"},
			want:   []string{"<wmo319:VerzoekAntwoord>2<"},
			absent: []string{"RedenAfwijzingVerzoek", "Woonplaatsbeginsel", "Client"},
		},
		{
			name: "iWmo rejected on woonplaatsbeginsel (no municipality in iWmo)", std: "iWmo", kind: "WMO319",
			answer: disclosure.Answer{ProviderReference: "R-8", Answer: "1", RejectionReason: "8"},
			want:   []string{"<wmo319:RedenAfwijzingVerzoek>8<"},
			absent: []string{"Woonplaatsbeginsel"},
		},
		{
			name: "iJw rejected on woonplaatsbeginsel with the municipality", std: "iJw", kind: "JW319",
			answer: disclosure.Answer{ProviderReference: "VOT-2026-9003", Answer: "1", RejectionReason: "8", ResidenceMunicipality: "1916"},
			want:   []string{"<jw319:Bericht ", "<jw319:BerichtCode>488<", "<jw319:RedenAfwijzingVerzoek>8<", "<jw319:Woonplaatsbeginsel>", "<jw319:Gemeente>1916<"},
			absent: []string{"Client"},
		},
		{
			name: "iJw in onderzoek", std: "iJw", kind: "JW319",
			answer: disclosure.Answer{ProviderReference: "VOT-1", Answer: "2"},
			want:   []string{"<jw319:VerzoekAntwoord>2<"},
			absent: []string{"RedenAfwijzingVerzoek", "Woonplaatsbeginsel", "Client"},
		},
		{
			name: "iJw rejected: stapeling", std: "iJw", kind: "JW319",
			answer: disclosure.Answer{ProviderReference: "VOT-2", Answer: "1", RejectionReason: "6"},
			want:   []string{"<jw319:RedenAfwijzingVerzoek>6<"},
			absent: []string{"Woonplaatsbeginsel"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req, rec := answerRequest(tc.std, tc.answer), record()
			doc, err := c.Compose(req, rec)
			if err != nil {
				t.Fatalf("Compose: %v", err)
			}
			if err := v.Validate(doc); err != nil {
				t.Fatalf("xsd.Validator: %v\n%s", err, doc)
			}
			xmllint(t, tc.kind, doc)
			for _, w := range tc.want {
				if !bytes.Contains(doc, []byte(w)) {
					t.Errorf("missing %q in\n%s", w, doc)
				}
			}
			for _, a := range tc.absent {
				if bytes.Contains(doc, []byte(a)) {
					t.Errorf("unexpected %q in\n%s", a, doc)
				}
			}

			// The header is the 301's: sender municipality, provider AGB,
			// Identificatie and Dagtekening from the record.
			m, err := messages.Parse(doc)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			got, ok := m.(*messages.Antwoordbericht)
			if !ok {
				t.Fatalf("parsed as %T", m)
			}
			h := got.Header
			wantDay := messages.DateOf(rec.CreatedAt.In(compose.Amsterdam))
			if h.Afzender != "0363" || h.Ontvanger != req.Recipient.AGB || h.BerichtIdentificatie.Identificatie != "4711" || h.BerichtIdentificatie.Dagtekening != wantDay {
				t.Errorf("header %+v", h)
			}
			if got.Std != messages.Standard(tc.std) || got.Antwoord.ReferentieAanbieder != tc.answer.ProviderReference ||
				string(got.Antwoord.VerzoekAntwoord) != tc.answer.Answer || string(got.Antwoord.RedenAfwijzingVerzoek) != tc.answer.RejectionReason {
				t.Errorf("antwoord %+v", got.Antwoord)
			}
		})
	}
}

// The examples of the contract compose into valid 319s.
func TestComposeAnswerExamples(t *testing.T) {
	dec, err := disclosure.NewDecoder()
	if err != nil {
		t.Fatal(err)
	}
	v := newValidator(t)
	for _, tc := range []struct{ file, kind string }{{"iwmo-319.json", "WMO319"}, {"ijw-319.json", "JW319"}} {
		t.Run(tc.file, func(t *testing.T) {
			req, err := dec.Decode(testenv.ContractExample(t, tc.file))
			if err != nil {
				t.Fatal(err)
			}
			doc, err := compose.New().Compose(req, record())
			if err != nil {
				t.Fatalf("Compose: %v", err)
			}
			if err := v.Validate(doc); err != nil {
				t.Fatalf("xsd.Validator: %v", err)
			}
			xmllint(t, tc.kind, doc)
		})
	}
}

func TestComposeAntwoordberichtRefuses(t *testing.T) {
	c := compose.New()
	ok := disclosure.Answer{ProviderReference: "R1", Answer: "1", RejectionReason: "3"}
	cases := []struct {
		name     string
		mod      func(r *disclosure.Request)
		wantRule string // a messages rule code, or "" for a mapping error
		wantText string
	}{
		{name: "no answer", mod: func(r *disclosure.Request) { r.Answer = nil }, wantText: "/answer"},
		{name: "client data in a 319", mod: func(r *disclosure.Request) { r.Client.BSN = "999900006" }, wantText: "no client"},
		{name: "assignment in a 319", mod: func(r *disclosure.Request) {
			r.Assignment.Products = []disclosure.Product{{Number: 1}}
		}, wantText: "assignment"},
		{name: "residence municipality in an iWmo 319", mod: func(r *disclosure.Request) {
			r.Answer.RejectionReason, r.Answer.ResidenceMunicipality = "8", "1916"
		}, wantText: "/answer/residence_municipality"},
		{name: "unknown standard", mod: func(r *disclosure.Request) { r.Standard = "iWlz" }, wantText: "standard"},
		{name: "rejected without a reason", mod: func(r *disclosure.Request) { r.Answer.RejectionReason = "" }, wantRule: "CD085"},
		{name: "in onderzoek with a reason", mod: func(r *disclosure.Request) { r.Answer.Answer = "2" }, wantRule: "CD086"},
		{name: "iJw woonplaatsbeginsel without the municipality", mod: func(r *disclosure.Request) {
			r.Standard, r.Answer.RejectionReason = "iJw", "8"
		}, wantRule: "IV095"},
		{name: "unknown message type", mod: func(r *disclosure.Request) { r.MessageType = "305" }, wantText: "305 cannot be composed"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := ok
			req := answerRequest("iWmo", a)
			tc.mod(&req)
			doc, err := c.Compose(req, record())
			if err == nil {
				t.Fatalf("composed:\n%s", doc)
			}
			if tc.wantRule != "" {
				if !errors.Is(err, messages.ErrRule) {
					t.Fatalf("want a rule error, got %v", err)
				}
				codes := messages.RuleCodes(err)
				found := false
				for _, c := range codes {
					found = found || c == tc.wantRule
				}
				if !found {
					t.Fatalf("rule codes %v lack %s", codes, tc.wantRule)
				}
				return
			}
			if !strings.Contains(err.Error(), tc.wantText) {
				t.Fatalf("error %q does not mention %q", err, tc.wantText)
			}
			if strings.Contains(err.Error(), "999900006") {
				t.Fatalf("error %q holds the BSN", err)
			}
		})
	}
}

// The 301 still composes through the same switch and header.
func TestCompose301Unchanged(t *testing.T) {
	dec, err := disclosure.NewDecoder()
	if err != nil {
		t.Fatal(err)
	}
	v := newValidator(t)
	for _, tc := range []struct{ file, kind string }{{"iwmo-301.json", "WMO301"}, {"ijw-301.json", "JW301"}} {
		t.Run(tc.file, func(t *testing.T) {
			req, err := dec.Decode(testenv.ContractExample(t, tc.file))
			if err != nil {
				t.Fatal(err)
			}
			doc, err := compose.New().Compose(req, record())
			if err != nil {
				t.Fatalf("Compose: %v", err)
			}
			if err := v.Validate(doc); err != nil {
				t.Fatalf("xsd.Validator: %v", err)
			}
			xmllint(t, tc.kind, doc)
		})
	}
}
