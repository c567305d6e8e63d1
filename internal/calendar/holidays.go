package calendar

import (
	"sort"
	"time"
)

// Holiday is a Dutch public holiday.
type Holiday struct {
	Date Date
	Name string // official Dutch name, e.g. "Tweede Paasdag"
}

// Holidays returns the Dutch public holidays of year, sorted by date.
//
// Source and choices. The list follows the Algemene termijnenwet (Atw), the
// statute that says which days do not count when a Dutch term is counted in
// days, which is the closest thing to a legal definition of "werkdag":
//
//   - art. 3(1): Nieuwjaarsdag, Tweede Paasdag, Tweede Pinksterdag, both
//     Christmas days, Hemelvaartsdag, the King's birthday as celebrated
//     (Koningsdag) and "de vijfde mei". So Bevrijdingsdag (5 May) is a
//     holiday EVERY year here, not only in lustrum years (the every-fifth-year
//     rule is a collective-agreement rule about paid leave, not about terms).
//   - art. 3(2): Goede Vrijdag is equated with those days, so it IS included,
//     although many collective agreements do not give it off.
//   - Eerste Paasdag and Eerste Pinksterdag are listed for completeness; they
//     are Sundays and so never working days anyway.
//   - Days equated by royal decree under art. 3(3) (bridge days announced a
//     few years ahead, e.g. the Friday after Ascension) are NOT included: they
//     follow no rule and have to be published. Counting them would only give
//     a recipient more time.
//
// The iStandaarden do not define "werkdagen" for OP090 themselves (no public
// source here says so; see docs/privacy-rules.md). Counting more days as
// non-working gives a provider more time before a message is "overdue", which
// errs on the side of not raising false alarms.
//
// Koningsdag is 27 April, or 26 April when the 27th is a Sunday (from 2014).
// Before 2014 the day was Koninginnedag: 30 April, or 29 April when the 30th
// was a Sunday (the rule since 1980; earlier years are not modelled).
func Holidays(year int) []Holiday {
	easter := easterDate(year)
	hs := []Holiday{
		{NewDate(year, time.January, 1), "Nieuwjaarsdag"},
		{easter.AddDays(-2), "Goede Vrijdag"},
		{easter, "Eerste Paasdag"},
		{easter.AddDays(1), "Tweede Paasdag"},
		{kingsDay(year), kingsDayName(year)},
		{NewDate(year, time.May, 5), "Bevrijdingsdag"},
		{easter.AddDays(39), "Hemelvaartsdag"},
		{easter.AddDays(49), "Eerste Pinksterdag"},
		{easter.AddDays(50), "Tweede Pinksterdag"},
		{NewDate(year, time.December, 25), "Eerste Kerstdag"},
		{NewDate(year, time.December, 26), "Tweede Kerstdag"},
	}
	// Hemelvaartsdag can fall on 5 May (e.g. 2016 is 5 May): both stay listed,
	// the order is by date, ties keep the order above.
	sort.SliceStable(hs, func(i, j int) bool { return hs[i].Date.Before(hs[j].Date) })
	return hs
}

// HolidayOn returns the holiday on date d, if there is one. When two fall on
// the same day the first in Holidays order is returned.
func HolidayOn(d Date) (Holiday, bool) {
	for _, h := range Holidays(d.Year) {
		if h.Date == d {
			return h, true
		}
	}
	return Holiday{}, false
}

func kingsDay(year int) Date {
	if year >= 2014 {
		d := NewDate(year, time.April, 27)
		if d.Weekday() == time.Sunday {
			return d.AddDays(-1)
		}
		return d
	}
	d := NewDate(year, time.April, 30)
	if d.Weekday() == time.Sunday {
		return d.AddDays(-1)
	}
	return d
}

func kingsDayName(year int) string {
	if year >= 2014 {
		return "Koningsdag"
	}
	return "Koninginnedag"
}

// Easter returns Easter Sunday of year (Gregorian calendar), at midnight in
// Europe/Amsterdam. It uses the anonymous Gregorian algorithm (Meeus/Jones/
// Butcher).
func Easter(year int) time.Time {
	d := easterDate(year)
	return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, amsterdam())
}

func easterDate(year int) Date {
	a := year % 19
	b := year / 100
	c := year % 100
	d := b / 4
	e := b % 4
	f := (b + 8) / 25
	g := (b - f + 1) / 3
	h := (19*a + b - d - g + 15) % 30
	i := c / 4
	k := c % 4
	l := (32 + 2*e + 2*i - h - k) % 7
	m := (a + 11*h + 22*l) / 451
	n := h + l - 7*m + 114
	return Date{Year: year, Month: time.Month(n / 31), Day: n%31 + 1}
}

// IsWorkingDay reports whether instant d falls, in Europe/Amsterdam, on a
// Monday to Friday that is not a holiday of Holidays.
func IsWorkingDay(d time.Time) bool { return IsWorkingDate(DateOf(d)) }

// IsWorkingDate reports whether date d is a Monday to Friday that is not a
// holiday of Holidays.
func IsWorkingDate(d Date) bool {
	switch d.Weekday() {
	case time.Saturday, time.Sunday:
		return false
	}
	_, holiday := HolidayOn(d)
	return !holiday
}

// AddWorkingDays returns the instant n working days after t: the same wall
// clock time in Europe/Amsterdam on the n-th working day after t's date. The
// day of t itself never counts, working day or not: 1 working day after
// Friday 10:00 is Monday 10:00, and so is 1 working day after Saturday 10:00.
// A negative n counts backwards the same way; n == 0 returns t unchanged.
//
// Across a summer-time change the wall clock time is kept (so the elapsed
// duration is 23 or 25 hours longer or shorter than whole days). A wall clock
// time that does not exist on the target day (02:30 on the last Sunday of
// March) cannot occur, since Sundays are never working days.
//
// The result is in Europe/Amsterdam.
func AddWorkingDays(t time.Time, n int) time.Time {
	if n == 0 {
		return t
	}
	step := 1
	if n < 0 {
		step, n = -1, -n
	}
	local := t.In(amsterdam())
	d := DateOf(t)
	for n > 0 {
		d = d.AddDays(step)
		if IsWorkingDate(d) {
			n--
		}
	}
	return time.Date(d.Year, d.Month, d.Day, local.Hour(), local.Minute(), local.Second(), local.Nanosecond(), amsterdam())
}
