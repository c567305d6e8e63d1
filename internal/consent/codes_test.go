package consent

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestRefusalCodesMatchTheDocs keeps RefusalCodes equal to the refusal table
// of docs/privacy-rules.md "Codes": dashboards and metric labels rely on
// the list being complete.
func TestRefusalCodesMatchTheDocs(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "docs", "privacy-rules.md"))
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	start := strings.Index(doc, "Refusal codes (")
	end := strings.Index(doc, "Notices on allowed decisions")
	if start < 0 || end < start {
		t.Fatal(`docs/privacy-rules.md: no "Refusal codes" table before "Notices on allowed decisions"`)
	}
	var documented []string
	for _, m := range regexp.MustCompile("(?m)^\\| `([A-Z0-9_]+)` \\|").FindAllStringSubmatch(doc[start:end], -1) {
		documented = append(documented, m[1])
	}
	var listed []string
	for _, c := range RefusalCodes {
		listed = append(listed, string(c))
	}
	if !slices.Equal(documented, listed) {
		t.Errorf("docs/privacy-rules.md lists\n%v\nconsent.RefusalCodes is\n%v", documented, listed)
	}
}
