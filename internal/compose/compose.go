// Package compose turns an allowed disclosure request into its iWmo / iJw
// 3.2 Bericht. Every element comes from the request or the receipt record
// (Identificatie, Dagtekening); nothing else goes in.
package compose

import (
	"fmt"
	"time"

	"github.com/sluis-gateway/sluis/internal/disclosure"
	"github.com/sluis-gateway/sluis/internal/receipts"
	"github.com/sluis-gateway/sluis/messages"
)

// Amsterdam is the zone of the Dagtekening (a civil date in the Netherlands).
var Amsterdam = mustZone("Europe/Amsterdam")

func mustZone(name string) *time.Location {
	l, err := time.LoadLocation(name)
	if err != nil {
		return time.FixedZone("CET", 3600)
	}
	return l
}

// Composer builds Berichten. Safe for concurrent use.
type Composer struct {
	now func() time.Time
}

// New returns a Composer that uses the wall clock for TR135.
func New() *Composer { return &Composer{now: time.Now} }

// Compose builds the Bericht for req. The Dagtekening is the day the
// disclosure was registered, so composing again after a crash yields the
// same message.
func (c *Composer) Compose(req disclosure.Request, rec receipts.Record) ([]byte, error) {
	var m messages.Message
	var err error
	switch req.MessageType {
	case disclosure.MessageToewijzing:
		m, err = Toewijzing(req, rec)
	case disclosure.MessageAntwoordbericht:
		m, err = Antwoordbericht(req, rec)
	case disclosure.MessageDeclaratieAntwoord:
		m, err = DeclaratieAntwoord(req, rec)
	default:
		return nil, fmt.Errorf("message type %s cannot be composed from a disclosure", req.MessageType)
	}
	if err != nil {
		return nil, err
	}
	return messages.Build(m, messages.BuildOptions{Today: messages.DateOf(c.now().In(Amsterdam))})
}

// header is the Header of every Bericht sluis composes: the sending
// municipality, the receiving provider, and Identificatie and Dagtekening
// from the receipt record.
func header(req disclosure.Request, rec receipts.Record) messages.Header {
	return messages.Header{
		Afzender:  req.Sender.Municipality,
		Ontvanger: req.Recipient.AGB,
		BerichtIdentificatie: messages.BerichtIdentificatie{
			Identificatie: rec.Identificatie,
			Dagtekening:   messages.DateOf(rec.CreatedAt.In(Amsterdam)),
		},
	}
}

// Antwoordbericht maps a 319 request onto the message type. A 319 carries
// no client data: only the header and the answer (ReferentieAanbieder,
// VerzoekAntwoord, RedenAfwijzingVerzoek and, for iJw,
// Woonplaatsbeginsel/Gemeente). A request with client or assignment data is
// refused rather than silently dropped: the screening let it through, so
// something upstream is wrong.
func Antwoordbericht(req disclosure.Request, rec receipts.Record) (*messages.Antwoordbericht, error) {
	std := messages.Standard(req.Standard)
	if !std.Valid() {
		return nil, fmt.Errorf("unknown standard")
	}
	a := req.Answer
	switch {
	case a == nil:
		return nil, fmt.Errorf("/answer: a 319 needs an answer")
	case !req.Client.IsZero() || len(req.Assignment.Products) > 0:
		return nil, fmt.Errorf("a 319 carries no client or assignment data")
	case a.ResidenceMunicipality != "" && std != messages.IJw:
		return nil, fmt.Errorf("/answer/residence_municipality: only in an iJw 319")
	}
	m := &messages.Antwoordbericht{
		Std:    std,
		Header: header(req, rec),
		Antwoord: messages.Antwoord{
			ReferentieAanbieder:   a.ProviderReference,
			VerzoekAntwoord:       messages.VerzoekAntwoord(a.Answer),
			RedenAfwijzingVerzoek: messages.RedenAfwijzingVerzoek(a.RejectionReason),
		},
	}
	if a.ResidenceMunicipality != "" {
		m.Antwoord.Woonplaatsbeginsel = &messages.Woonplaatsbeginsel{Gemeente: a.ResidenceMunicipality}
	}
	return m, nil
}

