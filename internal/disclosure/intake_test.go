package disclosure_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/sluis-gateway/sluis/internal/disclosure"
	"github.com/sluis-gateway/sluis/xsd"
)

// raw is a placeholder: a case's JSON text gets the bytes of rawBytes in
// place of the quoted placeholder, for characters encoding/json would never
// write (escapes of control characters, lone surrogates, invalid UTF-8).
const raw = "\x01placeholder\x01"

func relation() map[string]any {
	return map[string]any{
		"number": "R1", "kind": "03", "name": map[string]any{"surname": "Wit", "name_usage": "1"},
		"contact": map[string]any{"kind": "02", "email": "r@example.org", "phones": []any{map[string]any{"number": "0201234567", "country_code": "0031"}}}, "informed_and_agreed": true,
	}
}

type intakeCase struct {
	name     string
	base     string // example file; iwmo-301.json when empty
	path     string // dotted path to set (SetPath)
	value    any
	rawBytes string // with value == raw: the JSON text put in its place, quotes included
	wantPath string // JSON pointer of the problem; "" for an accepted request
	wantRule string
	// noXSD: the value never reaches the XSD as sent (characters that JSON
	// decoding would change, contract-only limits), so the cross-check
	// that the XSD refuses it too is skipped.
	noXSD bool
}

func (c intakeCase) body(t *testing.T) []byte {
	t.Helper()
	base := c.base
	if base == "" {
		base = "iwmo-301.json"
	}
	m := disclosure.Example(t, base)
	if strings.HasPrefix(c.path, "client.relations.") {
		disclosure.SetPath(m, "client.relations", []any{relation()}, false)
	}
	disclosure.SetPath(m, c.path, c.value, false)
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	if c.value == raw {
		q, _ := json.Marshal(raw)
		b = bytes.Replace(b, q, []byte(c.rawBytes), 1)
	}
	return b
}

