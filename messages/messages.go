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

// Contact is a Contact record (301/302).
type Contact struct {
	Soort       AdresSoort       `iw:"Soort"`
	Adres       *Adres           `iw:"Adres"`
	Organisatie string           `iw:"Organisatie"`
	Telefoon    *Telefoonnummers `iw:"Telefoon"`
	Emailadres  string           `iw:"Emailadres"`
	Periode     *OpenPeriode     `iw:"Periode"` // only for Soort 04 (CD009)
	RetourCodes []RetourCode     `iw:"RetourCodes/RetourCode"`
}

// Relatie is a Relatie record (301/302).
type Relatie struct {
	Nummer        string         `iw:"Nummer"`
	Volgorde      *int           `iw:"Volgorde"`
	Soort         SoortRelatie   `iw:"Soort"`
	Geboortedatum *Geboortedatum `iw:"Geboortedatum"`
	Geslacht      Geslacht       `iw:"Geslacht"`
	Naam          VolledigeNaam  `iw:"Naam"`
	Contact       Contact        `iw:"Contact"`
	RetourCodes   []RetourCode   `iw:"RetourCodes/RetourCode"`
}

// ToegewezenProduct is one toewijzing (301/302).
type ToegewezenProduct struct {
	ToewijzingNummer    int            `iw:"ToewijzingNummer"`
	ReferentieAanbieder string         `iw:"ReferentieAanbieder"`
	Product             *Product       `iw:"Product"`
	Toewijzingsdatum    Date           `iw:"Toewijzingsdatum"`
	Toewijzingstijd     Time           `iw:"Toewijzingstijd"`
	Ingangsdatum        Date           `iw:"Ingangsdatum"`
	Einddatum           Date           `iw:"Einddatum"`
	RedenWijziging      RedenWijziging `iw:"RedenWijziging"`
	Omvang              *Omvang        `iw:"Omvang"`
	Budget              *int           `iw:"Budget"` // eurocents
	Commentaar          string         `iw:"Commentaar"`
	RetourCodes         []RetourCode   `iw:"RetourCodes/RetourCode"`
}

// ToewijzingClient is the Client of a 301/302.
type ToewijzingClient struct {
	Bsn                          string                       `iw:"Bsn"`
	Geboortedatum                Geboortedatum                `iw:"Geboortedatum"`
	Geslacht                     Geslacht                     `iw:"Geslacht"`
	Naam                         VolledigeNaam                `iw:"Naam"`
	Communicatie                 *Communicatie                `iw:"Communicatie"`
	JuridischeStatus             JuridischeStatus             `iw:"JuridischeStatus"`
	WettelijkeVertegenwoordiging WettelijkeVertegenwoordiging `iw:"WettelijkeVertegenwoordiging"`
	Commentaar                   string                       `iw:"Commentaar"`
	Relaties                     []Relatie                    `iw:"Relaties/Relatie"`
	Contactgegevens              []Contact                    `iw:"Contactgegevens/Contact"`
	ToegewezenProducten          []ToegewezenProduct          `iw:"ToegewezenProducten/ToegewezenProduct"`
	RetourCodes                  []RetourCode                 `iw:"RetourCodes/RetourCode"`
}

// Toewijzing is the 301 (gemeente → aanbieder).
type Toewijzing struct {
	Std    Standard         `iw:"-"`
	Header Header           `iw:"Header"`
	Client ToewijzingClient `iw:"Client"`
}

// ToewijzingRetour is the 302, the retour on a 301.
type ToewijzingRetour struct {
	Std    Standard          `iw:"-"`
	Header Header            `iw:"Header"`
	Client *ToewijzingClient `iw:"Client"`
}

// StartProduct is a record of the 305/306.
type StartProduct struct {
	ToewijzingNummer       *int              `iw:"ToewijzingNummer"`
	Product                *Product          `iw:"Product"`
	ToewijzingIngangsdatum Date              `iw:"ToewijzingIngangsdatum"`
	Begindatum             Date              `iw:"Begindatum"`
	StatusAanlevering      StatusAanlevering `iw:"StatusAanlevering"`
	RetourCodes            []RetourCode      `iw:"RetourCodes/RetourCode"`
}

// StartClient is the Client of a 305/306.
type StartClient struct {
	Bsn            string         `iw:"Bsn"`
	Geboortedatum  Geboortedatum  `iw:"Geboortedatum"`
	Geslacht       Geslacht       `iw:"Geslacht"`
	Naam           VerkorteNaam   `iw:"Naam"`
	StartProducten []StartProduct `iw:"StartProducten/StartProduct"`
	RetourCodes    []RetourCode   `iw:"RetourCodes/RetourCode"`
}

