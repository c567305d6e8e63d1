package consent

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"

	"github.com/sluis-gateway/sluis/internal/calendar"
	"github.com/sluis-gateway/sluis/internal/disclosure"
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
	for _, w := range wordsOf(text) {
		words[w] = true
	}
	for _, part := range []string{c.Name.Surname, c.Name.PartnerSurname, c.Name.GivenNames} {
		for _, w := range wordsOf(part) {
			if len([]rune(w)) >= 2 && !particles[w] && words[w] {
				return true
			}
		}
	}
	if len(c.BSN) == 9 && strings.Contains(digitsOnly(text), c.BSN) {
		return true
	}
	if b, err := calendar.ParseDate(c.BirthDate); err == nil {
		lower := strings.ToLower(text)
		for _, f := range dateForms(b) {
			if strings.Contains(lower, f) {
				return true
			}
		}
	}
	return false
}

// particles are Dutch (and a few other) name particles: not matched alone.
var particles = map[string]bool{
	"van": true, "de": true, "der": true, "den": true, "het": true, "ten": true, "ter": true,
	"te": true, "t": true, "in": true, "op": true, "aan": true, "bij": true, "uit": true,
	"la": true, "le": true, "du": true, "da": true, "di": true, "von": true, "vom": true,
	"zu": true, "el": true, "al": true, "d": true, "l": true, "s": true, "y": true, "of": true,
}

// wordsOf splits s into lower-case words of letters and digits, with
// accents folded (é → e).
func wordsOf(s string) []string {
	return strings.FieldsFunc(fold(s), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
}

func fold(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if f, ok := foldMap[r]; ok {
			b.WriteRune(f)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

var foldMap = func() map[rune]rune {
	m := map[rune]rune{}
	for base, accented := range map[rune]string{
		'a': "áàâäãåā", 'c': "çćč", 'e': "éèêëēė", 'i': "íìîïī", 'n': "ñń",
		'o': "óòôöõøō", 'u': "úùûüū", 'y': "ýÿ", 's': "śš", 'z': "źžż",
	} {
		for _, r := range accented {
			m[r] = base
		}
	}
	return m
}()

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

func dateForms(d calendar.Date) []string {
	y := fmt.Sprintf("%04d", d.Year)
	m, dd := fmt.Sprintf("%02d", int(d.Month)), fmt.Sprintf("%02d", d.Day)
	m1, d1 := strconv.Itoa(int(d.Month)), strconv.Itoa(d.Day)
	var out []string
	for _, sep := range []string{"-", "/", ".", " "} {
		out = append(out,
			y+sep+m+sep+dd,
			dd+sep+m+sep+y,
			d1+sep+m1+sep+y,
		)
	}
	return out
}
