package disclosure_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"
	"unicode"

	"github.com/sluis-gateway/sluis/docs/contract"
	"github.com/sluis-gateway/sluis/messages"
)

// contractSchema is the disclosure contract as a plain JSON tree.
func contractSchema(t *testing.T) map[string]any {
	t.Helper()
	var s map[string]any
	if err := json.Unmarshal(contract.DisclosureV1, &s); err != nil {
		t.Fatal(err)
	}
	return s
}

// codeListDefs are the contract's code lists: $defs entries named after an
// LDT_ code list of the basisschema ("LandCode"), or once per standard
// ("ProductCategorie-iJw").
func codeListDefs(t *testing.T, s map[string]any) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for name, def := range s["$defs"].(map[string]any) {
		if !unicode.IsUpper(rune(name[0])) {
			continue
		}
		enum, ok := def.(map[string]any)["enum"].([]any)
		if !ok || len(def.(map[string]any)) != 1 {
			t.Errorf("$defs/%s: a code list holds only an enum", name)
			continue
		}
		for _, v := range enum {
			out[name] = append(out[name], v.(string))
		}
	}
	return out
}

// diff lists the values in one list and not the other.
func diff(contract, xsd []string) string {
	var only []string
	for _, v := range contract {
		if !slices.Contains(xsd, v) {
			only = append(only, "contract only: "+v)
		}
	}
	for _, v := range xsd {
		if !slices.Contains(contract, v) {
			only = append(only, "XSD only: "+v)
		}
	}
	if len(contract) != len(xsd) && len(only) == 0 {
		only = append(only, "a value repeated")
	}
	return strings.Join(only, ", ")
}

// Every code list of the contract equals the enumeration of the official
// XSD (through messages' code lists, which TestCodeListsMatchXSD holds equal
// to the embedded basisschemas), for each standard it applies to; and every
// code list a 301, 319 or 325 field of the contract carries is there.
func TestContractCodeListsEqualXSD(t *testing.T) {
	defs := codeListDefs(t, contractSchema(t))
	want := []string{"AanduidingWoonadres", "AdresSoort", "Communicatievorm", "DatumGebruik", "DebetCredit", "Eenheid",
		"Frequentie", "Geslacht", "JuridischeStatus", "LandCode", "NaamGebruik", "ProductCategorie-iJw",
		"ProductCategorie-iWmo", "RedenAfwijzingVerzoek", "RedenWijziging", "SoortRelatie", "VerzoekAntwoord",
		"WettelijkeVertegenwoordiging"}
	var got []string
	for name := range defs {
		got = append(got, name)
	}
	sort.Strings(got)
	if !slices.Equal(got, want) {
		t.Errorf("contract code lists %v, want %v", got, want)
	}
	for name, values := range defs {
		list, std, perStd := strings.Cut(name, "-")
		stds := []messages.Standard{messages.IWmo, messages.IJw}
		if perStd {
			stds = []messages.Standard{messages.Standard(std)}
		}
		for _, s := range stds {
			var xsd []string
			for _, c := range messages.CodeList(list, s) {
				xsd = append(xsd, c.Value)
			}
			if len(xsd) == 0 {
				t.Errorf("%s: no LDT_%s in the %s basisschema", name, list, s)
				continue
			}
			if d := diff(values, xsd); d != "" {
				t.Errorf("%s differs from the %s XSD: %s", name, s, d)
			}
		}
	}
}

// contractEnums are the enums that are the contract's own, not a code list
// of the standard; every other enum must be a $ref to a code list def.
var contractEnums = map[string]bool{
	"/properties/standard/enum":                                                    true,
	"/properties/message_type/enum":                                                true,
	"/properties/legal_basis/properties/kind/enum":                                 true,
	"/properties/legal_basis/oneOf/2/properties/consultation/properties/role/enum": true,
}

func TestContractHasNoInlineCodeLists(t *testing.T) {
	var walk func(path string, v any)
	walk = func(path string, v any) {
		switch n := v.(type) {
		case map[string]any:
			for k, c := range n {
				p := path + "/" + k
				if k == "enum" && !strings.HasPrefix(path, "/$defs/") || k == "enum" && strings.Count(path, "/") > 2 {
					if !contractEnums[p] {
						t.Errorf("%s: an inline enum; use (or add) a code list in $defs", p)
					}
				}
				walk(p, c)
			}
		case []any:
			for i, c := range n {
				walk(fmt.Sprintf("%s/%d", path, i), c)
			}
		}
	}
	walk("", contractSchema(t))
}
