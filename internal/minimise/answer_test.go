package minimise

import (
	"reflect"
	"slices"
	"testing"

	"github.com/beevik/etree"

	"github.com/sluis-gateway/sluis/internal/category"
	"github.com/sluis-gateway/sluis/internal/compose"
	"github.com/sluis-gateway/sluis/internal/disclosure"
	"github.com/sluis-gateway/sluis/internal/receipts"
	"github.com/sluis-gateway/sluis/messages"
	"github.com/sluis-gateway/sluis/xsd"
)

// TestCheckEveryAnswerProfile runs every embedded 319 profile against 319
// requests: they carry no client, so no client field is required, and any
// client or assignment data refuses.
func TestCheckEveryAnswerProfile(t *testing.T) {
	ps, err := Embedded()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, p := range ps.All() {
		if p.MessageType != "319" {
			continue
		}
		n++
		type c struct {
			name string
			req  func(*disclosure.Request)
			b    Basis
			want []string // "path CODE"; empty = allowed
		}
		residence := []string{"/answer/residence_municipality FIELD_NEVER_SENT"} // iWmo has no Woonplaatsbeginsel
		if p.Standard == "iJw" {
			residence = nil
		}
		cases := []c{
			{"answer fields only, no client, legal obligation", nil, legal, nil},
			{"in onderzoek: no reason", func(r *disclosure.Request) { r.Answer.Answer, r.Answer.RejectionReason = "2", "" }, legal, nil},
			{"woonplaatsbeginsel with the municipality", func(r *disclosure.Request) {
				r.Answer.RejectionReason, r.Answer.ResidenceMunicipality = "8", "1916"
			}, legal, residence},
			{"consent covering care_assignment", nil, consentBasis(category.CareAssignment), nil},
			{"consent not covering care_assignment", nil, consentBasis(category.Identification),
				[]string{"/answer/answer CATEGORY_NOT_COVERED", "/answer/provider_reference CATEGORY_NOT_COVERED", "/answer/rejection_reason CATEGORY_NOT_COVERED"}},
			{"required missing: provider reference", func(r *disclosure.Request) { r.Answer.ProviderReference = "" }, legal,
				[]string{"/answer/provider_reference REQUIRED_MISSING"}},
			{"required missing: the whole answer", func(r *disclosure.Request) { r.Answer = nil }, legal,
				[]string{"/answer/answer REQUIRED_MISSING", "/answer/provider_reference REQUIRED_MISSING"}},
			{"client data in a 319", func(r *disclosure.Request) {
				r.Client.BSN, r.Client.Name.Surname = "999900006", "Wit"
			}, legal, []string{"/client/bsn FIELD_NEVER_SENT", "/client/name/surname FIELD_NEVER_SENT"}},
			{"assignment in a 319", func(r *disclosure.Request) {
				r.Assignment.Products = []disclosure.Product{{Number: 101, Start: "2026-12-01"}}
			}, legal, []string{"/assignment/products/0/number FIELD_NEVER_SENT", "/assignment/products/0/start FIELD_NEVER_SENT"}},
			{"a 301 against the 319 profile", func(r *disclosure.Request) { *r = baseRequest(p.Standard, p.Purpose) }, legal, nil},
		}
		for _, tc := range cases {
			t.Run(p.Key()+": "+tc.name, func(t *testing.T) {
				r := answerRequest(p.Standard)
				if tc.req != nil {
					tc.req(&r)
				}
				res := Check(r, p, tc.b)
				var got []string
				for _, pr := range res.Problems {
					got = append(got, pr.Path+" "+pr.Code)
				}
				if r.MessageType == "301" {
					if res.Allowed || !slices.Contains(got, "/message_type PROFILE_MISMATCH") {
						t.Fatalf("a 301 passed a 319 profile: %q", got)
					}
					return
				}
				slices.Sort(got)
				want := slices.Clone(tc.want)
				slices.Sort(want)
				if !slices.Equal(got, want) {
					t.Fatalf("problems\n got %q\nwant %q", got, want)
				}
				if res.Allowed != (len(tc.want) == 0) {
					t.Fatalf("Allowed = %v", res.Allowed)
				}
				if len(res.Stripped) != 0 || len(res.Notices) != 0 {
					t.Errorf("stripped %q, notices %v", res.Stripped, res.Notices)
				}
				if res.Allowed && !reflect.DeepEqual(res.Request, r) {
					t.Errorf("checked copy differs from the request\n got %+v\nwant %+v", res.Request, r)
				}
			})
		}
	}
	if n != 2 {
		t.Fatalf("%d embedded 319 profiles, want 2 (iWmo and iJw)", n)
	}
}

// TestAnswerBerichtCarriesOnlyAllowedData: the 319 composed from a checked
// request validates against the official XSD, and each of its elements with
// a value comes from an answer field the profile lets through (the
// property test's claim, for the 319).
func TestAnswerBerichtCarriesOnlyAllowedData(t *testing.T) {
	v, err := xsd.NewValidator()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(v.Close)
	for _, std := range []string{"iWmo", "iJw"} {
		t.Run(std, func(t *testing.T) {
			p := embeddedProfileFor(t, std, "319", "care_assignment")
			res := Check(fullAnswerRequest(std), p, legal)
			if !res.Allowed {
				t.Fatalf("refused: %v", res.Problems)
			}
			m, err := compose.Antwoordbericht(res.Request, receipts.Record{Identificatie: "1", CreatedAt: fixedCreated})
			if err != nil {
				t.Fatal(err)
			}
			doc, err := messages.Build(m, messages.BuildOptions{Today: buildToday})
			if err != nil {
				t.Fatal(err)
			}
			if err := v.Validate(doc); err != nil {
				t.Fatalf("official XSD: %v", err)
			}
			x := etree.NewDocument()
			if err := x.ReadFromBytes(doc); err != nil {
				t.Fatal(err)
			}
			if x.Root().SelectElement("Client") != nil {
				t.Fatalf("a 319 with a Client")
			}
			antwoord := x.Root().SelectElement("Antwoord")
			if antwoord == nil {
				t.Fatalf("no Antwoord in the Bericht")
			}
			els := leafElements(antwoord, "Antwoord")
			wantN := 3
			if std == "iJw" {
				wantN = 4 // and Woonplaatsbeginsel/Gemeente
			}
			if len(els) != wantN {
				t.Errorf("elements %v, want %d", els, wantN)
			}
			for _, el := range els {
				f, ok := FieldForElement(el)
				if !ok {
					t.Errorf("element %s maps to no request field", el)
					continue
				}
				if f.MessageType != "319" {
					t.Errorf("element %s maps to %s of a %s", el, f.Path, f.MessageType)
				}
				if u := p.useOf(f.Path); u != UseRequired && u != UseAllowed {
					t.Errorf("element %s comes from %s, which the profile makes %s", el, f.Path, u)
				}
			}
		})
	}
}
