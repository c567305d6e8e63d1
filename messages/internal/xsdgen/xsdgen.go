// Package xsdgen generates messages/schema_gen.go, the element structure
// and simple-type facets of the 28 iWmo/iJw 3.2 message schemas, from the
// XSDs embedded in package xsd. messages validates what Build writes and
// what Parse reads against that model, so it refuses what the official
// schema refuses without calling libxml2.
//
// The schemas use a small subset of XSD, and the generator refuses anything
// outside it: global complex types holding one xs:sequence of xs:element
// (named or anonymous types, minOccurs/maxOccurs), and simple types that
// restrict xs:string, xs:integer, xs:date or xs:time (or another simple
// type) with enumeration, minLength, maxLength, minInclusive, maxInclusive
// and pattern facets.
package xsdgen

import (
	"encoding/xml"
	"fmt"
	"io/fs"
	"strconv"
	"strings"
)

// Kinds are the message kinds, in order.
var Kinds = []string{"301", "302", "305", "306", "307", "308", "315", "316", "317", "318", "319", "320", "323", "325"}

type node struct {
	XMLName xml.Name
	Attrs   []xml.Attr `xml:",any,attr"`
	Nodes   []node     `xml:",any"`
}

func (n *node) attr(name string) (string, bool) {
	for _, a := range n.Attrs {
		if a.Name.Local == name && a.Name.Space == "" {
			return a.Value, true
		}
	}
	return "", false
}

const xsNS = "http://www.w3.org/2001/XMLSchema"

// Element is one element declaration in a sequence.
type Element struct {
	Name     string
	Basis    bool // in the basisschema namespace
	Min, Max int  // Max -1: unbounded
	Complex  string
	Simple   string
}

// Step is one restriction step of a simple type.
type Step struct {
	Name             string
	MinLen, MaxLen   int // -1: absent
	HasMin, HasMax   bool
	MinIncl, MaxIncl int64
	Pattern          string // Go regexp source, anchored; "" when absent
	Enum             string // code list name (LDT_ type without prefix), "" when absent
}

// Simple is a simple type: its builtin base and its steps, most derived first.
type Simple struct {
	Base  string // string, integer, date, time
	Steps []Step
}

// Schema is the model of one standard.
type Schema struct {
	Complex map[string][]Element
	Simple  map[string]*Simple
	Roots   map[string]string // kind → complex type of Bericht
}

type parser struct {
	std        string // iwmo / ijw
	basisDoc   *node
	msgDocs    map[string]*node
	schema     *Schema
	basisNames map[string]*node // basisschema global simple/complex types by name
}

// Build parses the schemas of std ("iwmo" or "ijw") from fsys.
func Build(fsys fs.FS, std string) (*Schema, error) {
	p := &parser{std: std, msgDocs: map[string]*node{}, basisNames: map[string]*node{},
		schema: &Schema{Complex: map[string][]Element{}, Simple: map[string]*Simple{}, Roots: map[string]string{}}}
	var err error
	if p.basisDoc, err = readSchema(fsys, std+"/3.2/basisschema.xsd"); err != nil {
		return nil, err
	}
	for i := range p.basisDoc.Nodes {
		n := &p.basisDoc.Nodes[i]
		if name, ok := n.attr("name"); ok {
			p.basisNames[name] = n
		}
	}
	prefix := "WMO"
	if std == "ijw" {
		prefix = "JW"
	}
	for _, kind := range Kinds {
		doc, err := readSchema(fsys, std+"/3.2/"+prefix+kind+".xsd")
		if err != nil {
			return nil, err
		}
		if err := p.message(kind, doc); err != nil {
			return nil, fmt.Errorf("%s%s: %w", prefix, kind, err)
		}
	}
	return p.schema, nil
}

func readSchema(fsys fs.FS, path string) (*node, error) {
	b, err := fs.ReadFile(fsys, path)
	if err != nil {
		return nil, err
	}
	var n node
	if err := xml.Unmarshal(b, &n); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &n, nil
}

