package signing

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"
)

// signRaw signs an arbitrary envelope element with s's context, the way Seal
// does, so tests can make validly signed documents Seal would never make.
func signRaw(t *testing.T, s *Signer, env *etree.Element) []byte {
	t.Helper()
	sig, err := s.ctx.ConstructSignature(env.Copy(), true)
	if err != nil {
		t.Fatalf("ConstructSignature: %v", err)
	}
	env.AddChild(sig)
	doc := etree.NewDocument()
	doc.SetRoot(env)
	doc.WriteSettings = canonicalWrite
	b, err := doc.WriteToBytes()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func envelopeFor(t *testing.T, m Meta, bericht string) *etree.Element {
	t.Helper()
	doc := etree.NewDocument()
	if err := doc.ReadFromString(bericht); err != nil {
		t.Fatal(err)
	}
	return buildEnvelope(m, doc.Root())
}

// berichtRange returns the byte range of the sluis:Bericht content in a
// sealed document.
func berichtRange(t *testing.T, signed []byte) (start, end int) {
	t.Helper()
	start = bytes.Index(signed, []byte("<sluis:Bericht>")) + len("<sluis:Bericht>")
	end = bytes.Index(signed, []byte("</sluis:Bericht>"))
	if start < len("<sluis:Bericht>") || end < start {
		t.Fatal("no sluis:Bericht in sealed document")
	}
	return start, end
}

// alnumPositions lists positions of ASCII letters and digits in signed[start:end],
// split into those in text content and those in attribute values.
func alnumPositions(signed []byte, start, end int) (text, attr []int) {
	inTag, quote := false, byte(0)
	for i := start; i < end; i++ {
		c := signed[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			} else if isAlnum(c) {
				attr = append(attr, i)
			}
		case inTag:
			switch c {
			case '"', '\'':
				quote = c
			case '>':
				inTag = false
			}
		case c == '<':
			inTag = true
		case isAlnum(c):
			text = append(text, i)
		}
	}
	return text, attr
}

func isAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// flip changes the byte at i to another letter or digit, so the document
// stays well-formed.
func flip(doc []byte, i int) []byte {
	out := bytes.Clone(doc)
	switch c := out[i]; {
	case c == '9':
		out[i] = '0'
	case c == 'z' || c == 'Z':
		out[i] = c - 1
	default:
		out[i] = c + 1
	}
	return out
}

func TestOpenRejectsAnyChangedByte(t *testing.T) {
	p := trustedPair(t)
	s, v := mustSigner(t, p), mustVerifier(t, p.cert)
	berichten := []struct {
		name string
		xml  []byte
	}{
		{"WMO301", wmo301(t)},
		{"attributes", []byte(`<x:B xmlns:x="urn:x" code="ABC123" lang='nl'><x:C kind="Z9">Tekst 42</x:C><x:D a="q"/></x:B>`)},
	}
	for _, b := range berichten {
		signed := mustSeal(t, s, testMeta(), b.xml)
		start, end := berichtRange(t, signed)
		text, attr := alnumPositions(signed, start, end)
		if len(text) == 0 {
			t.Fatalf("%s: no text positions", b.name)
		}
		// Every attribute position, and text positions spread over the
		// whole Bericht (every 7th, plus first and last).
		var cases []int
		cases = append(cases, attr...)
		for i, pos := range text {
			if i%7 == 0 || i == len(text)-1 {
				cases = append(cases, pos)
			}
		}
		for _, pos := range cases {
			t.Run(fmt.Sprintf("%s byte %d", b.name, pos), func(t *testing.T) {
				_, err := v.Open(flip(signed, pos))
				if !errors.Is(err, ErrBadSignature) {
					t.Fatalf("changed byte %d accepted or wrong error: %v", pos, err)
				}
			})
		}
		t.Logf("%s: %d changed-byte cases (%d in attribute values)", b.name, len(cases), len(attr))
	}
}