var intakeCases = []intakeCase{
	// Code lists (the XSD's enumerations).
	{name: "RedenWijziging 00", path: "assignment.products.0.change_reason", value: "00", wantPath: "/assignment/products/0/change_reason", wantRule: "schema:enum"},
	{name: "ProductCategorie 99", path: "assignment.products.0.product.category", value: "99", wantPath: "/assignment/products/0/product/category", wantRule: "schema:enum"},
	{name: "iJw category in an iWmo request", path: "assignment.products.0.product.category", value: "45", wantPath: "/assignment/products/0/product/category", wantRule: "schema:enum"},
	{name: "iWmo category in an iJw request", base: "ijw-301.json", path: "assignment.products.0.product.category", value: "01", wantPath: "/assignment/products/0/product/category", wantRule: "schema:enum"},
	{name: "SoortRelatie 01", path: "client.relations.0.kind", value: "01", wantPath: "/client/relations/0/kind", wantRule: "schema:enum"},
	{name: "LandCode ZZ", path: "client.contacts.0.address.country", value: "ZZ", wantPath: "/client/contacts/0/address/country", wantRule: "schema:enum"},
	{name: "Geslacht 3", path: "client.gender", value: "3", wantPath: "/client/gender", wantRule: "schema:enum"},
	{name: "relation Geslacht 9", path: "client.relations.0.gender", value: "9", wantPath: "/client/relations/0/gender", wantRule: "schema:enum"},
	{name: "DatumGebruik 4", path: "client.birth_date_usage", value: "4", wantPath: "/client/birth_date_usage", wantRule: "schema:enum"},
	{name: "Communicatievorm 4", path: "client.communication", value: map[string]any{"form": "4"}, wantPath: "/client/communication/form", wantRule: "schema:enum"},
	{name: "JuridischeStatus 06", path: "client.legal_status", value: "06", wantPath: "/client/legal_status", wantRule: "schema:enum"},
	{name: "WettelijkeVertegenwoordiging 05", path: "client.representation", value: "05", wantPath: "/client/representation", wantRule: "schema:enum"},
	{name: "NaamGebruik 7", path: "client.name.name_usage", value: "7", wantPath: "/client/name/name_usage", wantRule: "schema:enum"},
	{name: "AanduidingWoonadres XX", path: "client.contacts.0.address.residence_indication", value: "XX", wantPath: "/client/contacts/0/address/residence_indication", wantRule: "schema:enum"},
	{name: "AdresSoort 05", path: "client.contacts.0.kind", value: "05", wantPath: "/client/contacts/0/kind", wantRule: "schema:enum"},
	{name: "Eenheid 02", path: "assignment.products.0.volume.unit", value: "02", wantPath: "/assignment/products/0/volume/unit", wantRule: "schema:enum"},
	{name: "Frequentie 3", path: "assignment.products.0.volume.frequency", value: "3", wantPath: "/assignment/products/0/volume/frequency", wantRule: "schema:enum"},
	{name: "VerzoekAntwoord 3", base: "iwmo-319.json", path: "answer.answer", value: "3", wantPath: "/answer/answer", wantRule: "schema:enum"},
	{name: "RedenAfwijzingVerzoek 0", base: "iwmo-319.json", path: "answer.rejection_reason", value: "0", wantPath: "/answer/rejection_reason", wantRule: "schema:enum"},

	// Patterns: the XSD's .*[^\s].* allows no line break and needs one
	// character other than space, tab, LF, CR; LDT_Commentaar allows lines.
	{name: "newline in surname", path: "client.name.surname", value: "Wit\nte", wantPath: "/client/name/surname", wantRule: "schema:pattern"},
	{name: "carriage return in street", path: "client.contacts.0.address.street", value: "Kerk\rlaan", wantPath: "/client/contacts/0/address/street", wantRule: "schema:pattern"},
	{name: "newline in city", path: "client.contacts.0.address.city", value: "Amster\ndam", wantPath: "/client/contacts/0/address/city", wantRule: "schema:pattern"},
	{name: "newline in postcode", path: "client.contacts.0.address.postcode", value: "9999\nXX", wantPath: "/client/contacts/0/address/postcode", wantRule: "schema:pattern"},
	{name: "newline in given names", path: "client.name.given_names", value: "Tom\nJan", wantPath: "/client/name/given_names", wantRule: "schema:pattern"},
	{name: "newline in surname prefix", path: "client.name.surname_prefix", value: "de\n", wantPath: "/client/name/surname_prefix", wantRule: "schema:pattern"},
	{name: "newline in house number addition", path: "client.contacts.0.address.house_number_addition", value: "a\nb", wantPath: "/client/contacts/0/address/house_number_addition", wantRule: "schema:pattern"},
	{name: "newline in email", path: "client.contacts.0.email", value: "a@b\n.nl", wantPath: "/client/contacts/0/email", wantRule: "schema:pattern"},
	{name: "newline in organisation", path: "client.contacts.0.organisation", value: "Zorg\nBV", wantPath: "/client/contacts/0/organisation", wantRule: "schema:pattern"},
	{name: "newline in language", path: "client.communication", value: map[string]any{"form": "1", "language": "Pools\n"}, wantPath: "/client/communication/language", wantRule: "schema:pattern"},
	{name: "newline in relation number", path: "client.relations.0.number", value: "R\n1", wantPath: "/client/relations/0/number", wantRule: "schema:pattern"},
	{name: "newline in product code", path: "assignment.products.0.product.code", value: "01\nA", wantPath: "/assignment/products/0/product/code", wantRule: "schema:pattern"},
	{name: "newline in provider reference", path: "assignment.products.0.provider_reference", value: "ref\n1", wantPath: "/assignment/products/0/provider_reference", wantRule: "schema:pattern"},
	{name: "newline in 319 provider reference", base: "iwmo-319.json", path: "answer.provider_reference", value: "ref\n1", wantPath: "/answer/provider_reference", wantRule: "schema:pattern"},
	{name: "newline in phone country code", path: "client.contacts.0.phones", value: []any{map[string]any{"number": "0201234567", "country_code": "00\n31"}}, wantPath: "/client/contacts/0/phones/0/country_code", wantRule: "schema:pattern"},
	{name: "surname of spaces", path: "client.name.surname", value: "   ", wantPath: "/client/name/surname", wantRule: "schema:pattern"},
	{name: "street of a tab", path: "client.contacts.0.address.street", value: "\t", wantPath: "/client/contacts/0/address/street", wantRule: "schema:pattern"},
	{name: "comment of line breaks and spaces", path: "client.comment", value: " \n \r\n ", wantPath: "/client/comment", wantRule: "schema:pattern"},
	{name: "birth date in year 0000", path: "client.birth_date", value: "0000-01-01", wantPath: "/client/birth_date", wantRule: "schema:pattern"},
	{name: "initials with a dot", path: "client.name.initials", value: "T.", wantPath: "/client/name/initials", wantRule: "schema:pattern"},

	// Lengths and ranges (characters, as the XSD counts them).
	{name: "surname of 201 characters", path: "client.name.surname", value: strings.Repeat("é", 201), wantPath: "/client/name/surname", wantRule: "schema:maxLength"},
	{name: "surname prefix of 11", path: "client.name.surname_prefix", value: strings.Repeat("d", 11), wantPath: "/client/name/surname_prefix", wantRule: "schema:maxLength"},
	{name: "given names of 201", path: "client.name.given_names", value: strings.Repeat("a", 201), wantPath: "/client/name/given_names", wantRule: "schema:maxLength"},
	{name: "initials of 7", path: "client.name.initials", value: "ABCDEFG", wantPath: "/client/name/initials", wantRule: "schema:pattern"},
	{name: "house number 100000", path: "client.contacts.0.address.house_number", value: 100000, wantPath: "/client/contacts/0/address/house_number", wantRule: "schema:maximum"},
	{name: "house number addition of 5", path: "client.contacts.0.address.house_number_addition", value: "abcde", wantPath: "/client/contacts/0/address/house_number_addition", wantRule: "schema:maxLength"},
	{name: "postcode of 9", path: "client.contacts.0.address.postcode", value: "123456789", wantPath: "/client/contacts/0/address/postcode", wantRule: "schema:maxLength"},
	{name: "street of 25", path: "client.contacts.0.address.street", value: strings.Repeat("s", 25), wantPath: "/client/contacts/0/address/street", wantRule: "schema:maxLength"},
	{name: "city of 81", path: "client.contacts.0.address.city", value: strings.Repeat("c", 81), wantPath: "/client/contacts/0/address/city", wantRule: "schema:maxLength"},
	{name: "organisation of 36", path: "client.contacts.0.organisation", value: strings.Repeat("o", 36), wantPath: "/client/contacts/0/organisation", wantRule: "schema:maxLength"},
	{name: "email of 81", path: "client.contacts.0.email", value: strings.Repeat("e", 81), wantPath: "/client/contacts/0/email", wantRule: "schema:maxLength"},
	{name: "phone number of 16 digits", path: "client.contacts.0.phones", value: []any{map[string]any{"number": strings.Repeat("1", 16), "country_code": "0031"}}, wantPath: "/client/contacts/0/phones/0/number", wantRule: "schema:pattern"},
	{name: "phone country code of 5", path: "client.contacts.0.phones", value: []any{map[string]any{"number": "0201234567", "country_code": "00031"}}, wantPath: "/client/contacts/0/phones/0/country_code", wantRule: "schema:maxLength"},
	{name: "language of 26", path: "client.communication", value: map[string]any{"form": "1", "language": strings.Repeat("l", 26)}, wantPath: "/client/communication/language", wantRule: "schema:maxLength"},
	{name: "relation number of 21", path: "client.relations.0.number", value: strings.Repeat("1", 21), wantPath: "/client/relations/0/number", wantRule: "schema:maxLength"},
	{name: "relation order 100", path: "client.relations.0.order", value: 100, wantPath: "/client/relations/0/order", wantRule: "schema:maximum"},
	{name: "provider reference of 37", path: "assignment.products.0.provider_reference", value: strings.Repeat("r", 37), wantPath: "/assignment/products/0/provider_reference", wantRule: "schema:maxLength"},
	{name: "product code of 6", path: "assignment.products.0.product.code", value: "01A01X", wantPath: "/assignment/products/0/product/code", wantRule: "schema:maxLength"},
	{name: "volume of 9 digits", path: "assignment.products.0.volume.amount", value: 100000000, wantPath: "/assignment/products/0/volume/amount", wantRule: "schema:maximum"},
	{name: "assignment number of 10 digits", path: "assignment.products.0.number", value: 1000000000, wantPath: "/assignment/products/0/number", wantRule: "schema:maximum"},
	{name: "comment over the contract's 4000", path: "client.comment", value: strings.Repeat("x", 4001), wantPath: "/client/comment", wantRule: "schema:maxLength", noXSD: true},

	// Characters: refused before JSON decoding could replace them.
	{name: "NUL escaped in surname", path: "client.name.surname", value: raw, rawBytes: `"Wi\u0000t"`, wantPath: "/client/name/surname", wantRule: disclosure.RuleControl, noXSD: true},
	{name: "BEL escaped in street", path: "client.contacts.0.address.street", value: raw, rawBytes: `"Kerk\u0007laan"`, wantPath: "/client/contacts/0/address/street", wantRule: disclosure.RuleControl, noXSD: true},
	{name: "backspace escape in city", path: "client.contacts.0.address.city", value: raw, rawBytes: `"Amster\bdam"`, wantPath: "/client/contacts/0/address/city", wantRule: disclosure.RuleControl, noXSD: true},
	{name: "form feed escape in comment", path: "client.comment", value: raw, rawBytes: `"zie\fbijlage"`, wantPath: "/client/comment", wantRule: disclosure.RuleControl, noXSD: true},
	{name: "ESC escaped in product comment", path: "assignment.products.0.comment", value: raw, rawBytes: `"\u001B[31m"`, wantPath: "/assignment/products/0/comment", wantRule: disclosure.RuleControl, noXSD: true},
	{name: "raw DEL in surname", path: "client.name.surname", value: raw, rawBytes: "\"Wi\x7ft\"", wantPath: "/client/name/surname", wantRule: disclosure.RuleControl, noXSD: true},
	{name: "C1 NEL escaped in surname", path: "client.name.surname", value: raw, rawBytes: `"Wi\u0085t"`, wantPath: "/client/name/surname", wantRule: disclosure.RuleControl, noXSD: true},
	{name: "raw C1 in given names", path: "client.name.given_names", value: raw, rawBytes: "\"Tom\xc2\x9a\"", wantPath: "/client/name/given_names", wantRule: disclosure.RuleControl, noXSD: true},
	{name: "lone high surrogate", path: "client.name.surname", value: raw, rawBytes: `"Wi\ud800t"`, wantPath: "/client/name/surname", wantRule: disclosure.RuleSurrogate, noXSD: true},
	{name: "lone low surrogate", path: "client.name.surname", value: raw, rawBytes: `"Wi\udc00t"`, wantPath: "/client/name/surname", wantRule: disclosure.RuleSurrogate, noXSD: true},
	{name: "high surrogate before a letter escape", path: "client.name.surname", value: raw, rawBytes: `"\ud800\u0041"`, wantPath: "/client/name/surname", wantRule: disclosure.RuleSurrogate, noXSD: true},
	{name: "surrogates in the wrong order", path: "client.name.surname", value: raw, rawBytes: `"\ude00\ud83d"`, wantPath: "/client/name/surname", wantRule: disclosure.RuleSurrogate, noXSD: true},
	{name: "Latin-1 byte in street", path: "client.contacts.0.address.street", value: raw, rawBytes: "\"Caf\xe9straat\"", wantPath: "/client/contacts/0/address/street", wantRule: disclosure.RuleUTF8, noXSD: true},
	{name: "invalid UTF-8 in city", path: "client.contacts.0.address.city", value: raw, rawBytes: "\"Am\xff\xfe\"", wantPath: "/client/contacts/0/address/city", wantRule: disclosure.RuleUTF8, noXSD: true},
	{name: "overlong UTF-8 encoding", path: "client.name.surname", value: raw, rawBytes: "\"W\xc0\xafit\"", wantPath: "/client/name/surname", wantRule: disclosure.RuleUTF8, noXSD: true},
	{name: "U+FFFF escaped", path: "client.name.surname", value: raw, rawBytes: `"Wi\uffff"`, wantPath: "/client/name/surname", wantRule: disclosure.RuleNoncharacter, noXSD: true},
	{name: "U+FFFE raw", path: "client.name.surname", value: raw, rawBytes: "\"Wi\xef\xbf\xbe\"", wantPath: "/client/name/surname", wantRule: disclosure.RuleNoncharacter, noXSD: true},
	{name: "NUL in a field sluis keeps for itself", path: "sender.employee", value: raw, rawBytes: `"e\u0000"`, wantPath: "/sender/employee", wantRule: disclosure.RuleControl, noXSD: true},
	{name: "NUL in the 319 reference", base: "iwmo-319.json", path: "answer.provider_reference", value: raw, rawBytes: `"ref\u0000"`, wantPath: "/answer/provider_reference", wantRule: disclosure.RuleControl, noXSD: true},

	// Accepted: what the XSD allows stays allowed.
	{name: "line breaks in a comment", path: "client.comment", value: "regel 1\nregel 2\r\nregel 3"},
	{name: "tab inside a surname", path: "client.name.surname", value: "van\tWit"},
	{name: "surrogate pair escape", path: "client.comment", value: raw, rawBytes: `"blij \ud83d\ude00"`},
	{name: "escaped backslash before u0000 text", path: "client.name.surname", value: raw, rawBytes: `"Wit\\u0000"`},
	{name: "replacement character sent as such", path: "client.name.surname", value: "Wit\uFFFD"},
	{name: "no-break space in a street", path: "client.contacts.0.address.street", value: "Kerk\u00a0laan"},
	{name: "surname of 200 characters", path: "client.name.surname", value: strings.Repeat("é", 200)},
	{name: "LandCode BE", path: "client.contacts.0.address", value: map[string]any{"street": "Rue", "house_number": 12, "city": "Gent", "postcode": "9000", "country": "BE"}},
	{name: "SoortRelatie 25", path: "client.relations.0.kind", value: "25"},
	{name: "RedenWijziging 14", path: "assignment.products.0.change_reason", value: "14"},
	{name: "iJw category 55", base: "ijw-301.json", path: "assignment.products.0.product.category", value: "55"},
}