func (p *parser) message(kind string, doc *node) error {
	names := map[string]*node{}
	for i := range doc.Nodes {
		n := &doc.Nodes[i]
		if name, ok := n.attr("name"); ok {
			names[name] = n
		}
	}
	for i := range doc.Nodes {
		n := &doc.Nodes[i]
		if n.XMLName.Local != "element" {
			continue
		}
		if name, _ := n.attr("name"); name != "Bericht" {
			return fmt.Errorf("unexpected global element %q", name)
		}
		t, _ := n.attr("type")
		key, err := p.complexRef(kind, names, t)
		if err != nil {
			return err
		}
		p.schema.Roots[kind] = key
	}
	if p.schema.Roots[kind] == "" {
		return fmt.Errorf("no Bericht element")
	}
	return nil
}

// split returns (prefix, local) of a QName.
func split(q string) (string, string) {
	if pre, loc, ok := strings.Cut(q, ":"); ok {
		return pre, loc
	}
	return "", q
}

func (p *parser) isBasisPrefix(pre string) bool { return pre == p.std }

// complexRef resolves a complex type reference and defines it.
func (p *parser) complexRef(kind string, names map[string]*node, q string) (string, error) {
	pre, loc := split(q)
	if p.isBasisPrefix(pre) {
		key := "b:" + loc
		n, ok := p.basisNames[loc]
		if !ok || n.XMLName.Local != "complexType" {
			return "", fmt.Errorf("unknown basis complex type %s", q)
		}
		return key, p.defineComplex(key, "", nil, n, true)
	}
	key := kind + ":" + loc
	n, ok := names[loc]
	if !ok || n.XMLName.Local != "complexType" {
		return "", fmt.Errorf("unknown complex type %s", q)
	}
	return key, p.defineComplex(key, kind, names, n, false)
}

func (p *parser) defineComplex(key, kind string, names map[string]*node, n *node, basis bool) error {
	if _, ok := p.schema.Complex[key]; ok {
		return nil
	}
	p.schema.Complex[key] = nil // mark (recursion guard)
	var seq *node
	for i := range n.Nodes {
		c := &n.Nodes[i]
		switch c.XMLName.Local {
		case "annotation":
		case "sequence":
			if seq != nil {
				return fmt.Errorf("%s: two sequences", key)
			}
			seq = c
		default:
			return fmt.Errorf("%s: unsupported %s", key, c.XMLName.Local)
		}
	}
	if seq == nil {
		return fmt.Errorf("%s: no sequence", key)
	}
	var els []Element
	for i := range seq.Nodes {
		c := &seq.Nodes[i]
		if c.XMLName.Local == "annotation" {
			continue
		}
		if c.XMLName.Local != "element" {
			return fmt.Errorf("%s: unsupported %s in a sequence", key, c.XMLName.Local)
		}
		e, err := p.element(key, kind, names, c, basis)
		if err != nil {
			return err
		}
		els = append(els, e)
	}
	p.schema.Complex[key] = els
	return nil
}

func (p *parser) element(parent, kind string, names map[string]*node, n *node, basis bool) (Element, error) {
	name, _ := n.attr("name")
	e := Element{Name: name, Basis: basis, Min: 1, Max: 1}
	if v, ok := n.attr("minOccurs"); ok {
		m, err := strconv.Atoi(v)
		if err != nil {
			return e, fmt.Errorf("%s/%s: minOccurs %q", parent, name, v)
		}
		e.Min = m
	}
	if v, ok := n.attr("maxOccurs"); ok {
		if v == "unbounded" {
			e.Max = -1
		} else {
			m, err := strconv.Atoi(v)
			if err != nil {
				return e, fmt.Errorf("%s/%s: maxOccurs %q", parent, name, v)
			}
			e.Max = m
		}
	}
	for _, a := range n.Attrs {
		switch a.Name.Local {
		case "name", "type", "minOccurs", "maxOccurs":
		default:
			return e, fmt.Errorf("%s/%s: unsupported attribute %s", parent, name, a.Name.Local)
		}
	}
	if t, ok := n.attr("type"); ok {
		pre, loc := split(t)
		var tn *node
		if p.isBasisPrefix(pre) {
			tn = p.basisNames[loc]
		} else {
			tn = names[loc]
		}
		if tn == nil {
			return e, fmt.Errorf("%s/%s: unknown type %s", parent, name, t)
		}
		if tn.XMLName.Local == "complexType" {
			key, err := p.complexRef(kind, names, t)
			e.Complex = key
			return e, err
		}
		key, err := p.simpleRef(kind, names, t)
		e.Simple = key
		return e, err
	}
	for i := range n.Nodes {
		c := &n.Nodes[i]
		switch c.XMLName.Local {
		case "annotation":
		case "simpleType":
			key := parent + "/" + name
			if err := p.defineSimple(key, name, kind, names, c, basis); err != nil {
				return e, err
			}
			e.Simple = key
		case "complexType":
			key := parent + "/" + name
			if err := p.defineComplex(key, kind, names, c, basis); err != nil {
				return e, err
			}
			e.Complex = key
		default:
			return e, fmt.Errorf("%s/%s: unsupported %s", parent, name, c.XMLName.Local)
		}
	}
	if e.Simple == "" && e.Complex == "" {
		return e, fmt.Errorf("%s/%s: no type", parent, name)
	}
	return e, nil
}

