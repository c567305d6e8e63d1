package minimise

import (
	"strings"

	"github.com/sluis-gateway/sluis/internal/category"
)

// Field is one data field of the disclosure request (contract v1) that can
// reach a Bericht: its JSON pointer pattern ("*" for an array index), its
// data category, the message type it belongs to, and the Bericht elements it
// becomes.
type Field struct {
	// Path is the JSON pointer pattern, e.g. "/client/contacts/*/email".
	Path string
	// Category is the data category the field belongs to. It is fixed by the
	// request contract; a profile cannot move a field to another category.
	Category category.Category
	// MessageType is the message type whose Bericht the field reaches:
	// "301" (/client, /assignment) or "319" (/answer). A profile may only
	// send the fields of its own message type.
	MessageType string
	// Standard is "" when the field exists in both standards, else the one
	// it exists in ("iJw" for /answer/residence_municipality).
	Standard string
	// Elements are the element paths in the Bericht of MessageType (local
	// names from the root element's child, no index), e.g.
	// "Client/Contactgegevens/Contact/Emailadres" or
	// "Antwoord/VerzoekAntwoord". Phones have two (Telefoon01 and
	// Telefoon02). Empty for a control field.
	Elements []string
	// Mandatory says the Bericht of MessageType cannot be built without the
	// field: Always (the client's, every contact's and every product's
	// mandatory fields; the answer's reference and code) or InElement
	// (mandatory in each relation that is sent).
	Mandatory Mandatory
	// Control marks a field that steers sluis but never reaches the Bericht
	// (relations' informed_and_agreed). Profiles do not govern it.
	Control bool
}

// Mandatory says when the standard needs a field.
type Mandatory int

// Mandatory values.
const (
	Optional  Mandatory = iota
	Always              // the Bericht needs it whenever it is built
	InElement           // needed in each element of its array that is sent
)

// Fields returns the table of request fields. The slice is a fresh copy.
func Fields() []Field {
	out := make([]Field, len(fieldTable))
	copy(out, fieldTable)
	return out
}

var (
	fieldTable = buildFieldTable()
	fieldIndex = func() map[string]int {
		m := make(map[string]int, len(fieldTable))
		for i, f := range fieldTable {
			m[f.Path] = i
		}
		return m
	}()
)

// lookupField returns the table entry for a leaf pattern.
func lookupField(pattern string) (Field, bool) {
	i, ok := fieldIndex[pattern]
	if !ok {
		return Field{}, false
	}
	return fieldTable[i], true
}

