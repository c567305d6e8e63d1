package inbound_test

import (
	"slices"
	"testing"

	"github.com/sluis-gateway/sluis/internal/inbound"
	"github.com/sluis-gateway/sluis/messages"
	"github.com/sluis-gateway/sluis/xsd"
)

// TestExamples: every generated heenbericht is XSD-valid and passes the
// receiving side's rules (0200); its broken variant is XSD-valid too and
// is refused for exactly the rule it names; the technical retour of
// either validates.
func TestExamples(t *testing.T) {
	v, err := xsd.NewValidator()
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	today := messages.NewDate(2026, 12, 3)
	for _, std := range []messages.Standard{messages.IWmo, messages.IJw} {
		for _, kind := range []string{"305", "307", "315", "317", "323"} {
			for _, broken := range []bool{false, true} {
				name := string(std) + "-" + kind
				if broken {
					name += "-broken"
				}
				t.Run(name, func(t *testing.T) {
					m, rule, err := inbound.Example(std, kind, "42420001", "0363", "A1", today, broken)
					if err != nil {
						t.Fatal(err)
					}
					doc, err := messages.Marshal(m)
					if err != nil {
						t.Fatal(err)
					}
					if err := v.Validate(doc); err != nil {
						t.Fatalf("XSD: %v\n%s", err, doc)
					}
					codes, rules := inbound.Assess(m, today)
					switch {
					case !broken && (len(rules) != 0 || !slices.Equal(codes, []messages.RetourCode{"0200"})):
						t.Fatalf("valid example assessed %v %v", codes, rules)
					case broken && (!slices.Equal(rules, []string{rule}) || !slices.Equal(codes, []messages.RetourCode{"0001"})):
						t.Fatalf("broken example assessed %v %v, want [%s] [0001]", codes, rules, rule)
					}
					ret, err := inbound.TechnicalRetour(m, codes, "S00000000001", today)
					if err != nil {
						t.Fatal(err)
					}
					out, err := messages.Build(ret, messages.BuildOptions{Today: today})
					if err != nil {
						t.Fatalf("build retour: %v", err)
					}
					if err := v.Validate(out); err != nil {
						t.Fatalf("retour XSD: %v\n%s", err, out)
					}
				})
			}
		}
	}
}
