package signing

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/beevik/etree"
)

// xmlsec1 runs the xmlsec1 tool, failing the test when it is not installed:
// interoperability with it is a requirement, not an optional extra.
func xmlsec1(t *testing.T, args ...string) (string, error) {
	t.Helper()
	path, err := exec.LookPath("xmlsec1")
	if err != nil {
		t.Fatalf("xmlsec1 not found (install the xmlsec1 package): %v", err)
	}
	out, err := exec.Command(path, args...).CombinedOutput()
	return string(out), err
}

func writeFile(t testing.TB, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestXmlsec1VerifiesSeal: xmlsec1 accepts what Seal produces, and (as a
// control that the check means something) rejects a tampered envelope and a
// signature by another key.
func TestXmlsec1VerifiesSeal(t *testing.T) {
	dir := t.TempDir()
	p := trustedPair(t)
	_, certFile := writePEMs(t, dir, p, false)
	signed := mustSeal(t, mustSigner(t, p), testMeta(), wmo301(t))
	otherSigned := mustSeal(t, mustSigner(t, otherPair(t)), testMeta(), wmo301(t))
	tampered := bytes.Replace(signed, []byte("<wmo301:Bsn>999900006<"), []byte("<wmo301:Bsn>999900007<"), 1)
	if bytes.Equal(tampered, signed) {
		t.Fatal("tampering did not change the document")
	}

	tests := []struct {
		name   string
		doc    []byte
		keyArg string
		wantOK bool
	}{
		{"sealed, --pubkey-cert-pem", signed, "--pubkey-cert-pem", true},
		{"sealed, --trusted-pem", signed, "--trusted-pem", true},
		{"tampered, --pubkey-cert-pem", tampered, "--pubkey-cert-pem", false},
		{"tampered, --trusted-pem", tampered, "--trusted-pem", false},
		{"other key, --trusted-pem", otherSigned, "--trusted-pem", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			file := writeFile(t, t.TempDir(), "signed.xml", tc.doc)
			out, err := xmlsec1(t, "--verify", tc.keyArg, certFile, "--enabled-reference-uris", "empty", file)
			if tc.wantOK && err != nil {
				t.Fatalf("xmlsec1 rejected: %v\n%s", err, out)
			}
			if !tc.wantOK && err == nil {
				t.Fatalf("xmlsec1 accepted:\n%s", out)
			}
		})
	}
}

const signatureTemplate = `<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo>` +
	`<ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>` +
	`<ds:SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/>` +
	`<ds:Reference URI=""><ds:Transforms>` +
	`<ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/>` +
	`<ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/></ds:Transforms>` +
	`<ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/><ds:DigestValue/></ds:Reference>` +
	`</ds:SignedInfo><ds:SignatureValue/><ds:KeyInfo><ds:X509Data/></ds:KeyInfo></ds:Signature>`

// xmlsecSign signs the envelope for m and bericht with xmlsec1 --sign from a
// template, with the given key pair.
func xmlsecSign(t *testing.T, p testPair, m Meta, bericht []byte) []byte {
	t.Helper()
	// Not t.TempDir: its path holds the test name, and a comma in it would
	// split xmlsec1's "--privkey-pem key,cert" argument.
	dir, err := os.MkdirTemp("", "sluis-xmlsec")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	keyFile, certFile := writePEMs(t, dir, p, true)
	doc, err := parse(bericht)
	if err != nil {
		t.Fatal(err)
	}
	env := buildEnvelope(m, doc.Root())
	sig := etree.NewDocument()
	if err := sig.ReadFromString(signatureTemplate); err != nil {
		t.Fatal(err)
	}
	env.AddChild(sig.Root())
	tmpl := etree.NewDocument()
	tmpl.CreateProcInst("xml", `version="1.0" encoding="UTF-8"`)
	tmpl.SetRoot(env)
	tmpl.WriteSettings = canonicalWrite
	b, err := tmpl.WriteToBytes()
	if err != nil {
		t.Fatal(err)
	}
	in := writeFile(t, dir, "template.xml", b)
	outFile := filepath.Join(dir, "signed.xml")
	if out, err := xmlsec1(t, "--sign", "--privkey-pem", keyFile+","+certFile, "--output", outFile, in); err != nil {
		t.Fatalf("xmlsec1 --sign: %v\n%s", err, out)
	}
	signed, err := os.ReadFile(outFile)
	if err != nil {
		t.Fatal(err)
	}
	return signed
}

// TestOpenVerifiesXmlsec1: Open accepts an envelope signed by xmlsec1, and
// refuses it when the signer is not trusted or the content was changed.
func TestOpenVerifiesXmlsec1(t *testing.T) {
	p := trustedPair(t)
	signed := xmlsecSign(t, p, testMeta(), wmo301(t))

	got, err := mustVerifier(t, p.cert).Open(signed)
	if err != nil {
		t.Fatalf("Open of xmlsec1 output: %v", err)
	}
	want := testMeta()
	if !got.Meta.Created.Equal(want.Created) {
		t.Errorf("Created = %v, want %v", got.Meta.Created, want.Created)
	}
	want.Created = got.Meta.Created
	if got.Meta != want {
		t.Errorf("Meta = %+v", got.Meta)
	}
	if !bytes.Equal(c14n(t, got.Bericht), c14n(t, wmo301(t))) {
		t.Errorf("bericht differs from the one signed")
	}

	if _, err := mustVerifier(t, otherPair(t).cert).Open(signed); !errors.Is(err, ErrUntrusted) {
		t.Errorf("Open with another trusted cert: %v, want ErrUntrusted", err)
	}
	tampered := bytes.Replace(signed, []byte("<iwmo:Achternaam>Wit<"), []byte("<iwmo:Achternaam>Wot<"), 1)
	if _, err := mustVerifier(t, p.cert).Open(tampered); !errors.Is(err, ErrBadSignature) {
		t.Errorf("Open of tampered xmlsec1 output: %v, want ErrBadSignature", err)
	}
}

// TestXmlsec1EdgeCases: for Berichten with the XML features where
// canonicalizers tend to differ, xmlsec1 verifies what Seal makes and Open
// verifies what xmlsec1 signs. Berichten goxmldsig cannot canonicalize the
// standard way are refused by Seal instead.
func TestXmlsec1EdgeCases(t *testing.T) {
	p := trustedPair(t)
	_, certFile := writePEMs(t, t.TempDir(), p, false)
	s, v := mustSigner(t, p), mustVerifier(t, p.cert)
	tests := []struct {
		name    string
		bericht string
		refused bool
	}{
		{"CDATA", `<x:B xmlns:x="urn:x"><x:C><![CDATA[a < b & c > d]]></x:C></x:B>`, false},
		{"line breaks and carriage returns in text", "<x:B xmlns:x=\"urn:x\"><x:C>\r\n a&#13;b\rc > d&#9;\t</x:C></x:B>", false},
		{"literal tab in an attribute", "<x:B xmlns:x=\"urn:x\" b=\"x\ty\"/>", true},
		{"line break in an attribute", "<x:B xmlns:x=\"urn:x\" b=\"x\ny\"/>", true},
		{"tab reference in an attribute", "<x:B xmlns:x=\"urn:x\" a=\"1&#9;2\"/>", true},
		{"character references", `<x:B xmlns:x="urn:x">&#x1F600; &#233; &lt;&gt;&amp;&apos;&quot;</x:B>`, false},
		{"quotes in attributes", `<x:B xmlns:x="urn:x" a='he said "hi"' b="it's"/>`, false},
		{"unused namespace and xml: attributes", `<x:B xmlns:x="urn:x" xmlns:unused="urn:u" xml:lang="nl"><x:C xml:space="preserve"> </x:C></x:B>`, false},
		{"default namespace and its undeclaration", `<x:B xmlns:x="urn:x"><C xmlns="urn:d"><E xmlns=""/></C></x:B>`, false},
		{"xsi attributes", `<x:B xmlns:x="urn:x" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="urn:x x.xsd"><x:C xsi:nil="true"/></x:B>`, false},
		{"prefixed attributes in URI order", `<x:B xmlns:x="urn:a" xmlns:y="urn:b" x:a="1" y:b="2" c="3"/>`, false},
		{"prefixed attributes, prefix order differs from URI order", `<x:B xmlns:x="urn:x" xmlns:y="urn:y" y:a="1" x:b="2"/>`, true},
		{"undeclared prefix", `<x:B xmlns:x="urn:x"><y:C/></x:B>`, true},
		{"undeclared attribute prefix", `<x:B xmlns:x="urn:x" y:a="1"/>`, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			signed, err := s.Seal(testMeta(), []byte(tc.bericht))
			if tc.refused {
				if !errors.Is(err, ErrInvalidBericht) {
					t.Fatalf("Seal error = %v, want ErrInvalidBericht", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Seal: %v", err)
			}
			f := writeFile(t, t.TempDir(), "signed.xml", signed)
			if out, err := xmlsec1(t, "--verify", "--trusted-pem", certFile, "--enabled-reference-uris", "empty", f); err != nil {
				t.Errorf("xmlsec1 rejects Seal output: %v\n%s", err, out)
			}
			got, err := v.Open(xmlsecSign(t, p, testMeta(), []byte(tc.bericht)))
			if err != nil {
				t.Fatalf("Open of xmlsec1 output: %v", err)
			}
			if !bytes.Equal(c14n(t, got.Bericht), c14n(t, []byte(tc.bericht))) {
				t.Errorf("Bericht changed")
			}
		})
	}
}
