package consent

import (
	"strings"
	"unicode"

	"github.com/sluis-gateway/sluis/internal/calendar"
	"github.com/sluis-gateway/sluis/internal/disclosure"
	"github.com/sluis-gateway/sluis/internal/textscan"
)

// namesClient reports whether free text identifies the client: it contains
// a word of the client's surname, partner surname or given names (whole
// words, case- and accent-insensitive), the BSN (its 9 digits, also with
// spaces, dots, hyphens or slashes between them), or the birth date written
// as YYYY-MM-DD or DD-MM-YYYY (D-M-YYYY) with "-", "/", "." or " ".
//
// It errs towards "yes": a surname that is also an ordinary word ("Wit",
// "Bakker") in the text counts. Name particles ("van", "de", "der", ...) and
// single letters are not matched on their own, or every Dutch sentence would.
func namesClient(text string, c disclosure.Client) bool {
	if text == "" {
		return false
	}
	words := map[string]bool{}
	for _, w := range textscan.Words(text) {
		words[w] = true
	}
	for _, part := range []string{c.Name.Surname, c.Name.PartnerSurname, c.Name.GivenNames} {
		for _, w := range textscan.Words(part) {
			if len([]rune(w)) >= 2 && !textscan.IsParticle(w) && words[w] {
				return true
			}
		}
	}
	if len(c.BSN) == 9 && strings.Contains(digitsOnly(text), c.BSN) {
		return true
	}
	if b, err := calendar.ParseDate(c.BirthDate); err == nil {
		lower := strings.ToLower(text)
		for _, f := range textscan.DateForms(b) {
			if strings.Contains(lower, f) {
				return true
			}
		}
	}
	return false
}

// digitsOnly drops the separators people put inside numbers (space, dot,
// hyphen, slash) and keeps digits; any other character is kept as a break so
// that numbers in different words do not run together.
func digitsOnly(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == ' ' || r == '.' || r == '-' || r == '/' || unicode.IsSpace(r):
		default:
			b.WriteByte('|')
		}
	}
	return b.String()
}
