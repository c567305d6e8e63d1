package signing

import (
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"
)

// maxEnvelopeElements bounds the element count Open accepts: the largest
// Bericht plus the envelope and signature elements, with some room.
const maxEnvelopeElements = MaxBerichtElements + 40

// Verifier opens signed envelopes, trusting only the certificates it was
// given. It is safe for concurrent use.
type Verifier struct {
	trusted []*x509.Certificate
	ctx     *dsig.ValidationContext
}

// NewVerifier returns a Verifier trusting exactly the given certificates.
// Each must carry an RSA key of at least MinRSABits bits (else ErrWeakKey).
// Certificates are trusted as they are: no chain is built or checked.
func NewVerifier(trusted ...*x509.Certificate) (*Verifier, error) {
	if len(trusted) == 0 {
		return nil, errors.New("signing: verifier needs at least one trusted certificate")
	}
	certs := make([]*x509.Certificate, 0, len(trusted))
	for i, c := range trusted {
		if c == nil {
			return nil, fmt.Errorf("signing: trusted certificate %d is nil", i)
		}
		if err := checkRSAPublic(c.PublicKey); err != nil {
			return nil, fmt.Errorf("trusted certificate %d: %w", i, err)
		}
		certs = append(certs, c)
	}
	ctx := dsig.NewDefaultValidationContext(&dsig.MemoryX509CertificateStore{Roots: certs})
	return &Verifier{trusted: certs, ctx: ctx}, nil
}

// Opened is what Open found in a verified envelope.
type Opened struct {
	Meta Meta
	// Bericht is the carried document in exclusive C14N form (no XML
	// declaration, no comments), declaring every namespace it uses.
	Bericht []byte
	// Signer is the trusted certificate that verified the signature.
	Signer *x509.Certificate
}

// Open verifies a signed envelope and returns its metadata and Bericht,
// taken only from the verified content.
//
// Before any tree is built, the bytes are scanned (CheckBounds): a document
// over MaxDocumentBytes, with more elements than an envelope may hold or
// nesting deeper than MaxDepth is refused without being parsed.
//
// Errors: ErrMalformed (not a sluis envelope, not well-formed, too large;
// with ErrDoctype for a DOCTYPE, ErrTooManyElements or ErrTooDeep for a
// document over the bounds), ErrBadSignature (signature does not verify
// or does not follow the sluis profile), ErrUntrusted (the certificate in
// KeyInfo is not trusted or not valid now; with ErrWeakKey for a small key).
func (v *Verifier) Open(signed []byte) (Opened, error) {
	if err := CheckBounds(signed); err != nil {
		return Opened{}, fmt.Errorf("open: %w: %w", ErrMalformed, err)
	}
	doc, err := parse(signed)
	if err != nil {
		return Opened{}, fmt.Errorf("open: %w: %w", ErrMalformed, err)
	}
	root := doc.Root()
	if root.NamespaceURI() != Namespace || root.Tag != "Envelope" {
		return Opened{}, fmt.Errorf("open: %w: root is not a sluis Envelope", ErrMalformed)
	}
	if countElements(root, maxEnvelopeElements) > maxEnvelopeElements {
		return Opened{}, fmt.Errorf("open: %w: more than %d elements", ErrMalformed, maxEnvelopeElements)
	}
	sigEl, err := checkProfile(root)
	if err != nil {
		return Opened{}, fmt.Errorf("open: %w", err)
	}
	cert, err := v.signerCert(sigEl)
	if err != nil {
		return Opened{}, fmt.Errorf("open: %w", err)
	}

	verified, err := v.ctx.Validate(root)
	if err != nil {
		return Opened{}, fmt.Errorf("open: %w: %w", ErrBadSignature, err)
	}
	// From here on only the verified element is read.
	meta, bericht, err := readEnvelope(verified)
	if err != nil {
		return Opened{}, fmt.Errorf("open: %w: %w", ErrMalformed, err)
	}
	return Opened{Meta: meta, Bericht: bericht, Signer: cert}, nil
}

