package disclosure

import (
	"fmt"

	"github.com/sluis-gateway/sluis/internal/signing"
)

// RuleElements names the refusal of a request whose Bericht would be larger
// than the signature can carry.
const RuleElements = "limit:elements"

// MaxBerichtElements is the largest Bericht (counted in XML elements, the
// root included) a request may lead to: what signing.Seal accepts, because
// goxmldsig's verifier (v1.6.1, not configurable) stops canonicalising after
// 1,000 elements and the envelope and signature take the rest.
const MaxBerichtElements = signing.MaxBerichtElements

// BerichtElements is an upper bound of the number of XML elements in the
// Bericht composed from r (a 301 or 319), root included. It counts every
// element a filled request field can lead to, so the composed Bericht never
// has more; internal/disclosure's tests hold it against the real composer.
func BerichtElements(r Request) int {
	// Bericht, Header and its BerichtCode, BerichtVersie, BerichtSubversie,
	// Afzender, Ontvanger, BerichtIdentificatie (2), XsdVersie (2).
	n := 1 + 1 + 5 + 3 + 3
	if r.Answer != nil {
		// Antwoord: ReferentieAanbieder, VerzoekAntwoord,
		// RedenAfwijzingVerzoek, Woonplaatsbeginsel/Gemeente.
		n += 1 + 2 + opt(r.Answer.RejectionReason) + 2*opt(r.Answer.ResidenceMunicipality)
	}
	if r.Declaration != nil {
		// DeclaratieIdentificatie (3), XsltVersie, XsdVersieDeclaratie (3),
		// RetourCodes (2); DeclaratieAntwoord, DeclaratieNummer, two totals
		// (3 each), RetourCodes (2).
		n += 3 + 1 + 3 + 2 + 1 + 1 + 6 + 2
	}
	if r.Client.IsZero() && len(r.Assignment.Products) == 0 {
		return n
	}
	c := r.Client
	// Client, Bsn, Geboortedatum/Datum, Geslacht, Contactgegevens,
	// ToegewezenProducten.
	n += 1 + 1 + 2 + opt(c.BirthDateUsage) + 1 + nameElements(c.Name) + 1 + 1
	if c.Communication != nil {
		n += 2 + opt(c.Communication.Language)
	}
	n += opt(c.LegalStatus) + opt(c.Representation) + opt(c.Comment)
	if len(c.Relations) > 0 {
		n++ // Relaties
	}
	for _, rel := range c.Relations {
		// Relatie, Nummer, Soort.
		n += 3 + optInt(rel.Order) + opt(rel.Gender) + nameElements(rel.Name) + contactElements(rel.Contact)
		if rel.BirthDate != "" {
			n += 2
		}
	}
	for _, ct := range c.Contacts {
		n += contactElements(ct)
	}
	for _, p := range r.Assignment.Products {
		// ToegewezenProduct, ToewijzingNummer, Toewijzingsdatum,
		// Toewijzingstijd, Ingangsdatum.
		n += 5 + opt(p.ProviderReference) + opt(p.End) + opt(p.ChangeReason) + opt(p.Comment)
		if p.Product != nil {
			n += 2 + opt(p.Product.Code)
		}
		if p.Volume != nil {
			n += 4
		}
		if p.Budget != nil {
			n++
		}
	}
	return n
}

// nameElements bounds a VolledigeNaam: Naam, Geslachtsnaam/Achternaam,
// NaamGebruik and the optional parts.
func nameElements(nm Name) int {
	n := 4 + opt(nm.SurnamePrefix) + opt(nm.GivenNames) + opt(nm.Initials)
	if nm.PartnerSurname != "" || nm.PartnerSurnamePrefix != "" {
		n += 2 + opt(nm.PartnerSurnamePrefix)
	}
	return n
}

// contactElements bounds a Contact: Contact, Soort and the optional parts.
func contactElements(c Contact) int {
	n := 2 + opt(c.Organisation) + opt(c.Email)
	if a := c.Address; a != nil {
		n += 1 + opt(a.Postcode) + opt(a.Street) + opt(a.City) + opt(a.Country)
		if a.HouseNumber != nil || a.HouseLetter != "" || a.HouseNumberAddition != "" || a.ResidenceIndication != "" {
			// Huis and Huisnummer (always written in a Huis).
			n += 2 + opt(a.HouseLetter) + opt(a.HouseNumberAddition) + opt(a.ResidenceIndication)
		}
	}
	if len(c.Phones) > 0 {
		n++ // Telefoon
		for _, p := range c.Phones {
			n += 2 + opt(p.CountryCode) // Telefoon0x, Telefoonnummer, Landnummer
		}
	}
	if c.Period != nil {
		n += 2 + opt(c.Period.End)
	}
	return n
}

func opt(s string) int {
	if s == "" {
		return 0
	}
	return 1
}

func optInt(p *int) int {
	if p == nil {
		return 0
	}
	return 1
}

// elementProblems refuses a request whose Bericht could exceed
// MaxBerichtElements.
func elementProblems(r Request) []Problem {
	if n := BerichtElements(r); n > MaxBerichtElements {
		return []Problem{{Rule: RuleElements, Message: fmt.Sprintf(
			"the message would have up to %d XML elements; the signature carries at most %d (fewer relations, contacts, products or optional fields)", n, MaxBerichtElements)}}
	}
	return nil
}
