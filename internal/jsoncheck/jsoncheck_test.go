package jsoncheck

import (
	"strings"
	"testing"
)

const schema = `{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "type": "object", "additionalProperties": false,
  "required": ["kind"],
  "properties": {"kind": {"enum": ["a", "b"]}, "x": {"type": "string", "pattern": "^[0-9]{3}$"}, "y": {"type": "integer"}, "z": false},
  "oneOf": [
    {"properties": {"kind": {"const": "a"}}, "required": ["x"]},
    {"properties": {"kind": {"const": "b"}}, "required": ["y"]}
  ]
}`

func TestCheck(t *testing.T) {
	s, err := Compile("urn:test", []byte(schema))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, doc, path, rule string
	}{
		{"valid a", `{"kind":"a","x":"123"}`, "", ""},
		{"not JSON", `{"kind":`, "", "json"},
		{"missing field of the chosen branch only", `{"kind":"b"}`, "", "schema:required"},
		{"pattern without the value", `{"kind":"a","x":"secret-999"}`, "/x", "schema:pattern"},
		{"unknown field", `{"kind":"a","x":"123","w":1}`, "", "schema:additionalProperties"},
		{"forbidden field", `{"kind":"a","x":"123","z":1}`, "/z", "schema"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ps := s.Check([]byte(tc.doc))
			if tc.rule == "" {
				if len(ps) != 0 {
					t.Fatalf("want valid, got %v", ps)
				}
				return
			}
			found := false
			for _, p := range ps {
				if strings.HasPrefix(p.Rule, tc.rule) && (tc.path == "" || p.Path == tc.path) {
					found = true
				}
				if strings.Contains(p.Message, "secret-999") {
					t.Fatalf("problem repeats the value: %v", p)
				}
				if strings.Contains(p.Message, "const") {
					t.Fatalf("problem from the branch that does not apply: %v", p)
				}
			}
			if !found {
				t.Fatalf("no %s at %q in %v", tc.rule, tc.path, ps)
			}
		})
	}
}
