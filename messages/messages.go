package messages

// Field tags (`iw:"…"`) drive Build and Parse: the element's local name in
// XSD sequence order; ",b" for an element of the basisschema namespace
// (children of the CDT_ types, elementFormDefault qualified); "Wrapper/Item"
// for a repeated element inside a wrapper (emitted only when non-empty);
// ",ijw" for an iJw-only element. Strings, code types, Dates and Times are
// left out when empty/zero; ints are always written, *int when not nil;
// struct values are always written, *struct when not nil.

// Message is one iWmo/iJw 3.2 message.
type Message interface {
	Standard() Standard
	Kind() string // "301"
	Head() *Header
}

// Header is the union of all header fields; each kind uses its subset in
// XSD order (heenberichten: up to XsdVersie; retours add IdentificatieRetour
// … RetourCodes; 325 adds DeclaratieIdentificatie … RetourCodes).
// Build fills BerichtCode, BerichtVersie (3), BerichtSubversie (2) and
// XsdVersie (1.0.0 / 1.0.0) when they are empty. (The iJw basisschema copy
// says 0.1.0 in its appinfo while every iJw example carries 1.0.0; 1.0.0 is
// used for both standards until the official release settles it.)
type Header struct {
	BerichtCode             string                `iw:"BerichtCode"`
	BerichtVersie           int                   `iw:"BerichtVersie"`
	BerichtSubversie        int                   `iw:"BerichtSubversie"`
	Afzender                string                `iw:"Afzender"`  // gemeentecode or AGB code (see the kind)
	Ontvanger               string                `iw:"Ontvanger"` // AGB code or gemeentecode
	BerichtIdentificatie    BerichtIdentificatie  `iw:"BerichtIdentificatie"`
	XsdVersie               XsdVersie             `iw:"XsdVersie"`
	DeclaratieIdentificatie *BerichtIdentificatie `iw:"DeclaratieIdentificatie"` // 325
	IdentificatieRetour     string                `iw:"IdentificatieRetour"`     // retours
	DagtekeningRetour       Date                  `iw:"DagtekeningRetour"`       // retours
	XsltVersie              string                `iw:"XsltVersie"`              // retours, 325
	XsdVersieRetour         *XsdVersie            `iw:"XsdVersieRetour"`         // retours
	XsdVersieDeclaratie     *XsdVersie            `iw:"XsdVersieDeclaratie"`     // 325
	RetourCodes             []RetourCode          `iw:"RetourCodes/RetourCode"`  // retours (0..1), 325 (1..1)
}

// BerichtIdentificatie is CDT_BerichtIdentificatie.
type BerichtIdentificatie struct {
	Identificatie string `iw:"Identificatie,b"` // 1–12 characters, unique per kind per sender (TR056)
	Dagtekening   Date   `iw:"Dagtekening,b"`   // not after today (TR135)
}

// XsdVersie is CDT_XsdVersie.
type XsdVersie struct {
	BasisschemaXsdVersie string `iw:"BasisschemaXsdVersie,b"`
	BerichtXsdVersie     string `iw:"BerichtXsdVersie,b"`
}

// Geboortedatum is CDT_Geboortedatum.
type Geboortedatum struct {
	Datum        Date         `iw:"Datum,b"`
	DatumGebruik DatumGebruik `iw:"DatumGebruik,b"`
}

// Achternaam is CDT_Achternaam.
type Achternaam struct {
	Achternaam  string `iw:"Achternaam,b"`
	Voorvoegsel string `iw:"Voorvoegsel,b"`
}

// VolledigeNaam is CDT_VolledigeNaam.
type VolledigeNaam struct {
	Geslachtsnaam Achternaam  `iw:"Geslachtsnaam,b"`
	Partnernaam   *Achternaam `iw:"Partnernaam,b"`
	Voornamen     string      `iw:"Voornamen,b"`
	Voorletters   string      `iw:"Voorletters,b"`
	NaamGebruik   NaamGebruik `iw:"NaamGebruik,b"`
}

// VerkorteNaam is CDT_VerkorteNaam.
type VerkorteNaam struct {
	Geslachtsnaam Achternaam `iw:"Geslachtsnaam,b"`
	Voornamen     string     `iw:"Voornamen,b"`
	Voorletters   string     `iw:"Voorletters,b"`
}

// Communicatie is CDT_Communicatie.
type Communicatie struct {
	Vorm Communicatievorm `iw:"Vorm,b"`
	Taal string           `iw:"Taal,b"` // only with Vorm 1 (CD007)
}

// Huis is CDT_Huis.
type Huis struct {
	Huisnummer           int                 `iw:"Huisnummer,b"`
	Huisletter           string              `iw:"Huisletter,b"`
	HuisnummerToevoeging string              `iw:"HuisnummerToevoeging,b"`
	AanduidingWoonadres  AanduidingWoonadres `iw:"AanduidingWoonadres,b"`
}

// Adres is CDT_Adres.
type Adres struct {
	Huis       *Huis    `iw:"Huis,b"`
	Postcode   string   `iw:"Postcode,b"`
	Straatnaam string   `iw:"Straatnaam,b"`
	Plaatsnaam string   `iw:"Plaatsnaam,b"`
	LandCode   LandCode `iw:"LandCode,b"`
}

// Telefoon is CDT_Telefoon.
type Telefoon struct {
	Telefoonnummer string `iw:"Telefoonnummer,b"`
	Landnummer     string `iw:"Landnummer,b"`
}

// Telefoonnummers is CDT_Telefoonnummers.
type Telefoonnummers struct {
	Telefoon01 Telefoon  `iw:"Telefoon01,b"`
	Telefoon02 *Telefoon `iw:"Telefoon02,b"`
}

// OpenPeriode is CDT_OpenPeriode.
type OpenPeriode struct {
	Begindatum Date `iw:"Begindatum,b"`
	Einddatum  Date `iw:"Einddatum,b"`
}

// GeslotenPeriode is CDT_GeslotenPeriode.
type GeslotenPeriode struct {
	Begindatum Date `iw:"Begindatum,b"`
	Einddatum  Date `iw:"Einddatum,b"`
}

// Product is CDT_Product.
type Product struct {
	Categorie ProductCategorie `iw:"Categorie,b"`
	Code      string           `iw:"Code,b"`
}

// Omvang is CDT_Omvang.
type Omvang struct {
	Volume     int        `iw:"Volume,b"`
	Eenheid    Eenheid    `iw:"Eenheid,b"`
	Frequentie Frequentie `iw:"Frequentie,b"`
}

// Verwijzer is CDT_Verwijzer.
type Verwijzer struct {
	Type             TypeVerwijzer `iw:"Type,b"`
	Naam             string        `iw:"Naam,b"`
	ZorgverlenerCode string        `iw:"ZorgverlenerCode,b"`
}

// Referentie is CDT_Referentie.
type Referentie struct {
	ReferentieNummer      string `iw:"ReferentieNummer,b"`
	VorigReferentieNummer string `iw:"VorigReferentieNummer,b"`
}

// BedragMetDC is CDT_BedragMetDC (eurocents).
type BedragMetDC struct {
	Bedrag      int         `iw:"Bedrag,b"`
	DebetCredit DebetCredit `iw:"DebetCredit,b"`
}

// TotaalBedragMetDC is CDT_TotaalBedragMetDC (eurocents).
type TotaalBedragMetDC struct {
	TotaalBedrag int         `iw:"TotaalBedrag,b"`
	DebetCredit  DebetCredit `iw:"DebetCredit,b"`
}
