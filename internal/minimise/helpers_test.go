package minimise

import (
	"testing"

	"github.com/sluis-gateway/sluis/internal/category"
	"github.com/sluis-gateway/sluis/internal/disclosure"
)

func intp(i int) *int       { return &i }
func int64p(i int64) *int64 { return &i }

// embeddedProfile returns one embedded 301 profile by standard and purpose.
func embeddedProfile(t testing.TB, std, purpose string) Profile {
	t.Helper()
	return embeddedProfileFor(t, std, "301", purpose)
}

// embeddedProfileFor returns one embedded profile.
func embeddedProfileFor(t testing.TB, std, messageType, purpose string) Profile {
	t.Helper()
	ps, err := Embedded()
	if err != nil {
		t.Fatalf("Embedded: %v", err)
	}
	p, err := ps.For(std, messageType, purpose)
	if err != nil {
		t.Fatalf("For(%s, %s, %s): %v", std, messageType, purpose, err)
	}
	return p
}

// answerRequest is a valid 319 request: no client, no assignment, an
// answer (afgewezen, geen contract).
func answerRequest(std string) disclosure.Request {
	r := baseRequest(std, "care_assignment")
	r.MessageType = "319"
	r.Client = disclosure.Client{}
	r.Assignment = disclosure.Assignment{}
	r.Answer = &disclosure.Answer{ProviderReference: "VOT-2026-0917", Answer: "1", RejectionReason: "3"}
	return r
}

// declarationRequest is a valid 325 request: a declaration granted as a
// whole, no client, no assignment, no answer.
func declarationRequest(std string) disclosure.Request {
	r := baseRequest(std, "care_declaration")
	r.MessageType = "325"
	r.Client = disclosure.Client{}
	r.Assignment = disclosure.Assignment{}
	r.InReplyTo = "in-6f1c2a3e-8b4d-4c1a-9e2f-3a5b7c9d1e01"
	amount := disclosure.Amount{Cents: 5000, DebitCredit: "D"}
	r.Declaration = &disclosure.Declaration{Identificatie: "P0A1B2C3D4E5", Date: "2026-12-01", Number: "P0A1B2C3D4E5",
		Claimed: amount, Granted: amount, RetourCode: "8001"}
	return r
}

// fullAnswerRequest fills every answer field (iJw: a rejection on the
// woonplaatsbeginsel with the municipality).
func fullAnswerRequest(std string) disclosure.Request {
	r := answerRequest(std)
	r.Answer.RejectionReason = "8"
	if std == "iJw" {
		r.Answer.ResidenceMunicipality = "1916"
	}
	return r
}

// baseRequest is a valid 301 request with the mandatory fields only.
func baseRequest(std, purpose string) disclosure.Request {
	cat, code := "01", "01A01"
	if std == "iJw" {
		cat, code = "45", "45A01"
	}
	return disclosure.Request{
		Version:     1,
		ID:          "6f1c2a3e-8b4d-4c1a-9e2f-3a5b7c9d1e01",
		Sender:      disclosure.Sender{Municipality: "0363", System: "regsys-demo", Employee: "e-7f3a"},
		Recipient:   disclosure.Recipient{AGB: "42420001"},
		Standard:    std,
		MessageType: "301",
		Purpose:     purpose,
		LegalBasis:  disclosure.LegalBasis{Kind: disclosure.BasisLegalObligation, DecisionRef: "besluit-2026-0042"},
		Client: disclosure.Client{
			BSN:       "999900006",
			BirthDate: "1967-08-13",
			Gender:    "1",
			Name:      disclosure.Name{Surname: "Wit", SurnamePrefix: "de", Initials: "T", NameUsage: "1"},
			Contacts: []disclosure.Contact{{
				Kind:    "01",
				Address: &disclosure.Address{HouseNumber: intp(12), Postcode: "9999XX", Street: "Kerklaan", City: "Amsterdam", Country: "NL"},
			}},
		},
		Assignment: disclosure.Assignment{Products: []disclosure.Product{{
			Number:     101,
			Product:    &disclosure.ProductCode{Category: cat, Code: code},
			AssignedOn: "2026-11-20",
			AssignedAt: "12:34:56",
			Start:      "2026-12-01",
			End:        "2027-11-30",
			Volume:     &disclosure.Volume{Amount: 10, Unit: "01", Frequency: "1"},
		}}},
	}
}

// relation returns an agreed relation with a full address.
func relation(surname, given, birth string) disclosure.Relation {
	return disclosure.Relation{
		Number: "R1",
		Kind:   "10",
		Name:   disclosure.Name{Surname: surname, GivenNames: given, Initials: "J", NameUsage: "1"},
		Contact: disclosure.Contact{
			Kind:    "01",
			Address: &disclosure.Address{HouseNumber: intp(3), Postcode: "9999XY", Street: "Dorpsstraat", City: "Arnhem", Country: "NL"},
			Phones:  []disclosure.Phone{{Number: "0612345678", CountryCode: "0031"}},
		},
		BirthDate:         birth,
		InformedAndAgreed: true,
	}
}

// fullRequest fills every optional field the care_assignment profile lets
// through.
func fullRequest(std string) disclosure.Request {
	r := baseRequest(std, "care_assignment")
	c := &r.Client
	c.BirthDateUsage = ""
	c.Name.GivenNames = "Tessa Maria"
	c.Name.PartnerSurname = "Jansen"
	c.Name.NameUsage = "2"
	c.Communication = &disclosure.Communication{Form: "1", Language: "ar"}
	c.LegalStatus = "01"
	c.Representation = "07"
	c.Comment = "Begeleiding bij het plannen van de week; voorkeur voor ochtendafspraken."
	c.Relations = []disclosure.Relation{relation("Bakker", "Joost", "1960-01-02")}
	c.Contacts[0].Phones = []disclosure.Phone{{Number: "0201234567", CountryCode: "0031"}, {Number: "0612345678", CountryCode: "0031"}}
	c.Contacts[0].Email = "t.dewit@example.org"
	c.Contacts[0].Organisation = "Woonzorg Noord"
	c.Contacts = append(c.Contacts, disclosure.Contact{
		Kind:    "04",
		Address: &disclosure.Address{HouseNumber: intp(7), HouseLetter: "a", Postcode: "9999XZ", Street: "Havenweg", City: "Utrecht", Country: "NL"},
		Period:  &disclosure.Period{Start: "2026-11-01", End: "2027-02-28"},
	})
	p := &r.Assignment.Products[0]
	p.ProviderReference = "VOT-2026-17"
	p.ChangeReason = "14"
	p.Comment = "Start in overleg met de wijkcoach."
	return r
}

func allCategories() []category.Category { return category.All() }

func without(cs []category.Category, drop ...category.Category) []category.Category {
	var out []category.Category
	for _, c := range cs {
		keep := true
		for _, d := range drop {
			if c == d {
				keep = false
			}
		}
		if keep {
			out = append(out, c)
		}
	}
	if out == nil {
		out = []category.Category{}
	}
	return out
}
