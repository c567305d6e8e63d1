package disclosure

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/sluis-gateway/sluis/internal/testenv"
)

func example(t *testing.T, name string) map[string]any {
	t.Helper()
	b := testenv.ContractExample(t, name)
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
			if r.Version != 1 || r.ID == "" || len(r.Assignment.Products) != 1 || r.Answer != nil {
				t.Fatalf("decoded badly: %+v", r)
			}
		})
	}
}

func TestDecodeAnswerExamples(t *testing.T) {
	d := newDecoder(t)
	cases := []struct {
		name string
		want Answer
	}{
		{"iwmo-319.json", Answer{ProviderReference: "VOT-2026-0917", Answer: "1", RejectionReason: "3"}},
		{"ijw-319.json", Answer{ProviderReference: "VOT-2026-9003", Answer: "1", RejectionReason: "8", ResidenceMunicipality: "1916"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r, err := d.Decode(encode(t, example(t, tc.name)))
			if err != nil {
				t.Fatalf("example refused: %v", err)
			}
			if r.MessageType != MessageAntwoordbericht || r.Answer == nil || *r.Answer != tc.want {
				t.Fatalf("answer decoded as %+v", r.Answer)
			}
			if !r.Client.IsZero() || len(r.Assignment.Products) != 0 {
				t.Fatalf("a 319 decoded with client or assignment data")
			}
		})
	}
}

// A valid 319 in its forms: every rule of the answer that passes.
func TestDecodeAcceptsAnswers(t *testing.T) {
	d := newDecoder(t)
	cases := []struct {
		name    string
		example string
		answer  map[string]any
	}{
		{"iWmo rejected, no contract", "iwmo-319.json", map[string]any{"provider_reference": "R1", "answer": "1", "rejection_reason": "3"}},
		{"iWmo in onderzoek, no reason", "iwmo-319.json", map[string]any{"provider_reference": "R1", "answer": "2"}},
		{"iWmo rejected on woonplaatsbeginsel, no municipality (iJw only)", "iwmo-319.json", map[string]any{"provider_reference": "R1", "answer": "1", "rejection_reason": "8"}},
		{"iJw rejected on woonplaatsbeginsel with the municipality", "ijw-319.json", map[string]any{"provider_reference": "R1", "answer": "1", "rejection_reason": "8", "residence_municipality": "0344"}},
		{"iJw in onderzoek", "ijw-319.json", map[string]any{"provider_reference": "R1", "answer": "2"}},
		{"reference of 36 characters", "iwmo-319.json", map[string]any{"provider_reference": strings.Repeat("r", 36), "answer": "2"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := example(t, tc.example)
			m["answer"] = tc.answer
			r, err := d.Decode(encode(t, m))
			if err != nil {
				t.Fatalf("refused: %v", err)
			}
			if r.Answer == nil || r.Answer.ProviderReference != tc.answer["provider_reference"] {
				t.Fatalf("answer decoded as %+v", r.Answer)
			}
		})
	}
}

func TestDecodeRefusesAnswers(t *testing.T) {
	d := newDecoder(t)
	clientOf301 := example(t, "iwmo-301.json")["client"]
	assignmentOf301 := example(t, "iwmo-301.json")["assignment"]
	cases := []struct {
		name     string
		example  string // default iwmo-319.json
		mutate   func(m map[string]any)
		wantPath string
		wantRule string
	}{
		{name: "319 without answer", mutate: func(m map[string]any) { delete(m, "answer") }, wantPath: "", wantRule: "schema:required"},
		{name: "319 with a client", mutate: func(m map[string]any) { m["client"] = clientOf301 }, wantPath: "/client", wantRule: "schema"},
		{name: "319 with an empty client", mutate: func(m map[string]any) { m["client"] = map[string]any{} }, wantPath: "/client", wantRule: "schema"},
		{name: "319 with an assignment", mutate: func(m map[string]any) { m["assignment"] = assignmentOf301 }, wantPath: "/assignment", wantRule: "schema"},
		{name: "301 with an answer", example: "iwmo-301.json", mutate: func(m map[string]any) {
			m["answer"] = map[string]any{"provider_reference": "R1", "answer": "2"}
		}, wantPath: "/answer", wantRule: "schema"},
		{name: "unknown message type", mutate: func(m map[string]any) { m["message_type"] = "305" }, wantPath: "/message_type", wantRule: "schema:enum"},
		{name: "missing provider reference", mutate: func(m map[string]any) { set(m, "answer.provider_reference", nil, true) }, wantPath: "/answer", wantRule: "schema:required"},
		{name: "provider reference of 37 characters", mutate: func(m map[string]any) {
			set(m, "answer.provider_reference", strings.Repeat("r", 37), false)
		}, wantPath: "/answer/provider_reference", wantRule: "schema:maxLength"},
		{name: "provider reference only blanks", mutate: func(m map[string]any) { set(m, "answer.provider_reference", "   ", false) }, wantPath: "/answer/provider_reference", wantRule: "schema:pattern"},
		{name: "missing answer code", mutate: func(m map[string]any) { set(m, "answer.answer", nil, true) }, wantPath: "/answer", wantRule: "schema:required"},
		{name: "answer code 3 (a toewijzing is a 301)", mutate: func(m map[string]any) { set(m, "answer.answer", "3", false) }, wantPath: "/answer/answer", wantRule: "schema:enum"},
		{name: "rejected without a reason (CD085)", mutate: func(m map[string]any) { set(m, "answer.rejection_reason", nil, true) }, wantPath: "/answer", wantRule: "schema:required"},
		{name: "in onderzoek with a reason (CD086)", mutate: func(m map[string]any) { set(m, "answer.answer", "2", false) }, wantPath: "/answer/rejection_reason", wantRule: "schema"},
		{name: "unknown rejection reason", mutate: func(m map[string]any) { set(m, "answer.rejection_reason", "10", false) }, wantPath: "/answer/rejection_reason", wantRule: "schema:enum"},
		{name: "iWmo with a residence municipality (iJw only)", mutate: func(m map[string]any) {
			set(m, "answer.rejection_reason", "8", false)
			set(m, "answer.residence_municipality", "0344", false)
		}, wantPath: "/answer/residence_municipality", wantRule: "schema"},
		{name: "iJw woonplaatsbeginsel without the municipality (IV095)", example: "ijw-319.json", mutate: func(m map[string]any) {
			set(m, "answer.residence_municipality", nil, true)
		}, wantPath: "/answer", wantRule: "schema:required"},
		{name: "iJw residence municipality with another reason", example: "ijw-319.json", mutate: func(m map[string]any) {
			set(m, "answer.rejection_reason", "3", false)
		}, wantPath: "/answer/residence_municipality", wantRule: "schema"},
		{name: "iJw residence municipality of 3 digits", example: "ijw-319.json", mutate: func(m map[string]any) {
			set(m, "answer.residence_municipality", "344", false)
		}, wantPath: "/answer/residence_municipality", wantRule: "schema:pattern"},
		{name: "unknown field in the answer", mutate: func(m map[string]any) { set(m, "answer.client_name", "x", false) }, wantPath: "/answer", wantRule: "schema:additionalProperties"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			name := tc.example
			if name == "" {
				name = "iwmo-319.json"
			}
			m := example(t, name)
			tc.mutate(m)
			_, err := d.Decode(encode(t, m))
			var inv *InvalidError
			if !errors.As(err, &inv) || !errors.Is(err, ErrInvalid) {
				t.Fatalf("want *InvalidError, got %v", err)
			}
			for _, p := range inv.Problems {
				if p.Rule == tc.wantRule && p.Path == tc.wantPath {
					return
				}
			}
			t.Fatalf("no problem %s at %q in %v", tc.wantRule, tc.wantPath, inv.Problems)
		})
	}
}

