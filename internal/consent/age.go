package consent

import (
	"time"

	"github.com/sluis-gateway/sluis/internal/calendar"
)

// Age returns the age in whole years on date on of a person born on birth.
// The day of a birthday counts as already that age: on the day of the 12th
// birthday the client is 12.
//
// A person born on 29 February reaches a new age on 1 March in a year without
// 29 February (on 28 February they are still the old age). Decide does not
// rely on that reading alone: on such a 28 February it treats the age as
// uncertain and requires the consents of BOTH ages (see ageRange), so no
// reading of the law lets a share through with too few consents.
//
// Age is negative when on is before birth.
func Age(birth, on calendar.Date) int {
	age := on.Year - birth.Year
	if on.Month < birth.Month || (on.Month == birth.Month && on.Day < birth.Day) {
		age--
	}
	return age
}

// ageLenient is Age with the other reading of a 29 February birthday: in a
// year without 29 February the birthday is 28 February.
func ageLenient(birth, on calendar.Date) int {
	if birth.Month == time.February && birth.Day == 29 && !calendar.IsLeapYear(on.Year) {
		birth.Day = 28
	}
	return Age(birth, on)
}

// ageRange returns the youngest and oldest age the client can have on date
// on, given the birth date text and its COD170 DatumGebruik:
//
//	""  full date known
//	"1" day unknown: any day of the month
//	"2" day and month unknown: any day of the year
//	"3" date unknown: no range (ok false)
//
// For a 29 February birth it spans both readings of the birthday. ok is false
// when the age cannot be told (unknown or unreadable birth date, or a birth
// after on).
func ageRange(birthDate, usage string, on calendar.Date) (lo, hi int, ok bool) {
	b, err := calendar.ParseDate(birthDate)
	if err != nil {
		return 0, 0, false
	}
	earliest, latest := b, b
	switch usage {
	case "":
	case "1":
		earliest = calendar.NewDate(b.Year, b.Month, 1)
		latest = calendar.NewDate(b.Year, b.Month+1, 0) // last day of the month
	case "2":
		earliest = calendar.NewDate(b.Year, time.January, 1)
		latest = calendar.NewDate(b.Year, time.December, 31)
	default: // "3" and anything the contract does not define
		return 0, 0, false
	}
	lo, hi = Age(latest, on), ageLenient(earliest, on)
	if lo < 0 {
		return 0, 0, false
	}
	return lo, hi, true
}

// band is an age band of the consent rules.
type band int

const (
	bandUnder12 band = iota // a parent with authority or a guardian consents
	band12to15              // both that parent or guardian and the child
	band16Plus              // the client (or a recorded legal representative)
)

func bandOf(age int) band {
	switch {
	case age < 12:
		return bandUnder12
	case age < 16:
		return band12to15
	}
	return band16Plus
}

// bandsIn returns the bands the ages lo..hi touch, youngest first.
func bandsIn(lo, hi int) []band {
	var bs []band
	for a := lo; a <= hi; a++ {
		b := bandOf(a)
		if len(bs) == 0 || bs[len(bs)-1] != b {
			bs = append(bs, b)
		}
	}
	return bs
}
