package messages

import (
	"fmt"
	"reflect"
	"regexp"
	"strings"
	"unicode"
)

// Rules checked by Build / Check, with the codes of the iStandaarden
// iWmo/iJw 3.2 rule set (condities CD, constraints CS, restricties RS,
// invulinstructies IV); "XSD" marks what only the schema states (a value
// outside the code list, a date that does not exist, an iJw-only element in
// iWmo, a required retour/325 header field).
//
// Header (all kinds)
//
//	RS047  BerichtCode matches the standard and kind (COD002)
//	CS025  BerichtVersie is 3;  CS015  BerichtSubversie is 2
//	RS035  gemeentecode of 4 digits (Afzender or Ontvanger, per kind; Woonplaatsbeginsel/Gemeente)
//	RS036  AGB code of 8 digits (Afzender or Ontvanger, per kind)
//	RS033  Identificatie / IdentificatieRetour not empty;  RS017  at most 12 characters
//	RS048  XsdVersie / XsdVersieRetour / XsdVersieDeclaratie / XsltVersie are n.n.n
//	TR135  Dagtekening (and DagtekeningRetour) present and not after BuildOptions.Today
//
// Records
//
//	CS002  every Bsn passes the 11-proef
//	CS050  Partnernaam filled: NaamGebruik 1–4, else 1 or 6 (VolledigeNaam)
//	CS318  NaamGebruik 6 (niet-natuurlijk persoon) not for a Client (301/302)
//	RS045  Voorletters letters only, no dots or spaces
//	CD007  Communicatie/Taal filled if and only if Vorm is 1
//	CD009  Contact/Periode only for Soort 04
//	CD025  Adres/Huis required when LandCode is NL
//	CD034  Adres/Postcode required for Contact Soort 01 and 03
//	CS089  Dutch postcode format (1234AB) when LandCode is NL
//	CD005  Adres/LandCode filled if and only if Postcode is filled
//	CS003  an end date is not before its start (Einddatum, ToewijzingEinddatum, Periode, ProductPeriode)
//	CD077 / CD078  Omvang and Budget exclude each other
//	CD075  Einddatum required with Budget;  CD076  Einddatum required with Frequentie 2
//	CD079  Product required without Budget (301, 315, 317 NieuwProduct)
//	CD041  Omvang required when Product/Code is filled
//	CD080 (301) / CD095 (315) / CD096 (317)  no Omvang without Product/Code when the end is open or after 2020-12-31
//	CS338 (301, 317) / CS343 (315)  Eenheid 14, 16, 83, 84 needs Frequentie 2, 4 or 6 (end open or after 2020-12-31)
//	CS335  RedenWijziging 13 only with Ingangsdatum = Einddatum;  CS336  RedenWijziging 01 never
//	CD043  (315) BeschikkingIngangsdatum filled if and only if BeschikkingNummer is
//	CD066 / CD067 / CD068  (315) Verwijzer Naam / ZorgverlenerCode by Type
//	CS058  (305, 307) StatusAanlevering 1 or 3
//	CD085 / CD086  (319) RedenAfwijzingVerzoek required when afgewezen (1), empty when in onderzoek (2)
//	IV095  (iJw 319) Woonplaatsbeginsel required with RedenAfwijzingVerzoek 8
//	CD087 / CS339 / CD060 / CS337 / CS325  (323, 325) ProductTarief, euro amounts, credit references,
//	       one calendar month per ProductPeriode, zero amounts are debet
//
// Receiving side (rules_receiver.go): TR002, TR006, TR061, TR101, TR134,
// TR302, CS139 and TR378 (the embedded CBS gemeente list). The schema
// itself (order, cardinality, every facet) is checked by schema.go.
//
// Not checked here: TR056 (needs the sender's history; see Build),
// CS100/CS340 (323 periods), and every rule that needs other messages or
// outside lists beyond the CBS one (TR332, TR381/S329, TR379, …).

