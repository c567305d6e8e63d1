package signing

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/beevik/etree"
	"github.com/russellhaering/goxmldsig/etreeutils"
)

// errTooLarge is wrapped by parse when the input exceeds MaxDocumentBytes.
var errTooLarge = errors.New("document too large")

// parse reads one XML document strictly. It refuses input larger than
// MaxDocumentBytes, any DOCTYPE or other directive (so no entity
// declarations), and documents without a root element. Only UTF-8 is read:
// etree's pass-through charset reader is not used for other encodings.
func parse(data []byte) (*etree.Document, error) {
	if len(data) > MaxDocumentBytes {
		return nil, errTooLarge
	}
	// Cheap early refusal before the parser sees a DTD; the token walk below
	// catches directives the byte scan might miss.
	if bytes.Contains(data, []byte("<!DOCTYPE")) {
		return nil, ErrDoctype
	}
	doc := etree.NewDocument()
	doc.ReadSettings = etree.ReadSettings{
		CharsetReader: refuseCharset,
	}
	if err := doc.ReadFromBytes(data); err != nil {
		return nil, fmt.Errorf("not well-formed XML: %w", err)
	}
	if hasDirective(&doc.Element) {
		return nil, ErrDoctype
	}
	if doc.Root() == nil {
		return nil, errors.New("no root element")
	}
	return doc, nil
}

// refuseCharset is called by encoding/xml for any declared encoding other
// than UTF-8: refuse it.
func refuseCharset(charset string, _ io.Reader) (io.Reader, error) {
	return nil, errors.New("only UTF-8 is accepted")
}

func hasDirective(el *etree.Element) bool {
	for _, t := range el.Child {
		switch c := t.(type) {
		case *etree.Directive:
			return true
		case *etree.Element:
			if hasDirective(c) {
				return true
			}
		}
	}
	return false
}

// countElements counts el and all its descendant elements, stopping early
// once the count exceeds limit.
func countElements(el *etree.Element, limit int) int {
	n := 1
	for _, t := range el.Child {
		c, ok := t.(*etree.Element)
		if !ok {
			continue
		}
		n += countElements(c, limit-n)
		if n > limit {
			return n
		}
	}
	return n
}

// hasNamespace reports whether el or any descendant element is in namespace ns.
func hasNamespace(el *etree.Element, ns string) bool {
	if el.NamespaceURI() == ns {
		return true
	}
	for _, c := range el.ChildElements() {
		if hasNamespace(c, ns) {
			return true
		}
	}
	return false
}

// canonical returns the exclusive C14N 1.0 form (without comments) of el as a
// standalone document: namespace declarations in scope from el's ancestors
// are carried over where el's subtree visibly uses them. el is not changed.
func canonical(el *etree.Element) ([]byte, error) {
	ctx, err := etreeutils.NSBuildParentContext(el)
	if err != nil {
		return nil, err
	}
	detached, err := etreeutils.NSDetatch(ctx, el)
	if err != nil {
		return nil, err
	}
	if err := etreeutils.TransformExcC14n(detached, "", false); err != nil {
		return nil, err
	}
	doc := etree.NewDocument()
	doc.SetRoot(detached)
	doc.WriteSettings = canonicalWrite
	return doc.WriteToBytes()
}

// canonicalWrite escapes text and attribute values the way C14N does, so
// that what a parser reads back (tabs and newlines in attribute values
// included) is exactly what was signed.
var canonicalWrite = etree.WriteSettings{
	CanonicalEndTags: true,
	CanonicalText:    true,
	CanonicalAttrVal: true,
}

// xmlNamespace is the namespace bound to the reserved prefix "xml".
const xmlNamespace = "http://www.w3.org/XML/1998/namespace"

// errAttrOrder: goxmldsig orders prefixed attributes by prefix and local
// name, C14N by namespace URI and local name. Where the two differ xmlsec1
// (and any conforming verifier) would compute another digest.
var errAttrOrder = errors.New("prefixed attributes whose canonical order goxmldsig gets wrong")

// errAttrWhitespace: encoding/xml does not normalize attribute values, so
// it reads a literal tab or line break in one as itself where XML 1.0 (and
// xmlsec1) read a space; after parsing, a literal and a character reference
// cannot be told apart.
var errAttrWhitespace = errors.New("attribute value with a tab or line break")

// errDsigInside: the Bericht holds XML-DSig elements, which a verifier
// could mistake for the envelope's signature.
var errDsigInside = errors.New("contains XML-DSig elements")

// checkPortable walks the Bericht once and refuses what sluis cannot carry
// safely: XML-DSig elements, undeclared prefixes, elements whose prefixed
// attributes goxmldsig would order otherwise than the C14N specification
// (and xmlsec1) does, and attribute values with tabs or line breaks.
func checkPortable(root *etree.Element) error {
	return checkElement(root, map[string]string{"xml": xmlNamespace})
}

func checkElement(el *etree.Element, scope map[string]string) error {
	// Copy the scope only when this element declares namespaces.
	for _, a := range el.Attr {
		if a.Space == "xmlns" || (a.Space == "" && a.Key == "xmlns") {
			scope = maps.Clone(scope)
			break
		}
	}
	for _, a := range el.Attr {
		switch {
		case a.Space == "xmlns":
			scope[a.Key] = a.Value
		case a.Space == "" && a.Key == "xmlns":
			scope[""] = a.Value
		}
	}
	uri, ok := scope[el.Space]
	if !ok && el.Space != "" {
		return fmt.Errorf("undeclared namespace prefix on element %s", el.Tag)
	}
	if uri == dsigNamespace {
		return errDsigInside
	}

	type nsAttr struct {
		attr etree.Attr
		uri  string
	}
	var attrs []nsAttr
	for _, a := range el.Attr {
		if strings.ContainsAny(a.Value, "\t\n\r") {
			return errAttrWhitespace
		}
		if a.Space == "xmlns" || (a.Space == "" && a.Key == "xmlns") {
			continue
		}
		uri := ""
		if a.Space != "" {
			u, ok := scope[a.Space]
			if !ok {
				return fmt.Errorf("undeclared namespace prefix on attribute %s", a.Key)
			}
			uri = u
		}
		attrs = append(attrs, nsAttr{a, uri})
	}
	if len(attrs) > 1 {
		// C14N order: unqualified first (URI ""), then by URI, then local name.
		want := slices.Clone(attrs)
		slices.SortStableFunc(want, func(x, y nsAttr) int {
			return cmp.Or(cmp.Compare(x.uri, y.uri), cmp.Compare(x.attr.Key, y.attr.Key))
		})
		got := make([]etree.Attr, len(attrs))
		for i, a := range attrs {
			got[i] = a.attr
		}
		sort.Sort(etreeutils.SortedAttrs(got))
		for i := range got {
			if got[i].Space != want[i].attr.Space || got[i].Key != want[i].attr.Key {
				return errAttrOrder
			}
		}
	}
	for _, t := range el.Child {
		c, ok := t.(*etree.Element)
		if !ok {
			continue
		}
		if err := checkElement(c, scope); err != nil {
			return err
		}
	}
	return nil
}