// Each case is refused at intake with exactly its rule at its path, and the
// problem never quotes the value; for the cases the XSD governs, a message
// composed without the intake's checks is refused by the official XSD too
// (or by messages.Build), so the intake refuses no more and no less. Each
// accepted case composes into a message the XSD accepts.
func TestIntakeRefusesWhatTheXSDRefuses(t *testing.T) {
	d := decoder(t)
	v, err := xsd.NewValidator()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(v.Close)
	for _, tc := range intakeCases {
		t.Run(tc.name, func(t *testing.T) {
			body := tc.body(t)
			req, err := d.Decode(body)
			if tc.wantRule == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				doc, err := composeBericht(t, req)
				if err != nil {
					t.Fatalf("compose: %v", err)
				}
				if err := v.Validate(doc); err != nil {
					t.Fatalf("accepted at intake, refused by the XSD: %v", err)
				}
				return
			}
			var inv *disclosure.InvalidError
			if !errors.As(err, &inv) {
				t.Fatalf("want *InvalidError, got %v", err)
			}
			found := false
			for _, p := range inv.Problems {
				if p.Rule == tc.wantRule && p.Path == tc.wantPath {
					found = true
				}
			}
			if !found {
				t.Fatalf("no problem %s at %s in %v", tc.wantRule, tc.wantPath, inv.Problems)
			}
			if s, ok := tc.value.(string); ok && len(s) > 1 && s != raw && strings.Contains(inv.Error(), s) {
				t.Errorf("problem quotes the value: %s", inv)
			}
			if tc.noXSD {
				return
			}
			var bare disclosure.Request
			if err := json.Unmarshal(body, &bare); err != nil {
				t.Fatal(err)
			}
			doc, err := composeBericht(t, bare)
			if err != nil {
				return // messages.Build refuses it: later, but refused
			}
			if err := v.Validate(doc); err == nil {
				t.Fatalf("refused at intake, but the XSD accepts the composed message")
			}
		})
	}
}
