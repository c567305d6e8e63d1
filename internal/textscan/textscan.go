// Package textscan decides whether free text identifies a person (Person,
// Text): words with accents folded, Dutch name particles, the written forms
// of a date, a BSN with separators. Used by the safety-override note check
// (internal/consent) and the free-text check (internal/minimise), so both
// read a name the same way.
package textscan

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"

	"github.com/sluis-gateway/sluis/internal/calendar"
)

// particles are Dutch (and a few other) name particles: not matched alone.
var particles = map[string]bool{
	"van": true, "de": true, "der": true, "den": true, "het": true, "ten": true, "ter": true,
	"te": true, "t": true, "in": true, "op": true, "aan": true, "bij": true, "uit": true,
	"la": true, "le": true, "du": true, "da": true, "di": true, "von": true, "vom": true,
	"zu": true, "el": true, "al": true, "d": true, "l": true, "s": true, "y": true, "of": true,
}

// IsParticle reports whether w (folded, lower case) is a name particle such
// as "van" or "de", which never identifies a person on its own.
func IsParticle(w string) bool { return particles[w] }

// Words splits s into lower-case words of letters and digits, accents
// folded (é → e).
func Words(s string) []string {
	return strings.FieldsFunc(Fold(s), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
}

// Fold lower-cases s and folds accented Latin letters to their base letter.
func Fold(s string) string {
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

// DateForms are the usual written forms of a date: 2014-02-14, 14-02-2014,
// 14-2-2014, with "-", "/", "." or " " between the parts.
func DateForms(d calendar.Date) []string {
	y := fmt.Sprintf("%04d", d.Year)
	m, dd := fmt.Sprintf("%02d", int(d.Month)), fmt.Sprintf("%02d", d.Day)
	m1, d1 := strconv.Itoa(int(d.Month)), strconv.Itoa(d.Day)
	var out []string
	for _, sep := range []string{"-", "/", ".", " "} {
		out = append(out, y+sep+m+sep+dd, dd+sep+m+sep+y, d1+sep+m1+sep+y)
	}
	return out
}
