// Package disclosure holds the disclosure request (contract version 1, see
// docs/disclosure-contract.md): its Go form, decoding and validation at the
// intake. A request that fails here gets an *InvalidError naming each problem
// by JSON path and rule, never by value.
package disclosure

import (
	"reflect"
	"time"
)

// Request is a disclosure request, contract version 1. Field comments name
// the iWmo/iJw 3.2 element each field becomes.
type Request struct {
	Version     int       `json:"version"`
	ID          string    `json:"id"`
	Sender      Sender    `json:"sender"`
	Recipient   Recipient `json:"recipient"`
	Standard    string    `json:"standard"`     // "iWmo" | "iJw"
	MessageType string    `json:"message_type"` // "301" | "319"
	// InReplyTo is the inbound id ("in-" + UUID) of the provider's message
	// this answers (internal/inbound), or empty.
	InReplyTo  string     `json:"in_reply_to,omitempty"`
	Purpose    string     `json:"purpose"`
	LegalBasis LegalBasis `json:"legal_basis"`
	// Client and Assignment are a 301's (required there); a 319 has
	// neither and leaves them zero.
	Client     Client     `json:"client"`
	Assignment Assignment `json:"assignment"`
	// Answer is a 319's (required there, nil for a 301).
	Answer *Answer `json:"answer,omitempty"`
	// Declaration is a 325's (required there, nil otherwise).
	Declaration *Declaration `json:"declaration,omitempty"`
}

// Message types a disclosure request can ask for.
const (
	MessageToewijzing         = "301" // toewijzing (assignment)
	MessageAntwoordbericht    = "319" // antwoordbericht (answer to a 315 or 317)
	MessageDeclaratieAntwoord = "325" // declaratie-antwoord (answer to a 323)
)

// Sender is the registration system that asks, on behalf of a municipality.
type Sender struct {
	Municipality string `json:"municipality"` // Header/Afzender (CBS gemeentecode)
	System       string `json:"system"`
	Employee     string `json:"employee"` // pseudonymous
}

// Recipient is the care provider.
type Recipient struct {
	AGB string `json:"agb"` // Header/Ontvanger
}

// Basis kinds.
const (
	BasisConsent         = "consent"
	BasisLegalObligation = "legal_obligation"
	BasisSafetyOverride  = "safety_override"
)

// LegalBasis is the ground for sharing, with its evidence.
type LegalBasis struct {
	Kind         string          `json:"kind"`
	ConsentIDs   []string        `json:"consent_ids,omitempty"`
	DecisionRef  string          `json:"decision_ref,omitempty"`
	Consultation *Consultation   `json:"consultation,omitempty"`
	Reason       string          `json:"reason,omitempty"`
	Informed     *ClientInformed `json:"client_informed,omitempty"`
}

// Consultation records who was consulted before a safety override.
type Consultation struct {
	Consulted string    `json:"consulted"` // pseudonymous employee id
	Role      string    `json:"role"`      // "colleague" | "manager"
	At        time.Time `json:"at"`
	Note      string    `json:"note"`
}

// ClientInformed says when the client was or will be informed of a safety
// override, or why that is not possible.
type ClientInformed struct {
	At                 *time.Time `json:"at,omitempty"`
	NotPossibleBecause string     `json:"not_possible_because,omitempty"`
}

// Client is the person the disclosure is about (Bericht/Client).
type Client struct {
	BSN            string         `json:"bsn"`                        // Bsn
	BirthDate      string         `json:"birth_date"`                 // Geboortedatum/Datum
	BirthDateUsage string         `json:"birth_date_usage,omitempty"` // Geboortedatum/DatumGebruik
	Gender         string         `json:"gender"`                     // Geslacht
	Name           Name           `json:"name"`                       // Naam
	Communication  *Communication `json:"communication,omitempty"`    // Communicatie
	LegalStatus    string         `json:"legal_status,omitempty"`     // JuridischeStatus
	Representation string         `json:"representation,omitempty"`   // WettelijkeVertegenwoordiging
	Comment        string         `json:"comment,omitempty"`          // Commentaar
	Relations      []Relation     `json:"relations,omitempty"`        // Relaties/Relatie
	Contacts       []Contact      `json:"contacts"`                   // Contactgegevens/Contact
}

// IsZero reports whether the client holds no data at all, as in a 319. Any
// field set, even an empty non-nil list, makes it non-zero: the safe reading
// for the checks that skip the client when there is none.
func (c Client) IsZero() bool { return reflect.ValueOf(c).IsZero() }

// Name is a full name (CDT_VolledigeNaam).
type Name struct {
	Surname              string `json:"surname"`                          // Geslachtsnaam/Achternaam
	SurnamePrefix        string `json:"surname_prefix,omitempty"`         // Geslachtsnaam/Voorvoegsel
	PartnerSurname       string `json:"partner_surname,omitempty"`        // Partnernaam/Achternaam
	PartnerSurnamePrefix string `json:"partner_surname_prefix,omitempty"` // Partnernaam/Voorvoegsel
	GivenNames           string `json:"given_names,omitempty"`            // Voornamen
	Initials             string `json:"initials,omitempty"`               // Voorletters
	NameUsage            string `json:"name_usage"`                       // NaamGebruik
}

