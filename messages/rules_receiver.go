package messages

// Technical rules of the receiving side (controleniveau 2, retourcode 0001
// for the whole message; TR378 is retourcode S300) on what a sender
// writes. Rule texts: ../shared/reference/istandaarden/NOTES.md and the
// iStandaarden rule pages it cites (informatiemodel.istandaarden.nl,
// .../iwmo/3.2/regels/technische-regel/trNNN/).
//
//	TR002  Geboortedatum not more than 120 years before the Dagtekening,
//	       unless unknown (DatumGebruik 3 with Datum 1900-01-01) (301, 305, 307, 315)
//	TR006  a Contact holds a Telefoon and/or both Adres/Huis and Adres/Postcode (301)
//	TR061  the Client has at least one Contact of Soort 01, 02 or 03 (301)
//	TR101  no duplicate records: ToewijzingNummer and Relatie/Nummer unique in a 301,
//	       a Client's Bsn unique and ProductReferentie unique per Client in a 325
//	TR134  dates not after the Dagtekening: Geboortedatum (Client, Relatie),
//	       Toewijzingsdatum (301); the 323's Dagtekening in a 325
//	TR302  one Product (Code, else Categorie; without Product: any) not in
//	       overlapping periods; removed toewijzingen (Einddatum = Ingangsdatum
//	       with RedenWijziging 13 or 01) do not count (301)
//	CS139  DatumGebruik 1: day 01; 2: day and month 01-01; 3: Datum 1900-01-01
//	TR378  every gemeentecode (Afzender / Ontvanger, Woonplaatsbeginsel/Gemeente)
//	       is in the CBS list (GemeenteName)
//
// On the providers' heenberichten (what sluis receives, docs/inbound.md):
//
//	TR101  (305, 307) one StartProduct / StopProduct per ToewijzingNummer (or
//	       Product when there is none) and Begindatum; (317) one
//	       OngewijzigdProduct / TeWijzigenProduct per ToewijzingNummer;
//	       (323) a Client's Bsn once per message, a ProductReferentie once per Client
//	TR018  (307) Einddatum not before Begindatum
//	TR383  (315) ReferentieAanbieder unique per AangevraagdProduct
//	TR386  (315) one Product not in overlapping periods (ToewijzingIngangsdatum –
//	       ToewijzingEinddatum; Code, else Categorie; without Product: any)
//	TR352  (317) at least one OngewijzigdProduct or TeWijzigenProduct
//	TR353  (317) at least one TeWijzigenProduct or NieuwProduct
//	TR410  (317) one Product not in overlapping periods among the NieuweProducten
//	TR315  (323) every VorigReferentieNummer once in the message
//	TR316  (323) no VorigReferentieNummer equal to a ReferentieNummer of the same message
//	TR358  (323) TotaalIngediendBedrag is the sum of the IngediendBedragen (debet
//	       minus credit), with its DebetCredit

import "fmt"

var unknownBirth = Date{1900, 1, 1}

func (c *checker) receiver(m Message) {
	h := m.Head()
	dag := h.BerichtIdentificatie.Dagtekening
	if gemeenteSender[m.Kind()] {
		c.cbs("Header/Afzender", h.Afzender)
	} else {
		c.cbs("Header/Ontvanger", h.Ontvanger)
	}
	switch r := m.(type) {
	case *Toewijzing:
		c.birth("Client/Geboortedatum", r.Client.Geboortedatum, dag)
		c.toewijzingClient(&r.Client, dag)
	case *Start:
		c.birth("Client/Geboortedatum", r.Client.Geboortedatum, dag)
		c.startProducts(r.Client.StartProducten)
	case *Stop:
		c.birth("Client/Geboortedatum", r.Client.Geboortedatum, dag)
		c.stopProducts(r.Client.StopProducten)
	case *VerzoekToewijzing:
		c.birth("Client/Geboortedatum", r.Client.Geboortedatum, dag)
		c.aangevraagd(r.Client.AangevraagdeProducten)
	case *VerzoekWijziging:
		c.verzoek(&r.Client.Verzoek)
	case *Declaratie:
		c.declaratieClients("Declaratie/Clienten/Client", r.Declaratie.Clienten)
		c.declaratie(&r.Declaratie)
	case *Antwoordbericht:
		if r.Antwoord.Woonplaatsbeginsel != nil {
			c.cbs("Antwoord/Woonplaatsbeginsel/Gemeente", r.Antwoord.Woonplaatsbeginsel.Gemeente)
		}
	case *DeclaratieAntwoord:
		if d := h.DeclaratieIdentificatie; d != nil {
			c.notAfter("Header/DeclaratieIdentificatie/Dagtekening", d.Dagtekening, dag)
		}
		if r.DeclaratieAntwoord != nil {
			c.declaratieClients("DeclaratieAntwoord/Clienten/Client", r.DeclaratieAntwoord.Clienten)
		}
	}
}

