package messages

// The records and message types of the 14 kinds (301 … 325); the
// building blocks (Header, CDT_ types) are in messages.go.

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