// Start is the 305 (aanbieder → gemeente).
type Start struct {
	Std    Standard    `iw:"-"`
	Header Header      `iw:"Header"`
	Client StartClient `iw:"Client"`
}

// StartRetour is the 306.
type StartRetour struct {
	Std    Standard     `iw:"-"`
	Header Header       `iw:"Header"`
	Client *StartClient `iw:"Client"`
}

// StopProduct is a record of the 307/308.
type StopProduct struct {
	ToewijzingNummer       *int              `iw:"ToewijzingNummer"`
	Product                *Product          `iw:"Product"`
	ToewijzingIngangsdatum Date              `iw:"ToewijzingIngangsdatum"`
	Begindatum             Date              `iw:"Begindatum"`
	RedenBeeindiging       RedenBeeindiging  `iw:"RedenBeeindiging"`
	Einddatum              Date              `iw:"Einddatum"`
	StatusAanlevering      StatusAanlevering `iw:"StatusAanlevering"`
	RetourCodes            []RetourCode      `iw:"RetourCodes/RetourCode"`
}

// StopClient is the Client of a 307/308.
type StopClient struct {
	Bsn           string        `iw:"Bsn"`
	Geboortedatum Geboortedatum `iw:"Geboortedatum"`
	Geslacht      Geslacht      `iw:"Geslacht"`
	Naam          VerkorteNaam  `iw:"Naam"`
	StopProducten []StopProduct `iw:"StopProducten/StopProduct"`
	RetourCodes   []RetourCode  `iw:"RetourCodes/RetourCode"`
}

// Stop is the 307 (aanbieder → gemeente).
type Stop struct {
	Std    Standard   `iw:"-"`
	Header Header     `iw:"Header"`
	Client StopClient `iw:"Client"`
}

// StopRetour is the 308.
type StopRetour struct {
	Std    Standard    `iw:"-"`
	Header Header      `iw:"Header"`
	Client *StopClient `iw:"Client"`
}

// AangevraagdProduct is a record of the 315/316.
type AangevraagdProduct struct {
	ReferentieAanbieder     string       `iw:"ReferentieAanbieder"`
	BeschikkingNummer       *int         `iw:"BeschikkingNummer"`
	Product                 *Product     `iw:"Product"`
	BeschikkingIngangsdatum Date         `iw:"BeschikkingIngangsdatum"`
	ToewijzingIngangsdatum  Date         `iw:"ToewijzingIngangsdatum"`
	ToewijzingEinddatum     Date         `iw:"ToewijzingEinddatum"`
	Omvang                  *Omvang      `iw:"Omvang"`
	Budget                  *int         `iw:"Budget"`
	Verwijzer               Verwijzer    `iw:"Verwijzer"`
	Raamcontract            JaNee        `iw:"Raamcontract"`
	Commentaar              string       `iw:"Commentaar"`
	RetourCodes             []RetourCode `iw:"RetourCodes/RetourCode"`
}

// VerzoekToewijzingClient is the Client of a 315/316.
type VerzoekToewijzingClient struct {
	Bsn                   string               `iw:"Bsn"`
	Geboortedatum         Geboortedatum        `iw:"Geboortedatum"`
	Geslacht              Geslacht             `iw:"Geslacht"`
	Naam                  VerkorteNaam         `iw:"Naam"`
	GezagsdragerBekend    JaNee                `iw:"GezagsdragerBekend,ijw"` // iJw only
	Commentaar            string               `iw:"Commentaar"`
	AangevraagdeProducten []AangevraagdProduct `iw:"AangevraagdeProducten/AangevraagdProduct"`
	RetourCodes           []RetourCode         `iw:"RetourCodes/RetourCode"`
}

// VerzoekToewijzing is the 315 (aanbieder → gemeente).
type VerzoekToewijzing struct {
	Std    Standard                `iw:"-"`
	Header Header                  `iw:"Header"`
	Client VerzoekToewijzingClient `iw:"Client"`
}

// VerzoekToewijzingRetour is the 316.
type VerzoekToewijzingRetour struct {
	Std    Standard                 `iw:"-"`
	Header Header                   `iw:"Header"`
	Client *VerzoekToewijzingClient `iw:"Client"`
}

// OngewijzigdProduct is a record of the 317/318.
type OngewijzigdProduct struct {
	ToewijzingNummer int          `iw:"ToewijzingNummer"`
	RetourCodes      []RetourCode `iw:"RetourCodes/RetourCode"`
}

// TeWijzigenProduct is a record of the 317/318.
type TeWijzigenProduct struct {
	ToewijzingNummer     int          `iw:"ToewijzingNummer"`
	GewensteIngangsdatum Date         `iw:"GewensteIngangsdatum"`
	Einddatum            Date         `iw:"Einddatum"`
	Omvang               *Omvang      `iw:"Omvang"`
	Budget               *int         `iw:"Budget"`
	RetourCodes          []RetourCode `iw:"RetourCodes/RetourCode"`
}

