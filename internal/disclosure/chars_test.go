package disclosure

import (
	"bytes"
	"encoding/json"
	"slices"
	"testing"
	"unicode/utf8"
)

// The scanner names the JSON pointer of each string holding a refused
// character, through nesting, arrays, escapes and field names.
func TestCharProblemPaths(t *testing.T) {
	cases := []struct {
		name string
		body string
		want []Problem
	}{
		{"clean", `{"a":"b","c":[1,"d",{"e":"\u00e9\n"}]}`, nil},
		{"second array item", `{"a":[{"b":"x"},"\u0000"]}`, []Problem{{Path: "/a/1", Rule: RuleControl}}},
		{"after an escaped quote", `{"a":"\"","b":"\u0007"}`, []Problem{{Path: "/b", Rule: RuleControl}}},
		{"nested object after array", `{"a":[1,2],"b":{"c":"\ud800"}}`, []Problem{{Path: "/b/c", Rule: RuleSurrogate}}},
		{"field name reported at its object", `{"a":{"k\u0001":1}}`, []Problem{{Path: "/a", Rule: RuleControl}}},
		{"pointer escapes in a key", `{"a/b~":"\u0002"}`, []Problem{{Path: "/a~1b~0", Rule: RuleControl}}},
		{"two rules in one string", "{\"a\":\"\\u0000\xff\"}", []Problem{{Path: "/a", Rule: RuleControl}, {Path: "/a", Rule: RuleUTF8}}},
		{"invalid UTF-8 outside strings", "{\"a\":1\xff}", []Problem{{Path: "", Rule: RuleUTF8}}},
		{"truncated escape ends the scan", `{"a":"\u00`, nil},
		{"root string", `"\u001f"`, []Problem{{Path: "", Rule: RuleControl}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := charProblems([]byte(tc.body))
			for i := range got {
				got[i].Message = ""
			}
			if !slices.Equal(got, tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}
}

// Whatever passes the character scan decodes without replacement: no string
// holds a refused character, and U+FFFD only where the sender wrote it.
func FuzzCharProblems(f *testing.F) {
	for _, s := range []string{`{"a":"b"}`, `{"a":["\u0000"]}`, `"\ud83d\ude00"`, `{"k\u0001":1}`, "\"\xe9\"", `"\ud800\u0041"`, `"\\u0000"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(charProblems(data)) > 0 || !json.Valid(data) {
			return
		}
		var v any
		if err := json.Unmarshal(data, &v); err != nil {
			return
		}
		sentFFFD := bytes.Contains(data, []byte("\uFFFD")) || bytes.Contains(bytes.ToLower(data), []byte(`\ufffd`))
		var walk func(v any)
		check := func(s string) {
			for _, r := range s {
				if charRule(r) != "" {
					t.Fatalf("refused character %U passed the scan", r)
				}
				if r == utf8.RuneError && !sentFFFD {
					t.Fatalf("decoding replaced a character the scan let through")
				}
			}
		}
		walk = func(v any) {
			switch x := v.(type) {
			case string:
				check(x)
			case []any:
				for _, c := range x {
					walk(c)
				}
			case map[string]any:
				for k, c := range x {
					check(k)
					walk(c)
				}
			}
		}
		walk(v)
	})
}

// A clean request costs the scan no JSON pointers: they are built only for
// a string with a problem (building one per string, with a replacer per
// key, once made the scan 30 times as costly as the whole decode).
func TestCharScanOfCleanRequestBuildsNoPaths(t *testing.T) {
	var b bytes.Buffer
	b.WriteString(`{"items":[`)
	const n = 50
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`{"key/with~escapes":"value","nested":{"deeper":["a","b","c"]}}`)
	}
	b.WriteString(`]}`)
	data := b.Bytes()
	if p := charProblems(data); len(p) != 0 {
		t.Fatalf("problems in a clean document: %v", p)
	}
	allocs := testing.AllocsPerRun(20, func() { charProblems(data) })
	// The field names themselves (3 per item), the stack's growth: about
	// 4 per item (with a path per string it was over 160).
	if max := float64(5*n + 20); allocs > max {
		t.Errorf("%.0f allocations scanning %d items, want at most %.0f: paths built for clean strings?", allocs, n, max)
	}
}