// signerCert returns the trusted certificate equal to the one in KeyInfo.
func (v *Verifier) signerCert(sigEl *etree.Element) (*x509.Certificate, error) {
	x509El := dsChild(dsChild(dsChild(sigEl, "KeyInfo"), "X509Data"), "X509Certificate")
	der, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(x509El.Text()), ""))
	if err != nil {
		return nil, fmt.Errorf("%w: X509Certificate is not base64", ErrMalformed)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("%w: X509Certificate: %w", ErrUntrusted, err)
	}
	if err := checkRSAPublic(c.PublicKey); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUntrusted, err)
	}
	var trusted *x509.Certificate
	for _, t := range v.trusted {
		if t.Equal(c) {
			trusted = t
			break
		}
	}
	if trusted == nil {
		return nil, fmt.Errorf("%w: certificate not in trusted set", ErrUntrusted)
	}
	now := time.Now()
	if now.Before(trusted.NotBefore) || now.After(trusted.NotAfter) {
		return nil, fmt.Errorf("%w: certificate not valid at this time", ErrUntrusted)
	}
	return trusted, nil
}

// checkProfile checks, on the unverified input, that the document has the
// shape sluis signs: exactly one ds:Signature, the last child element of the
// envelope, with exactly the sluis algorithms, one Reference URI="" and one
// certificate. It returns that Signature element. Shape errors wrap
// ErrMalformed, algorithm errors ErrBadSignature.
func checkProfile(root *etree.Element) (*etree.Element, error) {
	kids := root.ChildElements()
	if len(kids) == 0 {
		return nil, fmt.Errorf("%w: empty envelope", ErrMalformed)
	}
	sigEl := kids[len(kids)-1]
	if !isDS(sigEl, "Signature") {
		return nil, fmt.Errorf("%w: last child is not ds:Signature", ErrMalformed)
	}
	for _, k := range kids[:len(kids)-1] {
		if hasNamespace(k, dsigNamespace) {
			return nil, fmt.Errorf("%w: XML-DSig element outside the signature", ErrMalformed)
		}
	}
	if err := dsShape(sigEl, "SignedInfo", "SignatureValue", "KeyInfo"); err != nil {
		return nil, err
	}
	signedInfo := dsChild(sigEl, "SignedInfo")
	if err := dsShape(signedInfo, "CanonicalizationMethod", "SignatureMethod", "Reference"); err != nil {
		return nil, err
	}
	ref := dsChild(signedInfo, "Reference")
	if err := dsShape(ref, "Transforms", "DigestMethod", "DigestValue"); err != nil {
		return nil, err
	}
	transforms := dsChild(ref, "Transforms")
	if err := dsShape(transforms, "Transform", "Transform"); err != nil {
		return nil, err
	}
	keyInfo := dsChild(sigEl, "KeyInfo")
	if err := dsShape(keyInfo, "X509Data"); err != nil {
		return nil, err
	}
	if err := dsShape(dsChild(keyInfo, "X509Data"), "X509Certificate"); err != nil {
		return nil, err
	}

	uri := ref.SelectAttr("URI")
	tr := transforms.ChildElements()
	algs := []struct {
		el   *etree.Element
		want string
	}{
		{dsChild(signedInfo, "CanonicalizationMethod"), string(dsig.CanonicalXML10ExclusiveAlgorithmId)},
		{dsChild(signedInfo, "SignatureMethod"), dsig.RSASHA256SignatureMethod},
		{tr[0], string(dsig.EnvelopedSignatureAltorithmId)},
		{tr[1], string(dsig.CanonicalXML10ExclusiveAlgorithmId)},
		{dsChild(ref, "DigestMethod"), "http://www.w3.org/2001/04/xmlenc#sha256"},
	}
	for _, a := range algs {
		if len(a.el.ChildElements()) != 0 {
			return nil, fmt.Errorf("%w: %s has parameters", ErrBadSignature, a.el.Tag)
		}
		if a.el.SelectAttrValue("Algorithm", "") != a.want {
			return nil, fmt.Errorf("%w: %s algorithm not allowed", ErrBadSignature, a.el.Tag)
		}
	}
	if uri == nil || uri.Value != "" {
		return nil, fmt.Errorf("%w: Reference must be URI=\"\"", ErrBadSignature)
	}
	return sigEl, nil
}

func isDS(el *etree.Element, tag string) bool {
	return el != nil && el.Tag == tag && el.NamespaceURI() == dsigNamespace
}

// dsShape checks that el's child elements are exactly the named ds elements
// in that order.
func dsShape(el *etree.Element, tags ...string) error {
	kids := el.ChildElements()
	if len(kids) != len(tags) {
		return fmt.Errorf("%w: ds:%s must have children %v", ErrMalformed, el.Tag, tags)
	}
	for i, k := range kids {
		if !isDS(k, tags[i]) {
			return fmt.Errorf("%w: ds:%s must have children %v", ErrMalformed, el.Tag, tags)
		}
	}
	return nil
}

