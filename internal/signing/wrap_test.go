package signing

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

// TestOpenSignatureWrapping moves the signed content around and puts a
// forged Bericht where a consumer reading the input tree would find it.
// Open must fail or return the signed Bericht, never the forged one.
func TestOpenSignatureWrapping(t *testing.T) {
	p := trustedPair(t)
	s, v := mustSigner(t, p), mustVerifier(t, p.cert)
	signed := string(mustSeal(t, s, testMeta(), wmo301(t)))

	const decl = `<?xml version="1.0" encoding="UTF-8"?>`
	const forged = `<wmo301:Bericht xmlns:wmo301="http://www.istandaarden.nl/iwmo/3_2/wmo301/schema"><wmo301:Client><wmo301:Bsn>FORGED</wmo301:Bsn></wmo301:Client></wmo301:Bericht>`
	sigStart := strings.Index(signed, "<ds:Signature")
	sigEnd := strings.Index(signed, "</sluis:Envelope>")
	sig := signed[sigStart:sigEnd]                           // the ds:Signature element
	unsigned := signed[len(decl):sigStart] + signed[sigEnd:] // the signed envelope, signature taken out
	open := `<sluis:Envelope xmlns:sluis="urn:sluis:envelope:1">`
	metaEnd := strings.Index(signed, "<sluis:Bericht>")
	meta := signed[len(decl)+len(open) : metaEnd] // MessageID .. Created
	wrapper := `<sluis:Bericht>` + forged + `</sluis:Bericht>`

	tests := []struct {
		name string
		doc  string
	}{
		{"forged envelope, signed one in a foreign wrapper before the signature",
			decl + open + meta + wrapper + `<x:W xmlns:x="urn:x">` + unsigned + `</x:W>` + sig + `</sluis:Envelope>`},
		{"forged envelope, signed one (with its signature) inside a second Bericht",
			decl + open + meta + wrapper + `<sluis:Bericht>` + signed[len(decl):] + `</sluis:Bericht></sluis:Envelope>`},
		{"forged envelope, signed one inside the forged Bericht's wrapper",
			decl + open + meta + `<sluis:Bericht>` + forged + unsigned + `</sluis:Bericht>` + sig + `</sluis:Envelope>`},
		{"forged Bericht before the signed one in the same wrapper",
			strings.Replace(signed, "<sluis:Bericht>", "<sluis:Bericht>"+forged, 1)},
		{"forged Bericht in a second wrapper after the signed one",
			strings.Replace(signed, "</sluis:Bericht>", "</sluis:Bericht>"+wrapper, 1)},
		{"forged Bericht in a wrapper before the signed one",
			strings.Replace(signed, "<sluis:Bericht>", wrapper+"<sluis:Bericht>", 1)},
		{"forged Bericht with another prefix for the envelope namespace",
			strings.Replace(signed, "<sluis:Bericht>", `<e:Bericht xmlns:e="urn:sluis:envelope:1">`+forged+`</e:Bericht><sluis:Bericht>`, 1)},
		{"signed envelope moved into ds:Object, forged Bericht in its place",
			decl + open + meta + wrapper + strings.Replace(sig, "</ds:KeyInfo>", "</ds:KeyInfo><ds:Object>"+unsigned+"</ds:Object>", 1) + `</sluis:Envelope>`},
		{"signed Bericht replaced by the forged one, signature kept",
			decl + open + meta + wrapper + sig + `</sluis:Envelope>`},
		{"forged envelope around the whole signed document",
			decl + open + meta + `<sluis:Bericht><x:W xmlns:x="urn:x">` + signed[len(decl):] + `</x:W></sluis:Bericht></sluis:Envelope>`},
	}
	want := c14n(t, wmo301(t))
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := v.Open([]byte(tc.doc))
			if err == nil {
				// Acceptable only if what came out is the signed Bericht.
				if bytes.Contains(got.Bericht, []byte("FORGED")) {
					t.Fatal("Open returned the forged Bericht")
				}
				if !bytes.Equal(c14n(t, got.Bericht), want) {
					t.Fatal("Open returned something other than the signed Bericht")
				}
				return
			}
			t.Logf("refused: %v", err)
			if !errors.Is(err, ErrBadSignature) && !errors.Is(err, ErrMalformed) {
				t.Fatalf("Open error = %v, want ErrBadSignature or ErrMalformed", err)
			}
			if got.Bericht != nil {
				t.Fatal("Open returned a Bericht with an error")
			}
		})
	}
	// Control: the pieces put back together still open.
	if _, err := v.Open([]byte(decl + unsigned[:len(unsigned)-len("</sluis:Envelope>")] + sig + "</sluis:Envelope>")); err != nil {
		t.Fatalf("reassembled original does not open: %v", err)
	}
}
