package minimise

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/sluis-gateway/sluis/internal/category"
	"github.com/sluis-gateway/sluis/internal/compose"
	"github.com/sluis-gateway/sluis/internal/disclosure"
	"github.com/sluis-gateway/sluis/internal/receipts"
	"github.com/sluis-gateway/sluis/messages"
)

type checkCase struct {
	name     string
	std      string // default iWmo
	purpose  string // default care_assignment
	full     bool   // start from fullRequest instead of baseRequest
	profile  func(*Profile)
	req      func(*disclosure.Request)
	basis    Basis
	want     []string // "path CODE", any order; empty = allowed
	stripped []string
	notices  []string // notice codes
	check    func(t *testing.T, res Result)
}

var legal = Basis{Kind: disclosure.BasisLegalObligation}

func consentBasis(cs ...category.Category) Basis {
	if cs == nil {
		cs = []category.Category{}
	}
	return Basis{Kind: disclosure.BasisConsent, Covered: cs}
}

func withComment(s string) func(*disclosure.Request) {
	return func(r *disclosure.Request) { r.Client.Comment = s }
}

func checkCases() []checkCase {
	const cc = "/client/comment "
	return []checkCase{
		// ---- iWmo care_assignment ----
		{name: "iwmo care: mandatory fields only, legal obligation", basis: legal},
		{name: "iwmo care: every optional field, legal obligation", full: true, basis: legal},
		{name: "iwmo care: every optional field, consent covering all", full: true, basis: consentBasis(allCategories()...)},
		{name: "required missing: bsn", basis: legal,
			req:  func(r *disclosure.Request) { r.Client.BSN = "" },
			want: []string{"/client/bsn REQUIRED_MISSING"}},
		{name: "required missing: contact kind", basis: legal,
			req:  func(r *disclosure.Request) { r.Client.Contacts[0].Kind = "" },
			want: []string{"/client/contacts/0/kind REQUIRED_MISSING"}},
		{name: "required missing: product start of the second product", basis: legal,
			req: func(r *disclosure.Request) {
				p := r.Assignment.Products[0]
				p.Number, p.Start = 102, ""
				r.Assignment.Products = append(r.Assignment.Products, p)
			},
			want: []string{"/assignment/products/1/start REQUIRED_MISSING"}},
		{name: "required missing: no products at all", basis: legal,
			req:  func(r *disclosure.Request) { r.Assignment.Products = nil },
			want: []string{"/assignment/products REQUIRED_MISSING"}},
		{name: "required missing: relation kind and name usage", basis: legal,
			req: func(r *disclosure.Request) {
				rel := relation("Bakker", "Joost", "")
				rel.Kind, rel.Name.NameUsage = "", ""
				r.Client.Relations = []disclosure.Relation{rel}
			},
			want: []string{"/client/relations/0/kind REQUIRED_MISSING", "/client/relations/0/name/name_usage REQUIRED_MISSING"}},
		{name: "category not covered: relations under a consent without relations",
			basis: consentBasis(category.Identification, category.Contact, category.CareAssignment),
			req:   func(r *disclosure.Request) { r.Client.Relations = []disclosure.Relation{relation("Bakker", "", "")} },
			want: []string{
				"/client/relations/0/contact/address/city CATEGORY_NOT_COVERED",
				"/client/relations/0/contact/address/country CATEGORY_NOT_COVERED",
				"/client/relations/0/contact/address/house_number CATEGORY_NOT_COVERED",
				"/client/relations/0/contact/address/postcode CATEGORY_NOT_COVERED",
				"/client/relations/0/contact/address/street CATEGORY_NOT_COVERED",
				"/client/relations/0/contact/kind CATEGORY_NOT_COVERED",
				"/client/relations/0/contact/phones/0/country_code CATEGORY_NOT_COVERED",
				"/client/relations/0/contact/phones/0/number CATEGORY_NOT_COVERED",
				"/client/relations/0/kind CATEGORY_NOT_COVERED",
				"/client/relations/0/name/initials CATEGORY_NOT_COVERED",
				"/client/relations/0/name/name_usage CATEGORY_NOT_COVERED",
				"/client/relations/0/name/surname CATEGORY_NOT_COVERED",
				"/client/relations/0/number CATEGORY_NOT_COVERED",
			}},
		{name: "category not covered: free text and legal status",
			basis: consentBasis(category.Identification, category.Contact, category.CareAssignment),
			req: func(r *disclosure.Request) {
				r.Client.LegalStatus = "04"
				r.Client.Comment = "Graag contact opnemen met het wijkteam."
			},
			want: []string{"/client/comment CATEGORY_NOT_COVERED", "/client/legal_status CATEGORY_NOT_COVERED"}},
		{name: "category not covered: a consent that covers nothing", basis: consentBasis(),
			req: func(r *disclosure.Request) {
				r.Client.Contacts = nil
				r.Assignment.Products = nil
				r.Client = disclosure.Client{BSN: "999900006", BirthDate: "1967-08-13", Gender: "1", Name: disclosure.Name{Surname: "Wit", NameUsage: "1"}}
			},
			want: []string{
				"/client/bsn CATEGORY_NOT_COVERED", "/client/birth_date CATEGORY_NOT_COVERED", "/client/gender CATEGORY_NOT_COVERED",
				"/client/name/name_usage CATEGORY_NOT_COVERED", "/client/name/surname CATEGORY_NOT_COVERED",
				"/client/contacts REQUIRED_MISSING", "/assignment/products REQUIRED_MISSING",
			}},
		{name: "profile mismatch: other purpose", basis: legal,
			req:  func(r *disclosure.Request) { r.Purpose = "research" },
			want: []string{"/purpose PROFILE_MISMATCH"}},
		{name: "extra field refused: a profile without communication", basis: legal,
			profile: func(p *Profile) { p.Fields = dropRule(p.Fields, "/client/communication") },
			req:     func(r *disclosure.Request) { r.Client.Communication = &disclosure.Communication{Form: "2"} },
			want:    []string{"/client/communication/form FIELD_NOT_IN_PROFILE"}},
		{name: "extra field stripped: the same profile with on_extra strip", basis: legal,
			profile: func(p *Profile) {
				p.Fields = dropRule(p.Fields, "/client/communication")
				p.OnExtra = ExtraStrip
			},
			req: func(r *disclosure.Request) {
				r.Client.Communication = &disclosure.Communication{Form: "1", Language: "tr"}
			},
			stripped: []string{"/client/communication/form", "/client/communication/language"},
			check: func(t *testing.T, res Result) {
				if res.Request.Client.Communication != nil {
					t.Errorf("communication left in the checked copy")
				}
			}},

		// ---- free text ----
		{name: "free text: clean comment", basis: legal,
			req: withComment("Cliënt wil 3 uur per week begeleiding vanaf 2026, afspraak op 01-12-2026 10 uur; product 01A01, 45 minuten per dag.")},
		{name: "free text: BSN", basis: legal, req: withComment("Zie dossier 1234 56 782."), want: []string{cc + "FREETEXT_BSN"}},
		{name: "free text: 9 digits failing the 11-proef are no BSN", basis: legal, req: withComment("Dossiernummer 123456789.")},
		{name: "free text: mobile phone", basis: legal, req: withComment("Bereikbaar op 06-12345678 na 17 uur."), want: []string{cc + "FREETEXT_PHONE"}},
		{name: "free text: landline with area code in parentheses", basis: legal, req: withComment("Bellen: (020) 123 45 67"), want: []string{cc + "FREETEXT_PHONE"}},
		{name: "free text: international phone", basis: legal, req: withComment("Tel +31 6 1234 5678"), want: []string{cc + "FREETEXT_PHONE"}},
		{name: "free text: e-mail", basis: legal, req: withComment("Mail naar buurvrouw.hulp@example.nl graag."), want: []string{cc + "FREETEXT_EMAIL"}},
		{name: "free text: postcode with house number after", basis: legal, req: withComment("Verblijft op 9999 XX 12 tijdelijk."), want: []string{cc + "FREETEXT_POSTCODE"}},
		{name: "free text: street, house number and postcode", basis: legal, req: withComment("Adres Kerklaan 12, 9999XX Amsterdam"), want: []string{cc + "FREETEXT_POSTCODE"}},
		{name: "free text: postcode alone is no address", basis: legal, req: withComment("Woont in postcodegebied 9999XX.")},
		{name: "free text: the client's surname", basis: legal, req: withComment("Mevrouw De Wit heeft hulp nodig."), want: []string{cc + "FREETEXT_NAME"}},
		{name: "free text: the client's given name, accents folded", basis: legal,
			req: func(r *disclosure.Request) {
				r.Client.Name.GivenNames = "Chloé"
				r.Client.Comment = "CHLOE wil graag hulp."
			},
			want: []string{cc + "FREETEXT_NAME"}},
		{name: "free text: the client's name when the basis covers free text about the client",
			basis: Basis{Kind: disclosure.BasisConsent, Covered: allCategories(), FreeTextAbout: []string{"client"}},
			req:   withComment("Mevrouw de Wit heeft hulp nodig.")},
		{name: "free text: a relation's name is refused even when the client's is covered",
			basis: Basis{Kind: disclosure.BasisConsent, Covered: allCategories(), FreeTextAbout: []string{"client"}},
			req: func(r *disclosure.Request) {
				r.Client.Relations = []disclosure.Relation{relation("Bakker", "Joost", "")}
				r.Client.Comment = "Joost helpt mevrouw de Wit."
			},
			want: []string{cc + "FREETEXT_NAME"}},
		{name: "free text: particles alone are no name", basis: legal, req: withComment("Hulp van de buren en de wijk.")},
		{name: "free text: a relation's birth date", basis: legal,
			req: func(r *disclosure.Request) {
				r.Client.Relations = []disclosure.Relation{relation("Bakker", "", "1960-01-02")}
				r.Client.Comment = "Partner geboren 2-1-1960."
			},
			want: []string{cc + "FREETEXT_BIRTH_DATE"}},
		{name: "free text: product comment too long", basis: legal,
			req:  func(r *disclosure.Request) { r.Assignment.Products[0].Comment = strings.Repeat("x", 1001) },
			want: []string{"/assignment/products/0/comment FREETEXT_TOO_LONG"}},
		{name: "free text: at the limit", basis: legal,
			req: func(r *disclosure.Request) { r.Assignment.Products[0].Comment = strings.Repeat("é", 1000) }},
		{name: "free text: two persons named in one comment", basis: legal,
			req: func(r *disclosure.Request) {
				r.Client.Relations = []disclosure.Relation{relation("Bakker", "Joost", "")}
				r.Client.Comment = "Joost Bakker en mevrouw De Wit."
			},
			want: []string{cc + "FREETEXT_NAME", cc + "FREETEXT_NAME"}},
		{name: "free text: several findings in one comment", basis: legal,
			req:  withComment("De Wit, 06 12345678, wit@example.org"),
			want: []string{cc + "FREETEXT_PHONE", cc + "FREETEXT_EMAIL", cc + "FREETEXT_NAME"}},

		// ---- iStandaarden prohibitions ----
		{name: "CS318: NaamGebruik 6 for the client", basis: legal,
			req:  func(r *disclosure.Request) { r.Client.Name.NameUsage = "6" },
			want: []string{"/client/name/name_usage CS318"}},
		{name: "OP130: relation with neither full address nor phone", basis: legal,
			req: func(r *disclosure.Request) {
				rel := relation("Bakker", "", "")
				rel.Contact.Phones = nil
				rel.Contact.Address.HouseNumber = nil
				r.Client.Relations = []disclosure.Relation{rel}
			},
			want: []string{"/client/relations/0/contact OP130"}},
		{name: "OP130: relation with a phone only is enough", basis: legal,
			req: func(r *disclosure.Request) {
				rel := relation("Bakker", "", "")
				rel.Contact.Address = nil
				r.Client.Relations = []disclosure.Relation{rel}
			}},
		{name: "TR006: a contact with neither a phone nor a house number and postcode", basis: legal,
			req:  func(r *disclosure.Request) { r.Client.Contacts[0].Address.Postcode = "" },
			want: []string{"/client/contacts/0 TR006"}},
		{name: "TR006: a relation with house number, street and city but no postcode and no phone", basis: legal,
			req: func(r *disclosure.Request) {
				rel := relation("Bakker", "", "")
				rel.Contact.Phones = nil
				rel.Contact.Address.Postcode = "" // a full address for OP130, not for TR006
				r.Client.Relations = []disclosure.Relation{rel}
			},
			want: []string{"/client/relations/0/contact TR006"}},
		{name: "CONTACT_REQUIRED: only a contact of kind 04 (TR061)", basis: legal,
			req: func(r *disclosure.Request) {
				r.Client.Contacts[0].Kind = "04"
				r.Client.Contacts[0].Period = &disclosure.Period{Start: "2026-11-01"}
			},
			want: []string{"/client/contacts CONTACT_REQUIRED"}},
		{name: "RELATION_IS_CLIENT (iWmo): the client as own relation", basis: legal,
			req: func(r *disclosure.Request) {
				r.Client.Relations = []disclosure.Relation{relation("WIT", "", "1967-08-13")}
			},
			want: []string{"/client/relations/0 RELATION_IS_CLIENT"}},

		// ---- iJw care_assignment ----
		{name: "ijw care: mandatory fields only, adult client", std: "iJw", basis: legal},
		{name: "ijw care: every optional field", std: "iJw", full: true, basis: legal},
		{name: "ijw care: OP002x2, the youth as own relation", std: "iJw", basis: legal,
			req: func(r *disclosure.Request) {
				r.Client.BirthDate = "2007-03-01"
				r.Client.Relations = []disclosure.Relation{relation("Wit", "", "2007-03-01")}
			},
			want: []string{"/client/relations/0 OP002X2"}},
		{name: "ijw care: OP002 notice, a minor without gezagsdrager", std: "iJw", basis: legal,
			req:     func(r *disclosure.Request) { r.Client.BirthDate = "2014-02-14" },
			notices: []string{"OP002"}},
		{name: "ijw care: no OP002 notice with a parent as relation", std: "iJw", basis: legal,
			req: func(r *disclosure.Request) {
				r.Client.BirthDate = "2014-02-14"
				r.Client.Relations = []disclosure.Relation{relation("Bakker", "", "")}
			}},
		{name: "ijw care: no OP002 notice for an adult", std: "iJw", basis: legal,
			req: func(r *disclosure.Request) { r.Client.BirthDate = "2000-02-14" }},
		{name: "ijw care: OP002 notice when the birth month makes the client possibly a minor", std: "iJw", basis: legal,
			req: func(r *disclosure.Request) {
				r.Client.BirthDate, r.Client.BirthDateUsage = "2008-11-01", "1" // 18 on 20 Nov 2026 only if born by then
			},
			notices: []string{"OP002"}},
		{name: "ijw care: CS318", std: "iJw", basis: legal,
			req:  func(r *disclosure.Request) { r.Client.Name.NameUsage = "6" },
			want: []string{"/client/name/name_usage CS318"}},

		// ---- iWmo assignment_minimal ----
		{name: "iwmo minimal: mandatory fields only", purpose: "assignment_minimal", basis: legal},
		{name: "iwmo minimal: given names, phones, e-mail, organisation and legal status are stripped",
			purpose: "assignment_minimal", basis: legal,
			req: func(r *disclosure.Request) {
				r.Client.Name.GivenNames = "Tessa"
				r.Client.LegalStatus = "01"
				r.Client.Contacts[0].Phones = []disclosure.Phone{{Number: "0612345678"}, {Number: "0201234567"}}
				r.Client.Contacts[0].Email = "t@example.org"
				r.Client.Contacts[0].Organisation = "Zorg BV"
			},
			stripped: []string{
				"/client/contacts/0/email", "/client/contacts/0/organisation",
				"/client/contacts/0/phones/0/number", "/client/contacts/0/phones/1/number",
				"/client/legal_status", "/client/name/given_names",
			},
			check: func(t *testing.T, res Result) {
				c := res.Request.Client
				if c.Name.GivenNames != "" || c.LegalStatus != "" || c.Contacts[0].Phones != nil || c.Contacts[0].Email != "" || c.Contacts[0].Organisation != "" {
					t.Errorf("stripped data left in the checked copy: %+v", c)
				}
				if c.Contacts[0].Address == nil || c.Contacts[0].Address.Postcode == "" {
					t.Errorf("the address was lost")
				}
			}},
		{name: "iwmo minimal: a contact stripped to its kind is dropped (TR006)", purpose: "assignment_minimal", basis: legal,
			req: func(r *disclosure.Request) {
				r.Client.Contacts = append(r.Client.Contacts, phoneOnlyContact("02"))
			},
			stripped: []string{
				"/client/contacts/1/kind",
				"/client/contacts/1/phones/0/country_code", "/client/contacts/1/phones/0/number",
			},
			check: func(t *testing.T, res Result) {
				if n := len(res.Request.Client.Contacts); n != 1 || res.Request.Client.Contacts[0].Kind != "01" {
					t.Errorf("contacts %+v, want only the address of kind 01", res.Request.Client.Contacts)
				}
				buildChecked(t, res)
			}},
		{name: "iwmo minimal: the only contact of kind 01-03 stripped to its kind refuses (TR061)", purpose: "assignment_minimal", basis: legal,
			req: func(r *disclosure.Request) {
				r.Client.Contacts[0].Kind = "04"
				r.Client.Contacts[0].Period = &disclosure.Period{Start: "2026-11-01"}
				r.Client.Contacts = append(r.Client.Contacts, phoneOnlyContact("02"))
			},
			want: []string{"/client/contacts CONTACT_REQUIRED"},
			stripped: []string{
				"/client/contacts/1/kind",
				"/client/contacts/1/phones/0/country_code", "/client/contacts/1/phones/0/number",
			}},
		{name: "iwmo minimal: the only contact stripped to its kind refuses", purpose: "assignment_minimal", basis: legal,
			req: func(r *disclosure.Request) {
				r.Client.Contacts = []disclosure.Contact{phoneOnlyContact("01")}
			},
			want: []string{"/client/contacts CONTACT_REQUIRED", "/client/contacts REQUIRED_MISSING"},
			stripped: []string{
				"/client/contacts/0/kind",
				"/client/contacts/0/phones/0/country_code", "/client/contacts/0/phones/0/number",
			}},
		{name: "iwmo minimal: relations are never sent", purpose: "assignment_minimal", basis: legal,
			req: func(r *disclosure.Request) {
				rel := relation("Bakker", "", "")
				rel.Contact.Phones = nil
				r.Client.Relations = []disclosure.Relation{rel}
			},
			want: []string{
				"/client/relations/0/contact/address/city FIELD_NEVER_SENT",
				"/client/relations/0/contact/address/country FIELD_NEVER_SENT",
				"/client/relations/0/contact/address/house_number FIELD_NEVER_SENT",
				"/client/relations/0/contact/address/postcode FIELD_NEVER_SENT",
				"/client/relations/0/contact/address/street FIELD_NEVER_SENT",
				"/client/relations/0/contact/kind FIELD_NEVER_SENT",
				"/client/relations/0/kind FIELD_NEVER_SENT",
				"/client/relations/0/name/initials FIELD_NEVER_SENT",
				"/client/relations/0/name/name_usage FIELD_NEVER_SENT",
				"/client/relations/0/name/surname FIELD_NEVER_SENT",
				"/client/relations/0/number FIELD_NEVER_SENT",
			}},
		{name: "iwmo minimal: free text is never sent", purpose: "assignment_minimal", basis: legal,
			req: func(r *disclosure.Request) {
				r.Client.Comment = "Graag snel starten."
				r.Assignment.Products[0].Comment = "Zie besluit."
			},
			want: []string{"/assignment/products/0/comment FIELD_NEVER_SENT", "/client/comment FIELD_NEVER_SENT"}},
		{name: "iwmo minimal: a stripped field's category need not be covered", purpose: "assignment_minimal",
			basis:    consentBasis(category.Identification, category.Contact, category.CareAssignment),
			req:      func(r *disclosure.Request) { r.Client.LegalStatus = "01" },
			stripped: []string{"/client/legal_status"}},

		// ---- iJw assignment_minimal ----
		{name: "ijw minimal: a relation keeps name and address, loses the rest", std: "iJw", purpose: "assignment_minimal", basis: legal,
			req: func(r *disclosure.Request) {
				rel := relation("Bakker", "Joost", "1960-01-02")
				rel.Gender = "1"
				rel.Contact.Email = "j@example.org"
				r.Client.Relations = []disclosure.Relation{rel}
			},
			stripped: []string{
				"/client/relations/0/birth_date", "/client/relations/0/contact/email",
				"/client/relations/0/gender", "/client/relations/0/name/given_names",
			},
			check: func(t *testing.T, res Result) {
				rel := res.Request.Client.Relations[0]
				if rel.BirthDate != "" || rel.Gender != "" || rel.Name.GivenNames != "" || rel.Contact.Email != "" {
					t.Errorf("stripped data left: %+v", rel)
				}
				if rel.Name.Surname != "Bakker" || len(rel.Contact.Phones) != 1 || !rel.InformedAndAgreed {
					t.Errorf("kept data lost: %+v", rel)
				}
			}},
		{name: "ijw minimal: free text is never sent", std: "iJw", purpose: "assignment_minimal", basis: legal,
			req:  withComment("Graag snel starten."),
			want: []string{"/client/comment FIELD_NEVER_SENT"}},
	}
}