func TestOpenRejectsTampering(t *testing.T) {
	p := trustedPair(t)
	s, v := mustSigner(t, p), mustVerifier(t, p.cert)
	signed := string(mustSeal(t, s, testMeta(), wmo301(t)))

	replace := func(old, new string) string {
		t.Helper()
		if !strings.Contains(signed, old) {
			t.Fatalf("sealed document lacks %q", old)
		}
		return strings.Replace(signed, old, new, 1)
	}
	tests := []struct {
		name string
		doc  string
		want error
	}{
		{"element added to the Bericht", replace("<wmo301:Geslacht>1</wmo301:Geslacht>", "<wmo301:Geslacht>1</wmo301:Geslacht><wmo301:Geslacht>2</wmo301:Geslacht>"), ErrBadSignature},
		{"element removed from the Bericht", replace("<wmo301:Geslacht>1</wmo301:Geslacht>", ""), ErrBadSignature},
		{"empty element added to the Bericht", replace("<wmo301:Client>", "<wmo301:Client><wmo301:X/>"), ErrBadSignature},
		{"attribute added to the Bericht", replace("<wmo301:Client>", `<wmo301:Client a="b">`), ErrBadSignature},
		{"whitespace added to the Bericht", replace("<wmo301:Client>", "<wmo301:Client> "), ErrBadSignature},
		{"namespace of the Bericht changed", replace("wmo301/schema", "wmo302/schema"), ErrBadSignature},
		{"element added to the envelope", replace("<sluis:Standard>", "<sluis:InReplyTo>x</sluis:InReplyTo><sluis:Standard>"), ErrBadSignature},
		{"element removed from the envelope", replace("<sluis:Sender>0384</sluis:Sender>", ""), ErrBadSignature},
		{"recipient changed", replace("<sluis:Recipient>42420001<", "<sluis:Recipient>42420002<"), ErrBadSignature},
		{"digest value changed", replace("<ds:DigestValue>", "<ds:DigestValue>AAAA"), ErrBadSignature},
		{"signature value truncated", replace("<ds:SignatureValue>", "<ds:SignatureValue>AAAA"), ErrBadSignature},
		{"signature removed", signed[:strings.Index(signed, "<ds:Signature")] + "</sluis:Envelope>", ErrMalformed},
		{"second signature", replace("</ds:Signature>", "</ds:Signature>"+signed[strings.Index(signed, "<ds:Signature"):strings.Index(signed, "</sluis:Envelope>")]), ErrMalformed},
		{"signature not last", replace("<sluis:MessageID>", signed[strings.Index(signed, "<ds:Signature"):strings.Index(signed, "</sluis:Envelope>")]+"<sluis:MessageID>"), ErrMalformed},
		{"ds:Object added to the signature", replace("</ds:KeyInfo>", `</ds:KeyInfo><ds:Object><x:B xmlns:x="urn:x"/></ds:Object>`), ErrMalformed},
		{"canonicalization changed to C14N 1.1", replace(`<ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#">`, `<ds:CanonicalizationMethod Algorithm="http://www.w3.org/2006/12/xml-c14n11">`), ErrBadSignature},
		{"signature method changed to RSA-SHA1", replace("xmldsig-more#rsa-sha256", "xmldsig#rsa-sha1"), ErrBadSignature},
		{"digest method changed to SHA-1", replace("xmlenc#sha256", "xmldsig#sha1"), ErrBadSignature},
		{"reference to an id", replace(`URI=""`, `URI="#x"`), ErrBadSignature},
		{"enveloped transform dropped", replace(`<ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"></ds:Transform>`, ""), ErrMalformed},
		{"DOCTYPE", replace(`<?xml version="1.0" encoding="UTF-8"?>`, `<?xml version="1.0" encoding="UTF-8"?><!DOCTYPE sluis:Envelope>`), ErrDoctype},
		{"DOCTYPE with entities", replace(`<?xml version="1.0" encoding="UTF-8"?>`, `<?xml version="1.0" encoding="UTF-8"?><!DOCTYPE a [<!ENTITY a "aaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>`), ErrDoctype},
		{"UTF-16 declared", replace(`encoding="UTF-8"`, `encoding="UTF-16"`), ErrMalformed},
		{"truncated", signed[:len(signed)-10], ErrMalformed},
		{"empty", "", ErrMalformed},
		{"not XML", "BSN 999900006", ErrMalformed},
		{"other root", `<x:Envelope xmlns:x="urn:x"/>`, ErrMalformed},
		{"too large", signed + strings.Repeat(" ", MaxDocumentBytes), ErrMalformed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := v.Open([]byte(tc.doc))
			if !errors.Is(err, tc.want) {
				t.Fatalf("Open error = %v, want %v", err, tc.want)
			}
			if got.Bericht != nil || got.Signer != nil {
				t.Errorf("Open returned content with an error")
			}
			if strings.Contains(err.Error(), "999900006") || strings.Contains(err.Error(), "Jansen") {
				t.Errorf("error leaks personal data: %v", err)
			}
		})
	}
	if _, err := v.Open([]byte(signed)); err != nil {
		t.Fatalf("the untampered document must still open: %v", err)
	}
}

