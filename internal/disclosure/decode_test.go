package disclosure

import (
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
)

func example(t *testing.T, name string) map[string]any {
	t.Helper()
	b, err := os.ReadFile("../../docs/contract/examples/" + name)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func encode(t *testing.T, m map[string]any) []byte {
	t.Helper()
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// set walks a dotted path ("client.bsn", "assignment.products.0.number")
// and sets (or, with del, removes) the value.
func set(m map[string]any, path string, v any, del bool) {
	parts := strings.Split(path, ".")
	var cur any = m
	for i, p := range parts {
		last := i == len(parts)-1
		switch c := cur.(type) {
		case map[string]any:
			if last {
				if del {
					delete(c, p)
				} else {
					c[p] = v
				}
				return
			}
			cur = c[p]
		case []any:
			idx := 0
			for _, ch := range p {
				idx = idx*10 + int(ch-'0')
			}
			if last {
				c[idx] = v
				return
			}
			cur = c[idx]
		}
	}
}

func newDecoder(t *testing.T) *Decoder {
	t.Helper()
	d, err := NewDecoder()
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestDecodeExamples(t *testing.T) {
	d := newDecoder(t)
	for _, name := range []string{"iwmo-301.json", "ijw-301.json"} {
		t.Run(name, func(t *testing.T) {
			r, err := d.Decode(encode(t, example(t, name)))
			if err != nil {
				t.Fatalf("example refused: %v", err)
			}
			if r.Version != 1 || r.ID == "" || len(r.Assignment.Products) != 1 {
				t.Fatalf("decoded badly: %+v", r)
			}
		})
	}
}

func TestDecodeRefuses(t *testing.T) {
	d := newDecoder(t)
	cases := []struct {
		name     string
		mutate   func(m map[string]any)
		raw      string
		wantPath string
		wantRule string
	}{
		{name: "not JSON", raw: `{"version": 1, "id": "x"`, wantRule: "json"},
		{name: "empty body", raw: ``, wantRule: "json"},
		{name: "BSN fails the 11-proef", mutate: func(m map[string]any) { set(m, "client.bsn", "123456789", false) }, wantPath: "/client/bsn", wantRule: "CS002"},
		{name: "BSN of 8 digits", mutate: func(m map[string]any) { set(m, "client.bsn", "12345678", false) }, wantPath: "/client/bsn", wantRule: "schema:pattern"},
		{name: "missing client", mutate: func(m map[string]any) { set(m, "client", nil, true) }, wantPath: "", wantRule: "schema:required"},
		{name: "missing birth date", mutate: func(m map[string]any) { set(m, "client.birth_date", nil, true) }, wantPath: "/client", wantRule: "schema:required"},
		{name: "unknown field", mutate: func(m map[string]any) { set(m, "client.favourite_colour", "blue", false) }, wantPath: "/client", wantRule: "schema:additionalProperties"},
		{name: "AGB of 7 digits", mutate: func(m map[string]any) { set(m, "recipient.agb", "4242000", false) }, wantPath: "/recipient/agb", wantRule: "schema:pattern"},
		{name: "municipality with a letter", mutate: func(m map[string]any) { set(m, "sender.municipality", "03a3", false) }, wantPath: "/sender/municipality", wantRule: "schema:pattern"},
		{name: "id not a UUID", mutate: func(m map[string]any) { set(m, "id", "abc", false) }, wantPath: "/id", wantRule: "schema:format"},
		{name: "unknown standard", mutate: func(m map[string]any) { set(m, "standard", "iWlz", false) }, wantPath: "/standard", wantRule: "schema:enum"},
		{name: "impossible birth date", mutate: func(m map[string]any) { set(m, "client.birth_date", "2027-06-31", false) }, wantPath: "/client/birth_date", wantRule: "schema:format"},
		{name: "consent basis without consent ids", mutate: func(m map[string]any) {
			set(m, "legal_basis", map[string]any{"kind": "consent"}, false)
		}, wantPath: "/legal_basis", wantRule: "schema:required"},
		{name: "safety override without consultation", mutate: func(m map[string]any) {
			set(m, "legal_basis", map[string]any{"kind": "safety_override", "reason": "acute risk", "client_informed": map[string]any{"not_possible_because": "unreachable"}}, false)
		}, wantPath: "/legal_basis", wantRule: "schema:required"},
		{name: "unknown basis kind", mutate: func(m map[string]any) {
			set(m, "legal_basis", map[string]any{"kind": "hunch"}, false)
		}, wantPath: "/legal_basis/kind", wantRule: "schema:enum"},
		{name: "no products", mutate: func(m map[string]any) { set(m, "assignment.products", []any{}, false) }, wantPath: "/assignment/products", wantRule: "schema:minItems"},
		{name: "volume with unknown unit", mutate: func(m map[string]any) {
			set(m, "assignment.products.0.volume.unit", "99", false)
		}, wantPath: "/assignment/products/0/volume/unit", wantRule: "schema:enum"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			body := []byte(tc.raw)
			if tc.mutate != nil {
				m := example(t, "iwmo-301.json")
				tc.mutate(m)
				body = encode(t, m)
			}
			_, err := d.Decode(body)
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("want ErrInvalid, got %v", err)
			}
			var inv *InvalidError
			if !errors.As(err, &inv) {
				t.Fatalf("want *InvalidError, got %T", err)
			}
			found := false
			for _, p := range inv.Problems {
				if p.Rule == tc.wantRule && (tc.wantPath == "" || p.Path == tc.wantPath) {
					found = true
				}
			}
			if !found {
				t.Fatalf("no problem %s at %q in %v", tc.wantRule, tc.wantPath, inv.Problems)
			}
		})
	}
}

// The error text goes back to the sender and into logs: it must not repeat
// personal data from the request.
func TestProblemsHoldNoPersonalData(t *testing.T) {
	d := newDecoder(t)
	m := example(t, "iwmo-301.json")
	set(m, "client.bsn", "123456789", false)         // fails 11-proef
	set(m, "client.birth_date", "1967-02-30", false) // impossible date
	set(m, "client.name.initials", "T.J.", false)    // pattern
	set(m, "client.contacts.0.address.postcode", "1234 AB 1234", false)
	_, err := d.Decode(encode(t, m))
	if err == nil {
		t.Fatal("want refusal")
	}
	for _, secret := range []string{"123456789", "1967-02-30", "T.J.", "1234 AB", "Wit", "Kerklaan"} {
		if strings.Contains(err.Error(), secret) {
			t.Errorf("error text %q contains %q", err, secret)
		}
	}
}

func TestHashIgnoresFormatting(t *testing.T) {
	d := newDecoder(t)
	raw, err := os.ReadFile("../../docs/contract/examples/iwmo-301.json")
	if err != nil {
		t.Fatal(err)
	}
	a, err := d.Decode(raw)
	if err != nil {
		t.Fatal(err)
	}
	b, err := d.Decode(encode(t, example(t, "iwmo-301.json"))) // re-encoded: other whitespace and key order
	if err != nil {
		t.Fatal(err)
	}
	if Hash(a) != Hash(b) {
		t.Fatal("same request, different hash")
	}
	b.Client.Gender = "2"
	if Hash(a) == Hash(b) {
		t.Fatal("different request, same hash")
	}
}

func TestPeek(t *testing.T) {
	cases := []struct {
		name string
		body string
		want Envelope
	}{
		{"valid sender", `{"id":"6f1c2a3e-8b4d-4c1a-9e2f-3a5b7c9d1e01","sender":{"municipality":"0363","system":"regsys"}}`,
			Envelope{ID: "6f1c2a3e-8b4d-4c1a-9e2f-3a5b7c9d1e01", Municipality: "0363", System: "regsys"}},
		{"broken JSON", `{"id":`, Envelope{}},
		{"routing-key injection in system", `{"sender":{"municipality":"0363","system":"a.#"}}`, Envelope{Municipality: "0363"}},
		{"number as id", `{"id":12}`, Envelope{}},
		{"dot in system would split the routing key", `{"sender":{"municipality":"0363","system":"a.b"}}`, Envelope{Municipality: "0363"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := Peek([]byte(tc.body)); got != tc.want {
				t.Fatalf("Peek = %+v, want %+v", got, tc.want)
			}
		})
	}
}

func FuzzDecode(f *testing.F) {
	for _, name := range []string{"iwmo-301.json", "ijw-301.json"} {
		b, err := os.ReadFile("../../docs/contract/examples/" + name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{}`))
	f.Add([]byte(`[1,2,3]`))
	d, err := NewDecoder()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := d.Decode(data)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error not ErrInvalid: %v", err)
			}
			return
		}
		if r.Version != 1 || r.ID == "" {
			t.Fatalf("accepted a request without version or id")
		}
		_ = Peek(data)
	})
}