// Communication is a special form of communication (CDT_Communicatie).
type Communication struct {
	Form     string `json:"form"`               // Vorm
	Language string `json:"language,omitempty"` // Taal
}

// Contact is one way to reach a person (Contact).
type Contact struct {
	Kind         string   `json:"kind"`                   // Soort
	Address      *Address `json:"address,omitempty"`      // Adres
	Organisation string   `json:"organisation,omitempty"` // Organisatie
	Phones       []Phone  `json:"phones,omitempty"`       // Telefoon/Telefoon01, Telefoon02
	Email        string   `json:"email,omitempty"`        // Emailadres
	Period       *Period  `json:"period,omitempty"`       // Periode
}

// Address is CDT_Adres.
type Address struct {
	HouseNumber         *int   `json:"house_number,omitempty"`          // Huis/Huisnummer
	HouseLetter         string `json:"house_letter,omitempty"`          // Huis/Huisletter
	HouseNumberAddition string `json:"house_number_addition,omitempty"` // Huis/HuisnummerToevoeging
	ResidenceIndication string `json:"residence_indication,omitempty"`  // Huis/AanduidingWoonadres
	Postcode            string `json:"postcode,omitempty"`              // Postcode
	Street              string `json:"street,omitempty"`                // Straatnaam
	City                string `json:"city,omitempty"`                  // Plaatsnaam
	Country             string `json:"country,omitempty"`               // LandCode
}

// Phone is one telephone number.
type Phone struct {
	Number      string `json:"number"`                 // Telefoonnummer
	CountryCode string `json:"country_code,omitempty"` // Landnummer
}

// Period is an open period (CDT_OpenPeriode).
type Period struct {
	Start string `json:"start"`
	End   string `json:"end,omitempty"`
}

// Relation is a person around the client (Relatie). It is only sent when the
// person was informed and agreed.
type Relation struct {
	Number            string  `json:"number"`               // Nummer
	Order             *int    `json:"order,omitempty"`      // Volgorde
	Kind              string  `json:"kind"`                 // Soort
	BirthDate         string  `json:"birth_date,omitempty"` // Geboortedatum
	Gender            string  `json:"gender,omitempty"`     // Geslacht
	Name              Name    `json:"name"`                 // Naam
	Contact           Contact `json:"contact"`              // Contact
	InformedAndAgreed bool    `json:"informed_and_agreed"`
}

// Assignment is what a 301 assigns (ToegewezenProducten).
type Assignment struct {
	Products []Product `json:"products"`
}

// Product is one ToegewezenProduct.
type Product struct {
	Number            int64        `json:"number"`                       // ToewijzingNummer
	ProviderReference string       `json:"provider_reference,omitempty"` // ReferentieAanbieder
	Product           *ProductCode `json:"product,omitempty"`            // Product
	AssignedOn        string       `json:"assigned_on"`                  // Toewijzingsdatum
	AssignedAt        string       `json:"assigned_at"`                  // Toewijzingstijd
	Start             string       `json:"start"`                        // Ingangsdatum
	End               string       `json:"end,omitempty"`                // Einddatum
	ChangeReason      string       `json:"change_reason,omitempty"`      // RedenWijziging
	Volume            *Volume      `json:"volume,omitempty"`             // Omvang
	Budget            *int64       `json:"budget,omitempty"`             // Budget
	Comment           string       `json:"comment,omitempty"`            // Commentaar
}

// ProductCode is CDT_Product.
type ProductCode struct {
	Category string `json:"category"`       // Categorie
	Code     string `json:"code,omitempty"` // Code
}

// Volume is CDT_Omvang.
type Volume struct {
	Amount    int64  `json:"amount"`    // Volume
	Unit      string `json:"unit"`      // Eenheid
	Frequency string `json:"frequency"` // Frequentie
}

// Answer is what a 319 says (Antwoord): the municipality's answer to a
// provider's request for assignment (315) or change (317) that is not
// granted as a toewijzing. It carries no client data.
type Answer struct {
	ProviderReference     string `json:"provider_reference"`               // ReferentieAanbieder
	Answer                string `json:"answer"`                           // VerzoekAntwoord: 1 afgewezen, 2 in onderzoek
	RejectionReason       string `json:"rejection_reason,omitempty"`       // RedenAfwijzingVerzoek
	ResidenceMunicipality string `json:"residence_municipality,omitempty"` // Woonplaatsbeginsel/Gemeente (iJw only)
}

// Declaration is what a 325 says (DeclaratieAntwoord): the municipality's
// answer to a provider's declaration (323) as a whole. It carries no
// client data (version 1 sends no rejected prestaties, so no BSN).
type Declaration struct {
	Identificatie string `json:"identificatie"` // DeclaratieIdentificatie/Identificatie (the 323's)
	Date          string `json:"date"`          // DeclaratieIdentificatie/Dagtekening
	Number        string `json:"number"`        // DeclaratieNummer
	Claimed       Amount `json:"claimed"`       // TotaalIngediendBedrag
	Granted       Amount `json:"granted"`       // TotaalToegekendBedrag
	RetourCode    string `json:"retour_code"`   // DeclaratieAntwoord/RetourCodes/RetourCode
}

// Amount is CDT_TotaalBedragMetDC: eurocents and debet (D) or credit (C).
type Amount struct {
	Cents       int64  `json:"cents"`
	DebitCredit string `json:"debit_credit"`
}
