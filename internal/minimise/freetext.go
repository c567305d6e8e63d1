package minimise

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/sluis-gateway/sluis/internal/calendar"
	"github.com/sluis-gateway/sluis/internal/consent"
	"github.com/sluis-gateway/sluis/internal/disclosure"
	"github.com/sluis-gateway/sluis/internal/textscan"
	"github.com/sluis-gateway/sluis/messages"
)

// Free-text screening (OP191: Commentaar may not carry data traceable to a
// person without that person's consent). It errs towards refusing: the
// sender can always rephrase, a leaked BSN cannot be recalled.

type hit struct {
	code    string
	message string
}

// person is someone in the request whose name may not appear in free text
// unless the basis covers free text about them.
type person struct {
	label string // "the client", "relation 2"
	key   string // "client", "relation 2" (Basis.FreeTextAbout)
	textscan.Person
}

func personsOf(r disclosure.Request) []person {
	out := []person{newPerson("the client", "client", r.Client.Name, r.Client.BirthDate)}
	for i, rel := range r.Client.Relations {
		k := fmt.Sprintf("relation %d", i+1)
		out = append(out, newPerson(k, k, rel.Name, rel.BirthDate))
	}
	return out
}

// newPerson reads a person's names and birth date; any BSN in free text is
// refused on its own (hasBSN), so the person's BSN is not looked for.
func newPerson(label, key string, n disclosure.Name, birth string) person {
	return person{label: label, key: key, Person: textscan.NewPerson(birth, "", n.Surname, n.PartnerSurname, n.GivenNames)}
}

var (
	// A BSN candidate: 9 digits, optionally split by single spaces, dots
	// or hyphens, not part of a longer number.
	reBSN = regexp.MustCompile(`^[0-9](?:[ .\-]?[0-9]){8}`)
	// International: +31 6 12345678, +31 (0)20 123 4567, 0031 6 1234 5678.
	reIntlPhone = regexp.MustCompile(`(?:\+|(?:^|[^0-9])00)[1-9][0-9]{0,2}[ .\-]?(?:\(0\)[ .\-]?)?[0-9](?:[ .\-]?[0-9]){6,11}`)
	// National: 0 + 9 digits, with single separators or an area code in
	// parentheses: 06-12345678, 020 123 45 67, (020) 1234567.
	reNatPhone = regexp.MustCompile(`(?:\(0[0-9]{1,3}\)|(?:^|[^0-9+])0[0-9]{1,3})(?: ?[.\-]? ?)[0-9](?: ?[.\-]? ?[0-9]){5,9}`)
	reDateLike = regexp.MustCompile(`^[^0-9]*[0-9]{1,2}[\-/.][0-9]{1,2}[\-/.][0-9]{2,4}`)
	reEmail    = regexp.MustCompile(`[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}`)
	// Dutch postcode: 1234AB, 1234 AB, 1234ab (lower case only without a
	// space, so "2026 is" is no postcode).
	rePostcode      = regexp.MustCompile(`(?:^|[^0-9A-Za-z])([1-9][0-9]{3}(?: ?[A-Z]{2}|[a-z]{2}))(?:$|[^0-9A-Za-z])`)
	reHouseAfter    = regexp.MustCompile(`^[\s,:\-]*(?:(?i:huisnummer|huisnr\.?|nummer|nr\.?|no\.?)\s*)?[0-9]{1,5}(?:$|[^0-9])`)
	reHouseBefore   = regexp.MustCompile(`(?:^|[^0-9])[0-9]{1,5}\s?[A-Za-z]?(?:[\s\-]+[0-9A-Za-z]{1,4})?[\s,]*$`)
	houseBeforeSpan = 24
)

// scanFreeText returns what text carries that may not go: one hit per kind
// of pattern and one per person named.
func scanFreeText(text string, people []person, about map[string]bool) []hit {
	var out []hit
	if hasBSN(text) {
		out = append(out, hit{CodeFreeTextBSN, "the free text contains what looks like a BSN"})
	}
	if hasPhone(text) {
		out = append(out, hit{CodeFreeTextPhone, "the free text contains what looks like a phone number"})
	}
	if reEmail.MatchString(text) {
		out = append(out, hit{CodeFreeTextEmail, "the free text contains what looks like an e-mail address"})
	}
	if hasPostcodeWithNumber(text) {
		out = append(out, hit{CodeFreeTextPostcode, "the free text contains a postcode with a house number"})
	}
	t := textscan.Read(text)
	for _, p := range people {
		if about[p.key] {
			continue
		}
		if t.Names(p.Person) {
			out = append(out, hit{CodeFreeTextName, "the free text names " + p.label})
		}
		if t.HasBirthDate(p.Person) {
			out = append(out, hit{CodeFreeTextBirthDate, "the free text contains the birth date of " + p.label})
		}
	}
	return out
}

func hasBSN(text string) bool {
	for i := 0; i < len(text); i++ {
		if text[i] < '0' || text[i] > '9' || (i > 0 && text[i-1] >= '0' && text[i-1] <= '9') {
			continue
		}
		m := reBSN.FindString(text[i:])
		if m == "" {
			continue
		}
		if j := i + len(m); j < len(text) && text[j] >= '0' && text[j] <= '9' {
			continue
		}
		if messages.ValidBSN(onlyDigits(m)) {
			return true
		}
	}
	return false
}

func onlyDigits(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

func hasPhone(text string) bool {
	for _, loc := range reIntlPhone.FindAllStringIndex(text, -1) {
		if n := len(onlyDigits(text[loc[0]:loc[1]])); n >= 10 && n <= 15 {
			return true
		}
	}
	for _, loc := range reNatPhone.FindAllStringIndex(text, -1) {
		m := text[loc[0]:loc[1]]
		if reDateLike.MatchString(m) {
			continue
		}
		if len(onlyDigits(m)) == 10 {
			return true
		}
	}
	return false
}

func hasPostcodeWithNumber(text string) bool {
	for _, m := range rePostcode.FindAllStringSubmatchIndex(text, -1) {
		start, end := m[2], m[3]
		if reHouseAfter.MatchString(text[end:]) {
			return true
		}
		from := max(0, start-houseBeforeSpan)
		if reHouseBefore.MatchString(text[from:start]) {
			return true
		}
	}
	return false
}

// isMinor reports whether the client may be under 18 on the day of the
// share (Basis.On; when zero, the latest assigned_on of the products). An
// unknown birth date (COD170 3) or no day to compare counts as not minor:
// the result only drives a notice.
func isMinor(birth, usage string, r disclosure.Request, on time.Time) bool {
	b, err := calendar.ParseDate(birth)
	if err != nil || usage == "3" {
		return false
	}
	var day calendar.Date
	if !on.IsZero() {
		day = calendar.DateOf(on)
	} else {
		for _, p := range r.Assignment.Products {
			if d, err := calendar.ParseDate(p.AssignedOn); err == nil && day.Before(d) {
				day = d
			}
		}
	}
	if day.IsZero() {
		return false
	}
	switch usage {
	case "1":
		b = calendar.NewDate(b.Year, b.Month+1, 0) // youngest reading: last day of the month
	case "2":
		b = calendar.NewDate(b.Year, time.December, 31)
	}
	return consent.Age(b, day) < 18
}
