package inbound

import (
	"errors"
	"fmt"

	"github.com/sluis-gateway/sluis/messages"
)

// ErrNoExample is returned by Example for a kind it has no example of.
var ErrNoExample = errors.New("inbound: no example of this message")

// Example is a heenbericht for `sluis provider -send` and the tests: a
// valid 305, 307, 315, 317 or 323 of std from the provider agb to the
// gemeente, dated today, with test identities only (BSN 999900006, a
// made-up name). With breakRule it breaks one technical rule the
// receiving side applies and the XSD does not: TR101 (a record twice) in
// a 305, 307 or 317, TR383 (a ReferentieAanbieder twice) in a 315, TR358
// (a wrong total) in a 323. Its name is returned with it.
func Example(std messages.Standard, kind, agb, gemeente, identificatie string, today messages.Date, breakRule bool) (messages.Message, string, error) {
	if !std.Valid() {
		return nil, "", fmt.Errorf("%w: standard %q", ErrNoExample, std)
	}
	h := messages.Header{
		Afzender: agb, Ontvanger: gemeente,
		BerichtIdentificatie: messages.BerichtIdentificatie{Identificatie: identificatie, Dagtekening: today},
	}
	cat, code := messages.ProductCategorie("02"), "02A01"
	if std == messages.IJw {
		cat, code = "45", "45A01"
	}
	product := &messages.Product{Categorie: cat, Code: code}
	omvang := &messages.Omvang{Volume: 4, Eenheid: "04", Frequentie: messages.FrequentiePerMaand}
	start := today.AddDays(-14)
	nummer := 300201
	birth := messages.Geboortedatum{Datum: messages.NewDate(1967, 8, 13)}
	naam := messages.VerkorteNaam{Geslachtsnaam: messages.Achternaam{Achternaam: "Testpersoon"}, Voorletters: "T"}
	const bsn = "999900006"
	switch kind {
	case "305":
		sp := messages.StartProduct{ToewijzingNummer: &nummer, Product: product, ToewijzingIngangsdatum: start,
			Begindatum: start, StatusAanlevering: "1"}
		m := &messages.Start{Std: std, Header: h, Client: messages.StartClient{Bsn: bsn, Geboortedatum: birth,
			Geslacht: "1", Naam: naam, StartProducten: []messages.StartProduct{sp}}}
		if breakRule {
			m.Client.StartProducten = append(m.Client.StartProducten, sp)
			return m, "TR101", nil
		}
		return m, "", nil
	case "307":
		sp := messages.StopProduct{ToewijzingNummer: &nummer, Product: product, ToewijzingIngangsdatum: start,
			Begindatum: start, RedenBeeindiging: "02", Einddatum: today.AddDays(-1), StatusAanlevering: "1"}
		m := &messages.Stop{Std: std, Header: h, Client: messages.StopClient{Bsn: bsn, Geboortedatum: birth,
			Geslacht: "1", Naam: naam, StopProducten: []messages.StopProduct{sp}}}
		if breakRule {
			m.Client.StopProducten = append(m.Client.StopProducten, sp)
			return m, "TR101", nil
		}
		return m, "", nil
	case "315":
		ap := messages.AangevraagdProduct{ReferentieAanbieder: "VOT-" + identificatie, Product: product,
			ToewijzingIngangsdatum: today.AddDays(7), ToewijzingEinddatum: today.AddDays(97), Omvang: omvang,
			Verwijzer: messages.Verwijzer{Type: "01"}}
		m := &messages.VerzoekToewijzing{Std: std, Header: h, Client: messages.VerzoekToewijzingClient{Bsn: bsn,
			Geboortedatum: birth, Geslacht: "1", Naam: naam, AangevraagdeProducten: []messages.AangevraagdProduct{ap}}}
		if std == messages.IJw {
			m.Client.GezagsdragerBekend = "2"
		}
		if breakRule {
			second := ap
			second.Product = &messages.Product{Categorie: cat}
			second.Omvang = nil
			second.Budget = new(int)
			*second.Budget = 10000
			second.ToewijzingIngangsdatum, second.ToewijzingEinddatum = today.AddDays(120), today.AddDays(150)
			m.Client.AangevraagdeProducten = append(m.Client.AangevraagdeProducten, second)
			return m, "TR383", nil
		}
		return m, "", nil
	case "317":
		v := messages.Verzoek{ReferentieAanbieder: "VOW-" + identificatie, RedenVerzoek: "1",
			OngewijzigdeProducten: []messages.OngewijzigdProduct{{ToewijzingNummer: nummer}},
			NieuweProducten: []messages.NieuwProduct{{Product: product, GewensteIngangsdatum: today.AddDays(7),
				Einddatum: today.AddDays(97), Omvang: omvang}}}
		if breakRule {
			v.OngewijzigdeProducten = append(v.OngewijzigdeProducten, v.OngewijzigdeProducten[0])
		}
		m := &messages.VerzoekWijziging{Std: std, Header: h, Client: messages.VerzoekWijzigingClient{Bsn: bsn, Verzoek: v}}
		if breakRule {
			return m, "TR101", nil
		}
		return m, "", nil
	case "323":
		// The previous calendar month.
		last := messages.Date{Year: today.Year, Month: today.Month, Day: 1}.AddDays(-1)
		first := messages.Date{Year: last.Year, Month: last.Month, Day: 1}
		tarief := 1250
		p := messages.Prestatie{ProductReferentie: messages.Referentie{ReferentieNummer: identificatie},
			ToewijzingNummer: nummer, ProductCategorie: cat, ProductCode: code,
			ProductPeriode: messages.GeslotenPeriode{Begindatum: first, Einddatum: last}, GeleverdVolume: 4,
			Eenheid: "04", ProductTarief: &tarief, IngediendBedrag: messages.BedragMetDC{Bedrag: 5000, DebetCredit: "D"}}
		total := 5000
		if breakRule {
			total = 4999
		}
		m := &messages.Declaratie{Std: std, Header: h, Declaratie: messages.DeclaratieInhoud{
			DeclaratieNummer: identificatie, DeclaratiePeriode: messages.GeslotenPeriode{Begindatum: first, Einddatum: last},
			DeclaratieDagtekening: today, TotaalIngediendBedrag: messages.TotaalBedragMetDC{TotaalBedrag: total, DebetCredit: "D"},
			Clienten: []messages.DeclaratieClient{{Bsn: bsn, Prestaties: []messages.Prestatie{p}}}}}
		if breakRule {
			return m, "TR358", nil
		}
		return m, "", nil
	}
	return nil, "", fmt.Errorf("%w: %s", ErrNoExample, kind)
}