// Finding is one receiving-side rule a value breaks: the rule's code and
// why, never the value. It says nothing of where: the checker places it at
// the element's XML path, the intake (internal/disclosure) at the request's
// JSON path, so both apply one rule from one place.
type Finding struct {
	Code    string
	Message string
}

// BirthDateFindings applies CS139, TR002 and TR134 to a Geboortedatum
// against the message's Dagtekening dag. TR002 is about the Client: with
// client false (a Relatie) it is not applied. An absent or invalid date or
// Dagtekening yields nothing (other rules report those).
func BirthDateFindings(g Geboortedatum, dag Date, client bool) []Finding {
	d := g.Datum
	if d.IsZero() || !d.Valid() || dag.IsZero() || !dag.Valid() {
		return nil
	}
	var fs []Finding
	switch g.DatumGebruik {
	case "1":
		if d.Day != 1 {
			fs = append(fs, Finding{"CS139", "day must be 01 when DatumGebruik is 1 (day unknown)"})
		}
	case "2":
		if d.Day != 1 || d.Month != 1 {
			fs = append(fs, Finding{"CS139", "day and month must be 01-01 when DatumGebruik is 2 (day and month unknown)"})
		}
	case "3":
		if d != unknownBirth {
			fs = append(fs, Finding{"CS139", "must be 1900-01-01 when DatumGebruik is 3 (date unknown)"})
		}
	}
	unknown := g.DatumGebruik == "3" && d == unknownBirth
	limit := Date{dag.Year - 120, dag.Month, dag.Day}
	if client && !unknown && d.Before(limit) {
		fs = append(fs, Finding{"TR002", "more than 120 years before the Dagtekening"})
	}
	if f, ok := DateFinding(d, dag); ok {
		fs = append(fs, f)
	}
	return fs
}

// DateFinding is TR134: a date after the Dagtekening dag.
func DateFinding(d, dag Date) (Finding, bool) {
	if !d.IsZero() && d.Valid() && !dag.IsZero() && d.After(dag) {
		return Finding{"TR134", "after the Dagtekening of the message"}, true
	}
	return Finding{}, false
}

// GemeenteFinding is TR378: a well-formed gemeentecode that is not in the
// embedded CBS list. A malformed one yields nothing (RS035 and the XSD
// report it).
func GemeenteFinding(code string) (Finding, bool) {
	if !ValidGemeentecode(code) {
		return Finding{}, false
	}
	if _, ok := GemeenteName(code); !ok {
		return Finding{"TR378", "gemeentecode not in the CBS list of " + GemeentenListDate}, true
	}
	return Finding{}, false
}

// Repeated is TR101's test: the indexes (0-based) of the keys that occur
// earlier in keys, i.e. every duplicate after its first occurrence.
func Repeated[K comparable](keys []K) []int {
	seen := make(map[K]bool, len(keys))
	var out []int
	for i, k := range keys {
		if seen[k] {
			out = append(out, i)
		}
		seen[k] = true
	}
	return out
}

// Overlap is a TR302 finding: toewijzing Index (0-based) overlaps the
// earlier toewijzing Earlier of the same product.
type Overlap struct{ Index, Earlier int }

