package messages

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"

	"github.com/beevik/etree"
)

// ErrOptions: BuildOptions are incomplete (Today missing).
var ErrOptions = errors.New("messages: build options incomplete")

// BuildOptions carry what Build needs from outside the message.
type BuildOptions struct {
	// Today is the sender's current date, for TR135 (Dagtekening not in the
	// future). Required.
	Today Date
}

// Build checks m against the technical rules (see Check) and writes it as
// XML: UTF-8, conventional prefixes (iwmo:/wmo301:, ijw:/jw301:) declared on
// the root, elements in XSD sequence order, qualified per
// elementFormDefault. Empty header fields BerichtCode, BerichtVersie,
// BerichtSubversie and XsdVersie are filled with the 3.2 values in the
// output (m itself is not modified).
//
// Rule violations come back as *RuleError values joined with errors.Join
// (errors.Is(err, ErrRule); RuleCodes(err) lists the codes).
//
// Build also checks the document it is about to write against the model
// of the official XSD (schema_gen.go, generated from the embedded schemas):
// element order and cardinality, and every facet of every value (length,
// range, pattern, code list). A violation comes back as a *RuleError with
// the element path and the facet, coded with the iStandaarden rule where
// one names the facet (RS035, RS036, RS048, …) and "XSD" otherwise. So
// Build never writes a document the official schema refuses.
//
// TR056 (Identificatie unique per message kind per sender) needs the
// sender's history and is NOT checked here: the caller must reserve the
// (sender, message type, Identificatie) triple in its store before sending.
func Build(m Message, opts BuildOptions) ([]byte, error) {
	cp, err := withDefaults(m)
	if err != nil {
		return nil, err
	}
	doc, err := checkTree(cp, opts)
	if err != nil {
		return nil, err
	}
	return writeDocument(doc), nil
}

// Check applies Build's rules (and the schema check) to m without writing
// XML (header defaults are applied to a copy first, as in Build).
func Check(m Message, opts BuildOptions) error {
	cp, err := withDefaults(m)
	if err != nil {
		return err
	}
	_, err = checkTree(cp, opts)
	return err
}

// checkTree applies the rules to m, encodes it and checks the tree against
// the schema model; it returns the tree when nothing is violated. A schema
// violation at a path a rule already reported is not repeated.
func checkTree(m Message, opts BuildOptions) (*etree.Document, error) {
	errs, err := check(m, opts)
	if err != nil {
		return nil, err
	}
	doc, err := encodeTree(m)
	if err != nil {
		var re *RuleError
		if !errors.As(err, &re) {
			return nil, err
		}
		errs = appendNew(errs, re)
		return nil, errors.Join(errs...)
	}
	errs = appendNew(errs, validateSchema(doc.Root(), m.Standard(), m.Kind())...)
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return doc, nil
}

// appendNew appends the rule errors of more whose path no error of errs
// names yet.
func appendNew(errs []error, more ...error) []error {
	if len(more) == 0 {
		return errs
	}
	seen := map[string]bool{}
	for _, e := range errs {
		if re, ok := e.(*RuleError); ok {
			seen[re.Path] = true
		}
	}
	for _, e := range more {
		if re, ok := e.(*RuleError); ok && seen[re.Path] {
			continue
		}
		errs = append(errs, e)
	}
	return errs
}

// Marshal writes m as XML like Build, with the same header defaults, but
// checks no rules. It exists for re-emitting received messages and for
// tests that need rule-breaking input; anything sluis sends goes through
// Build.
func Marshal(m Message) ([]byte, error) {
	cp, err := withDefaults(m)
	if err != nil {
		return nil, err
	}
	return encode(cp)
}

// withDefaults returns a shallow copy of m with the header defaults filled.
func withDefaults(m Message) (Message, error) {
	if m == nil {
		return nil, fmt.Errorf("%w: nil message", ErrUnknownMessage)
	}
	rv := reflect.ValueOf(m)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return nil, fmt.Errorf("%w: message must be a non-nil pointer", ErrUnknownMessage)
	}
	if !m.Standard().Valid() {
		return nil, fmt.Errorf("%w: standard %q", ErrUnknownMessage, m.Standard())
	}
	cpv := reflect.New(rv.Type().Elem())
	cpv.Elem().Set(rv.Elem())
	cp := cpv.Interface().(Message)
	h := cp.Head()
	if h.BerichtCode == "" {
		h.BerichtCode = BerichtCode(cp.Standard(), cp.Kind())
	}
	if h.BerichtVersie == 0 {
		h.BerichtVersie = 3
	}
	if h.BerichtSubversie == 0 {
		h.BerichtSubversie = 2
	}
	if h.XsdVersie == (XsdVersie{}) {
		h.XsdVersie = XsdVersie{BasisschemaXsdVersie: "1.0.0", BerichtXsdVersie: "1.0.0"}
	}
	return cp, nil
}

func encode(m Message) ([]byte, error) {
	doc, err := encodeTree(m)
	if err != nil {
		return nil, err
	}
	return writeDocument(doc), nil
}

// writeDocument returns the bytes of doc.Indent(2) followed by doc.WriteTo,
// written without inserting indentation tokens into the tree (see
// indent.go).
func writeDocument(doc *etree.Document) []byte {
	buf := bytes.NewBuffer(make([]byte, 0, 8<<10))
	writeIndentedChildren(buf, stripIndent(doc.Child), 0, &doc.WriteSettings)
	return buf.Bytes()
}

// encodeTree builds the XML tree of m.
func encodeTree(m Message) (*etree.Document, error) {
	std, kind := m.Standard(), m.Kind()
	bp, mp := prefixes(std, kind)
	doc := etree.NewDocument()
	doc.CreateProcInst("xml", `version="1.0" encoding="UTF-8"`)
	root := doc.CreateElement(mp + ":Bericht")
	root.CreateAttr("xmlns:"+bp, BasisNamespace(std))
	root.CreateAttr("xmlns:"+mp, Namespace(std, kind))
	enc := &encoder{std: std, basisPrefix: bp, msgPrefix: mp}
	if err := enc.encodeStruct(root, reflect.ValueOf(m).Elem(), nil); err != nil {
		return nil, err
	}
	return doc, nil
}