// NieuwProduct is a record of the 317/318.
type NieuwProduct struct {
	Product              *Product     `iw:"Product"`
	GewensteIngangsdatum Date         `iw:"GewensteIngangsdatum"`
	Einddatum            Date         `iw:"Einddatum"`
	Omvang               *Omvang      `iw:"Omvang"`
	Budget               *int         `iw:"Budget"`
	RetourCodes          []RetourCode `iw:"RetourCodes/RetourCode"`
}

// Verzoek is the Verzoek of a 317/318.
type Verzoek struct {
	ReferentieAanbieder   string               `iw:"ReferentieAanbieder"`
	RedenVerzoek          RedenVerzoek         `iw:"RedenVerzoek"`
	OngewijzigdeProducten []OngewijzigdProduct `iw:"OngewijzigdeProducten/OngewijzigdProduct"`
	TeWijzigenProducten   []TeWijzigenProduct  `iw:"TeWijzigenProducten/TeWijzigenProduct"`
	NieuweProducten       []NieuwProduct       `iw:"NieuweProducten/NieuwProduct"`
	RetourCodes           []RetourCode         `iw:"RetourCodes/RetourCode"`
}

// VerzoekWijzigingClient is the Client of a 317/318.
type VerzoekWijzigingClient struct {
	Bsn         string       `iw:"Bsn"`
	Verzoek     Verzoek      `iw:"Verzoek"`
	RetourCodes []RetourCode `iw:"RetourCodes/RetourCode"`
}

// VerzoekWijziging is the 317 (aanbieder → gemeente).
type VerzoekWijziging struct {
	Std    Standard               `iw:"-"`
	Header Header                 `iw:"Header"`
	Client VerzoekWijzigingClient `iw:"Client"`
}

// VerzoekWijzigingRetour is the 318.
type VerzoekWijzigingRetour struct {
	Std    Standard                `iw:"-"`
	Header Header                  `iw:"Header"`
	Client *VerzoekWijzigingClient `iw:"Client"`
}

// Woonplaatsbeginsel is the iJw-only Woonplaatsbeginsel of a 319/320.
type Woonplaatsbeginsel struct {
	Gemeente    string       `iw:"Gemeente"`
	RetourCodes []RetourCode `iw:"RetourCodes/RetourCode"`
}

// Antwoord is the Antwoord of a 319/320.
type Antwoord struct {
	ReferentieAanbieder   string                `iw:"ReferentieAanbieder"`
	VerzoekAntwoord       VerzoekAntwoord       `iw:"VerzoekAntwoord"`
	RedenAfwijzingVerzoek RedenAfwijzingVerzoek `iw:"RedenAfwijzingVerzoek"`
	Woonplaatsbeginsel    *Woonplaatsbeginsel   `iw:"Woonplaatsbeginsel,ijw"` // iJw only
	RetourCodes           []RetourCode          `iw:"RetourCodes/RetourCode"`
}

// Antwoordbericht is the 319 (gemeente → aanbieder): the answer to a 315 or
// 317 that is not a toewijzing (afgewezen, in onderzoek).
type Antwoordbericht struct {
	Std      Standard `iw:"-"`
	Header   Header   `iw:"Header"`
	Antwoord Antwoord `iw:"Antwoord"`
}

// AntwoordRetour is the 320.
type AntwoordRetour struct {
	Std      Standard  `iw:"-"`
	Header   Header    `iw:"Header"`
	Antwoord *Antwoord `iw:"Antwoord"`
}

// Prestatie is a record of the 323/325.
type Prestatie struct {
	ProductReferentie Referentie       `iw:"ProductReferentie"`
	ToewijzingNummer  int              `iw:"ToewijzingNummer"`
	ProductCategorie  ProductCategorie `iw:"ProductCategorie"`
	ProductCode       string           `iw:"ProductCode"`
	ProductPeriode    GeslotenPeriode  `iw:"ProductPeriode"`
	GeleverdVolume    int              `iw:"GeleverdVolume"`
	Eenheid           Eenheid          `iw:"Eenheid"`
	ProductTarief     *int             `iw:"ProductTarief"`
	IngediendBedrag   BedragMetDC      `iw:"IngediendBedrag"`
	RetourCodes       []RetourCode     `iw:"RetourCodes/RetourCode"` // 325
}

// DeclaratieClient is a Client of a 323/325.
type DeclaratieClient struct {
	Bsn         string       `iw:"Bsn"`
	Prestaties  []Prestatie  `iw:"Prestaties/Prestatie"`
	RetourCodes []RetourCode `iw:"RetourCodes/RetourCode"` // 325
}

