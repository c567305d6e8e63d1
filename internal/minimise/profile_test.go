package minimise

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sluis-gateway/sluis/internal/disclosure"
)

// baseProfileDoc is the embedded iWmo 301 care_assignment profile as a
// JSON object, for tests to break.
func baseProfileDoc(t *testing.T) map[string]any {
	t.Helper()
	return profileDoc(t, "iwmo-301-care_assignment.json")
}

// profileDoc is an embedded profile file as a JSON object.
func profileDoc(t *testing.T, file string) map[string]any {
	t.Helper()
	b, err := embedded.ReadFile("profiles/" + file)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func writeProfile(t *testing.T, dir, name string, doc any) {
	t.Helper()
	var b []byte
	switch d := doc.(type) {
	case string:
		b = []byte(d)
	default:
		var err error
		if b, err = json.MarshalIndent(d, "", "  "); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
		t.Fatal(err)
	}
}

func fields(m map[string]any) []any { return m["fields"].([]any) }

func setRule(m map[string]any, path string, kv ...string) {
	for _, f := range fields(m) {
		r := f.(map[string]any)
		if r["path"] == path {
			for i := 0; i+1 < len(kv); i += 2 {
				if kv[i+1] == "" {
					delete(r, kv[i])
				} else {
					r[kv[i]] = kv[i+1]
				}
			}
		}
	}
}

func addRule(m map[string]any, path, cat, use string) {
	r := map[string]any{"path": path, "use": use}
	if cat != "" {
		r["category"] = cat
	}
	m["fields"] = append(fields(m), r)
}

func TestBadProfiles(t *testing.T) {
	tests := []struct {
		name   string
		base   string // embedded profile file to break; default iwmo-301-care_assignment.json
		mutate func(m map[string]any)
		raw    string   // used instead of the mutated base when set
		want   []string // substrings of the error
	}{
		{name: "unknown category", mutate: func(m map[string]any) { setRule(m, "/client/bsn", "category", "medical") },
			want: []string{"fields[0].category", "medical"}},
		{name: "category not the field's", mutate: func(m map[string]any) { setRule(m, "/client/bsn", "category", "contact") },
			want: []string{"fields[0].category", "/client/bsn is in category identification"}},
		{name: "mixed categories under a group", mutate: func(m map[string]any) { setRule(m, "/assignment/products", "category", "care_assignment") },
			want: []string{".category", "/assignment/products/*/comment is in category free_text"}},
		{name: "path names no field", mutate: func(m map[string]any) { addRule(m, "/client/diagnosis", "", "allowed") },
			want: []string{".path", "/client/diagnosis"}},
		{name: "path with a concrete index", mutate: func(m map[string]any) { addRule(m, "/client/contacts/0/email", "", "allowed") },
			want: []string{".path", "/client/contacts/0/email"}},
		{name: "path outside the data", mutate: func(m map[string]any) { addRule(m, "/legal_basis/reason", "", "allowed") },
			want: []string{".path", "/legal_basis/reason"}},
		{name: "duplicate path", mutate: func(m map[string]any) { addRule(m, "/client/bsn", "", "required") },
			want: []string{".path", "duplicate of fields[0]"}},
		{name: "unknown use", mutate: func(m map[string]any) { setRule(m, "/client/comment", "use", "maybe") },
			want: []string{".use", "required, allowed, never or strip"}},
		{name: "mandatory field not required", mutate: func(m map[string]any) { setRule(m, "/client/bsn", "use", "allowed") },
			want: []string{"/client/bsn is mandatory", "must be required"}},
		{name: "mandatory relation field not required while relations are allowed",
			mutate: func(m map[string]any) { setRule(m, "/client/relations/*/kind", "use", "allowed") },
			want:   []string{"/client/relations/*/kind is mandatory"}},
		{name: "allowed beneath never", mutate: func(m map[string]any) {
			setRule(m, "/client/relations", "use", "never")
		}, want: []string{"beneath /client/relations, which is never sent"}},
		{name: "free text without a limit", mutate: func(m map[string]any) { delete(m["free_text"].(map[string]any), "/client/comment") },
			want: []string{"free_text", "/client/comment is allowed but has no length limit"}},
		{name: "free text limit too large", mutate: func(m map[string]any) { m["free_text"].(map[string]any)["/client/comment"] = 5000 },
			want: []string{"free_text[/client/comment]", "limit must be 1 to 4000"}},
		{name: "free text limit on a field that is no free text", mutate: func(m map[string]any) { m["free_text"].(map[string]any)["/client/bsn"] = 10 },
			want: []string{"free_text[/client/bsn]", "not a free-text field"}},
		{name: "bad on_extra", mutate: func(m map[string]any) { m["on_extra"] = "ignore" }, want: []string{"on_extra"}},
		{name: "message type without a request contract", mutate: func(m map[string]any) { m["message_type"] = "305" }, want: []string{"message_type"}},
		{name: "301 profile sends an answer field", mutate: func(m map[string]any) { addRule(m, "/answer/answer", "", "allowed") },
			want: []string{".use", "/answer/answer is part of a 319, not of a 301"}},
		{name: "319 profile sends a client field", base: "iwmo-319-care_assignment.json", mutate: func(m map[string]any) {
			setRule(m, "/client", "use", "strip")
			addRule(m, "/client/bsn", "", "required")
		}, want: []string{"fields[6].use", "/client/bsn is part of a 301, not of a 319"}},
		{name: "319 profile sends the assignment", base: "ijw-319-care_assignment.json", mutate: func(m map[string]any) { setRule(m, "/assignment", "use", "allowed") },
			want: []string{"fields[5].use", "is part of a 301, not of a 319"}},
		{name: "iWmo 319 profile sends the residence municipality (iJw only)", base: "iwmo-319-care_assignment.json",
			mutate: func(m map[string]any) { setRule(m, "/answer/residence_municipality", "use", "allowed") },
			want:   []string{"fields[3].use", "/answer/residence_municipality exists in iJw only"}},
		{name: "319 profile with the answer code not required", base: "ijw-319-care_assignment.json",
			mutate: func(m map[string]any) { setRule(m, "/answer/answer", "use", "allowed") },
			want:   []string{"/answer/answer is mandatory in the 319", "must be required"}},
		{name: "319 profile with the provider reference stripped", base: "iwmo-319-care_assignment.json",
			mutate: func(m map[string]any) { setRule(m, "/answer/provider_reference", "use", "strip") },
			want:   []string{"/answer/provider_reference is mandatory in the 319"}},
		{name: "answer field in another category", base: "iwmo-319-care_assignment.json",
			mutate: func(m map[string]any) { setRule(m, "/answer/rejection_reason", "category", "identification") },
			want:   []string{"fields[2].category", "/answer/rejection_reason is in category care_assignment"}},
		{name: "unknown standard", mutate: func(m map[string]any) { m["standard"] = "iWlz" }, want: []string{"standard"}},
		{name: "no name", mutate: func(m map[string]any) { delete(m, "name") }, want: []string{"name: required"}},
		{name: "no version", mutate: func(m map[string]any) { m["version"] = " " }, want: []string{"version: required"}},
		{name: "unknown key", mutate: func(m map[string]any) { m["fieldz"] = []any{} }, want: []string{"fieldz"}},
		{name: "not JSON", raw: "{not json", want: []string{"invalid character"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if tc.raw != "" {
				writeProfile(t, dir, "broken.json", tc.raw)
			} else {
				m := baseProfileDoc(t)
				if tc.base != "" {
					m = profileDoc(t, tc.base)
				}
				tc.mutate(m)
				writeProfile(t, dir, "broken.json", m)
			}
			_, err := Load(dir)
			if err == nil {
				t.Fatal("Load accepted a bad profile")
			}
			if !errors.Is(err, ErrInvalidProfile) {
				t.Errorf("error %v is not ErrInvalidProfile", err)
			}
			for _, w := range append([]string{"broken.json"}, tc.want...) {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func TestLoadDuplicateKey(t *testing.T) {
	dir := t.TempDir()
	m := baseProfileDoc(t)
	writeProfile(t, dir, "a.json", m)
	m["name"] = "another-name"
	writeProfile(t, dir, "b.json", m)
	_, err := Load(dir)
	if !errors.Is(err, ErrInvalidProfile) || !strings.Contains(err.Error(), "b.json") || !strings.Contains(err.Error(), "a.json") || !strings.Contains(err.Error(), "duplicate profile") {
		t.Fatalf("Load = %v, want a duplicate error naming both files", err)
	}
}

func TestLoadEmptyAndMissingDir(t *testing.T) {
	if _, err := Load(t.TempDir()); !errors.Is(err, ErrInvalidProfile) {
		t.Errorf("empty dir: %v", err)
	}
	if _, err := Load(filepath.Join(t.TempDir(), "nope")); err == nil {
		t.Errorf("missing dir accepted")
	}
}

func TestLoadReplacesEmbedded(t *testing.T) {
	dir := t.TempDir()
	m := baseProfileDoc(t)
	m["name"], m["version"], m["purpose"] = "local-research", "2026.1", "research_followup"
	writeProfile(t, dir, "research.json", m)
	ps, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	p, err := ps.For("iWmo", "301", "research_followup")
	if err != nil || p.Key() != "local-research@2026.1" {
		t.Fatalf("For = %v, %v", p.Key(), err)
	}
	if _, err := ps.For("iWmo", "301", "care_assignment"); !errors.Is(err, ErrNoProfile) {
		t.Errorf("the embedded profiles are still there: %v", err)
	}
}

func TestEmbedded(t *testing.T) {
	ps, err := Embedded()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{
		"iwmo-301-care_assignment@1": true, "ijw-301-care_assignment@1": true,
		"iwmo-301-assignment_minimal@1": true, "ijw-301-assignment_minimal@1": true,
		"iwmo-319-care_assignment@1": true, "ijw-319-care_assignment@1": true,
		"iwmo-325-care_declaration@1": true, "ijw-325-care_declaration@1": true,
	}
	for _, p := range ps.All() {
		if !want[p.Key()] {
			t.Errorf("unexpected profile %s", p.Key())
		}
		delete(want, p.Key())
		if p.Description == "" {
			t.Errorf("%s has no description", p.Key())
		}
	}
	if len(want) != 0 {
		t.Errorf("missing profiles: %v", want)
	}
	_, err = ps.For("iWmo", "301", "gossip")
	if !errors.Is(err, ErrNoProfile) {
		t.Errorf("For unknown purpose: %v", err)
	}
	// The error never echoes an unsafe value.
	_, err = ps.For("iWmo", "301", "Jan de Wit 999900006")
	if strings.Contains(err.Error(), "999900006") {
		t.Errorf("error echoes the purpose: %v", err)
	}
}

// TestFieldTableCoversTheRequest: every field a full request carries is in
// the table, and every table field can be reached.
func TestFieldTableCoversTheRequest(t *testing.T) {
	r := fullRequest("iWmo")
	r.Client.Contacts[0].Address.HouseNumberAddition = "bis"
	r.Client.Contacts[0].Address.ResidenceIndication = "TO"
	r.Client.Relations[0].Order = intp(1)
	r.Client.Relations[0].Gender = "1"
	r.Client.Relations[0].Name.SurnamePrefix = "van"
	r.Client.Relations[0].Name.PartnerSurname = "Smit"
	r.Client.Relations[0].Name.PartnerSurnamePrefix = "de"
	r.Client.Relations[0].Contact.Email = "x@example.org"
	r.Client.Relations[0].Contact.Organisation = "Org"
	r.Client.Relations[0].Contact.Address.HouseLetter = "b"
	r.Client.Relations[0].Contact.Address.HouseNumberAddition = "2"
	r.Client.Relations[0].Contact.Address.ResidenceIndication = "BY"
	r.Client.Relations[0].Contact.Phones[0].CountryCode = "0031"
	r.Client.Relations[0].Contact.Period = &disclosure.Period{Start: "2026-01-01", End: "2026-02-01"}
	r.Client.BirthDateUsage = "1"
	r.Client.Name.PartnerSurnamePrefix = "van"
	r.Client.Contacts[1].Organisation = "x"
	p := &r.Assignment.Products[0]
	p.Budget = int64p(100)
	p.Product.Code = "X"
	tree, err := toTree(r)
	if err != nil {
		t.Fatal(err)
	}
	answer, err := toTree(fullAnswerRequest("iJw"))
	if err != nil {
		t.Fatal(err)
	}
	declaration, err := toTree(declarationRequest("iWmo"))
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, l := range append(append(leaves(tree), leaves(answer)...), leaves(declaration)...) {
		if _, ok := lookupField(l.pattern); !ok {
			t.Errorf("request field %s is not in the table", l.pattern)
		}
		seen[l.pattern] = true
	}
	for _, f := range fieldTable {
		if !seen[f.Path] {
			t.Errorf("table field %s was not reached by the full request", f.Path)
		}
	}
}