// dsChild returns el's first child element named tag in the ds namespace;
// callers have checked with dsShape that it exists.
func dsChild(el *etree.Element, tag string) *etree.Element {
	for _, k := range el.ChildElements() {
		if isDS(k, tag) {
			return k
		}
	}
	return nil
}

// readEnvelope reads metadata and Bericht from a verified envelope (the
// Signature already removed by the enveloped-signature transform), checking
// it against the envelope schema's structure.
func readEnvelope(env *etree.Element) (Meta, []byte, error) {
	if env.NamespaceURI() != Namespace || env.Tag != "Envelope" {
		return Meta{}, nil, errors.New("verified root is not a sluis Envelope")
	}
	if err := onlyNamespaceAttrs(env); err != nil {
		return Meta{}, nil, err
	}
	if err := onlyWhitespace(env); err != nil {
		return Meta{}, nil, err
	}
	kids := env.ChildElements()
	i := 0
	next := func(tag string, optional bool) (*etree.Element, error) {
		if i < len(kids) && kids[i].Tag == tag && kids[i].NamespaceURI() == Namespace {
			i++
			return kids[i-1], nil
		}
		if optional {
			return nil, nil
		}
		return nil, fmt.Errorf("missing or misplaced element %s", tag)
	}
	text := func(tag string, optional bool) (string, error) {
		el, err := next(tag, optional)
		if err != nil || el == nil {
			return "", err
		}
		if len(el.ChildElements()) != 0 {
			return "", fmt.Errorf("element %s has child elements", tag)
		}
		if err := onlyNamespaceAttrs(el); err != nil {
			return "", err
		}
		var b strings.Builder
		for _, t := range el.Child {
			if cd, ok := t.(*etree.CharData); ok {
				b.WriteString(cd.Data)
			}
		}
		return b.String(), nil
	}

	var m Meta
	var created string
	var err error
	for _, f := range []struct {
		tag      string
		optional bool
		dst      *string
	}{
		{"MessageID", false, &m.MessageID},
		{"InReplyTo", true, &m.InReplyTo},
		{"Standard", false, &m.Standard},
		{"MessageType", false, &m.MessageType},
		{"Sender", false, &m.Sender},
		{"Recipient", false, &m.Recipient},
		{"Created", false, &created},
	} {
		if *f.dst, err = text(f.tag, f.optional); err != nil {
			return Meta{}, nil, err
		}
	}
	if m.Created, err = time.Parse(createdLayout, created); err != nil {
		return Meta{}, nil, errors.New("element Created is not an RFC 3339 date-time with zone")
	}
	if err := m.Validate(); err != nil {
		return Meta{}, nil, err
	}

	wrapper, err := next("Bericht", false)
	if err != nil {
		return Meta{}, nil, err
	}
	if i != len(kids) {
		return Meta{}, nil, errors.New("unexpected element after Bericht")
	}
	if err := onlyNamespaceAttrs(wrapper); err != nil {
		return Meta{}, nil, err
	}
	if err := onlyWhitespace(wrapper); err != nil {
		return Meta{}, nil, err
	}
	inner := wrapper.ChildElements()
	if len(inner) != 1 {
		return Meta{}, nil, errors.New("element Bericht must have exactly one child element")
	}
	switch ns := inner[0].NamespaceURI(); ns {
	case "", Namespace, dsigNamespace:
		return Meta{}, nil, errors.New("element Bericht: child must be in a foreign namespace")
	}
	bericht, err := canonical(inner[0])
	if err != nil {
		return Meta{}, nil, fmt.Errorf("element Bericht: %w", err)
	}
	return m, bericht, nil
}

// onlyNamespaceAttrs refuses attributes other than namespace declarations.
func onlyNamespaceAttrs(el *etree.Element) error {
	for _, a := range el.Attr {
		if a.Space == "xmlns" || (a.Space == "" && a.Key == "xmlns") {
			continue
		}
		return fmt.Errorf("element %s has an unexpected attribute", el.Tag)
	}
	return nil
}

// onlyWhitespace refuses non-whitespace text and anything but elements
// among el's children.
func onlyWhitespace(el *etree.Element) error {
	for _, t := range el.Child {
		switch c := t.(type) {
		case *etree.Element:
		case *etree.CharData:
			if !c.IsWhitespace() {
				return fmt.Errorf("element %s has unexpected text", el.Tag)
			}
		default:
			return fmt.Errorf("element %s has unexpected content", el.Tag)
		}
	}
	return nil
}
