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
	seq      []xsdElement // complex, resolved at init
	typ      *xsdSimple   // simple, resolved at init
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
		for _, seq := range m.complex {
			for i := range seq {
				seq[i].typ = m.simple[seq[i].simple]
			}
		}
		for _, seq := range m.complex {
			for i := range seq {
				seq[i].seq = m.complex[seq[i].complex]
			}
		}
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
	stack   []pathItem
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
	s := &schemaChecker{std: std, model: m, basisNS: BasisNamespace(std), msgNS: Namespace(std, kind), stack: make([]pathItem, 0, 8)}
	s.complexContent(root, m.complex[m.roots[kind]])
	return s.errs
}

// pathItem is one step of the element path as the check walks down (kept
// on a stack and turned into a string only for an error).
type pathItem struct {
	name  string
	index int // 1-based item number of a repeatable element; 0: none
}

// path returns the current element path, with name appended when given.
func (s *schemaChecker) path(name string) string {
	var b strings.Builder
	for i, it := range s.stack {
		if i > 0 {
			b.WriteByte('/')
		}
		b.WriteString(it.name)
		if it.index > 0 {
			fmt.Fprintf(&b, "[%d]", it.index)
		}
	}
	if name != "" {
		if b.Len() > 0 {
			b.WriteByte('/')
		}
		b.WriteString(name)
	}
	return b.String()
}

// complexContent checks el's children against the sequence of type key.
func (s *schemaChecker) complexContent(el *etree.Element, seq []xsdElement) {
	i, count := 0, 0
	for _, tok := range el.Child {
		child, ok := tok.(*etree.Element)
		if !ok {
			if cd, ok := tok.(*etree.CharData); ok && strings.TrimLeft(cd.Data, " \t\r\n") != "" {
				s.add("XSD", orRoot(s.path("")), "text in an element that only holds elements")
			}
			continue
		}
		ns := child.NamespaceURI()
		for i < len(seq) && !s.matches(child.Tag, ns, &seq[i]) {
			if count < seq[i].min {
				s.missing(&seq[i])
			}
			i++
			count = 0
		}
		if i == len(seq) {
			s.add("XSD", s.path(child.Tag), "element not allowed here (unknown, out of order or repeated)")
			return
		}
		count++
		d := &seq[i]
		if d.max >= 0 && count > d.max {
			s.add("XSD", s.path(child.Tag), fmt.Sprintf("occurs more than %d times (maxOccurs)", d.max))
			return
		}
		it := pathItem{name: d.name}
		if d.max != 1 {
			it.index = count
		}
		s.stack = append(s.stack, it)
		if d.complex != "" {
			s.complexContent(child, d.seq)
		} else {
			s.simpleContent(child, d.typ)
		}
		s.stack = s.stack[:len(s.stack)-1]
	}
	for ; i < len(seq); i++ {
		if count < seq[i].min {
			s.missing(&seq[i])
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

func (s *schemaChecker) missing(d *xsdElement) {
	p := s.path(d.name)
	if d.min == 1 {
		s.add("XSD", p, "required element missing (minOccurs 1)")
		return
	}
	s.add("XSD", p, fmt.Sprintf("occurs fewer than %d times (minOccurs)", d.min))
}

func (s *schemaChecker) matches(tag, ns string, d *xsdElement) bool {
	if tag != d.name {
		return false
	}
	if d.basis {
		return ns == s.basisNS
	}
	return ns == s.msgNS
}

// simpleContent checks the text of el against simple type t.
func (s *schemaChecker) simpleContent(el *etree.Element, t *xsdSimple) {
	for _, tok := range el.Child {
		if _, ok := tok.(*etree.Element); ok {
			s.add("XSD", s.path(""), "element in a simple element")
			return
		}
	}
	v := directText(el)
	if !utf8.ValidString(v) || strings.IndexFunc(v, notXMLChar) >= 0 {
		s.add("XSD", s.path(""), "character not allowed in XML")
		return
	}
	var n int64
	switch t.base {
	case "string":
	case "integer":
		v = collapse(v)
		var ok bool
		if n, ok = parseXSDInteger(v); !ok {
			s.add("XSD", s.path(""), "not an integer (xs:integer)")
			return
		}
	case "date":
		v = collapse(v)
		if _, err := ParseDate(v); err != nil {
			s.add(dateCode(v, "RS032"), s.path(""), "not a date without time zone (xs:date)")
			return
		}
	case "time":
		v = collapse(v)
		if _, err := ParseTime(v); err != nil {
			s.add(dateCode(v, "RS034"), s.path(""), "not a time without time zone (xs:time)")
			return
		}
	}
	length := utf8.RuneCountInString(v)
	for i := range t.steps {
		st := &t.steps[i]
		switch {
		case st.minLen >= 0 && length < st.minLen:
			s.add(facetCode(st.name, "min"), s.path(""), fmt.Sprintf("shorter than %d characters (minLength of %s)", st.minLen, st.name))
		case st.maxLen >= 0 && length > st.maxLen:
			s.add(facetCode(st.name, "max"), s.path(""), fmt.Sprintf("longer than %d characters (maxLength of %s)", st.maxLen, st.name))
		case st.hasMin && n < st.minIncl && t.base == "integer":
			s.add(facetCode(st.name, "range"), s.path(""), fmt.Sprintf("less than %d (minInclusive of %s)", st.minIncl, st.name))
		case st.hasMax && n > st.maxIncl && t.base == "integer":
			s.add(facetCode(st.name, "range"), s.path(""), fmt.Sprintf("greater than %d (maxInclusive of %s)", st.maxIncl, st.name))
		case st.re != nil && !st.re.MatchString(v):
			s.add(facetCode(st.name, "pattern"), s.path(""), "does not match the pattern of "+st.name)
		case st.enum != "" && !InCodeList(st.enum, s.std, v):
			s.add(facetCode(st.name, "enum"), s.path(""), "not a code of "+st.enum+" in "+string(s.std))
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
