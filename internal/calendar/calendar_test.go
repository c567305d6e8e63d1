package calendar

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func ams(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.ParseInLocation("2006-01-02 15:04", s, Location())
	if err != nil {
		t.Fatalf("bad test time %q: %v", s, err)
	}
	return v
}

func date(t *testing.T, s string) Date {
	t.Helper()
	d, err := ParseDate(s)
	if err != nil {
		t.Fatalf("bad test date %q: %v", s, err)
	}
	return d
}

func TestLocation(t *testing.T) {
	if got := Location().String(); got != "Europe/Amsterdam" {
		t.Fatalf("Location() = %q, want Europe/Amsterdam", got)
	}
	// Summer time must be known: 12:00 UTC on 1 July is 14:00 in Amsterdam.
	if h := time.Date(2026, 7, 1, 12, 0, 0, 0, time.UTC).In(Location()).Hour(); h != 14 {
		t.Fatalf("summer time hour = %d, want 14", h)
	}
}

func TestEaster(t *testing.T) {
	tests := []struct {
		year int
		want string
	}{
		{1961, "1961-04-02"},
		{2000, "2000-04-23"},
		{2008, "2008-03-23"},
		{2011, "2011-04-24"},
		{2016, "2016-03-27"},
		{2019, "2019-04-21"},
		{2024, "2024-03-31"},
		{2025, "2025-04-20"},
		{2026, "2026-04-05"},
		{2027, "2027-03-28"},
		{2028, "2028-04-16"},
		{2038, "2038-04-25"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			got := Easter(tt.year)
			if s := got.Format(time.DateOnly); s != tt.want {
				t.Errorf("Easter(%d) = %s, want %s", tt.year, s, tt.want)
			}
			if got.Weekday() != time.Sunday {
				t.Errorf("Easter(%d) is a %s", tt.year, got.Weekday())
			}
			if got.Location() != Location() || got.Hour() != 0 {
				t.Errorf("Easter(%d) = %v, want midnight in Amsterdam", tt.year, got)
			}
		})
	}
}

func TestHolidays(t *testing.T) {
	tests := []struct {
		name string
		year int
		want map[string]string
	}{
		{"2025, King's Day moves to Saturday 26 April", 2025, map[string]string{
			"Nieuwjaarsdag":      "2025-01-01",
			"Goede Vrijdag":      "2025-04-18",
			"Eerste Paasdag":     "2025-04-20",
			"Tweede Paasdag":     "2025-04-21",
			"Koningsdag":         "2025-04-26",
			"Bevrijdingsdag":     "2025-05-05",
			"Hemelvaartsdag":     "2025-05-29",
			"Eerste Pinksterdag": "2025-06-08",
			"Tweede Pinksterdag": "2025-06-09",
			"Eerste Kerstdag":    "2025-12-25",
			"Tweede Kerstdag":    "2025-12-26",
		}},
		{"2027, early Easter", 2027, map[string]string{
			"Goede Vrijdag":      "2027-03-26",
			"Tweede Paasdag":     "2027-03-29",
			"Koningsdag":         "2027-04-27",
			"Bevrijdingsdag":     "2027-05-05",
			"Hemelvaartsdag":     "2027-05-06",
			"Tweede Pinksterdag": "2027-05-17",
		}},
		{"2026", 2026, map[string]string{
			"Goede Vrijdag":      "2026-04-03",
			"Tweede Paasdag":     "2026-04-06",
			"Koningsdag":         "2026-04-27",
			"Hemelvaartsdag":     "2026-05-14",
			"Tweede Pinksterdag": "2026-05-25",
		}},
		{"2013, last Koninginnedag", 2013, map[string]string{
			"Koninginnedag": "2013-04-30",
		}},
		{"2006, Koninginnedag on Saturday 29 April (30th a Sunday)", 2006, map[string]string{
			"Koninginnedag": "2006-04-29",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hs := Holidays(tt.year)
			if len(hs) != 11 {
				t.Fatalf("Holidays(%d) has %d days, want 11", tt.year, len(hs))
			}
			got := map[string]string{}
			for i, h := range hs {
				got[h.Name] = h.Date.String()
				if i > 0 && h.Date.Before(hs[i-1].Date) {
					t.Errorf("not sorted at %d: %v after %v", i, h.Date, hs[i-1].Date)
				}
			}
			for name, want := range tt.want {
				if got[name] != want {
					t.Errorf("%s %d = %q, want %s", name, tt.year, got[name], want)
				}
			}
		})
	}
}

