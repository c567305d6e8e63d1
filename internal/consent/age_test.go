package consent

import (
	"testing"

	"github.com/sluis-gateway/sluis/internal/calendar"
	"github.com/sluis-gateway/sluis/internal/disclosure"
)

func d(t *testing.T, s string) calendar.Date {
	t.Helper()
	v, err := calendar.ParseDate(s)
	if err != nil {
		t.Fatalf("bad test date %q", s)
	}
	return v
}

func TestAge(t *testing.T) {
	tests := []struct {
		name      string
		birth, on string
		want      int
	}{
		{"day before the 12th birthday", "2014-11-23", "2026-11-22", 11},
		{"on the 12th birthday", "2014-11-23", "2026-11-23", 12},
		{"day after the 12th birthday", "2014-11-23", "2026-11-24", 12},
		{"day before the 16th birthday", "2010-11-23", "2026-11-22", 15},
		{"on the 16th birthday", "2010-11-23", "2026-11-23", 16},
		{"day after the 16th birthday", "2010-11-23", "2026-11-24", 16},
		{"birthday later in the year", "1990-12-31", "2026-01-01", 35},
		{"born on the day", "2026-11-23", "2026-11-23", 0},
		{"before birth", "2026-11-24", "2026-11-23", -1},
		{"29 Feb birth, leap year, 28 Feb", "2012-02-29", "2024-02-28", 11},
		{"29 Feb birth, leap year, 29 Feb", "2012-02-29", "2024-02-29", 12},
		{"29 Feb birth, non-leap year, 28 Feb (not yet: 1 March reading)", "2012-02-29", "2025-02-28", 12},
		{"29 Feb birth, non-leap year, 1 March", "2012-02-29", "2025-03-01", 13},
		{"29 Feb birth, 2100 (not leap), 28 Feb", "2088-02-29", "2100-02-28", 11},
		{"29 Feb birth, 2100 (not leap), 1 March", "2088-02-29", "2100-03-01", 12},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Age(d(t, tt.birth), d(t, tt.on)); got != tt.want {
				t.Errorf("Age(%s, %s) = %d, want %d", tt.birth, tt.on, got, tt.want)
			}
		})
	}
}

func TestAgeRange(t *testing.T) {
	tests := []struct {
		name         string
		birth, usage string
		on           string
		lo, hi       int
		ok           bool
	}{
		{"full date", "2014-11-23", "", "2026-11-23", 12, 12, true},
		{"29 Feb on 28 Feb of a non-leap year spans both readings", "2088-02-29", "", "2100-02-28", 11, 12, true},
		{"29 Feb on 28 Feb of a leap year is certain", "2012-02-29", "", "2024-02-28", 11, 11, true},
		{"day unknown, month straddles", "2014-11-01", "1", "2026-11-23", 11, 12, true},
		{"day unknown, month before", "2014-10-15", "1", "2026-11-23", 12, 12, true},
		{"day unknown in February of a leap year", "2012-02-01", "1", "2024-02-28", 11, 12, true},
		{"day and month unknown", "2010-06-30", "2", "2026-11-23", 15, 16, true},
		{"day and month unknown, December birth year end", "2010-01-01", "2", "2026-12-31", 16, 16, true},
		{"unknown", "2010-01-01", "3", "2026-11-23", 0, 0, false},
		{"undefined usage", "2010-01-01", "9", "2026-11-23", 0, 0, false},
		{"unreadable", "", "", "2026-11-23", 0, 0, false},
		{"born after the day", "2026-11-24", "", "2026-11-23", 0, 0, false},
		{"maybe born after the day (month unknown)", "2026-11-01", "1", "2026-11-23", 0, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lo, hi, ok := ageRange(tt.birth, tt.usage, d(t, tt.on))
			if ok != tt.ok || (ok && (lo != tt.lo || hi != tt.hi)) {
				t.Errorf("ageRange = %d, %d, %v; want %d, %d, %v", lo, hi, ok, tt.lo, tt.hi, tt.ok)
			}
		})
	}
}

func TestNamesClient(t *testing.T) {
	c := disclosure.Client{
		BSN: "999900006", BirthDate: "2010-03-07",
		Name: disclosure.Name{Surname: "Ruiz-de Vries", SurnamePrefix: "de", PartnerSurname: "Öztürk", GivenNames: "Anne Marie", Initials: "AM"},
	}
	tests := []struct {
		name string
		text string
		want bool
	}{
		{"empty", "", false},
		{"neutral note", "Risk discussed with the team lead, no details.", false},
		{"part of a double surname", "Met RUIZ besproken", true},
		{"second part of a double surname", "family vries", true},
		{"name particle alone", "de situatie van de cliënt", false},
		{"partner surname with accents folded", "bij ozturk thuis", true},
		{"partner surname as written", "Öztürk", true},
		{"given name", "anne", true},
		{"initials are not matched", "A.M. besproken", false},
		{"surname inside a longer word", "Ruizstraat team", false},
		{"BSN plain", "bsn999900006", true},
		{"BSN grouped", "9999-00-006", true},
		{"BSN split across words does not count", "999900 and 006", false},
		{"another number", "99990000 7", false},
		{"birth date ISO", "geboren 2010-03-07", true},
		{"birth date Dutch", "geboren 07-03-2010", true},
		{"birth date short", "geb. 7/3/2010", true},
		{"birth date with spaces", "7 3 2010", true},
		{"year alone", "since 2010", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := namesClient(tt.text, c); got != tt.want {
				t.Errorf("namesClient(%q) = %v, want %v", tt.text, got, tt.want)
			}
		})
	}
}