// phoneOnlyContact is a contact of the kind whose only way to reach the
// client is a phone (TR006 holds; assignment_minimal strips the phone).
func phoneOnlyContact(kind string) disclosure.Contact {
	return disclosure.Contact{Kind: kind, Phones: []disclosure.Phone{{Number: "0612345678", CountryCode: "0031"}}}
}

// buildChecked composes and builds the checked copy of an allowed result:
// messages.Build applies the receiving side's rules (TR006, TR061, ...).
func buildChecked(t *testing.T, res Result) {
	t.Helper()
	m, err := compose.Toewijzing(res.Request, receipts.Record{Identificatie: "1", CreatedAt: fixedCreated})
	if err != nil {
		t.Fatalf("compose: %v", err)
	}
	if _, err := messages.Build(m, messages.BuildOptions{Today: buildToday}); err != nil {
		t.Errorf("build the checked copy: %v", err)
	}
}

func dropRule(rs []FieldRule, path string) []FieldRule {
	var out []FieldRule
	for _, r := range rs {
		if r.Path != path {
			out = append(out, r)
		}
	}
	return out
}

func (tc checkCase) run(t *testing.T) (disclosure.Request, Result) {
	t.Helper()
	std, purpose := tc.std, tc.purpose
	if std == "" {
		std = "iWmo"
	}
	if purpose == "" {
		purpose = "care_assignment"
	}
	p := embeddedProfile(t, std, purpose)
	if tc.profile != nil {
		p.Fields = slices.Clone(p.Fields)
		tc.profile(&p)
		if err := p.Validate(); err != nil {
			t.Fatalf("test profile invalid: %v", err)
		}
	}
	var r disclosure.Request
	if tc.full {
		r = fullRequest(std)
	} else {
		r = baseRequest(std, purpose)
	}
	if tc.req != nil {
		tc.req(&r)
	}
	return r, Check(r, p, tc.basis)
}