func (p *parser) simpleRef(kind string, names map[string]*node, q string) (string, error) {
	pre, loc := split(q)
	if p.isBasisPrefix(pre) {
		key := "b:" + loc
		return key, p.defineSimple(key, loc, "", nil, p.basisNames[loc], true)
	}
	key := kind + ":" + loc
	return key, p.defineSimple(key, loc, kind, names, names[loc], false)
}

var builtin = map[string]bool{"string": true, "integer": true, "date": true, "time": true}

func (p *parser) defineSimple(key, name, kind string, names map[string]*node, n *node, basis bool) error {
	if _, ok := p.schema.Simple[key]; ok {
		return nil
	}
	if n == nil || n.XMLName.Local != "simpleType" {
		return fmt.Errorf("%s: not a simple type", key)
	}
	var r *node
	for i := range n.Nodes {
		c := &n.Nodes[i]
		switch c.XMLName.Local {
		case "annotation":
		case "restriction":
			r = c
		default:
			return fmt.Errorf("%s: unsupported %s", key, c.XMLName.Local)
		}
	}
	if r == nil {
		return fmt.Errorf("%s: no restriction", key)
	}
	step := Step{Name: name, MinLen: -1, MaxLen: -1}
	var patterns []string
	enum := false
	for i := range r.Nodes {
		c := &r.Nodes[i]
		v, _ := c.attr("value")
		var err error
		switch c.XMLName.Local {
		case "annotation":
		case "enumeration":
			enum = true
		case "minLength":
			step.MinLen, err = strconv.Atoi(v)
		case "maxLength":
			step.MaxLen, err = strconv.Atoi(v)
		case "minInclusive":
			step.HasMin = true
			step.MinIncl, err = strconv.ParseInt(v, 10, 64)
		case "maxInclusive":
			step.HasMax = true
			step.MaxIncl, err = strconv.ParseInt(v, 10, 64)
		case "pattern":
			var re string
			re, err = TranslatePattern(v)
			patterns = append(patterns, re)
		default:
			return fmt.Errorf("%s: unsupported facet %s", key, c.XMLName.Local)
		}
		if err != nil {
			return fmt.Errorf("%s: %s: %w", key, c.XMLName.Local, err)
		}
	}
	if len(patterns) > 0 {
		// Patterns of one step are alternatives (XSD 1.0 §4.3.4.3).
		step.Pattern = "^(?:" + strings.Join(patterns, "|") + ")$"
	}
	if enum {
		if !basis || !strings.HasPrefix(name, "LDT_") {
			return fmt.Errorf("%s: enumeration outside a basisschema LDT_ type", key)
		}
		step.Enum = strings.TrimPrefix(name, "LDT_")
	}
	base, _ := r.attr("base")
	pre, loc := split(base)
	s := &Simple{Steps: []Step{step}}
	switch {
	case n.XMLName.Space == xsNS && pre == "xs" && builtin[loc]:
		s.Base = loc
	case pre == "xs":
		return fmt.Errorf("%s: unsupported base %s", key, base)
	default:
		bkey, err := p.simpleRef(kind, names, base)
		if err != nil {
			return err
		}
		b := p.schema.Simple[bkey]
		s.Base = b.Base
		s.Steps = append(s.Steps, b.Steps...)
	}
	p.schema.Simple[key] = s
	return nil
}