// DeclaratieInhoud is the Declaratie of a 323.
type DeclaratieInhoud struct {
	DeclaratieNummer      string             `iw:"DeclaratieNummer"`
	DeclaratiePeriode     GeslotenPeriode    `iw:"DeclaratiePeriode"`
	DeclaratieDagtekening Date               `iw:"DeclaratieDagtekening"`
	TotaalIngediendBedrag TotaalBedragMetDC  `iw:"TotaalIngediendBedrag"`
	Clienten              []DeclaratieClient `iw:"Clienten/Client"`
}

// Declaratie is the 323 (aanbieder → gemeente).
type Declaratie struct {
	Std        Standard         `iw:"-"`
	Header     Header           `iw:"Header"`
	Declaratie DeclaratieInhoud `iw:"Declaratie"`
}

// DeclaratieAntwoordInhoud is the DeclaratieAntwoord of a 325.
type DeclaratieAntwoordInhoud struct {
	DeclaratieNummer      string             `iw:"DeclaratieNummer"`
	TotaalIngediendBedrag TotaalBedragMetDC  `iw:"TotaalIngediendBedrag"`
	TotaalToegekendBedrag TotaalBedragMetDC  `iw:"TotaalToegekendBedrag"`
	Clienten              []DeclaratieClient `iw:"Clienten/Client"`
	RetourCodes           []RetourCode       `iw:"RetourCodes/RetourCode"`
}

// DeclaratieAntwoord is the 325 (gemeente → aanbieder), the answer to a 323.
type DeclaratieAntwoord struct {
	Std                Standard                  `iw:"-"`
	Header             Header                    `iw:"Header"`
	DeclaratieAntwoord *DeclaratieAntwoordInhoud `iw:"DeclaratieAntwoord"`
}

func (m *Toewijzing) Standard() Standard              { return m.Std }
func (m *ToewijzingRetour) Standard() Standard        { return m.Std }
func (m *Start) Standard() Standard                   { return m.Std }
func (m *StartRetour) Standard() Standard             { return m.Std }
func (m *Stop) Standard() Standard                    { return m.Std }
func (m *StopRetour) Standard() Standard              { return m.Std }
func (m *VerzoekToewijzing) Standard() Standard       { return m.Std }
func (m *VerzoekToewijzingRetour) Standard() Standard { return m.Std }
func (m *VerzoekWijziging) Standard() Standard        { return m.Std }
func (m *VerzoekWijzigingRetour) Standard() Standard  { return m.Std }
func (m *Antwoordbericht) Standard() Standard         { return m.Std }
func (m *AntwoordRetour) Standard() Standard          { return m.Std }
func (m *Declaratie) Standard() Standard              { return m.Std }
func (m *DeclaratieAntwoord) Standard() Standard      { return m.Std }

func (m *Toewijzing) Kind() string              { return "301" }
func (m *ToewijzingRetour) Kind() string        { return "302" }
func (m *Start) Kind() string                   { return "305" }
func (m *StartRetour) Kind() string             { return "306" }
func (m *Stop) Kind() string                    { return "307" }
func (m *StopRetour) Kind() string              { return "308" }
func (m *VerzoekToewijzing) Kind() string       { return "315" }
func (m *VerzoekToewijzingRetour) Kind() string { return "316" }
func (m *VerzoekWijziging) Kind() string        { return "317" }
func (m *VerzoekWijzigingRetour) Kind() string  { return "318" }
func (m *Antwoordbericht) Kind() string         { return "319" }
func (m *AntwoordRetour) Kind() string          { return "320" }
func (m *Declaratie) Kind() string              { return "323" }
func (m *DeclaratieAntwoord) Kind() string      { return "325" }

func (m *Toewijzing) Head() *Header              { return &m.Header }
func (m *ToewijzingRetour) Head() *Header        { return &m.Header }
func (m *Start) Head() *Header                   { return &m.Header }
func (m *StartRetour) Head() *Header             { return &m.Header }
func (m *Stop) Head() *Header                    { return &m.Header }
func (m *StopRetour) Head() *Header              { return &m.Header }
func (m *VerzoekToewijzing) Head() *Header       { return &m.Header }
func (m *VerzoekToewijzingRetour) Head() *Header { return &m.Header }
func (m *VerzoekWijziging) Head() *Header        { return &m.Header }
func (m *VerzoekWijzigingRetour) Head() *Header  { return &m.Header }
func (m *Antwoordbericht) Head() *Header         { return &m.Header }
func (m *AntwoordRetour) Head() *Header          { return &m.Header }
func (m *Declaratie) Head() *Header              { return &m.Header }
func (m *DeclaratieAntwoord) Head() *Header      { return &m.Header }