func TestCheck(t *testing.T) {
	for _, tc := range checkCases() {
		t.Run(tc.name, func(t *testing.T) {
			_, res := tc.run(t)
			var got []string
			for _, p := range res.Problems {
				got = append(got, p.Path+" "+p.Code)
			}
			slices.Sort(got)
			want := slices.Clone(tc.want)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("problems\n got %q\nwant %q", got, want)
			}
			if res.Allowed != (len(tc.want) == 0) {
				t.Errorf("Allowed = %v with problems %q", res.Allowed, got)
			}
			if !slices.Equal(res.Stripped, tc.stripped) {
				t.Errorf("stripped\n got %q\nwant %q", res.Stripped, tc.stripped)
			}
			var notices []string
			for _, n := range res.Notices {
				notices = append(notices, n.Code)
			}
			if !slices.Equal(notices, tc.notices) {
				t.Errorf("notices %q, want %q", notices, tc.notices)
			}
			if !res.Allowed && !reflect.DeepEqual(res.Request, disclosure.Request{}) {
				t.Errorf("a refused result carries a request")
			}
			if tc.check != nil {
				tc.check(t, res)
			}
		})
	}
}

// TestCheckKeepsEverythingNotStripped: an allowed result without stripping
// is the request itself.
func TestCheckKeepsEverythingNotStripped(t *testing.T) {
	for _, std := range []string{"iWmo", "iJw"} {
		r := fullRequest(std)
		res := Check(r, embeddedProfile(t, std, "care_assignment"), legal)
		if !res.Allowed {
			t.Fatalf("%s: refused: %v", std, res.Problems)
		}
		if !reflect.DeepEqual(res.Request, r) {
			t.Errorf("%s: checked copy differs from the request\n got %+v\nwant %+v", std, res.Request, r)
		}
	}
}

