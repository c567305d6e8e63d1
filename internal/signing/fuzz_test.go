package signing

import (
	"bytes"
	"errors"
	"testing"
)

// FuzzOpen: Open never panics, and whatever it accepts is exactly what the
// trusted key signed (the only trusted signatures in the corpus are over
// testMeta() and the WMO301 example): a mutated document either fails or
// yields that same metadata and Bericht.
func FuzzOpen(f *testing.F) {
	trusted, other := trustedPair(f), otherPair(f)
	s := mustSigner(f, trusted)
	v := mustVerifier(f, trusted.cert)
	signed := mustSeal(f, s, testMeta(), wmo301(f))
	f.Add(signed)
	f.Add(mustSeal(f, mustSigner(f, other), testMeta(), wmo301(f)))
	f.Add(bytes.Replace(signed, []byte("<sluis:Bericht>"), []byte("<sluis:Bericht><x:F xmlns:x=\"urn:x\"/>"), 1))
	f.Add([]byte(`<sluis:Envelope xmlns:sluis="urn:sluis:envelope:1"/>`))
	f.Add([]byte(`<!DOCTYPE a [<!ENTITY b "c">]><a>&b;</a>`))
	wantBericht := c14nBytes(f, wmo301(f))

	f.Fuzz(func(t *testing.T, doc []byte) {
		got, err := v.Open(doc)
		if err != nil {
			if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrBadSignature) && !errors.Is(err, ErrUntrusted) {
				t.Fatalf("Open error outside the named errors: %v", err)
			}
			if got.Bericht != nil || got.Signer != nil {
				t.Fatal("content returned with an error")
			}
			return
		}
		want := testMeta()
		if !got.Meta.Created.Equal(want.Created) {
			t.Fatalf("accepted a changed Created")
		}
		want.Created = got.Meta.Created
		if got.Meta != want {
			t.Fatalf("accepted changed metadata: %+v", got.Meta)
		}
		if !got.Signer.Equal(trusted.cert) {
			t.Fatal("accepted a signer outside the trusted set")
		}
		if !bytes.Equal(c14nBytes(t, got.Bericht), wantBericht) {
			t.Fatalf("accepted a changed Bericht")
		}
	})
}

// FuzzSealOpen: for any input Seal accepts, Open returns a Bericht whose
// exclusive C14N equals the input's.
func FuzzSealOpen(f *testing.F) {
	p := trustedPair(f)
	s, v := mustSigner(f, p), mustVerifier(f, p.cert)
	f.Add(wmo301(f))
	f.Add([]byte(`<B xmlns="urn:x"><C a="1&#9;2">t</C></B>`))
	f.Add([]byte(`<x:B xmlns:x="urn:x" xmlns:y="urn:y"><y:C x:a="1"/><D xmlns="urn:z"/></x:B>`))
	f.Add([]byte(`<sluis:B xmlns:sluis="urn:other"><ds:C xmlns:ds="urn:o2"/></sluis:B>`))
	f.Fuzz(func(t *testing.T, bericht []byte) {
		signed, err := s.Seal(testMeta(), bericht)
		if err != nil {
			return
		}
		got, err := v.Open(signed)
		if err != nil {
			t.Fatalf("Open of a sealed document: %v", err)
		}
		if !bytes.Equal(c14nBytes(t, got.Bericht), c14nBytes(t, bericht)) {
			t.Fatalf("Bericht changed in the round trip")
		}
	})
}

// c14nBytes is c14n for fuzz targets.
func c14nBytes(t testing.TB, doc []byte) []byte {
	t.Helper()
	return c14n(t, doc)
}