func TestIsWorkingDay(t *testing.T) {
	tests := []struct {
		name string
		at   string
		want bool
	}{
		{"ordinary Monday", "2026-11-23 09:00", true},
		{"ordinary Friday", "2026-11-27 09:00", true},
		{"Saturday", "2026-11-28 09:00", false},
		{"Sunday", "2026-11-29 09:00", false},
		{"New Year's Day", "2027-01-01 09:00", false},
		{"Good Friday 2027 (Atw art. 3(2))", "2027-03-26 09:00", false},
		{"Easter Monday 2027", "2027-03-29 09:00", false},
		{"Tuesday after Easter 2027", "2027-03-30 09:00", true},
		{"King's Day 2026 on Monday 27 April", "2026-04-27 09:00", false},
		{"King's Day 2025 on Saturday 26 April", "2025-04-26 09:00", false},
		{"Monday 28 April 2025 is an ordinary day", "2025-04-28 09:00", true},
		{"Liberation Day 2026, not a lustrum year", "2026-05-05 09:00", false},
		{"Liberation Day 2025, lustrum year", "2025-05-05 09:00", false},
		{"Ascension 2026", "2026-05-14 09:00", false},
		{"Friday after Ascension 2026 (bridge day not modelled)", "2026-05-15 09:00", true},
		{"Whit Monday 2026", "2026-05-25 09:00", false},
		{"Christmas Day 2026", "2026-12-25 09:00", false},
		{"Boxing Day 2025 (Friday)", "2025-12-26 09:00", false},
		{"31 December 2025", "2025-12-31 09:00", true},
		{"just before midnight on a Friday", "2026-11-27 23:59", true},
		{"just after midnight into Saturday", "2026-11-28 00:01", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := IsWorkingDay(ams(t, tt.at)); got != tt.want {
				t.Errorf("IsWorkingDay(%s) = %v, want %v", tt.at, got, tt.want)
			}
		})
	}
}

func TestIsWorkingDayReadsAmsterdamDay(t *testing.T) {
	// 23:30 UTC on Friday 27 Nov 2026 is 00:30 on Saturday in Amsterdam.
	if IsWorkingDay(time.Date(2026, 11, 27, 23, 30, 0, 0, time.UTC)) {
		t.Error("23:30 UTC Friday is Saturday in Amsterdam, not a working day")
	}
	// 23:30 UTC on Sunday 29 Nov 2026 is Monday in Amsterdam.
	if !IsWorkingDay(time.Date(2026, 11, 29, 23, 30, 0, 0, time.UTC)) {
		t.Error("23:30 UTC Sunday is Monday in Amsterdam, a working day")
	}
}

func TestAddWorkingDays(t *testing.T) {
	tests := []struct {
		name string
		from string
		n    int
		want string
	}{
		{"zero", "2026-11-23 10:15", 0, "2026-11-23 10:15"},
		{"within a week", "2026-11-23 10:15", 3, "2026-11-26 10:15"},
		{"over a weekend", "2026-11-26 10:15", 3, "2026-12-01 10:15"},
		{"from Friday", "2026-11-27 16:00", 1, "2026-11-30 16:00"},
		{"from Saturday", "2026-11-28 16:00", 1, "2026-11-30 16:00"},
		{"from Sunday, 3 days", "2026-11-29 16:00", 3, "2026-12-02 16:00"},
		{"over Easter 2027 (Good Friday and Easter Monday)", "2027-03-25 09:00", 3, "2027-04-01 09:00"},
		{"over King's Day 2026 (Monday)", "2026-04-24 09:00", 1, "2026-04-28 09:00"},
		{"King's Day 2025 on Saturday changes nothing", "2025-04-25 09:00", 1, "2025-04-28 09:00"},
		{"over Liberation Day and Ascension 2027", "2027-05-04 09:00", 3, "2027-05-11 09:00"},
		{"over Ascension 2026", "2026-05-13 12:00", 3, "2026-05-19 12:00"},
		{"over Whit Monday 2026", "2026-05-22 12:00", 1, "2026-05-26 12:00"},
		{"over Christmas 2026 (Friday) and a weekend", "2026-12-24 11:00", 3, "2026-12-30 11:00"},
		{"over New Year 2027 (Friday) and a weekend", "2026-12-30 11:00", 3, "2027-01-05 11:00"},
		{"over Christmas 2025 and Boxing Day Friday", "2025-12-24 11:00", 3, "2025-12-31 11:00"},
		{"keeps wall clock over the spring DST change", "2026-03-27 10:00", 1, "2026-03-30 10:00"},
		{"keeps wall clock over the autumn DST change", "2026-10-23 10:00", 1, "2026-10-26 10:00"},
		{"backwards over a weekend", "2026-11-30 10:00", -1, "2026-11-27 10:00"},
		{"backwards over Easter 2027", "2027-04-01 09:00", -3, "2027-03-25 09:00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := AddWorkingDays(ams(t, tt.from), tt.n)
			want := ams(t, tt.want)
			if !got.Equal(want) {
				t.Errorf("AddWorkingDays(%s, %d) = %s, want %s", tt.from, tt.n, got.Format("2006-01-02 15:04 MST"), tt.want)
			}
		})
	}
}

