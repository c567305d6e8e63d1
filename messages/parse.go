package messages

import (
	"errors"
	"fmt"
	"reflect"

	"github.com/beevik/etree"
	"github.com/sluis-gateway/sluis/xsd/prolog"
)

// MaxDocumentSize is the largest document Parse accepts (the ISD-keten's
// payload limit is 25 MB).
const MaxDocumentSize = 25 << 20

// Parse reads an iWmo/iJw 3.2 message, dispatching on the root element's
// namespace. A DOCTYPE is refused unparsed (ErrDoctype); an unknown
// namespace gives ErrUnknownMessage; bad XML, unknown or misplaced elements
// and badly formatted values give ErrMalformed (naming the element path,
// never the value). Parse also checks the document against the model of
// the official XSD (element order and cardinality, lengths, ranges,
// patterns, code lists; see Build): a violation is an ErrMalformed that
// wraps the *RuleError values (RuleCodes lists their codes). The official
// XSD (package xsd) stays the authority for what comes from outside.
func Parse(doc []byte) (Message, error) {
	if len(doc) > MaxDocumentSize {
		return nil, fmt.Errorf("%w: document larger than %d bytes", ErrMalformed, MaxDocumentSize)
	}
	if err := prolog.Check(doc); err != nil {
		if errors.Is(err, prolog.ErrDoctype) {
			return nil, ErrDoctype
		}
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	d := etree.NewDocument()
	if err := d.ReadFromBytes(doc); err != nil {
		// encoding/xml's messages can quote text; keep only the fact.
		return nil, fmt.Errorf("%w: not well-formed XML", ErrMalformed)
	}
	root := d.Root()
	if root == nil {
		return nil, fmt.Errorf("%w: no root element", ErrMalformed)
	}
	ns := root.NamespaceURI()
	sk, ok := byNamespace[ns]
	if !ok {
		return nil, fmt.Errorf("%w: root namespace %q", ErrUnknownMessage, ns)
	}
	if root.Tag != "Bericht" {
		return nil, fmt.Errorf("%w: root element is not Bericht", ErrMalformed)
	}
	for _, a := range root.Attr {
		if a.Space != "xmlns" && a.Key != "xmlns" && a.NamespaceURI() != "http://www.w3.org/2001/XMLSchema-instance" {
			return nil, fmt.Errorf("%w: Bericht: unexpected attribute %s", ErrMalformed, a.Key)
		}
	}
	if errs := validateSchema(root, sk.std, sk.kind); len(errs) > 0 {
		return nil, fmt.Errorf("%w: %w", ErrMalformed, errors.Join(errs...))
	}
	m, err := newMessage(sk.std, sk.kind)
	if err != nil {
		return nil, err
	}
	dec := &decoder{root: root, std: sk.std, basisNS: BasisNamespace(sk.std), msgNS: ns}
	if err := dec.decodeStruct(root, reflect.ValueOf(m).Elem(), ""); err != nil {
		return nil, err
	}
	return m, nil
}