func TestOpenDoctypeIsAlsoMalformed(t *testing.T) {
	v := mustVerifier(t, trustedPair(t).cert)
	_, err := v.Open([]byte(`<!DOCTYPE x><x/>`))
	if !errors.Is(err, ErrMalformed) || !errors.Is(err, ErrDoctype) {
		t.Fatalf("Open error = %v, want ErrMalformed and ErrDoctype", err)
	}
}

func TestOpenIgnoresAddedComments(t *testing.T) {
	// Exclusive C14N without comments does not sign comments: one added to
	// the Bericht does not break the signature, and is not returned.
	p := trustedPair(t)
	s, v := mustSigner(t, p), mustVerifier(t, p.cert)
	signed := mustSeal(t, s, testMeta(), wmo301(t))
	commented := bytes.Replace(signed, []byte("<wmo301:Client>"), []byte("<wmo301:Client><!-- Bsn 123456782 -->"), 1)
	got, err := v.Open(commented)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	if bytes.Contains(got.Bericht, []byte("123456782")) {
		t.Errorf("unsigned comment returned in the Bericht")
	}
}

func TestOpenTrust(t *testing.T) {
	trusted, other, weak := trustedPair(t), otherPair(t), weakPair(t)
	v := mustVerifier(t, trusted.cert)

	weakSigner, err := newSigner(weak.key, weak.cert) // bypasses NewSigner's checks
	if err != nil {
		t.Fatal(err)
	}
	expiredCert := makeCert(t, trusted.key, "expired", time.Now().Add(-2*365*24*time.Hour), 365*24*time.Hour)
	expiredSigner, err := newSigner(trusted.key, expiredCert)
	if err != nil {
		t.Fatal(err)
	}
	futureCert := makeCert(t, trusted.key, "future", time.Now().Add(48*time.Hour), 365*24*time.Hour)
	futureSigner, err := newSigner(trusted.key, futureCert)
	if err != nil {
		t.Fatal(err)
	}
	sha1Signer, err := newSigner(trusted.key, trusted.cert)
	if err != nil {
		t.Fatal(err)
	}
	if err := sha1Signer.ctx.SetSignatureMethod(dsig.RSASHA1SignatureMethod); err != nil {
		t.Fatal(err)
	}
	c14n11Signer, err := newSigner(trusted.key, trusted.cert)
	if err != nil {
		t.Fatal(err)
	}
	c14n11Signer.ctx.Canonicalizer = dsig.MakeC14N11Canonicalizer()

	// Signed by "other", but KeyInfo names the trusted certificate.
	wrongKeyInfo := strings.Replace(string(mustSeal(t, mustSigner(t, other), testMeta(), wmo301(t))),
		base64.StdEncoding.EncodeToString(other.cert.Raw), base64.StdEncoding.EncodeToString(trusted.cert.Raw), 1)
	// Signed by "trusted", but KeyInfo names the other certificate.
	swappedKeyInfo := strings.Replace(string(mustSeal(t, mustSigner(t, trusted), testMeta(), wmo301(t))),
		base64.StdEncoding.EncodeToString(trusted.cert.Raw), base64.StdEncoding.EncodeToString(other.cert.Raw), 1)
	// Signed by "trusted" with a second certificate in X509Data.
	twoCerts := strings.Replace(string(mustSeal(t, mustSigner(t, trusted), testMeta(), wmo301(t))),
		"</ds:X509Certificate>", "</ds:X509Certificate><ds:X509Certificate>"+base64.StdEncoding.EncodeToString(other.cert.Raw)+"</ds:X509Certificate>", 1)

	tests := []struct {
		name string
		doc  []byte
		v    *Verifier
		want []error
	}{
		{"signed by an untrusted certificate", mustSeal(t, mustSigner(t, other), testMeta(), wmo301(t)), v, []error{ErrUntrusted}},
		{"untrusted key, trusted certificate in KeyInfo", []byte(wrongKeyInfo), v, []error{ErrBadSignature}},
		{"trusted key, untrusted certificate in KeyInfo", []byte(swappedKeyInfo), v, []error{ErrUntrusted}},
		{"two certificates in KeyInfo", []byte(twoCerts), v, []error{ErrMalformed}},
		{"signed with RSA-1024", mustSeal(t, weakSigner, testMeta(), wmo301(t)), v, []error{ErrUntrusted, ErrWeakKey}},
		{"expired certificate", mustSeal(t, expiredSigner, testMeta(), wmo301(t)), mustVerifier(t, expiredCert), []error{ErrUntrusted}},
		{"certificate not yet valid", mustSeal(t, futureSigner, testMeta(), wmo301(t)), mustVerifier(t, futureCert), []error{ErrUntrusted}},
		{"trusted key, RSA-SHA1", mustSeal(t, sha1Signer, testMeta(), wmo301(t)), v, []error{ErrBadSignature}},
		{"trusted key, C14N 1.1", mustSeal(t, c14n11Signer, testMeta(), wmo301(t)), v, []error{ErrBadSignature}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.v.Open(tc.doc)
			for _, want := range tc.want {
				if !errors.Is(err, want) {
					t.Errorf("Open error = %v, want %v", err, want)
				}
			}
			if got.Bericht != nil {
				t.Errorf("Open returned a Bericht with an error")
			}
		})
	}
}

