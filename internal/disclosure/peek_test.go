package disclosure

import (
	"bytes"
	"runtime"
	"strings"
	"testing"
)

// hugeBody is a request of about size bytes: id and sender first, then
// padding of the given shape.
func hugeBody(size int, shape string) []byte {
	var b bytes.Buffer
	b.WriteString(`{"id":"6f1c2a3e-8b4d-4c1a-9e2f-3a5b7c9d1e01","sender":{"municipality":"0363","system":"regsys"},"padding":`)
	switch shape {
	case "string":
		b.WriteString(`"` + strings.Repeat("x", size) + `"`)
	case "objects":
		b.WriteString("[")
		for b.Len() < size {
			b.WriteString(`{"a":[1,2,{"b":"c"}]},`)
		}
		b.WriteString(`{}]`)
	}
	b.WriteString("}")
	return b.Bytes()
}

// allocated returns the bytes f allocates, read from the runtime.
func allocated(f func()) uint64 {
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// A 20 MB request costs what one at the size limit costs: Peek reads a
// bounded prefix, Decode refuses on the length alone.
func TestOversizedRequestCostsTheLimit(t *testing.T) {
	const size = 20 << 20
	budget := uint64(8 * MaxRequestBytes) // O(limit); the old Peek took ~50× size
	d := newDecoder(t)
	for _, shape := range []string{"string", "objects"} {
		body := hugeBody(size, shape)
		t.Run("Peek "+shape, func(t *testing.T) {
			var env Envelope
			n := allocated(func() { env = Peek(body) })
			t.Logf("Peek of %d bytes allocated %d bytes", len(body), n)
			if n > budget {
				t.Errorf("Peek of %d bytes allocated %d bytes, want at most %d", len(body), n, budget)
			}
			want := Envelope{ID: "6f1c2a3e-8b4d-4c1a-9e2f-3a5b7c9d1e01", Municipality: "0363", System: "regsys"}
			if env != want {
				t.Errorf("Peek = %+v, want %+v (the fields come before the limit)", env, want)
			}
		})
		t.Run("Decode "+shape, func(t *testing.T) {
			var err error
			n := allocated(func() { _, err = d.Decode(body) })
			if err == nil || !strings.Contains(err.Error(), "larger than") {
				t.Fatalf("want a size refusal, got %v", err)
			}
			if n > budget {
				t.Errorf("Decode of %d bytes allocated %d bytes, want at most %d", len(body), n, budget)
			}
		})
	}
}

func TestPeekBeyondTheLimit(t *testing.T) {
	body := []byte(`{"padding":"` + strings.Repeat("x", MaxRequestBytes) + `","id":"6f1c2a3e-8b4d-4c1a-9e2f-3a5b7c9d1e01"}`)
	if got := Peek(body); got != (Envelope{}) {
		t.Fatalf("Peek read past the limit: %+v", got)
	}
}