var (
	versiePattern  = regexp.MustCompile(`^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$`) // LDT_Versie
	postcodeNL     = regexp.MustCompile(`^[1-9][0-9]{3}[A-Z]{2}$`)
	gemeenteSender = map[string]bool{"301": true, "302": true, "319": true, "320": true, "325": true}
	retourKinds    = map[string]bool{"302": true, "306": true, "308": true, "316": true, "318": true, "320": true}
)

type checker struct {
	std   Standard
	today Date
	errs  []error
}

func (c *checker) add(code, path, msg string) {
	c.errs = append(c.errs, &RuleError{Code: code, Path: path, Msg: msg})
}

// check applies the rules to m; the error is for bad options only.
func check(m Message, opts BuildOptions) ([]error, error) {
	if opts.Today.IsZero() || !opts.Today.Valid() {
		return nil, fmt.Errorf("%w: Today is required (TR135)", ErrOptions)
	}
	c := &checker{std: m.Standard(), today: opts.Today}
	c.header(m)
	c.walk(reflect.ValueOf(m).Elem(), "", "")
	c.receiver(m)
	return c.errs, nil
}

// walk visits every struct in v (depth first) with its element path and
// applies the record rules; coded values are checked against the code lists.
func (c *checker) walk(v reflect.Value, path, name string) {
	switch v.Kind() {
	case reflect.Pointer:
		if !v.IsNil() {
			c.walk(v.Elem(), path, name)
		}
		return
	case reflect.String:
		tn := v.Type().Name()
		if _, ok := codeLists[tn]; ok && v.String() != "" && !InCodeList(tn, c.std, v.String()) {
			c.add("XSD", path, "not a code of "+tn+" in "+string(c.std))
		}
		return
	case reflect.Struct:
	default:
		return
	}
	if d, ok := v.Interface().(Date); ok {
		if !d.IsZero() && !d.Valid() {
			c.add("XSD", path, "not an existing calendar date")
		}
		return
	}
	if _, ok := v.Interface().(Time); ok {
		return
	}
	c.record(v, path)
	for _, f := range fieldsOf(v.Type()) {
		fv := v.Field(f.index)
		p := joinPath(path, f.wrapper, f.name)
		if f.ijwOnly && c.std != IJw && !fv.IsZero() {
			c.add("XSD", p, "element exists only in iJw")
			continue
		}
		if fv.Kind() == reflect.Slice {
			for i := 0; i < fv.Len(); i++ {
				c.walk(fv.Index(i), fmt.Sprintf("%s[%d]", p, i+1), f.name)
			}
			continue
		}
		c.walk(fv, p, f.name)
	}
}