func TestAddWorkingDaysFromUTC(t *testing.T) {
	// Friday 27 Nov 2026 23:30 UTC is Saturday 00:30 in Amsterdam: one
	// working day later is Monday 00:30 Amsterdam.
	got := AddWorkingDays(time.Date(2026, 11, 27, 23, 30, 0, 0, time.UTC), 1)
	want := ams(t, "2026-11-30 00:30")
	if !got.Equal(want) {
		t.Errorf("got %v, want %v", got, want)
	}
	if got.Location() != Location() {
		t.Errorf("result location = %v, want Amsterdam", got.Location())
	}
}

func TestAddWorkingDaysLandsOnWorkingDays(t *testing.T) {
	// Every result over two whole years is a working day, and counting the
	// working days in between gives n back.
	start := ams(t, "2026-01-01 09:00")
	for i := 0; i < 730; i++ {
		from := start.AddDate(0, 0, i)
		for _, n := range []int{1, 3, 5, 10} {
			to := AddWorkingDays(from, n)
			if !IsWorkingDay(to) {
				t.Fatalf("AddWorkingDays(%s, %d) = %s, not a working day", from, n, to)
			}
			count := 0
			for d := DateOf(from).AddDays(1); !d.After(DateOf(to)); d = d.AddDays(1) {
				if IsWorkingDate(d) {
					count++
				}
			}
			if count != n {
				t.Fatalf("AddWorkingDays(%s, %d) = %s spans %d working days", from, n, to, count)
			}
		}
	}
}

func TestParseDate(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    Date
		wantErr bool
	}{
		{"plain", "2026-11-23", Date{Year: 2026, Month: time.November, Day: 23}, false},
		{"leap day in leap year", "2024-02-29", Date{Year: 2024, Month: time.February, Day: 29}, false},
		{"leap day in non-leap year", "2025-02-29", Date{}, true},
		{"not a date", "23-11-2026", Date{}, true},
		{"empty", "", Date{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseDate(tt.in)
			if tt.wantErr {
				if !errors.Is(err, ErrBadDate) {
					t.Fatalf("ParseDate(%q) err = %v, want ErrBadDate", tt.in, err)
				}
				if tt.in != "" && strings.Contains(err.Error(), tt.in) {
					t.Errorf("error repeats the input")
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("ParseDate(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestDateHelpers(t *testing.T) {
	a, b := date(t, "2024-02-28"), date(t, "2024-03-01")
	if !a.Before(b) || b.Before(a) || !b.After(a) || a.Compare(a) != 0 {
		t.Error("Compare/Before/After disagree")
	}
	if got := a.AddDays(1).String(); got != "2024-02-29" {
		t.Errorf("AddDays over leap day = %s", got)
	}
	if got := NewDate(2025, time.February, 29).String(); got != "2025-03-01" {
		t.Errorf("NewDate normalises 2025-02-29 to %s", got)
	}
	if !(Date{}).IsZero() || a.IsZero() {
		t.Error("IsZero")
	}
	for year, want := range map[int]bool{1900: false, 2000: true, 2024: true, 2025: false, 2100: false} {
		if IsLeapYear(year) != want {
			t.Errorf("IsLeapYear(%d) != %v", year, want)
		}
	}
}

func BenchmarkAddWorkingDays(b *testing.B) {
	from := time.Date(2026, 12, 24, 11, 0, 0, 0, Location())
	for b.Loop() {
		AddWorkingDays(from, 3)
	}
}
