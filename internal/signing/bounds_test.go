package signing

import (
	"errors"
	"runtime"
	"strings"
	"testing"

	"github.com/beevik/etree"

	"github.com/sluis-gateway/sluis/internal/testenv/flood"
)

// deep returns signed with n nested elements inserted in the Bericht.
func deep(t testing.TB, signed []byte, n int) []byte {
	t.Helper()
	s := string(signed)
	at := strings.Index(s, "<wmo301:Client>") + len("<wmo301:Client>")
	return []byte(s[:at] + strings.Repeat("<a>", n) + strings.Repeat("</a>", n) + s[at:])
}

func TestCheckBounds(t *testing.T) {
	tests := []struct {
		name string
		doc  string
		want error
	}{
		{"small document", `<a><b x="1"/><c>text &gt; more</c></a>`, nil},
		{"exactly the element limit", "<r>" + strings.Repeat("<a/>", maxEnvelopeElements-1) + "</r>", nil},
		{"one element over the limit", "<r>" + strings.Repeat("<a/>", maxEnvelopeElements) + "</r>", ErrTooManyElements},
		{"exactly the depth limit", strings.Repeat("<a>", MaxDepth) + strings.Repeat("</a>", MaxDepth), nil},
		{"one level too deep", strings.Repeat("<a>", MaxDepth+1) + strings.Repeat("</a>", MaxDepth+1), ErrTooDeep},
		{"siblings do not add depth", "<r>" + strings.Repeat("<a></a>", 500) + "</r>", nil},
		{"tags in comments are not counted", "<r><!--" + strings.Repeat("<a>", 2000) + "--></r>", nil},
		{"tags in CDATA are not counted", "<r><![CDATA[" + strings.Repeat("<a>", 2000) + "]]></r>", nil},
		{"tags in processing instructions are not counted", "<?pi " + strings.Repeat("<a>", 2000) + "?><r/>", nil},
		{"'>' and '/>' in attribute values", `<r><a x="/>" y='>'>` + strings.Repeat("<b>", MaxDepth-2) + strings.Repeat("</b>", MaxDepth-2) + "</a></r>", nil},
		{"'/>' in an attribute value does not close the tag", `<r>` + strings.Repeat(`<a x="/>">`, MaxDepth) + `</r>`, ErrTooDeep},
		{"DOCTYPE", `<!DOCTYPE r><r/>`, ErrDoctype},
		{"DOCTYPE after the root start", `<r><!DOCTYPE r></r>`, ErrDoctype},
		{"ENTITY declaration", `<!ENTITY a "b"><r/>`, ErrDoctype},
		{"too large", strings.Repeat(" ", MaxDocumentBytes+1), errTooLarge},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckBounds([]byte(tc.doc))
			if tc.want == nil {
				if err != nil {
					t.Fatalf("CheckBounds = %v, want nil", err)
				}
				return
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("CheckBounds = %v, want %v", err, tc.want)
			}
		})
	}
}

// allocDuring returns how many bytes f allocated (TotalAlloc) and how much
// the live heap grew (HeapAlloc after a collection), read from the runtime.
func allocDuring(f func()) (total, heap uint64) {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	total = after.TotalAlloc - before.TotalAlloc
	if after.HeapAlloc > before.HeapAlloc {
		heap = after.HeapAlloc - before.HeapAlloc
	}
	return total, heap
}

func TestOpenRefusesBeforeBuildingATree(t *testing.T) {
	p := trustedPair(t)
	v := mustVerifier(t, p.cert)
	signed := mustSeal(t, mustSigner(t, p), testMeta(), wmo301(t))

	tests := []struct {
		name string
		doc  []byte
		want error
	}{
		// A million flat elements in 4 MB: an etree of it costs some 170 MB.
		{"a million flat elements", flood.Insert(t, signed, "<wmo301:Client>", 1_000_000), ErrTooManyElements},
		{"elements nested 10,000 deep", deep(t, signed, 10_000), ErrTooDeep},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if len(tc.doc) > MaxDocumentBytes {
				t.Fatalf("test document is %d bytes, over MaxDocumentBytes", len(tc.doc))
			}
			var err error
			total, heap := allocDuring(func() { _, err = v.Open(tc.doc) })
			if !errors.Is(err, tc.want) || !errors.Is(err, ErrMalformed) {
				t.Fatalf("Open = %v, want ErrMalformed and %v", err, tc.want)
			}
			t.Logf("%d bytes refused: allocated %d bytes, live heap +%d bytes", len(tc.doc), total, heap)
			const limit = 20 << 20
			if total >= limit {
				t.Fatalf("Open allocated %d bytes refusing it, want < %d", total, limit)
			}
		})
	}
}

func TestCheckBoundsAllocatesNothing(t *testing.T) {
	doc := []byte("<r>" + strings.Repeat(`<a x="1">t</a><!--c--><![CDATA[d]]>`, 100) + "</r>")
	if n := testing.AllocsPerRun(10, func() { _ = CheckBounds(doc) }); n != 0 {
		t.Fatalf("CheckBounds made %v allocations, want 0", n)
	}
}

// depthOf returns how deeply elements nest under and including el.
func depthOf(el *etree.Element) int {
	d := 0
	for _, c := range el.ChildElements() {
		d = max(d, depthOf(c))
	}
	return d + 1
}

// FuzzCheckBounds: whatever the scan lets through and the parser reads has
// at most the counted elements and depth (the scan never undercounts), and
// the scan never panics.
func FuzzCheckBounds(f *testing.F) {
	f.Add([]byte(`<a><b x="/>"/><!--<c>--><![CDATA[<d>]]><?p <e>?></a>`))
	f.Add([]byte(`<r>` + strings.Repeat("<a/>", maxEnvelopeElements) + `</r>`))
	f.Add([]byte(strings.Repeat("<a>", MaxDepth+1) + strings.Repeat("</a>", MaxDepth+1)))
	f.Add([]byte(`<a x='"'><b y="'"/></a>`))
	f.Fuzz(func(t *testing.T, doc []byte) {
		const maxElements, maxDepth = 8, 4
		if scanBounds(doc, maxElements, maxDepth) != nil {
			return
		}
		d := etree.NewDocument()
		if d.ReadFromBytes(doc) != nil || d.Root() == nil {
			return
		}
		if n := countElements(&d.Element, 1<<20) - 1; n > maxElements {
			t.Fatalf("scan passed %d elements, limit %d", n, maxElements)
		}
		if n := depthOf(&d.Element) - 1; n > maxDepth {
			t.Fatalf("scan passed depth %d, limit %d", n, maxDepth)
		}
	})
}