// Overlaps is TR302 over a 301's toewijzingen: one Product (Code, else
// Categorie; without Product: any) not in overlapping periods; removed
// toewijzingen (Einddatum = Ingangsdatum with RedenWijziging 13 or 01) do
// not count. Each toewijzing is reported once, against the first earlier
// one it overlaps. Only Product, Ingangsdatum, Einddatum and
// RedenWijziging are read.
func Overlaps(tps []ToegewezenProduct) []Overlap {
	removed := func(tp *ToegewezenProduct) bool {
		return tp.Einddatum == tp.Ingangsdatum &&
			(tp.RedenWijziging == RedenWijzigingVerwijderd || tp.RedenWijziging == RedenWijzigingVervallen)
	}
	same := func(a, b *ToegewezenProduct) bool {
		switch {
		case a.Product == nil || b.Product == nil:
			return true
		case a.Product.Code != "" && b.Product.Code != "":
			return a.Product.Code == b.Product.Code
		default:
			return a.Product.Categorie == b.Product.Categorie
		}
	}
	overlaps := func(a, b *ToegewezenProduct) bool {
		aEnd, bEnd := a.Einddatum, b.Einddatum
		return (bEnd.IsZero() || !a.Ingangsdatum.After(bEnd)) && (aEnd.IsZero() || !b.Ingangsdatum.After(aEnd))
	}
	var out []Overlap
	for i := range tps {
		if removed(&tps[i]) {
			continue
		}
		for j := 0; j < i; j++ {
			if removed(&tps[j]) || !same(&tps[i], &tps[j]) || !overlaps(&tps[i], &tps[j]) {
				continue
			}
			out = append(out, Overlap{Index: i, Earlier: j})
			break
		}
	}
	return out
}

// cbs: TR378 at path.
func (c *checker) cbs(path, code string) {
	if f, ok := GemeenteFinding(code); ok {
		c.add(f.Code, path, f.Message)
	}
}

// birth applies CS139, TR002 and TR134 to a Client's Geboortedatum.
func (c *checker) birth(path string, g Geboortedatum, dag Date) {
	for _, f := range BirthDateFindings(g, dag, true) {
		c.add(f.Code, path+"/Datum", f.Message)
	}
}

// notAfter: TR134, a date after the Dagtekening.
func (c *checker) notAfter(path string, d, dag Date) {
	if f, ok := DateFinding(d, dag); ok {
		c.add(f.Code, path, f.Message)
	}
}

func (c *checker) toewijzingClient(cl *ToewijzingClient, dag Date) {
	nummers := make([]string, len(cl.Relaties))
	for i := range cl.Relaties {
		r := &cl.Relaties[i]
		p := fmt.Sprintf("Client/Relaties/Relatie[%d]", i+1)
		if r.Geboortedatum != nil {
			for _, f := range BirthDateFindings(*r.Geboortedatum, dag, false) {
				c.add(f.Code, p+"/Geboortedatum/Datum", f.Message)
			}
		}
		nummers[i] = r.Nummer
		c.contactFilled(p+"/Contact", &r.Contact)
	}
	for _, i := range Repeated(nummers) {
		c.add("TR101", fmt.Sprintf("Client/Relaties/Relatie[%d]/Nummer", i+1), "a second Relatie with this Nummer")
	}
	basic := false
	for i := range cl.Contactgegevens {
		ct := &cl.Contactgegevens[i]
		c.contactFilled(fmt.Sprintf("Client/Contactgegevens/Contact[%d]", i+1), ct)
		switch ct.Soort {
		case AdresSoortBRP, AdresSoortCorrespondentie, AdresSoortVerblijf:
			basic = true
		}
	}
	if !basic && len(cl.Contactgegevens) > 0 {
		c.add("TR061", "Client/Contactgegevens", "no Contact of Soort 01 (BRP), 02 (correspondentie) or 03 (verblijf)")
	}
	tps := cl.ToegewezenProducten
	numbers := make([]int, len(tps))
	for i := range tps {
		numbers[i] = tps[i].ToewijzingNummer
		c.notAfter(fmt.Sprintf("Client/ToegewezenProducten/ToegewezenProduct[%d]/Toewijzingsdatum", i+1), tps[i].Toewijzingsdatum, dag)
	}
	for _, i := range Repeated(numbers) {
		c.add("TR101", fmt.Sprintf("Client/ToegewezenProducten/ToegewezenProduct[%d]/ToewijzingNummer", i+1),
			"a second ToegewezenProduct with this ToewijzingNummer")
	}
	for _, o := range Overlaps(tps) {
		c.add("TR302", fmt.Sprintf("Client/ToegewezenProducten/ToegewezenProduct[%d]/Ingangsdatum", o.Index+1),
			fmt.Sprintf("period overlaps ToegewezenProduct[%d] of the same product", o.Earlier+1))
	}
}