func buildFieldTable() []Field {
	var t []Field
	mt := "301" // the message type of the fields added next
	add := func(path string, cat category.Category, m Mandatory, elems ...string) {
		t = append(t, Field{Path: path, Category: cat, MessageType: mt, Elements: elems, Mandatory: m})
	}
	name := func(jp, xp string, cat category.Category, m Mandatory) {
		add(jp+"/surname", cat, m, xp+"/Geslachtsnaam/Achternaam")
		add(jp+"/surname_prefix", cat, Optional, xp+"/Geslachtsnaam/Voorvoegsel")
		add(jp+"/partner_surname", cat, Optional, xp+"/Partnernaam/Achternaam")
		add(jp+"/partner_surname_prefix", cat, Optional, xp+"/Partnernaam/Voorvoegsel")
		add(jp+"/given_names", cat, Optional, xp+"/Voornamen")
		add(jp+"/initials", cat, Optional, xp+"/Voorletters")
		add(jp+"/name_usage", cat, m, xp+"/NaamGebruik")
	}
	contact := func(jp, xp string, cat category.Category, m Mandatory) {
		add(jp+"/kind", cat, m, xp+"/Soort")
		add(jp+"/address/house_number", cat, Optional, xp+"/Adres/Huis/Huisnummer")
		add(jp+"/address/house_letter", cat, Optional, xp+"/Adres/Huis/Huisletter")
		add(jp+"/address/house_number_addition", cat, Optional, xp+"/Adres/Huis/HuisnummerToevoeging")
		add(jp+"/address/residence_indication", cat, Optional, xp+"/Adres/Huis/AanduidingWoonadres")
		add(jp+"/address/postcode", cat, Optional, xp+"/Adres/Postcode")
		add(jp+"/address/street", cat, Optional, xp+"/Adres/Straatnaam")
		add(jp+"/address/city", cat, Optional, xp+"/Adres/Plaatsnaam")
		add(jp+"/address/country", cat, Optional, xp+"/Adres/LandCode")
		add(jp+"/organisation", cat, Optional, xp+"/Organisatie")
		add(jp+"/phones/*/number", cat, Optional, xp+"/Telefoon/Telefoon01/Telefoonnummer", xp+"/Telefoon/Telefoon02/Telefoonnummer")
		add(jp+"/phones/*/country_code", cat, Optional, xp+"/Telefoon/Telefoon01/Landnummer", xp+"/Telefoon/Telefoon02/Landnummer")
		add(jp+"/email", cat, Optional, xp+"/Emailadres")
		add(jp+"/period/start", cat, Optional, xp+"/Periode/Begindatum")
		add(jp+"/period/end", cat, Optional, xp+"/Periode/Einddatum")
	}
	id, ct := category.Identification, category.Contact

	add("/client/bsn", id, Always, "Client/Bsn")
	add("/client/birth_date", id, Always, "Client/Geboortedatum/Datum")
	add("/client/birth_date_usage", id, Optional, "Client/Geboortedatum/DatumGebruik")
	add("/client/gender", id, Always, "Client/Geslacht")
	name("/client/name", "Client/Naam", id, Always)
	add("/client/communication/form", category.Communication, Optional, "Client/Communicatie/Vorm")
	add("/client/communication/language", category.Communication, Optional, "Client/Communicatie/Taal")
	add("/client/legal_status", category.LegalStatus, Optional, "Client/JuridischeStatus")
	add("/client/representation", category.LegalStatus, Optional, "Client/WettelijkeVertegenwoordiging")
	add("/client/comment", category.FreeText, Optional, "Client/Commentaar")

	const rj, rx = "/client/relations/*", "Client/Relaties/Relatie"
	rel := category.Relations
	add(rj+"/number", rel, InElement, rx+"/Nummer")
	add(rj+"/order", rel, Optional, rx+"/Volgorde")
	add(rj+"/kind", rel, InElement, rx+"/Soort")
	add(rj+"/birth_date", rel, Optional, rx+"/Geboortedatum/Datum")
	add(rj+"/gender", rel, Optional, rx+"/Geslacht")
	name(rj+"/name", rx+"/Naam", rel, InElement)
	contact(rj+"/contact", rx+"/Contact", rel, InElement)
	t = append(t, Field{Path: rj + "/informed_and_agreed", Category: rel, MessageType: mt, Control: true})

	contact("/client/contacts/*", "Client/Contactgegevens/Contact", ct, Always)

	const pj, px = "/assignment/products/*", "Client/ToegewezenProducten/ToegewezenProduct"
	ca := category.CareAssignment
	add(pj+"/number", ca, Always, px+"/ToewijzingNummer")
	add(pj+"/provider_reference", ca, Optional, px+"/ReferentieAanbieder")
	add(pj+"/product/category", ca, Optional, px+"/Product/Categorie")
	add(pj+"/product/code", ca, Optional, px+"/Product/Code")
	add(pj+"/assigned_on", ca, Always, px+"/Toewijzingsdatum")
	add(pj+"/assigned_at", ca, Always, px+"/Toewijzingstijd")
	add(pj+"/start", ca, Always, px+"/Ingangsdatum")
	add(pj+"/end", ca, Optional, px+"/Einddatum")
	add(pj+"/change_reason", ca, Optional, px+"/RedenWijziging")
	add(pj+"/volume/amount", ca, Optional, px+"/Omvang/Volume")
	add(pj+"/volume/unit", ca, Optional, px+"/Omvang/Eenheid")
	add(pj+"/volume/frequency", ca, Optional, px+"/Omvang/Frequentie")
	add(pj+"/budget", ca, Optional, px+"/Budget")
	add(pj+"/comment", category.FreeText, Optional, px+"/Commentaar")

	// The 319 (antwoordbericht): no client data, only the answer to the
	// provider's request for care, so care_assignment.
	mt = "319"
	add("/answer/provider_reference", ca, Always, "Antwoord/ReferentieAanbieder")
	add("/answer/answer", ca, Always, "Antwoord/VerzoekAntwoord")
	add("/answer/rejection_reason", ca, Optional, "Antwoord/RedenAfwijzingVerzoek")
	add("/answer/residence_municipality", ca, Optional, "Antwoord/Woonplaatsbeginsel/Gemeente")
	t[len(t)-1].Standard = "iJw"

	// The 325 (declaratie-antwoord) on a declaration as a whole: no client
	// data (no rejected prestaties, so no BSN), the settlement of the
	// assigned care, so care_assignment.
	mt = "325"
	add("/declaration/identificatie", ca, Always, "Header/DeclaratieIdentificatie/Identificatie")
	add("/declaration/date", ca, Always, "Header/DeclaratieIdentificatie/Dagtekening")
	add("/declaration/number", ca, Always, "DeclaratieAntwoord/DeclaratieNummer")
	add("/declaration/claimed/cents", ca, Always, "DeclaratieAntwoord/TotaalIngediendBedrag/TotaalBedrag")
	add("/declaration/claimed/debit_credit", ca, Always, "DeclaratieAntwoord/TotaalIngediendBedrag/DebetCredit")
	add("/declaration/granted/cents", ca, Always, "DeclaratieAntwoord/TotaalToegekendBedrag/TotaalBedrag")
	add("/declaration/granted/debit_credit", ca, Always, "DeclaratieAntwoord/TotaalToegekendBedrag/DebetCredit")
	add("/declaration/retour_code", ca, Always, "DeclaratieAntwoord/RetourCodes/RetourCode")
	return t
}

// FieldForElement returns the request field an element path of a 301 or
// 319 Bericht comes from (see Field.Elements). The element paths of the two
// never overlap (Client/... and Antwoord/...).
func FieldForElement(elementPath string) (Field, bool) {
	i, ok := elementIndex[elementPath]
	if !ok {
		return Field{}, false
	}
	return fieldTable[i], true
}

var elementIndex = func() map[string]int {
	m := map[string]int{}
	for i, f := range fieldTable {
		for _, e := range f.Elements {
			m[e] = i
		}
	}
	return m
}()

// segments splits a JSON pointer ("/a/b") into its segments.
func segments(p string) []string {
	return strings.Split(strings.TrimPrefix(p, "/"), "/")
}

// hasPrefix reports whether pattern prefix covers pattern p: equal, or a
// prefix at a segment boundary.
func hasPrefix(p, prefix string) bool {
	return strings.HasPrefix(p, prefix) && (len(p) == len(prefix) || p[len(prefix)] == '/')
}

// patternOf turns a concrete pointer (/client/contacts/0/email) into its
// pattern (/client/contacts/*/email).
func patternOf(concrete string) string {
	segs := segments(concrete)
	for i, s := range segs {
		if s != "" && isIndex(s) {
			segs[i] = "*"
		}
	}
	return "/" + strings.Join(segs, "/")
}

func isIndex(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}
