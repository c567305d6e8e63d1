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
	"sync"
	"time"
	_ "time/tzdata" // Europe/Amsterdam must resolve on hosts without zoneinfo

	"github.com/sluis-gateway/sluis/messages"
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

// Date is a civil calendar date without time or zone: messages.Date, the
// one date type of sluis (LDT_Datum). The zero Date is not a valid date
// (IsZero reports it).
type Date = messages.Date

// DateOf returns the Dutch calendar date of instant t (read in
// Europe/Amsterdam).
func DateOf(t time.Time) Date {
	y, m, d := t.In(amsterdam()).Date()
	return Date{Year: y, Month: m, Day: d}
}

// NewDate returns the date y-m-d, normalising out-of-range values the way
// time.Date does (2025-02-29 becomes 2025-03-01).
func NewDate(y int, m time.Month, d int) Date {
	return Date{Year: y, Month: m, Day: d}.AddDays(0)
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

// IsLeapYear reports whether year has a 29 February (Gregorian rules).
func IsLeapYear(year int) bool {
	return year%4 == 0 && (year%100 != 0 || year%400 == 0)
}
