package signing

import (
	"crypto"
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"fmt"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"
)

// Signer seals Berichten in signed envelopes. It is safe for concurrent use.
type Signer struct {
	cert *x509.Certificate
	ctx  *dsig.SigningContext
}

// NewSigner returns a Signer for an RSA key of at least MinRSABits bits
// (else ErrWeakKey) whose public half is the one in cert (else
// ErrKeyMismatch), cert allowing digitalSignature (else ErrCertKeyUsage) and
// not a CA certificate (else ErrCertIsCA). It does not check the validity
// period: LoadSigner and Source do, for the moment the key signs.
func NewSigner(key *rsa.PrivateKey, cert *x509.Certificate) (*Signer, error) {
	if key == nil || cert == nil {
		return nil, errors.New("signing: nil key or certificate")
	}
	return newCheckedSigner(key, cert)
}

// newCheckedSigner is NewSigner for any crypto.Signer (a PKCS#11 key).
func newCheckedSigner(key crypto.Signer, cert *x509.Certificate) (*Signer, error) {
	if err := checkSignerPair(key.Public(), cert); err != nil {
		return nil, err
	}
	return newSigner(key, cert)
}

// newSigner builds the signing context without the policy checks; tests use
// it to make envelopes a Signer would refuse to make (weak keys).
func newSigner(key crypto.Signer, cert *x509.Certificate) (*Signer, error) {
	ctx, err := dsig.NewSigningContext(key, [][]byte{cert.Raw})
	if err != nil {
		return nil, fmt.Errorf("signing context: %w", err)
	}
	ctx.Canonicalizer = dsig.MakeC14N10ExclusiveCanonicalizerWithPrefixList("")
	if err := ctx.SetSignatureMethod(dsig.RSASHA256SignatureMethod); err != nil {
		return nil, fmt.Errorf("signing context: %w", err)
	}
	// buildEnvelope sets no ID attribute on the envelope, so the reference
	// is URI="": the whole document.
	return &Signer{cert: cert, ctx: ctx}, nil
}

// Certificate returns the signer's certificate (shared; do not modify).
func (s *Signer) Certificate() *x509.Certificate { return s.cert }

// Seal builds the envelope with metadata m around bericht (an XML document
// whose root element is in a namespace other than the envelope's), signs it
// and returns the serialized envelope. It refuses invalid metadata
// (ErrInvalidMeta), a bericht with a DOCTYPE (ErrDoctype), and a bericht that
// is not well-formed UTF-8 XML, has more than MaxBerichtElements elements,
// contains XML-DSig elements, uses undeclared prefixes, or has XML that
// goxmldsig would canonicalize differently from xmlsec1: attribute values
// with tabs or line breaks, or prefixed attributes whose prefix order is not
// their namespace order (ErrInvalidBericht). iWmo / iJw 3.2 messages declare
// no attributes, so none of these occur in a schema-valid Bericht.
//
// The Bericht is carried as parsed: same elements, attributes, text and
// namespace declarations, re-serialized (so character escapes, the blank in
// "<a >" and CR LF line ends may differ in bytes, not in content). Comments
// and processing instructions outside its root element are dropped; those
// inside are kept but not signed (exclusive C14N without comments).
func (s *Signer) Seal(m Meta, bericht []byte) ([]byte, error) {
	if err := m.Validate(); err != nil {
		return nil, err
	}
	doc, err := parse(bericht)
	if err != nil {
		if errors.Is(err, ErrDoctype) {
			return nil, fmt.Errorf("seal %s: %w", m.MessageID, err)
		}
		return nil, fmt.Errorf("seal %s: %w: %w", m.MessageID, ErrInvalidBericht, err)
	}
	root := doc.Root()
	switch ns := root.NamespaceURI(); ns {
	case "":
		return nil, fmt.Errorf("seal %s: %w: root element has no namespace", m.MessageID, ErrInvalidBericht)
	case Namespace, dsigNamespace:
		return nil, fmt.Errorf("seal %s: %w: root element in a reserved namespace", m.MessageID, ErrInvalidBericht)
	}
	if countElements(root, MaxBerichtElements) > MaxBerichtElements {
		return nil, fmt.Errorf("seal %s: %w: more than %d elements", m.MessageID, ErrInvalidBericht, MaxBerichtElements)
	}
	if err := checkPortable(root); err != nil {
		return nil, fmt.Errorf("seal %s: %w: %w", m.MessageID, ErrInvalidBericht, err)
	}
	// The root's in-scope namespaces are all declared on it or below: it is
	// the root of its own document.

	env := buildEnvelope(m, root)
	// ConstructSignature canonicalizes its argument in place: give it a copy
	// and append the signature to the original.
	sig, err := s.ctx.ConstructSignature(env.Copy(), true)
	if err != nil {
		return nil, fmt.Errorf("seal %s: sign: %w", m.MessageID, err)
	}
	env.AddChild(sig)

	out := etree.NewDocument()
	out.CreateProcInst("xml", `version="1.0" encoding="UTF-8"`)
	out.SetRoot(env)
	out.WriteSettings = canonicalWrite
	b, err := out.WriteToBytes()
	if err != nil {
		return nil, fmt.Errorf("seal %s: write: %w", m.MessageID, err)
	}
	return b, nil
}

// buildEnvelope makes the unsigned envelope element around bericht (which
// is moved, not copied).
func buildEnvelope(m Meta, bericht *etree.Element) *etree.Element {
	env := etree.NewElement(envelopePrefix + ":Envelope")
	env.CreateAttr("xmlns:"+envelopePrefix, Namespace)
	add := func(tag, text string) *etree.Element {
		el := env.CreateElement(envelopePrefix + ":" + tag)
		if text != "" {
			el.SetText(text)
		}
		return el
	}
	add("MessageID", m.MessageID)
	if m.InReplyTo != "" {
		add("InReplyTo", m.InReplyTo)
	}
	add("Standard", m.Standard)
	add("MessageType", m.MessageType)
	add("Sender", m.Sender)
	add("Recipient", m.Recipient)
	add("Created", m.Created.UTC().Format(createdLayout))
	add("Bericht", "").AddChild(bericht)
	return env
}