// TestOpenRejectsSignedButMalformed: a valid signature by a trusted key does
// not make a document a sluis envelope.
func TestOpenRejectsSignedButMalformed(t *testing.T) {
	p := trustedPair(t)
	s, v := mustSigner(t, p), mustVerifier(t, p.cert)
	const b = `<x:B xmlns:x="urn:x"><x:C>1</x:C></x:B>`
	tests := []struct {
		name string
		env  func() *etree.Element
	}{
		{"extra element after Bericht", func() *etree.Element {
			e := envelopeFor(t, testMeta(), b)
			e.CreateElement("sluis:Extra")
			return e
		}},
		{"two Berichten in the wrapper", func() *etree.Element {
			e := envelopeFor(t, testMeta(), b)
			e.FindElement("Bericht").CreateElement("x:B").CreateAttr("xmlns:x", "urn:x")
			return e
		}},
		{"Bericht without namespace", func() *etree.Element {
			return envelopeFor(t, testMeta(), `<B/>`)
		}},
		{"Bericht in the envelope namespace", func() *etree.Element {
			return envelopeFor(t, testMeta(), `<sluis:B xmlns:sluis="urn:sluis:envelope:1"/>`)
		}},
		{"bad Sender", func() *etree.Element {
			m := testMeta()
			m.Sender = "BSN999900006"
			return envelopeFor(t, m, b)
		}},
		{"Created without zone", func() *etree.Element {
			e := envelopeFor(t, testMeta(), b)
			e.FindElement("Created").SetText("2026-11-23T01:02:03")
			return e
		}},
		{"text in the envelope", func() *etree.Element {
			e := envelopeFor(t, testMeta(), b)
			e.InsertChildAt(0, etree.NewText("999900006"))
			return e
		}},
		{"attribute on the envelope", func() *etree.Element {
			e := envelopeFor(t, testMeta(), b)
			e.CreateAttr("bsn", "999900006")
			return e
		}},
		{"child element in MessageID", func() *etree.Element {
			e := envelopeFor(t, testMeta(), b)
			e.FindElement("MessageID").CreateElement("sluis:X")
			return e
		}},
		{"Standard missing", func() *etree.Element {
			e := envelopeFor(t, testMeta(), b)
			e.RemoveChild(e.FindElement("Standard"))
			return e
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := v.Open(signRaw(t, s, tc.env()))
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("Open error = %v, want ErrMalformed", err)
			}
			if strings.Contains(err.Error(), "999900006") {
				t.Errorf("error leaks content: %v", err)
			}
		})
	}
}