// DeclaratieAntwoord maps a 325 request onto the message type: the answer
// to a declaration (323) as a whole. The Header names the declaration
// (DeclaratieIdentificatie) and carries 0200, XsltVersie and
// XsdVersieDeclaratie 1.0.0; the DeclaratieAntwoord carries the number, the
// totals and the retour code, and no Clienten (version 1 sends no rejected
// prestaties: no client data).
func DeclaratieAntwoord(req disclosure.Request, rec receipts.Record) (*messages.DeclaratieAntwoord, error) {
	std := messages.Standard(req.Standard)
	if !std.Valid() {
		return nil, fmt.Errorf("unknown standard")
	}
	d := req.Declaration
	switch {
	case d == nil:
		return nil, fmt.Errorf("/declaration: a 325 needs a declaration")
	case !req.Client.IsZero() || len(req.Assignment.Products) > 0 || req.Answer != nil:
		return nil, fmt.Errorf("a 325 carries no client, assignment or answer data")
	}
	p := &parser{}
	date := p.date("/declaration/date", d.Date)
	if p.err != nil {
		return nil, p.err
	}
	h := header(req, rec)
	h.DeclaratieIdentificatie = &messages.BerichtIdentificatie{Identificatie: d.Identificatie, Dagtekening: date}
	h.XsltVersie = "1.0.0"
	h.XsdVersieDeclaratie = &messages.XsdVersie{BasisschemaXsdVersie: "1.0.0", BerichtXsdVersie: "1.0.0"}
	h.RetourCodes = []messages.RetourCode{messages.RetourGeenOpmerking}
	total := func(a disclosure.Amount) messages.TotaalBedragMetDC {
		return messages.TotaalBedragMetDC{TotaalBedrag: int(a.Cents), DebetCredit: messages.DebetCredit(a.DebitCredit)}
	}
	return &messages.DeclaratieAntwoord{Std: std, Header: h, DeclaratieAntwoord: &messages.DeclaratieAntwoordInhoud{
		DeclaratieNummer:      d.Number,
		TotaalIngediendBedrag: total(d.Claimed),
		TotaalToegekendBedrag: total(d.Granted),
		RetourCodes:           []messages.RetourCode{messages.RetourCode(d.RetourCode)},
	}}, nil
}

// Toewijzing maps a 301 request onto the message type.
func Toewijzing(req disclosure.Request, rec receipts.Record) (*messages.Toewijzing, error) {
	std := messages.Standard(req.Standard)
	if !std.Valid() {
		return nil, fmt.Errorf("unknown standard")
	}
	p := &parser{}
	cl := req.Client
	m := &messages.Toewijzing{
		Std:    std,
		Header: header(req, rec),
		Client: messages.ToewijzingClient{
			Bsn: cl.BSN,
			Geboortedatum: messages.Geboortedatum{
				Datum:        p.date("/client/birth_date", cl.BirthDate),
				DatumGebruik: messages.DatumGebruik(cl.BirthDateUsage),
			},
			Geslacht:                     messages.Geslacht(cl.Gender),
			Naam:                         naam(cl.Name),
			JuridischeStatus:             messages.JuridischeStatus(cl.LegalStatus),
			WettelijkeVertegenwoordiging: messages.WettelijkeVertegenwoordiging(cl.Representation),
			Commentaar:                   cl.Comment,
		},
	}
	if cl.Communication != nil {
		m.Client.Communicatie = &messages.Communicatie{
			Vorm: messages.Communicatievorm(cl.Communication.Form),
			Taal: cl.Communication.Language,
		}
	}
	for i, r := range cl.Relations {
		rel := messages.Relatie{
			Nummer:   r.Number,
			Volgorde: r.Order,
			Soort:    messages.SoortRelatie(r.Kind),
			Geslacht: messages.Geslacht(r.Gender),
			Naam:     naam(r.Name),
			Contact:  contact(p, fmt.Sprintf("/client/relations/%d/contact", i), r.Contact),
		}
		if r.BirthDate != "" {
			rel.Geboortedatum = &messages.Geboortedatum{Datum: p.date(fmt.Sprintf("/client/relations/%d/birth_date", i), r.BirthDate)}
		}
		m.Client.Relaties = append(m.Client.Relaties, rel)
	}
	for i, c := range cl.Contacts {
		m.Client.Contactgegevens = append(m.Client.Contactgegevens, contact(p, fmt.Sprintf("/client/contacts/%d", i), c))
	}
	for i, pr := range req.Assignment.Products {
		path := fmt.Sprintf("/assignment/products/%d", i)
		tp := messages.ToegewezenProduct{
			ToewijzingNummer:    int(pr.Number),
			ReferentieAanbieder: pr.ProviderReference,
			Toewijzingsdatum:    p.date(path+"/assigned_on", pr.AssignedOn),
			Toewijzingstijd:     p.time(path+"/assigned_at", pr.AssignedAt),
			Ingangsdatum:        p.date(path+"/start", pr.Start),
			RedenWijziging:      messages.RedenWijziging(pr.ChangeReason),
			Commentaar:          pr.Comment,
		}
		if pr.End != "" {
			tp.Einddatum = p.date(path+"/end", pr.End)
		}
		if pr.Product != nil {
			tp.Product = &messages.Product{Categorie: messages.ProductCategorie(pr.Product.Category), Code: pr.Product.Code}
		}
		if pr.Volume != nil {
			tp.Omvang = &messages.Omvang{
				Volume:     int(pr.Volume.Amount),
				Eenheid:    messages.Eenheid(pr.Volume.Unit),
				Frequentie: messages.Frequentie(pr.Volume.Frequency),
			}
		}
		if pr.Budget != nil {
			b := int(*pr.Budget)
			tp.Budget = &b
		}
		m.Client.ToegewezenProducten = append(m.Client.ToegewezenProducten, tp)
	}
	if p.err != nil {
		return nil, p.err
	}
	return m, nil
}

