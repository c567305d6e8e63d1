package textscan

import (
	"strings"
	"unicode"

	"github.com/sluis-gateway/sluis/internal/calendar"
)

// Person is what can identify one person in free text: the words of their
// names, the written forms of their birth date and, when it is to be looked
// for, their BSN. This is the one person-in-text detector: the
// safety-override note check (internal/consent) and the free-text check
// (internal/minimise) both use it.
type Person struct {
	words map[string]bool
	birth []string
	bsn   string
}

// NewPerson reads a person's name parts (surname, partner surname, given
// names), birth date (YYYY-MM-DD; anything else is not looked for) and BSN
// ("" when it is not to be looked for). Name particles ("van", "de", ...)
// and single letters are not matched on their own, or every Dutch sentence
// would.
func NewPerson(birthDate, bsn string, names ...string) Person {
	p := Person{words: map[string]bool{}}
	for _, part := range names {
		for _, w := range Words(part) {
			if len([]rune(w)) >= 2 && !IsParticle(w) {
				p.words[w] = true
			}
		}
	}
	if d, err := calendar.ParseDate(birthDate); err == nil {
		p.birth = DateForms(d)
	}
	if len(bsn) == 9 {
		p.bsn = bsn
	}
	return p
}

// Text is free text, read once for the person checks.
type Text struct {
	raw   string
	words map[string]bool
	lower string
}

// Read reads text for the person checks.
func Read(text string) Text {
	t := Text{raw: text, words: map[string]bool{}, lower: strings.ToLower(text)}
	for _, w := range Words(text) {
		t.words[w] = true
	}
	return t
}

// Names reports whether the text contains a word of p's names (whole
// words, case- and accent-insensitive). It errs towards "yes": a surname
// that is also an ordinary word ("Wit", "Bakker") counts.
func (t Text) Names(p Person) bool {
	for w := range p.words {
		if t.words[w] {
			return true
		}
	}
	return false
}

// HasBirthDate reports whether the text contains p's birth date written as
// YYYY-MM-DD or DD-MM-YYYY (D-M-YYYY) with "-", "/", "." or " ".
func (t Text) HasBirthDate(p Person) bool {
	for _, f := range p.birth {
		if strings.Contains(t.lower, f) {
			return true
		}
	}
	return false
}

// HasBSN reports whether the text contains p's BSN: its 9 digits, also with
// spaces, dots, hyphens or slashes between them.
func (t Text) HasBSN(p Person) bool {
	return p.bsn != "" && strings.Contains(digitsOnly(t.raw), p.bsn)
}

// Identifies reports whether the text names p, carries p's BSN or p's
// birth date.
func (t Text) Identifies(p Person) bool {
	return t.Names(p) || t.HasBSN(p) || t.HasBirthDate(p)
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