// contactFilled: TR006, a Contact with a Telefoon and/or Huis and Postcode.
func (c *checker) contactFilled(path string, ct *Contact) {
	if ct.Telefoon != nil {
		return
	}
	if ct.Adres != nil && ct.Adres.Huis != nil && ct.Adres.Postcode != "" {
		return
	}
	c.add("TR006", path, "holds neither a Telefoon nor an Adres with Huis and Postcode")
}

// declaratieClients: TR101 in a 325 (Bsn per Client, ProductReferentie per
// Client).
func (c *checker) declaratieClients(path string, cls []DeclaratieClient) {
	bsns := make([]string, len(cls))
	for i := range cls {
		bsns[i] = cls[i].Bsn
		refs := make([]Referentie, len(cls[i].Prestaties))
		for j := range cls[i].Prestaties {
			refs[j] = cls[i].Prestaties[j].ProductReferentie
		}
		for _, j := range Repeated(refs) {
			c.add("TR101", fmt.Sprintf("%s[%d]/Prestaties/Prestatie[%d]/ProductReferentie", path, i+1, j+1), "a second Prestatie with this ProductReferentie")
		}
	}
	for _, i := range Repeated(bsns) {
		c.add("TR101", fmt.Sprintf("%s[%d]/Bsn", path, i+1), "a second Client with this Bsn")
	}
}

// productKey is the logical key of a start or stop record (TR101).
type productKey struct {
	nummer     int
	hasNummer  bool
	product    Product
	begindatum Date
}

func keyOf(nummer *int, p *Product, begin Date) productKey {
	k := productKey{begindatum: begin}
	if nummer != nil {
		k.nummer, k.hasNummer = *nummer, true
	} else if p != nil {
		k.product = *p
	}
	return k
}

// startProducts: TR101 in a 305.
func (c *checker) startProducts(ps []StartProduct) {
	seen := map[productKey]bool{}
	for i := range ps {
		k := keyOf(ps[i].ToewijzingNummer, ps[i].Product, ps[i].Begindatum)
		if seen[k] {
			c.add("TR101", fmt.Sprintf("Client/StartProducten/StartProduct[%d]", i+1),
				"a second StartProduct with this ToewijzingNummer (or Product) and Begindatum")
		}
		seen[k] = true
	}
}

// stopProducts: TR101 and TR018 in a 307.
func (c *checker) stopProducts(ps []StopProduct) {
	seen := map[productKey]bool{}
	for i := range ps {
		p := fmt.Sprintf("Client/StopProducten/StopProduct[%d]", i+1)
		k := keyOf(ps[i].ToewijzingNummer, ps[i].Product, ps[i].Begindatum)
		if seen[k] {
			c.add("TR101", p, "a second StopProduct with this ToewijzingNummer (or Product) and Begindatum")
		}
		seen[k] = true
		if b, e := ps[i].Begindatum, ps[i].Einddatum; !b.IsZero() && !e.IsZero() && e.Before(b) {
			c.add("TR018", p+"/Einddatum", "before the Begindatum")
		}
	}
}

// span is a period of a product for the overlap rules (TR386, TR410).
type span struct {
	product    *Product
	begin, end Date // end zero: open
}

// overlapping reports, per span, the index of an earlier span of the same
// product whose period overlaps it (-1: none). The same product is the same
// Code, else the same Categorie; a span without Product is the same as any.
func overlapping(spans []span) []int {
	same := func(a, b *Product) bool {
		switch {
		case a == nil || b == nil:
			return true
		case a.Code != "" && b.Code != "":
			return a.Code == b.Code
		default:
			return a.Categorie == b.Categorie
		}
	}
	out := make([]int, len(spans))
	for i, a := range spans {
		out[i] = -1
		for j := 0; j < i; j++ {
			b := spans[j]
			if !same(a.product, b.product) {
				continue
			}
			if (b.end.IsZero() || !a.begin.After(b.end)) && (a.end.IsZero() || !b.begin.After(a.end)) {
				out[i] = j
				break
			}
		}
	}
	return out
}

