package signing

import (
	"bytes"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestSealOpenRoundTrip(t *testing.T) {
	p := trustedPair(t)
	s := mustSigner(t, p)
	v := mustVerifier(t, otherPair(t).cert, p.cert)

	reply := testMeta()
	reply.InReplyTo = "01JD5Q7Z3X-wmo301.0"
	ijw := testMeta()
	ijw.Standard, ijw.MessageType, ijw.Sender, ijw.Recipient = "iJw", "JW315", "12345678", "0363"
	local := testMeta()
	local.Created = time.Date(2026, 3, 1, 10, 0, 0, 0, time.FixedZone("CET", 3600))

	tests := []struct {
		name    string
		meta    Meta
		bericht []byte
	}{
		{"official WMO301 example", testMeta(), wmo301(t)},
		{"retour with InReplyTo", reply, wmo301(t)},
		{"official JW301 example", ijw, example(t, "JW301.xml")},
		{"official WMO305 example", testMeta(), example(t, "WMO305.xml")},
		{"Created in another zone", local, wmo301(t)},
		{"default namespace bericht", testMeta(), []byte(`<Bericht xmlns="urn:x"><A b="1">t</A></Bericht>`)},
		{"bericht reusing prefix sluis for another namespace", testMeta(), []byte(`<sluis:B xmlns:sluis="urn:other"><sluis:C/></sluis:B>`)},
		{"bericht reusing prefix ds", testMeta(), []byte(`<ds:B xmlns:ds="urn:other"><ds:C/></ds:B>`)},
		{"comments and processing instructions", testMeta(), []byte("<?xml version=\"1.0\"?>\n<!-- c --><x:B xmlns:x=\"urn:x\"><!-- inner --><x:C>a &amp; b &lt; c</x:C><?pi data?></x:B>")},
		{"escapes in attribute values, CR LF in text", testMeta(), []byte("<x:B xmlns:x=\"urn:x\" b=\"q&quot;'&lt;&gt;&amp;\"><x:C>\r\n&#13;</x:C></x:B>")},
		{"non-ASCII text", testMeta(), []byte(`<x:B xmlns:x="urn:x"><x:C>Zoë, Ĳsselmeer, 日本</x:C></x:B>`)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			signed := mustSeal(t, s, tc.meta, tc.bericht)
			got, err := v.Open(signed)
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			if !got.Meta.Created.Equal(tc.meta.Created) {
				t.Errorf("Created = %v, want %v", got.Meta.Created, tc.meta.Created)
			}
			want := tc.meta
			want.Created = got.Meta.Created
			if got.Meta != want {
				t.Errorf("Meta = %+v, want %+v", got.Meta, want)
			}
			if !got.Signer.Equal(p.cert) {
				t.Errorf("Signer is not the signing certificate")
			}
			if a, b := c14n(t, got.Bericht), c14n(t, tc.bericht); !bytes.Equal(a, b) {
				t.Errorf("bericht changed:\n got %s\nwant %s", a, b)
			}
			// The extracted Bericht is already canonical and stands alone.
			if a := c14n(t, got.Bericht); !bytes.Equal(a, got.Bericht) {
				t.Errorf("bericht is not in canonical form")
			}
		})
	}
}

func TestSealLeavesBerichtUnchanged(t *testing.T) {
	// The Bericht inside the envelope must be byte-for-byte the input's root
	// element (modulo the XML declaration and outside comments): Seal may
	// not canonicalize or re-declare namespaces in place.
	s := mustSigner(t, trustedPair(t))
	in := wmo301(t)
	signed := mustSeal(t, s, testMeta(), in)
	// The example has CRLF line ends; XML parsing turns them into LF.
	in = bytes.ReplaceAll(in, []byte("\r\n"), []byte("\n"))
	// From the end of the root's start tag (etree drops the blank before
	// its '>') to the end of its end tag.
	start := bytes.Index(in, []byte(`schema" >`)) + len(`schema" >`)
	end := bytes.LastIndex(in, []byte("</wmo301:Bericht>")) + len("</wmo301:Bericht>")
	if !bytes.Contains(signed, in[start:end]) {
		t.Errorf("sealed envelope does not contain the Bericht verbatim")
	}
	if n := bytes.Count(signed, []byte("xmlns:iwmo=")); n != 1 {
		t.Errorf("xmlns:iwmo declared %d times, want 1", n)
	}
	if !bytes.HasPrefix(signed, []byte(`<?xml version="1.0" encoding="UTF-8"?>`)) {
		t.Errorf("no XML declaration")
	}
}