// A 301 encodes as before the answer existed, so its idempotency hash is
// unchanged; a 319 hashes its answer.
func TestHashOfAnswer(t *testing.T) {
	d := newDecoder(t)
	r301, err := d.Decode(encode(t, example(t, "iwmo-301.json")))
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(r301)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), `"answer"`) {
		t.Fatalf("a 301 encodes an answer: %s", b)
	}
	a, err := d.Decode(encode(t, example(t, "iwmo-319.json")))
	if err != nil {
		t.Fatal(err)
	}
	b2 := a
	ans := *a.Answer
	ans.RejectionReason = "4"
	b2.Answer = &ans
	if Hash(a) == Hash(b2) {
		t.Fatal("different answers, same hash")
	}
}

func TestClientIsZero(t *testing.T) {
	cases := []struct {
		name string
		c    Client
		want bool
	}{
		{"no client", Client{}, true},
		{"only a BSN", Client{BSN: "999900006"}, false},
		{"only a comment", Client{Comment: "x"}, false},
		{"an empty, non-nil contact list", Client{Contacts: []Contact{}}, false},
		{"a name usage only", Client{Name: Name{NameUsage: "1"}}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.c.IsZero(); got != tc.want {
				t.Fatalf("IsZero = %v, want %v", got, tc.want)
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
	raw := testenv.ContractExample(t, "iwmo-301.json")
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
		{"composite id skipped", `{"id":["6f1c2a3e-8b4d-4c1a-9e2f-3a5b7c9d1e01"],"sender":{"municipality":"0363"}}`, Envelope{Municipality: "0363"}},
		{"sender not an object", `{"sender":"0363","id":"6f1c2a3e-8b4d-4c1a-9e2f-3a5b7c9d1e01"}`, Envelope{ID: "6f1c2a3e-8b4d-4c1a-9e2f-3a5b7c9d1e01"}},
		{"not an object", `["6f1c2a3e-8b4d-4c1a-9e2f-3a5b7c9d1e01"]`, Envelope{}},
		{"fields after nested padding", `{"x":{"y":[1,{"z":"id"}]},"sender":{"q":[{}],"system":"regsys"}}`, Envelope{System: "regsys"}},
		{"truncated after the id", `{"id":"6f1c2a3e-8b4d-4c1a-9e2f-3a5b7c9d1e01","sender":{"munic`, Envelope{ID: "6f1c2a3e-8b4d-4c1a-9e2f-3a5b7c9d1e01"}},
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
	for _, name := range []string{"iwmo-301.json", "ijw-301.json", "iwmo-319.json", "ijw-319.json"} {
		f.Add(testenv.ContractExample(f, name))
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
		switch r.MessageType {
		case MessageToewijzing:
			if r.Answer != nil || r.Client.IsZero() || len(r.Assignment.Products) == 0 {
				t.Fatalf("accepted a 301 with an answer or without client or products")
			}
		case MessageAntwoordbericht:
			if r.Answer == nil || !r.Client.IsZero() || len(r.Assignment.Products) != 0 {
				t.Fatalf("accepted a 319 without an answer or with client data")
			}
		default:
			t.Fatalf("accepted message type %q", r.MessageType)
		}
		_ = Peek(data)
	})
}