func TestCheckDoesNotModifyInput(t *testing.T) {
	r := fullRequest("iWmo")
	before := fullRequest("iWmo")
	res := Check(r, embeddedProfile(t, "iWmo", "assignment_minimal"), legal)
	if !reflect.DeepEqual(r, before) {
		t.Errorf("Check modified its input")
	}
	// The checked copy shares no memory with the input.
	if res.Allowed && len(res.Request.Client.Contacts) > 0 && &res.Request.Client.Contacts[0] == &r.Client.Contacts[0] {
		t.Errorf("checked copy aliases the input")
	}
}

// TestProblemsHoldNoPersonalData: no value of any request in the table
// shows up in a problem, a notice, the stripped list or the sentence.
func TestProblemsHoldNoPersonalData(t *testing.T) {
	for _, tc := range checkCases() {
		t.Run(tc.name, func(t *testing.T) {
			r, res := tc.run(t)
			var texts []string
			for _, p := range append(slices.Clone(res.Problems), res.Notices...) {
				texts = append(texts, p.Path, p.Message)
			}
			texts = append(texts, res.Stripped...)
			texts = append(texts, res.Sentence())
			for _, v := range personalValues(r) {
				for _, s := range texts {
					if strings.Contains(strings.ToLower(s), strings.ToLower(v)) {
						t.Errorf("%q leaks %q", s, v)
					}
				}
			}
		})
	}
}