func TestSealRefuses(t *testing.T) {
	s := mustSigner(t, trustedPair(t))
	meta := func(f func(*Meta)) Meta { m := testMeta(); f(&m); return m }
	many := "<x:B xmlns:x=\"urn:x\">" + strings.Repeat("<x:C/>", MaxBerichtElements) + "</x:B>"
	tests := []struct {
		name    string
		meta    Meta
		bericht string
		want    error
	}{
		{"empty MessageID", meta(func(m *Meta) { m.MessageID = "" }), "<x:B xmlns:x=\"urn:x\"/>", ErrInvalidMeta},
		{"MessageID with space", meta(func(m *Meta) { m.MessageID = "a b" }), "<x:B xmlns:x=\"urn:x\"/>", ErrInvalidMeta},
		{"MessageID of 65 chars", meta(func(m *Meta) { m.MessageID = strings.Repeat("a", 65) }), "<x:B xmlns:x=\"urn:x\"/>", ErrInvalidMeta},
		{"bad InReplyTo", meta(func(m *Meta) { m.InReplyTo = "<x>" }), "<x:B xmlns:x=\"urn:x\"/>", ErrInvalidMeta},
		{"unknown standard", meta(func(m *Meta) { m.Standard = "iPgb" }), "<x:B xmlns:x=\"urn:x\"/>", ErrInvalidMeta},
		{"bad message type", meta(func(m *Meta) { m.MessageType = "WMO401" }), "<x:B xmlns:x=\"urn:x\"/>", ErrInvalidMeta},
		{"message type of the other standard", meta(func(m *Meta) { m.MessageType = "JW301" }), "<x:B xmlns:x=\"urn:x\"/>", ErrInvalidMeta},
		{"sender of 5 digits", meta(func(m *Meta) { m.Sender = "03840" }), "<x:B xmlns:x=\"urn:x\"/>", ErrInvalidMeta},
		{"recipient with letters", meta(func(m *Meta) { m.Recipient = "AGB12345" }), "<x:B xmlns:x=\"urn:x\"/>", ErrInvalidMeta},
		{"zero Created", meta(func(m *Meta) { m.Created = time.Time{} }), "<x:B xmlns:x=\"urn:x\"/>", ErrInvalidMeta},
		{"DOCTYPE", testMeta(), "<!DOCTYPE x:B [<!ENTITY e \"boom\">]><x:B xmlns:x=\"urn:x\">&e;</x:B>", ErrDoctype},
		{"not XML", testMeta(), "BSN 999900006", ErrInvalidBericht},
		{"empty", testMeta(), "", ErrInvalidBericht},
		{"unclosed element", testMeta(), "<x:B xmlns:x=\"urn:x\">", ErrInvalidBericht},
		{"undefined entity", testMeta(), "<x:B xmlns:x=\"urn:x\">&e;</x:B>", ErrInvalidBericht},
		{"no namespace", testMeta(), "<B/>", ErrInvalidBericht},
		{"envelope namespace", testMeta(), "<B xmlns=\"urn:sluis:envelope:1\"/>", ErrInvalidBericht},
		{"XML-DSig namespace", testMeta(), "<Signature xmlns=\"http://www.w3.org/2000/09/xmldsig#\"/>", ErrInvalidBericht},
		{"contains a ds:Signature", testMeta(), "<x:B xmlns:x=\"urn:x\"><ds:Signature xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\"/></x:B>", ErrInvalidBericht},
		{"too many elements", testMeta(), many, ErrInvalidBericht},
		{"UTF-16 declared", testMeta(), "<?xml version=\"1.0\" encoding=\"UTF-16\"?><x:B xmlns:x=\"urn:x\"/>", ErrInvalidBericht},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, err := s.Seal(tc.meta, []byte(tc.bericht))
			if !errors.Is(err, tc.want) {
				t.Fatalf("Seal error = %v, want %v", err, tc.want)
			}
			if out != nil {
				t.Errorf("Seal returned output with an error")
			}
			if strings.Contains(err.Error(), "999900006") {
				t.Errorf("error leaks bericht content: %v", err)
			}
		})
	}
}

func TestLargestBerichtOpens(t *testing.T) {
	// goxmldsig stops at 1,000 elements; MaxBerichtElements must leave room
	// for the envelope and signature.
	p := trustedPair(t)
	s, v := mustSigner(t, p), mustVerifier(t, p.cert)
	bericht := "<x:B xmlns:x=\"urn:x\">" + strings.Repeat("<x:C>1</x:C>", MaxBerichtElements-1) + "</x:B>"
	signed := mustSeal(t, s, testMeta(), []byte(bericht))
	if _, err := v.Open(signed); err != nil {
		t.Fatalf("Open of the largest Bericht: %v", err)
	}
}

func TestConcurrentSealOpen(t *testing.T) {
	p := trustedPair(t)
	s, v := mustSigner(t, p), mustVerifier(t, p.cert)
	bericht := wmo301(t)
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for i := range 8 {
		wg.Go(func() {
			for j := range 4 {
				m := testMeta()
				m.MessageID = "msg-" + string(rune('a'+i)) + string(rune('a'+j))
				signed, err := s.Seal(m, bericht)
				if err != nil {
					errs <- err
					return
				}
				got, err := v.Open(signed)
				if err != nil {
					errs <- err
					return
				}
				if got.Meta.MessageID != m.MessageID {
					errs <- errors.New("message id mixed up between goroutines")
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