// record applies the rules of one record type.
func (c *checker) record(v reflect.Value, path string) {
	if v.CanAddr() {
		v = v.Addr()
	} else {
		p := reflect.New(v.Type())
		p.Elem().Set(v)
		v = p
	}
	if f := v.Elem().FieldByName("Bsn"); f.IsValid() && f.Kind() == reflect.String {
		if !ValidBSN(f.String()) {
			c.add("CS002", joinPath(path, "", "Bsn"), "fails the 11-proef")
		}
	}
	switch r := v.Interface().(type) {
	case *ToewijzingClient:
		if r.Naam.NaamGebruik == NaamGebruikNietNatuurlijkPersoon {
			c.add("CS318", joinPath(path, "", "Naam/NaamGebruik"), "6 (niet-natuurlijk persoon) not allowed for a Client")
		}
	case *VolledigeNaam:
		c.voorletters(path, r.Voorletters)
		if r.Partnernaam != nil {
			if !strings.Contains("1234", string(r.NaamGebruik)) || len(r.NaamGebruik) != 1 {
				c.add("CS050", path+"/NaamGebruik", "must be 1 to 4 when Partnernaam is filled")
			}
		} else if r.NaamGebruik != "1" && r.NaamGebruik != "6" {
			c.add("CS050", path+"/NaamGebruik", "must be 1 or 6 when Partnernaam is empty")
		}
	case *VerkorteNaam:
		c.voorletters(path, r.Voorletters)
	case *Communicatie:
		if r.Vorm == CommunicatieTolkTaal && r.Taal == "" {
			c.add("CD007", path+"/Taal", "required when Vorm is 1")
		}
		if r.Vorm != CommunicatieTolkTaal && r.Taal != "" {
			c.add("CD007", path+"/Taal", "only allowed when Vorm is 1")
		}
	case *Contact:
		if r.Periode != nil && r.Soort != AdresSoortTijdelijkVerblijf {
			c.add("CD009", path+"/Periode", "only allowed for Soort 04")
		}
		if r.Periode != nil {
			c.period(path+"/Periode/Einddatum", r.Periode.Begindatum, r.Periode.Einddatum)
		}
		if r.Adres != nil {
			c.adres(path+"/Adres", r.Adres, r.Soort)
		}
	case *ToegewezenProduct:
		c.product(path, productFields{
			product: r.Product, omvang: r.Omvang, budget: r.Budget,
			ingang: r.Ingangsdatum, eind: r.Einddatum, eindName: "Einddatum",
			requireProduct: true, cd080: "CD080", cs338: "CS338",
		})
		if r.RedenWijziging == RedenWijzigingVervallen {
			c.add("CS336", path+"/RedenWijziging", "01 may not be used")
		}
		if r.RedenWijziging == RedenWijzigingVerwijderd && r.Ingangsdatum != r.Einddatum {
			c.add("CS335", path+"/RedenWijziging", "13 only when Einddatum equals Ingangsdatum")
		}
		if r.Toewijzingstijd.IsZero() {
			c.add("XSD", path+"/Toewijzingstijd", "required")
		}
	case *AangevraagdProduct:
		c.product(path, productFields{
			product: r.Product, omvang: r.Omvang, budget: r.Budget,
			ingang: r.ToewijzingIngangsdatum, eind: r.ToewijzingEinddatum, eindName: "ToewijzingEinddatum",
			requireProduct: true, cd080: "CD095", cs338: "CS343",
		})
		if (r.BeschikkingNummer != nil) != !r.BeschikkingIngangsdatum.IsZero() {
			c.add("CD043", path+"/BeschikkingIngangsdatum", "filled if and only if BeschikkingNummer is filled")
		}
		c.verwijzer(path+"/Verwijzer", &r.Verwijzer)
	case *NieuwProduct:
		c.product(path, productFields{
			product: r.Product, omvang: r.Omvang, budget: r.Budget,
			ingang: r.GewensteIngangsdatum, eind: r.Einddatum, eindName: "Einddatum",
			requireProduct: true, cd080: "CD096", cs338: "CS338",
		})
	case *TeWijzigenProduct:
		c.product(path, productFields{
			omvang: r.Omvang, budget: r.Budget,
			ingang: r.GewensteIngangsdatum, eind: r.Einddatum, eindName: "Einddatum",
			cs338: "CS338",
		})
	case *StartProduct:
		c.statusAanlevering(path, r.StatusAanlevering)
	case *StopProduct:
		c.statusAanlevering(path, r.StatusAanlevering)
	case *Antwoord:
		switch r.VerzoekAntwoord {
		case "1":
			if r.RedenAfwijzingVerzoek == "" {
				c.add("CD085", path+"/RedenAfwijzingVerzoek", "required when VerzoekAntwoord is 1 (afgewezen)")
			}
		case "2":
			if r.RedenAfwijzingVerzoek != "" {
				c.add("CD086", path+"/RedenAfwijzingVerzoek", "must be empty when VerzoekAntwoord is 2 (in onderzoek)")
			}
		}
		if c.std == IJw && r.RedenAfwijzingVerzoek == "8" && r.Woonplaatsbeginsel == nil {
			c.add("IV095", path+"/Woonplaatsbeginsel", "required when RedenAfwijzingVerzoek is 8 (woonplaatsbeginsel)")
		}
	case *Woonplaatsbeginsel:
		c.gemeente(path+"/Gemeente", r.Gemeente)
	case *Prestatie:
		if r.Eenheid != "83" && r.ProductTarief == nil {
			c.add("CD087", path+"/ProductTarief", "required when Eenheid is not 83 (euro's)")
		}
		if r.Eenheid == "83" && r.ProductTarief != nil {
			c.add("CD087", path+"/ProductTarief", "must be empty when Eenheid is 83 (euro's)")
		}
		if r.Eenheid == "83" && r.IngediendBedrag.Bedrag != r.GeleverdVolume {
			c.add("CS339", path+"/IngediendBedrag", "must equal GeleverdVolume when Eenheid is 83")
		}
		credit := r.IngediendBedrag.DebetCredit == "C"
		if credit != (r.ProductReferentie.VorigReferentieNummer != "") {
			c.add("CD060", path+"/ProductReferentie/VorigReferentieNummer", "filled if and only if IngediendBedrag is credit")
		}
		b, e := r.ProductPeriode.Begindatum, r.ProductPeriode.Einddatum
		if !b.IsZero() && !e.IsZero() && (b.Year != e.Year || b.Month != e.Month) {
			c.add("CS337", path+"/ProductPeriode/Einddatum", "not in the calendar month of Begindatum")
		}
		c.period(path+"/ProductPeriode/Einddatum", b, e)
	case *BedragMetDC:
		if r.Bedrag == 0 && r.DebetCredit != "D" {
			c.add("CS325", path+"/DebetCredit", "must be D when the amount is 0")
		}
	case *TotaalBedragMetDC:
		if r.TotaalBedrag == 0 && r.DebetCredit != "D" {
			c.add("CS325", path+"/DebetCredit", "must be D when the amount is 0")
		}
	}
}

