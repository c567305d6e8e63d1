package messages

//go:generate go run ./internal/xsdgen/genschema

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/beevik/etree"
)

// The schema model (schema_gen.go, generated from the embedded official
// XSDs by messages/internal/xsdgen) lets Build and Parse refuse what the
// official schema refuses: element order and cardinality, and every facet
// of every simple type (length, range, pattern, code list), with the
// element path and the facet in the error.

type xsdModel struct {
	roots   map[string]string       // kind → complex type of the root Bericht
	complex map[string][]xsdElement // complex type → its sequence
	simple  map[string]*xsdSimple
}

type xsdElement struct {
	name     string
	basis    bool // in the basisschema namespace
	min, max int  // max -1: unbounded
	complex  string
	simple   string
}

type xsdSimple struct {
	base  string // string, integer, date, time
	steps []xsdStep
}

// xsdStep is one restriction of a simple type: its facets.
type xsdStep struct {
	name             string // LDT_… or, for an anonymous type, the element name
	minLen, maxLen   int    // -1: absent
	hasMin, hasMax   bool
	minIncl, maxIncl int64
	pattern          string // Go regexp, anchored; "" when absent
	enum             string // code list name; "" when absent
	re               *regexp.Regexp
}

func init() {
	// Compile each step's pattern once (the sources come from the
	// generator, which translated them from the XSD; TestSchemaModel
	// compiles them all).
	cache := map[string]*regexp.Regexp{}
	for _, m := range xsdModels {
		for _, s := range m.simple {
			for i := range s.steps {
				p := s.steps[i].pattern
				if p == "" {
					continue
				}
				re, ok := cache[p]
				if !ok {
					re = regexp.MustCompile(p)
					cache[p] = re
				}
				s.steps[i].re = re
			}
		}
	}
}

// facetRules names the iStandaarden rule behind a facet where one exists
// ("<type>/<facet>" → code); other facet violations carry the code "XSD".
var facetRules = map[string]string{
	"LDT_Gemeente/pattern":             "RS035",
	"LDT_AgbCode/pattern":              "RS036",
	"LDT_AgbCode/maxLength":            "RS036",
	"LDT_IdentificatieBericht/min":     "RS033",
	"LDT_IdentificatieBericht/pattern": "RS033",
	"LDT_IdentificatieBericht/max":     "RS017",
	"LDT_Versie/pattern":               "RS048",
	"LDT_Versie/min":                   "RS048",
	"LDT_Voorletters/pattern":          "RS045",
	"LDT_Datum/pattern":                "RS032",
	"LDT_Tijd/pattern":                 "RS034",
	"BerichtCode/pattern":              "RS047",
	"BerichtVersie/pattern":            "CS025",
	"BerichtSubversie/pattern":         "CS015",
}

type schemaChecker struct {
	std     Standard
	model   *xsdModel
	basisNS string
	msgNS   string
	errs    []error
}

func (s *schemaChecker) add(code, path, msg string) {
	s.errs = append(s.errs, &RuleError{Code: code, Path: path, Msg: msg})
}

// validateSchema checks the tree under root (a Bericht of std and kind)
// against the schema model and returns the violations as *RuleError values.
func validateSchema(root *etree.Element, std Standard, kind string) []error {
	m := xsdModels[std]
	if m == nil || m.roots[kind] == "" {
		return []error{&RuleError{Code: "XSD", Path: "Bericht", Msg: "no schema for this message"}}
	}
	s := &schemaChecker{std: std, model: m, basisNS: BasisNamespace(std), msgNS: Namespace(std, kind)}
	s.complexContent(root, m.roots[kind], "")
	return s.errs
}

// complexContent checks el's children against the sequence of type key.
func (s *schemaChecker) complexContent(el *etree.Element, key, path string) {
	seq := s.model.complex[key]
	if strings.TrimLeft(directText(el), " \t\r\n") != "" {
		s.add("XSD", orRoot(path), "text in an element that only holds elements")
	}
	i, count := 0, 0
	for _, child := range el.ChildElements() {
		for i < len(seq) && !s.matches(child, &seq[i]) {
			if count < seq[i].min {
				s.missing(path, &seq[i])
			}
			i++
			count = 0
		}
		if i == len(seq) {
			s.add("XSD", joinPath(path, "", child.Tag), "element not allowed here (unknown, out of order or repeated)")
			return
		}
		count++
		d := &seq[i]
		if d.max >= 0 && count > d.max {
			s.add("XSD", joinPath(path, "", child.Tag), fmt.Sprintf("occurs more than %d times (maxOccurs)", d.max))
			return
		}
		p := joinPath(path, "", d.name)
		if d.max != 1 {
			p = fmt.Sprintf("%s[%d]", p, count)
		}
		if d.complex != "" {
			s.complexContent(child, d.complex, p)
		} else {
			s.simpleContent(child, s.model.simple[d.simple], p)
		}
	}
	for ; i < len(seq); i++ {
		if count < seq[i].min {
			s.missing(path, &seq[i])
		}
		count = 0
	}
}

