package minimise

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestCodesMatchTheDocs keeps Codes equal to docs/minimisation.md "Codes"
// (the refusal codes, before the notice): metric labels rely on it.
func TestCodesMatchTheDocs(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "docs", "minimisation.md"))
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	start := strings.Index(doc, "## Codes\n")
	if start < 0 {
		t.Fatal(`docs/minimisation.md: no "## Codes" section`)
	}
	end := strings.Index(doc[start:], "Notice:")
	if end < 0 {
		t.Fatal(`docs/minimisation.md "Codes": no "Notice:"`)
	}
	var documented []string
	for _, m := range regexp.MustCompile("`([A-Z0-9_]+)`").FindAllStringSubmatch(doc[start:start+end], -1) {
		documented = append(documented, m[1])
	}
	if !slices.Equal(documented, Codes) {
		t.Errorf("docs/minimisation.md lists\n%v\nminimise.Codes is\n%v", documented, Codes)
	}
}
