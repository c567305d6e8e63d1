package messages_test

import (
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/sluis-gateway/sluis/internal/testenv"
	"github.com/sluis-gateway/sluis/messages"
)

// goldenToday is the "today" of the golden files (TR135).
var goldenToday = messages.NewDate(2026, 11, 23)

// schemaLevel lists rule codes that the XSD also enforces: their .bad.xml
// may fail XSD validation; every other rule's .bad.xml must be XSD-valid,
// proving the rule is checked by Build and not only by the schema.
var schemaLevel = map[string]bool{
	"XSD": true, "CS025": true, "CS015": true, "RS032": true, "RS034": true, "RS045": true,
	"RS047": true, "RS035": true, "RS036": true, "RS017": true, "RS033": true, "RS048": true,
}

// companion lists the rules a bad file may break together with its own.
var companion = map[string]bool{"CD077+CD078": true, "CD025+TR006": true, "CD034+TR006": true, "CD079+TR302": true}

func TestGoldenGood(t *testing.T) {
	v := newValidator(t)
	files, _ := filepath.Glob(filepath.Join(goldenDir, "*.good.xml"))
	if len(files) < 4 {
		t.Fatalf("only %d good files", len(files))
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			doc := testenv.ReadFile(t, f)
			if err := v.Validate(doc); err != nil {
				t.Fatalf("XSD: %v", err)
			}
			m, err := messages.Parse(doc)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			out, err := messages.Build(m, messages.BuildOptions{Today: goldenToday})
			if err != nil {
				t.Fatalf("Build: %v", err)
			}
			if canonical(t, out) != canonical(t, doc) {
				t.Fatal("round trip changed the content")
			}
			xmllint(t, out, m.Standard(), m.Kind())
		})
	}
}

// TestGoldenBad: each <type>-<RULE>-<what>.bad.xml breaks exactly the named
// rule and is rejected with that code: by Parse for formats (RS032), by
// Build otherwise.
func TestGoldenBad(t *testing.T) {
	v := newValidator(t)
	files, _ := filepath.Glob(filepath.Join(goldenDir, "*.bad.xml"))
	if len(files) < 20 {
		t.Fatalf("only %d bad files", len(files))
	}
	for _, f := range files {
		name := filepath.Base(f)
		parts := strings.SplitN(name, "-", 3)
		if len(parts) < 3 {
			t.Fatalf("%s: name must be <type>-<RULE>-<what>.bad.xml", name)
		}
		code := parts[1]
		t.Run(name, func(t *testing.T) {
			doc := testenv.ReadFile(t, f)
			xsdErr := v.Validate(doc)
			if xsdErr != nil && !schemaLevel[code] {
				t.Fatalf("%s is a rule-level case but fails the XSD: %v", code, xsdErr)
			}
			m, err := messages.Parse(doc)
			if err != nil {
				if !strings.Contains(err.Error(), code) {
					t.Fatalf("Parse: %v, want an error naming %s", err, code)
				}
				return
			}
			_, err = messages.Build(m, messages.BuildOptions{Today: goldenToday})
			if !errors.Is(err, messages.ErrRule) {
				t.Fatalf("Build: %v, want a rule error", err)
			}
			codes := messages.RuleCodes(err)
			if !slices.Contains(codes, code) {
				t.Fatalf("Build codes %v, want %s (%v)", codes, code, err)
			}
			var re *messages.RuleError
			if !errors.As(err, &re) || re.Path == "" {
				t.Fatalf("no *RuleError with a path in %v", err)
			}
			// One broken rule per file (CD077 and CD078 describe the same
			// violation from both sides; an address without Huis or
			// Postcode also leaves TR006 unmet, and a toewijzing without
			// Product may overlap no other one, TR302).
			for _, c := range codes {
				if c != code && !companion[code+"+"+c] {
					t.Errorf("extra rule %s violated besides %s: %v", c, code, err)
				}
			}
		})
	}
}