func (c *checker) voorletters(path, v string) {
	if v == "" {
		return
	}
	for _, r := range v {
		if !unicode.IsLetter(r) {
			c.add("RS045", path+"/Voorletters", "letters only, no dots or spaces")
			return
		}
	}
}

// period: CS003, an end date not before the start date.
func (c *checker) period(path string, begin, end Date) {
	if !begin.IsZero() && !end.IsZero() && end.Before(begin) {
		c.add("CS003", path, "before the start of the period")
	}
}

func (c *checker) statusAanlevering(path string, s StatusAanlevering) {
	if s != "1" && s != "3" {
		c.add("CS058", path+"/StatusAanlevering", "must be 1 (eerste aanlevering) or 3 (verwijderen)")
	}
}

func (c *checker) verwijzer(path string, v *Verwijzer) {
	zorgverlener := v.Type == "02" || v.Type == "03" || v.Type == "04" || v.Type == "05"
	switch {
	case zorgverlener && v.ZorgverlenerCode != "" && v.Naam != "":
		c.add("CD066", path+"/Naam", "must be empty when ZorgverlenerCode is filled")
	case zorgverlener && v.ZorgverlenerCode == "" && v.Naam == "":
		c.add("CD067", path+"/Naam", "required when ZorgverlenerCode is empty")
	case !zorgverlener && v.ZorgverlenerCode != "":
		c.add("CD068", path+"/ZorgverlenerCode", "only for Type 02, 03, 04 or 05")
	}
}

func (c *checker) adres(path string, a *Adres, soort AdresSoort) {
	if a.Postcode != "" && a.LandCode == "" {
		c.add("CD005", path+"/LandCode", "required when Postcode is filled")
	}
	if a.Postcode == "" && a.LandCode != "" {
		c.add("CD005", path+"/LandCode", "must be empty when Postcode is empty")
	}
	if a.Postcode == "" && (soort == AdresSoortBRP || soort == AdresSoortVerblijf) {
		c.add("CD034", path+"/Postcode", "required for Soort 01 and 03")
	}
	if a.LandCode != "NL" {
		return
	}
	if a.Huis == nil {
		c.add("CD025", path+"/Huis", "required when LandCode is NL")
	}
	if a.Postcode != "" && !postcodeNL.MatchString(a.Postcode) {
		c.add("CS089", path+"/Postcode", "not a Dutch postcode (1234AB)")
	}
}