func orRoot(path string) string {
	if path == "" {
		return "Bericht"
	}
	return path
}

func (s *schemaChecker) missing(path string, d *xsdElement) {
	if d.min == 1 {
		s.add("XSD", joinPath(path, "", d.name), "required element missing (minOccurs 1)")
		return
	}
	s.add("XSD", joinPath(path, "", d.name), fmt.Sprintf("occurs fewer than %d times (minOccurs)", d.min))
}

func (s *schemaChecker) matches(el *etree.Element, d *xsdElement) bool {
	ns := s.msgNS
	if d.basis {
		ns = s.basisNS
	}
	return el.Tag == d.name && el.NamespaceURI() == ns
}

// simpleContent checks the text of el against simple type t.
func (s *schemaChecker) simpleContent(el *etree.Element, t *xsdSimple, path string) {
	if len(el.ChildElements()) > 0 {
		s.add("XSD", path, "element in a simple element")
		return
	}
	v := directText(el)
	if !utf8.ValidString(v) || strings.IndexFunc(v, notXMLChar) >= 0 {
		s.add("XSD", path, "character not allowed in XML")
		return
	}
	var n int64
	switch t.base {
	case "string":
	case "integer":
		v = collapse(v)
		var ok bool
		if n, ok = parseXSDInteger(v); !ok {
			s.add("XSD", path, "not an integer (xs:integer)")
			return
		}
	case "date":
		v = collapse(v)
		if _, err := ParseDate(v); err != nil {
			s.add(dateCode(v, "RS032"), path, "not a date without time zone (xs:date)")
			return
		}
	case "time":
		v = collapse(v)
		if _, err := ParseTime(v); err != nil {
			s.add(dateCode(v, "RS034"), path, "not a time without time zone (xs:time)")
			return
		}
	}
	length := utf8.RuneCountInString(v)
	for i := range t.steps {
		st := &t.steps[i]
		switch {
		case st.minLen >= 0 && length < st.minLen:
			s.add(facetCode(st.name, "min"), path, fmt.Sprintf("shorter than %d characters (minLength of %s)", st.minLen, st.name))
		case st.maxLen >= 0 && length > st.maxLen:
			s.add(facetCode(st.name, "max"), path, fmt.Sprintf("longer than %d characters (maxLength of %s)", st.maxLen, st.name))
		case st.hasMin && n < st.minIncl && t.base == "integer":
			s.add(facetCode(st.name, "range"), path, fmt.Sprintf("less than %d (minInclusive of %s)", st.minIncl, st.name))
		case st.hasMax && n > st.maxIncl && t.base == "integer":
			s.add(facetCode(st.name, "range"), path, fmt.Sprintf("greater than %d (maxInclusive of %s)", st.maxIncl, st.name))
		case st.re != nil && !st.re.MatchString(v):
			s.add(facetCode(st.name, "pattern"), path, "does not match the pattern of "+st.name)
		case st.enum != "" && !InCodeList(st.enum, s.std, v):
			s.add(facetCode(st.name, "enum"), path, "not a code of "+st.enum+" in "+string(s.std))
		default:
			continue
		}
		return
	}
}

func facetCode(typ, facet string) string {
	if c, ok := facetRules[typ+"/"+facet]; ok {
		return c
	}
	if facet == "min" || facet == "max" {
		if c, ok := facetRules[typ+"/"+facet+"Length"]; ok {
			return c
		}
	}
	return "XSD"
}

// dateCode: a date or time carrying a zone breaks the named rule, any other
// malformed value only the XSD.
func dateCode(v, rule string) string {
	if strings.ContainsAny(v, "Z+") || (len(v) > 10 && strings.Contains(v[8:], "-")) {
		return rule
	}
	return "XSD"
}

// collapse applies whiteSpace="collapse" (the builtin non-string types).
func collapse(v string) string {
	return strings.Join(strings.FieldsFunc(v, func(r rune) bool {
		return r == ' ' || r == '\t' || r == '\n' || r == '\r'
	}), " ")
}

// parseXSDInteger parses the xs:integer lexical form [+-]?[0-9]+ into an
// int64; values beyond int64 are reported as not ok (every integer type of
// the schemas has a far smaller range).
func parseXSDInteger(v string) (int64, bool) {
	d := strings.TrimLeft(v, "+-")
	if len(v)-len(d) > 1 || d == "" || !allDigits(d) {
		return 0, false
	}
	n, err := strconv.ParseInt(v, 10, 64)
	return n, err == nil
}

// notXMLChar reports a character outside XML 1.0's Char production.
func notXMLChar(r rune) bool {
	switch {
	case r == 0x9 || r == 0xA || r == 0xD:
		return false
	case r >= 0x20 && r <= 0xD7FF, r >= 0xE000 && r <= 0xFFFD, r >= 0x10000 && r <= 0x10FFFF:
		return false
	}
	return true
}