// personalValues are the request's personal values worth searching for
// (longer than 3 characters, so codes like "01" do not count).
func personalValues(r disclosure.Request) []string {
	c := r.Client
	vals := []string{c.BSN, c.BirthDate, c.Name.Surname, c.Name.GivenNames, c.Name.PartnerSurname, c.Comment}
	addContact := func(k disclosure.Contact) {
		vals = append(vals, k.Email, k.Organisation)
		if k.Address != nil {
			vals = append(vals, k.Address.Postcode, k.Address.Street, k.Address.City)
		}
		for _, p := range k.Phones {
			vals = append(vals, p.Number)
		}
	}
	for _, k := range c.Contacts {
		addContact(k)
	}
	for _, rel := range c.Relations {
		vals = append(vals, rel.Name.Surname, rel.Name.GivenNames, rel.BirthDate)
		addContact(rel.Contact)
	}
	for _, p := range r.Assignment.Products {
		vals = append(vals, p.Comment)
	}
	var out []string
	for _, v := range vals {
		if len(v) > 3 {
			out = append(out, v)
		}
	}
	return out
}

func TestResultSentence(t *testing.T) {
	r := baseRequest("iWmo", "assignment_minimal")
	r.Client.Name.GivenNames = "Tessa"
	r.Client.Comment = "x"
	res := Check(r, embeddedProfile(t, "iWmo", "assignment_minimal"), legal)
	want := "Minimisation (iwmo-301-assignment_minimal@1): refused: /client/comment FIELD_NEVER_SENT; stripped 1 field(s): /client/name/given_names."
	if got := res.Sentence(); got != want {
		t.Errorf("Sentence()\n got %q\nwant %q", got, want)
	}
	if got := res.Codes(); !slices.Equal(got, []string{CodeFieldNeverSent}) {
		t.Errorf("Codes() = %q", got)
	}
}