func naam(n disclosure.Name) messages.VolledigeNaam {
	v := messages.VolledigeNaam{
		Geslachtsnaam: messages.Achternaam{Achternaam: n.Surname, Voorvoegsel: n.SurnamePrefix},
		Voornamen:     n.GivenNames,
		Voorletters:   n.Initials,
		NaamGebruik:   messages.NaamGebruik(n.NameUsage),
	}
	if n.PartnerSurname != "" {
		v.Partnernaam = &messages.Achternaam{Achternaam: n.PartnerSurname, Voorvoegsel: n.PartnerSurnamePrefix}
	}
	return v
}

func contact(p *parser, path string, c disclosure.Contact) messages.Contact {
	out := messages.Contact{
		Soort:       messages.AdresSoort(c.Kind),
		Organisatie: c.Organisation,
		Emailadres:  c.Email,
	}
	if a := c.Address; a != nil {
		ad := &messages.Adres{
			Postcode: a.Postcode, Straatnaam: a.Street, Plaatsnaam: a.City,
			LandCode: messages.LandCode(a.Country),
		}
		if a.HouseNumber != nil || a.HouseLetter != "" || a.HouseNumberAddition != "" || a.ResidenceIndication != "" {
			h := &messages.Huis{
				Huisletter:           a.HouseLetter,
				HuisnummerToevoeging: a.HouseNumberAddition,
				AanduidingWoonadres:  messages.AanduidingWoonadres(a.ResidenceIndication),
			}
			if a.HouseNumber != nil {
				h.Huisnummer = *a.HouseNumber
			}
			ad.Huis = h
		}
		out.Adres = ad
	}
	if len(c.Phones) > 0 {
		t := &messages.Telefoonnummers{Telefoon01: messages.Telefoon{Telefoonnummer: c.Phones[0].Number, Landnummer: c.Phones[0].CountryCode}}
		if len(c.Phones) > 1 {
			t.Telefoon02 = &messages.Telefoon{Telefoonnummer: c.Phones[1].Number, Landnummer: c.Phones[1].CountryCode}
		}
		out.Telefoon = t
	}
	if c.Period != nil {
		per := &messages.OpenPeriode{Begindatum: p.date(path+"/period/start", c.Period.Start)}
		if c.Period.End != "" {
			per.Einddatum = p.date(path+"/period/end", c.Period.End)
		}
		out.Periode = per
	}
	return out
}

// parser keeps the first date or time that does not parse (the schema
// checked them, so this is a safety net), by path.
type parser struct{ err error }

func (p *parser) date(path, s string) messages.Date {
	d, err := messages.ParseDate(s)
	if err != nil && p.err == nil {
		p.err = fmt.Errorf("%s: not a valid date", path)
	}
	return d
}

func (p *parser) time(path, s string) messages.Time {
	t, err := messages.ParseTime(s)
	if err != nil && p.err == nil {
		p.err = fmt.Errorf("%s: not a valid time", path)
	}
	return t
}
