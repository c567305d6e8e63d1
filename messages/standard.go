// Package messages holds Go types for the 14 iWmo 3.2 and 14 iJw 3.2
// messages (301 … 325), with Build (value → XML, applying the technical
// rules a sender must meet) and Parse (XML → value), the code lists those
// messages use, and ReadRetour, which turns a retour (302, 306, 308, 316,
// 318, 320) into per-record results.
//
// The package is pure: no I/O, no schema validation. Build output is meant
// to be validated against the official XSD (package xsd) by the caller, and
// Parse input should be validated the same way before it is trusted: Parse
// checks names, namespaces and value formats, not cardinalities.
//
// One Go type per message kind serves both standards: the Std field selects
// iWmo or iJw (namespaces, BerichtCode, code lists). A retour type reuses the
// heenbericht's record types, whose trailing RetourCodes stay empty in a
// heenbericht.
//
// Errors never carry element values (personal data): they name the element
// path and, for rule violations, the rule code (*RuleError).
package messages

import (
	"fmt"
	"slices"
)

// Standard is iWmo (Wmo 2015) or iJw (Jeugdwet).
type Standard string

// The two standards, release 3.2.
const (
	IWmo Standard = "iWmo"
	IJw  Standard = "iJw"
)

// Valid reports whether s is IWmo or IJw.
func (s Standard) Valid() bool { return s == IWmo || s == IJw }

// Kinds are the 14 message kinds of iWmo 3.2 and iJw 3.2.
var Kinds = []string{"301", "302", "305", "306", "307", "308", "315", "316", "317", "318", "319", "320", "323", "325"}

// MessageType returns the message type name: (IWmo,"301") → "WMO301",
// (IJw,"301") → "JW301"; "" for an unknown standard or kind.
func MessageType(std Standard, kind string) string {
	if !slices.Contains(Kinds, kind) {
		return ""
	}
	switch std {
	case IWmo:
		return "WMO" + kind
	case IJw:
		return "JW" + kind
	}
	return ""
}

// Namespace returns the message namespace, e.g.
// http://www.istandaarden.nl/iwmo/3_2/wmo301/schema.
func Namespace(std Standard, kind string) string {
	switch std {
	case IWmo:
		return "http://www.istandaarden.nl/iwmo/3_2/wmo" + kind + "/schema"
	case IJw:
		return "http://www.istandaarden.nl/ijw/3_2/jw" + kind + "/schema"
	}
	return ""
}

// BasisNamespace returns the basisschema namespace of std.
func BasisNamespace(std Standard) string {
	switch std {
	case IWmo:
		return "http://www.istandaarden.nl/iwmo/3_2/basisschema/schema"
	case IJw:
		return "http://www.istandaarden.nl/ijw/3_2/basisschema/schema"
	}
	return ""
}

// prefixes returns the conventional prefixes: ("iwmo","wmo301") or ("ijw","jw301").
func prefixes(std Standard, kind string) (basis, msg string) {
	if std == IWmo {
		return "iwmo", "wmo" + kind
	}
	return "ijw", "jw" + kind
}

// berichtCodes: COD002 (Vektis) Berichtcode per kind, [iWmo, iJw].
var berichtCodes = map[string][2]string{
	"301": {"414", "436"}, "302": {"415", "437"},
	"305": {"418", "438"}, "306": {"419", "439"},
	"307": {"420", "440"}, "308": {"421", "441"},
	"315": {"444", "446"}, "316": {"445", "447"},
	"317": {"480", "486"}, "318": {"481", "487"},
	"319": {"482", "488"}, "320": {"483", "489"},
	"323": {"484", "490"}, "325": {"485", "491"},
}

// BerichtCode returns the COD002 code of the message, e.g. (IWmo,"301") →
// "414", (IJw,"301") → "436"; "" when unknown.
func BerichtCode(std Standard, kind string) string {
	c, ok := berichtCodes[kind]
	if !ok {
		return ""
	}
	switch std {
	case IWmo:
		return c[0]
	case IJw:
		return c[1]
	}
	return ""
}

// KindOfBerichtCode returns the standard and kind of a COD002 code.
func KindOfBerichtCode(code string) (Standard, string, bool) {
	for kind, c := range berichtCodes {
		if c[0] == code {
			return IWmo, kind, true
		}
		if c[1] == code {
			return IJw, kind, true
		}
	}
	return "", "", false
}

// byNamespace maps each of the 28 message namespaces to (std, kind).
var byNamespace = func() map[string]struct {
	std  Standard
	kind string
} {
	m := map[string]struct {
		std  Standard
		kind string
	}{}
	for _, std := range []Standard{IWmo, IJw} {
		for _, k := range Kinds {
			m[Namespace(std, k)] = struct {
				std  Standard
				kind string
			}{std, k}
		}
	}
	return m
}()

// Retour kinds: the retour that answers each heenbericht kind (319 → 320
// etc.). 323 and 325 have none.
var retourOf = map[string]string{"301": "302", "305": "306", "307": "308", "315": "316", "317": "318", "319": "320"}

// RetourKind returns the kind of the retour on a heenbericht kind ("301" →
// "302"), false when there is none (323, 325, retours themselves).
func RetourKind(kind string) (string, bool) {
	r, ok := retourOf[kind]
	return r, ok
}

// newMessage returns an empty message value of kind for std.
func newMessage(std Standard, kind string) (Message, error) {
	var m Message
	switch kind {
	case "301":
		m = &Toewijzing{Std: std}
	case "302":
		m = &ToewijzingRetour{Std: std}
	case "305":
		m = &Start{Std: std}
	case "306":
		m = &StartRetour{Std: std}
	case "307":
		m = &Stop{Std: std}
	case "308":
		m = &StopRetour{Std: std}
	case "315":
		m = &VerzoekToewijzing{Std: std}
	case "316":
		m = &VerzoekToewijzingRetour{Std: std}
	case "317":
		m = &VerzoekWijziging{Std: std}
	case "318":
		m = &VerzoekWijzigingRetour{Std: std}
	case "319":
		m = &Antwoordbericht{Std: std}
	case "320":
		m = &AntwoordRetour{Std: std}
	case "323":
		m = &Declaratie{Std: std}
	case "325":
		m = &DeclaratieAntwoord{Std: std}
	default:
		return nil, fmt.Errorf("%w: kind %q", ErrUnknownMessage, kind)
	}
	return m, nil
}

// New returns an empty message of the given standard and kind, ready to be
// filled and built.
func New(std Standard, kind string) (Message, error) {
	if !std.Valid() {
		return nil, fmt.Errorf("%w: standard %q", ErrUnknownMessage, std)
	}
	return newMessage(std, kind)
}