// TestCheckEveryProfile runs the same checks against each embedded profile:
// required missing, category not covered, each free-text pattern (or
// FIELD_NEVER_SENT where the profile sends no free text) and each
// prohibition that applies.
func TestCheckEveryProfile(t *testing.T) {
	ps, err := Embedded()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range ps.All() {
		if p.MessageType != "301" {
			continue // TestCheckEveryAnswerProfile
		}
		freeText := p.useOf("/client/comment") == UseAllowed
		relations := p.useOf("/client/relations/*/number") == UseRequired
		type c struct {
			name string
			req  func(*disclosure.Request)
			b    Basis
			want string
		}
		cases := []c{
			{"mandatory fields only", nil, legal, ""},
			{"required missing", func(r *disclosure.Request) { r.Client.Gender = "" }, legal, "/client/gender REQUIRED_MISSING"},
			{"category not covered", nil, consentBasis(category.Contact, category.CareAssignment), "/client/bsn CATEGORY_NOT_COVERED"},
			{"CS318", func(r *disclosure.Request) { r.Client.Name.NameUsage = "6" }, legal, "/client/name/name_usage CS318"},
		}
		for code, text := range map[string]string{
			"FREETEXT_BSN": "bsn 123456782", "FREETEXT_PHONE": "tel 06-12345678", "FREETEXT_EMAIL": "x@example.org",
			"FREETEXT_POSTCODE": "9999XX 12", "FREETEXT_NAME": "mevrouw Wit", "FREETEXT_BIRTH_DATE": "13-08-1967",
		} {
			want := "/client/comment " + code
			if !freeText {
				want = "/client/comment FIELD_NEVER_SENT"
			}
			cases = append(cases, c{code, withComment(text), legal, want})
		}
		if relations {
			self := map[string]string{"iWmo": "RELATION_IS_CLIENT", "iJw": "OP002X2"}[p.Standard]
			cases = append(cases,
				c{"relation is the client", func(r *disclosure.Request) {
					r.Client.Relations = []disclosure.Relation{relation("Wit", "", "1967-08-13")}
				}, legal, "/client/relations/0 " + self},
				c{"OP130", func(r *disclosure.Request) {
					rel := relation("Bakker", "", "")
					rel.Contact.Address, rel.Contact.Phones = nil, nil
					r.Client.Relations = []disclosure.Relation{rel}
				}, legal, "/client/relations/0/contact OP130"},
			)
		}
		for _, tc := range cases {
			t.Run(p.Key()+": "+tc.name, func(t *testing.T) {
				r := baseRequest(p.Standard, p.Purpose)
				if tc.req != nil {
					tc.req(&r)
				}
				res := Check(r, p, tc.b)
				if tc.want == "" {
					if !res.Allowed {
						t.Fatalf("refused: %v", res.Problems)
					}
					return
				}
				if res.Allowed {
					t.Fatalf("allowed, want %s", tc.want)
				}
				var got []string
				for _, pr := range res.Problems {
					got = append(got, pr.Path+" "+pr.Code)
				}
				if !slices.Contains(got, tc.want) {
					t.Errorf("problems %q lack %q", got, tc.want)
				}
			})
		}
	}
}
