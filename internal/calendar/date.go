// Package calendar knows Dutch civil dates and working days: which days are
// public holidays, whether a day is a working day, and the instant n working
// days after another (for deadlines such as the 3 working days of OP090).
//
// Every instant is read in Europe/Amsterdam: a day is a Dutch calendar day,
// whatever location a time.Time carries. The time zone database is embedded
// (time/tzdata), so this does not depend on the host's zoneinfo.
//
// The package is pure: no I/O, no clock, safe for concurrent use.
package calendar

import (
	"errors"
	"fmt"
	"sync"
	"time"
	_ "time/tzdata" // Europe/Amsterdam must resolve on hosts without zoneinfo
)

// ErrBadDate is returned by ParseDate for text that is not a valid
// YYYY-MM-DD calendar date.
var ErrBadDate = errors.New("not a calendar date (YYYY-MM-DD)")

var amsterdam = sync.OnceValue(func() *time.Location {
	loc, err := time.LoadLocation("Europe/Amsterdam")
	if err != nil {
		// Unreachable: time/tzdata is embedded above, and LoadLocation falls
		// back to it. Fixed CET keeps the package total rather than panicking;
		// TestLocation asserts the real zone (with its summer time) loads.
		return time.FixedZone("CET", 3600)
	}
	return loc
})

// Location returns Europe/Amsterdam, the zone in which sluis reads days.
func Location() *time.Location { return amsterdam() }

// Date is a civil calendar date without time or zone. The zero Date is not a
// valid date (IsZero reports it).
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// DateOf returns the Dutch calendar date of instant t (read in
// Europe/Amsterdam).
func DateOf(t time.Time) Date {
	y, m, d := t.In(amsterdam()).Date()
	return Date{Year: y, Month: m, Day: d}
}

// NewDate returns the date y-m-d, normalising out-of-range values the way
// time.Date does (2025-02-29 becomes 2025-03-01).
func NewDate(y int, m time.Month, d int) Date {
	t := time.Date(y, m, d, 12, 0, 0, 0, time.UTC)
	return Date{Year: t.Year(), Month: t.Month(), Day: t.Day()}
}

// ParseDate reads a YYYY-MM-DD date. It refuses impossible dates such as
// 2025-02-29. The error never repeats the input (a birth date is personal
// data).
func ParseDate(s string) (Date, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return Date{}, ErrBadDate
	}
	return Date{Year: t.Year(), Month: t.Month(), Day: t.Day()}, nil
}

// IsZero reports whether d is the zero Date.
func (d Date) IsZero() bool { return d == Date{} }

// String renders d as YYYY-MM-DD.
func (d Date) String() string { return fmt.Sprintf("%04d-%02d-%02d", d.Year, int(d.Month), d.Day) }

// Compare returns -1 when d is before e, 0 when equal, +1 when after.
func (d Date) Compare(e Date) int {
	switch {
	case d.Year != e.Year:
		return sign(d.Year - e.Year)
	case d.Month != e.Month:
		return sign(int(d.Month) - int(e.Month))
	default:
		return sign(d.Day - e.Day)
	}
}

// Before reports whether d is before e.
func (d Date) Before(e Date) bool { return d.Compare(e) < 0 }

// After reports whether d is after e.
func (d Date) After(e Date) bool { return d.Compare(e) > 0 }

// AddDays returns the date n days after d (n may be negative).
func (d Date) AddDays(n int) Date { return NewDate(d.Year, d.Month, d.Day+n) }

// Weekday returns the day of the week of d.
func (d Date) Weekday() time.Weekday {
	return time.Date(d.Year, d.Month, d.Day, 12, 0, 0, 0, time.UTC).Weekday()
}

// IsLeapYear reports whether year has a 29 February (Gregorian rules).
func IsLeapYear(year int) bool {
	return year%4 == 0 && (year%100 != 0 || year%400 == 0)
}

func sign(x int) int {
	switch {
	case x < 0:
		return -1
	case x > 0:
		return 1
	}
	return 0
}