// aangevraagd: TR383 and TR386 in a 315.
func (c *checker) aangevraagd(ps []AangevraagdProduct) {
	refs := map[string]bool{}
	spans := make([]span, len(ps))
	for i := range ps {
		p := fmt.Sprintf("Client/AangevraagdeProducten/AangevraagdProduct[%d]", i+1)
		if refs[ps[i].ReferentieAanbieder] {
			c.add("TR383", p+"/ReferentieAanbieder", "a second AangevraagdProduct with this ReferentieAanbieder")
		}
		refs[ps[i].ReferentieAanbieder] = true
		spans[i] = span{ps[i].Product, ps[i].ToewijzingIngangsdatum, ps[i].ToewijzingEinddatum}
	}
	for i, j := range overlapping(spans) {
		if j >= 0 {
			c.add("TR386", fmt.Sprintf("Client/AangevraagdeProducten/AangevraagdProduct[%d]/ToewijzingIngangsdatum", i+1),
				fmt.Sprintf("period overlaps AangevraagdProduct[%d] of the same product", j+1))
		}
	}
}

// verzoek: TR101, TR352, TR353 and TR410 in a 317.
func (c *checker) verzoek(v *Verzoek) {
	if len(v.OngewijzigdeProducten) == 0 && len(v.TeWijzigenProducten) == 0 {
		c.add("TR352", "Client/Verzoek", "neither an OngewijzigdProduct nor a TeWijzigenProduct")
	}
	if len(v.TeWijzigenProducten) == 0 && len(v.NieuweProducten) == 0 {
		c.add("TR353", "Client/Verzoek", "neither a TeWijzigenProduct nor a NieuwProduct")
	}
	nummers := map[int]bool{}
	for i := range v.OngewijzigdeProducten {
		n := v.OngewijzigdeProducten[i].ToewijzingNummer
		if nummers[n] {
			c.add("TR101", fmt.Sprintf("Client/Verzoek/OngewijzigdeProducten/OngewijzigdProduct[%d]/ToewijzingNummer", i+1),
				"a second product with this ToewijzingNummer")
		}
		nummers[n] = true
	}
	for i := range v.TeWijzigenProducten {
		n := v.TeWijzigenProducten[i].ToewijzingNummer
		if nummers[n] {
			c.add("TR101", fmt.Sprintf("Client/Verzoek/TeWijzigenProducten/TeWijzigenProduct[%d]/ToewijzingNummer", i+1),
				"a second product with this ToewijzingNummer")
		}
		nummers[n] = true
	}
	spans := make([]span, len(v.NieuweProducten))
	for i, np := range v.NieuweProducten {
		spans[i] = span{np.Product, np.GewensteIngangsdatum, np.Einddatum}
	}
	for i, j := range overlapping(spans) {
		if j >= 0 {
			c.add("TR410", fmt.Sprintf("Client/Verzoek/NieuweProducten/NieuwProduct[%d]/GewensteIngangsdatum", i+1),
				fmt.Sprintf("period overlaps NieuwProduct[%d] of the same product", j+1))
		}
	}
}

// declaratie: TR315, TR316 and TR358 in a 323.
func (c *checker) declaratie(d *DeclaratieInhoud) {
	refs := map[string]bool{}
	for i := range d.Clienten {
		for j := range d.Clienten[i].Prestaties {
			refs[d.Clienten[i].Prestaties[j].ProductReferentie.ReferentieNummer] = true
		}
	}
	vorig := map[string]bool{}
	sum := 0
	for i := range d.Clienten {
		for j := range d.Clienten[i].Prestaties {
			pr := &d.Clienten[i].Prestaties[j]
			p := fmt.Sprintf("Declaratie/Clienten/Client[%d]/Prestaties/Prestatie[%d]", i+1, j+1)
			if v := pr.ProductReferentie.VorigReferentieNummer; v != "" {
				if vorig[v] {
					c.add("TR315", p+"/ProductReferentie/VorigReferentieNummer", "a second Prestatie with this VorigReferentieNummer")
				}
				vorig[v] = true
				if refs[v] {
					c.add("TR316", p+"/ProductReferentie/VorigReferentieNummer", "credits a Prestatie of the same message")
				}
			}
			if pr.IngediendBedrag.DebetCredit == "C" {
				sum -= pr.IngediendBedrag.Bedrag
			} else {
				sum += pr.IngediendBedrag.Bedrag
			}
		}
	}
	t := d.TotaalIngediendBedrag
	total := t.TotaalBedrag
	if t.DebetCredit == "C" {
		total = -total
	}
	if total != sum {
		c.add("TR358", "Declaratie/TotaalIngediendBedrag", "not the sum of the IngediendBedragen (debet minus credit)")
	}
}
