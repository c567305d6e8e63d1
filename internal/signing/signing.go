// Package signing seals an iWmo / iJw Bericht in the sluis envelope
// (xsd/envelope/sluis-envelope-1.xsd) with an enveloped XML-DSig signature,
// and opens such envelopes again against a set of trusted certificates.
//
// The signature is RSA-SHA256 over the whole envelope (Reference URI="",
// transforms enveloped-signature and exclusive C14N 1.0, SHA-256 digest),
// with the signer's X.509 certificate in KeyInfo. xmlsec1 verifies what Seal
// produces, and Open verifies what xmlsec1 signs with the same profile.
//
// Open returns metadata and Bericht taken only from the element the
// signature verification produced, never from the input tree, so content
// moved or inserted around the signed data (signature wrapping) is never
// returned.
//
// Errors name fields and rules, never values: the Bericht carries personal
// data and the metadata is kept free of it by design.
package signing

import (
	"errors"
	"fmt"
	"regexp"
	"time"
)

// Namespace is the sluis envelope namespace.
const Namespace = "urn:sluis:envelope:1"

// envelopePrefix is the prefix Seal uses for the envelope namespace. A prefix
// (not a default namespace) keeps unprefixed names inside the Bericht from
// falling into the envelope namespace.
const envelopePrefix = "sluis"

// dsigNamespace is the XML-DSig namespace.
const dsigNamespace = "http://www.w3.org/2000/09/xmldsig#"

// MaxBerichtElements is the largest number of elements a Bericht may have.
// goxmldsig's verifier stops traversing a document after 1,000 elements; the
// envelope and the signature take the rest, so Seal refuses anything bigger
// rather than produce an envelope that cannot be opened.
const MaxBerichtElements = 950

// MaxDocumentBytes bounds the size of a document Seal or Open will parse.
const MaxDocumentBytes = 4 << 20

// MinRSABits is the smallest RSA modulus accepted for signing or trust.
const MinRSABits = 2048

var (
	// ErrWeakKey: an RSA key smaller than MinRSABits, or not an RSA key.
	ErrWeakKey = errors.New("signing: key too weak")
	// ErrKeyMismatch: the private key does not belong to the certificate.
	ErrKeyMismatch = errors.New("signing: private key does not match certificate")
	// ErrBadSignature: the signature does not verify, or does not follow the
	// sluis profile (algorithms, transforms, one reference to the whole envelope).
	ErrBadSignature = errors.New("signing: bad signature")
	// ErrUntrusted: the signing certificate is not in the trusted set, or is
	// not valid at this time.
	ErrUntrusted = errors.New("signing: untrusted signer")
	// ErrMalformed: the document is not a well-formed sluis envelope.
	ErrMalformed = errors.New("signing: malformed envelope")
	// ErrDoctype: the document carries a DOCTYPE (or another directive).
	// Open wraps it together with ErrMalformed.
	ErrDoctype = errors.New("signing: DOCTYPE not allowed")
	// ErrInvalidMeta: Seal was given metadata that the envelope schema refuses.
	ErrInvalidMeta = errors.New("signing: invalid envelope metadata")
	// ErrInvalidBericht: Seal was given a Bericht it cannot carry (not XML,
	// no namespace, too large, contains XML-DSig elements).
	ErrInvalidBericht = errors.New("signing: invalid bericht")
	// ErrPartialKeyPair: GenerateDevelopment found only one of the two files,
	// or files it could not load; it does not overwrite them.
	ErrPartialKeyPair = errors.New("signing: existing key pair incomplete or unreadable")
)

// Meta is the envelope metadata. It carries no personal data: ids, codes and
// a timestamp only.
type Meta struct {
	// MessageID is the AMQP message id, the same on every (re)publish.
	MessageID string
	// InReplyTo is, for a retour, the MessageID it answers; optional.
	InReplyTo string
	// Standard is "iWmo" or "iJw".
	Standard string
	// MessageType is e.g. "WMO301" or "JW302".
	MessageType string
	// Sender and Recipient are a 4-digit gemeentecode or an 8-digit AGB code.
	Sender, Recipient string
	// Created is when the envelope was made; written in UTC.
	Created time.Time
}

var (
	token64RE     = regexp.MustCompile(`^[A-Za-z0-9._:\-]{1,64}$`)
	messageTypeRE = regexp.MustCompile(`^(WMO|JW)3[0-9]{2}$`)
	partyRE       = regexp.MustCompile(`^([0-9]{4}|[0-9]{8})$`)
)

// Validate checks m against the envelope schema's simple types. The error
// wraps ErrInvalidMeta and names the first bad field.
func (m Meta) Validate() error {
	bad := func(field string) error { return fmt.Errorf("%w: %s", ErrInvalidMeta, field) }
	switch {
	case !token64RE.MatchString(m.MessageID):
		return bad("MessageID")
	case m.InReplyTo != "" && !token64RE.MatchString(m.InReplyTo):
		return bad("InReplyTo")
	case m.Standard != "iWmo" && m.Standard != "iJw":
		return bad("Standard")
	case !messageTypeRE.MatchString(m.MessageType):
		return bad("MessageType")
	case m.Standard == "iWmo" && m.MessageType[:1] != "W", m.Standard == "iJw" && m.MessageType[:1] != "J":
		return bad("MessageType (does not match Standard)")
	case !partyRE.MatchString(m.Sender):
		return bad("Sender")
	case !partyRE.MatchString(m.Recipient):
		return bad("Recipient")
	case m.Created.IsZero():
		return bad("Created")
	}
	return nil
}

// createdLayout is how Created is written: xs:dateTime in UTC.
const createdLayout = time.RFC3339Nano
