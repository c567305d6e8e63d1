package disclosure_test

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/sluis-gateway/sluis/internal/disclosure"
)

// fullRequest is a contract-valid 301 of the given standard with every
// optional field the technical rules allow filled, at the longest lengths
// the contract allows for the free texts when long is set.
func fullRequest(t *testing.T, std string, products, relations, contacts int, long bool) disclosure.Request {
	t.Helper()
	text := func(n int, short string) string {
		if !long {
			return short
		}
		b := make([]byte, n)
		for i := range b {
			b[i] = 'a' + byte(i%26)
		}
		return string(b)
	}
	name := func() disclosure.Name {
		return disclosure.Name{
			Surname: text(200, "Jansen"), SurnamePrefix: text(10, "van"),
			PartnerSurname: text(200, "Bakker"), PartnerSurnamePrefix: text(10, "de"),
			GivenNames: text(200, "Anna Maria"), Initials: "AMJBCD", NameUsage: "2",
		}
	}
	num := func(n int) *int { return &n }
	contact := func() disclosure.Contact {
		return disclosure.Contact{
			Kind: "04",
			Address: &disclosure.Address{
				HouseNumber: num(12345), HouseLetter: "A", HouseNumberAddition: text(4, "bis"),
				ResidenceIndication: "BY", Postcode: "1234AB", Street: text(24, "Kerklaan"),
				City: text(80, "Amsterdam"), Country: "NL",
			},
			Organisation: text(35, "Zorg BV"),
			Phones:       []disclosure.Phone{{Number: "0201234567", CountryCode: "0031"}, {Number: "0612345678", CountryCode: "0031"}},
			Email:        text(80, "a@example.org"),
			Period:       &disclosure.Period{Start: "2026-01-01", End: "2026-12-31"},
		}
	}
	cat, code := "01", "01A01"
	if std == "iJw" {
		cat, code = "45", "45A01"
	}
	r := disclosure.Request{
		Version: 1, ID: "6f1c2a3e-8b4d-4c1a-9e2f-3a5b7c9d1e01",
		Sender:    disclosure.Sender{Municipality: "0363", System: "regsys", Employee: "e-1"},
		Recipient: disclosure.Recipient{AGB: "42420001"},
		Standard:  std, MessageType: "301", Purpose: "care_assignment",
		LegalBasis: disclosure.LegalBasis{Kind: "legal_obligation", DecisionRef: "besluit-1"},
		Client: disclosure.Client{
			// CS139: the day is 01 when DatumGebruik says it is unknown.
			BSN: "999900006", BirthDate: "1967-08-01", BirthDateUsage: "1", Gender: "1", Name: name(),
			Communication: &disclosure.Communication{Form: "1", Language: text(25, "Pools")},
			LegalStatus:   "01", Representation: "06", Comment: text(4000, "toelichting"),
		},
	}
	for i := 0; i < relations; i++ {
		r.Client.Relations = append(r.Client.Relations, disclosure.Relation{
			Number: fmt.Sprintf("R%019d", i), Order: num(i), Kind: "03", BirthDate: "1970-01-01", Gender: "2",
			Name: name(), Contact: contact(), InformedAndAgreed: true,
		})
	}
	for i := 0; i < contacts; i++ {
		c := contact()
		if i == 0 {
			// TR061: a correspondence address among the client's contacts;
			// CD009: only a Soort 04 contact has a period.
			c.Kind, c.Period = "02", nil
		}
		r.Client.Contacts = append(r.Client.Contacts, c)
	}
	for i := 0; i < products; i++ {
		r.Assignment.Products = append(r.Assignment.Products, disclosure.Product{
			Number: int64(100000000 + i), ProviderReference: text(36, "ref"),
			Product: &disclosure.ProductCode{Category: cat, Code: code},
			// TR302: one product code, so periods that do not overlap.
			AssignedOn: "2026-11-20", AssignedAt: "12:34:56",
			Start: fmt.Sprintf("%04d-01-01", 2027+i), End: fmt.Sprintf("%04d-12-31", 2027+i),
			ChangeReason: "02", Volume: &disclosure.Volume{Amount: 99999999, Unit: "01", Frequency: "2"},
			Comment: text(4000, "toelichting"),
		})
	}
	return r
}

func marshal(t *testing.T, r disclosure.Request) []byte {
	t.Helper()
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func decoder(t *testing.T) *disclosure.Decoder {
	t.Helper()
	d, err := disclosure.NewDecoder()
	if err != nil {
		t.Fatal(err)
	}
	return d
}
