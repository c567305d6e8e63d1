package messages

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/sluis-gateway/sluis/xsd/prolog"
)

// Named errors; test with errors.Is.
var (
	// ErrUnknownMessage: the root namespace / kind is not one of the 28
	// iWmo/iJw 3.2 messages.
	ErrUnknownMessage = errors.New("messages: unknown message")
	// ErrDoctype: the document carries a DOCTYPE; refused unparsed. The
	// same value as xsd.ErrDoctype (both are prolog.ErrDoctype).
	ErrDoctype = prolog.ErrDoctype
	// ErrMalformed: the document is not well-formed XML, or its structure
	// or a value's format does not fit the message (Parse).
	ErrMalformed = errors.New("messages: malformed message")
	// ErrRule: a technical rule is violated (Build). Every *RuleError
	// matches it.
	ErrRule = errors.New("messages: rule violated")
)

// RuleError reports one violated rule of the iStandaarden (TRxxx technical
// rule, CDxxx condition, CSxxx constraint, RSxxx restriction) or of the XSD
// ("XSD": a format the schema demands, checked early). Path names the
// element, never its value.
type RuleError struct {
	Code string // e.g. "TR056", "CS002", "CD077"
	Path string // e.g. "Client/Bsn"
	Msg  string // what is wrong, without values
}

func (e *RuleError) Error() string {
	return fmt.Sprintf("%s: %s (%s)", e.Path, e.Msg, e.Code)
}

// Is makes errors.Is(err, ErrRule) true.
func (e *RuleError) Is(target error) bool { return target == ErrRule }

// RuleCodes lists the rule codes in err (one *RuleError, or several joined
// with errors.Join), in order.
func RuleCodes(err error) []string {
	var out []string
	walk(err, func(e error) {
		if re, ok := e.(*RuleError); ok {
			out = append(out, re.Code)
		}
	})
	return out
}

// RuleErrors lists the *RuleError values in err.
func RuleErrors(err error) []*RuleError {
	var out []*RuleError
	walk(err, func(e error) {
		if re, ok := e.(*RuleError); ok {
			out = append(out, re)
		}
	})
	return out
}

func walk(err error, f func(error)) {
	if err == nil {
		return
	}
	f(err)
	switch u := err.(type) {
	case interface{ Unwrap() []error }:
		for _, e := range u.Unwrap() {
			walk(e, f)
		}
	case interface{ Unwrap() error }:
		walk(u.Unwrap(), f)
	}
}

// Date is a civil date without time zone (LDT_Datum, xs:date restricted by
// RS032 to no zone). The zero Date means "absent".
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// NewDate returns the date y-m-d; it does not check validity (Valid does).
func NewDate(y int, m time.Month, d int) Date { return Date{y, m, d} }

// DateOf returns the civil date of t in t's location.
func DateOf(t time.Time) Date {
	y, m, d := t.Date()
	return Date{y, m, d}
}

// ParseDate parses YYYY-MM-DD. A time zone suffix (Z, +01:00) is refused
// (RS032), and so is a date that does not exist (2027-06-31).
func ParseDate(s string) (Date, error) {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		if strings.ContainsAny(s, "Z+") || (len(s) > 10 && strings.Contains(s[10:], "-")) {
			return Date{}, errors.New("date carries a time zone (RS032)")
		}
		return Date{}, errors.New("not a date of the form YYYY-MM-DD")
	}
	y, err1 := strconv.Atoi(s[0:4])
	m, err2 := strconv.Atoi(s[5:7])
	d, err3 := strconv.Atoi(s[8:10])
	if err1 != nil || err2 != nil || err3 != nil || s[0] == '+' || s[5] == '+' || s[8] == '+' {
		return Date{}, errors.New("not a date of the form YYYY-MM-DD")
	}
	dt := Date{y, time.Month(m), d}
	if !dt.Valid() {
		return Date{}, errors.New("not an existing calendar date")
	}
	return dt, nil
}

// IsZero reports whether d is the zero Date (absent).
func (d Date) IsZero() bool { return d == Date{} }

// Valid reports whether d is an existing calendar date in years 1–9999.
func (d Date) Valid() bool {
	if d.Year < 1 || d.Year > 9999 || d.Month < 1 || d.Month > 12 || d.Day < 1 {
		return false
	}
	t := time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC)
	return t.Day() == d.Day && t.Month() == d.Month
}

// String formats d as YYYY-MM-DD.
func (d Date) String() string {
	return fmt.Sprintf("%04d-%02d-%02d", d.Year, int(d.Month), d.Day)
}

// Before reports whether d is before e.
func (d Date) Before(e Date) bool { return d.Compare(e) < 0 }

// After reports whether d is after e.
func (d Date) After(e Date) bool { return d.Compare(e) > 0 }

// Compare returns -1, 0 or +1.
func (d Date) Compare(e Date) int {
	switch {
	case d.Year != e.Year:
		return cmp(d.Year, e.Year)
	case d.Month != e.Month:
		return cmp(int(d.Month), int(e.Month))
	default:
		return cmp(d.Day, e.Day)
	}
}

func cmp(a, b int) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// AddDays returns the date n days after d (n may be negative), normalised
// the way time.Date does.
func (d Date) AddDays(n int) Date {
	t := time.Date(d.Year, d.Month, d.Day+n, 12, 0, 0, 0, time.UTC)
	return Date{t.Year(), t.Month(), t.Day()}
}

// Weekday returns the day of the week of d.
func (d Date) Weekday() time.Weekday {
	return time.Date(d.Year, d.Month, d.Day, 12, 0, 0, 0, time.UTC).Weekday()
}

// MarshalText implements encoding.TextMarshaler.
func (d Date) MarshalText() ([]byte, error) {
	if !d.Valid() {
		return nil, errors.New("not an existing calendar date")
	}
	return []byte(d.String()), nil
}

// UnmarshalText implements encoding.TextUnmarshaler (see ParseDate).
func (d *Date) UnmarshalText(b []byte) error {
	v, err := ParseDate(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// Time is a time of day without zone (LDT_Tijd: xs:time, RS034 no zone).
// Nanosecond keeps fractional seconds. Set is true for every parsed or
// constructed time; the zero Time (Set false) means "absent".
type Time struct {
	Hour, Minute, Second, Nanosecond int
	Set                              bool
}

// NewTime returns the time h:m:s.
func NewTime(h, m, s int) Time { return Time{Hour: h, Minute: m, Second: s, Set: true} }

// TimeOf returns the time of day of t (to the second).
func TimeOf(t time.Time) Time { return NewTime(t.Hour(), t.Minute(), t.Second()) }

// IsZero reports whether t is absent.
func (t Time) IsZero() bool { return !t.Set }

// ParseTime parses hh:mm:ss[.fff]; a zone suffix is refused (RS034).
func ParseTime(s string) (Time, error) {
	if strings.ContainsAny(s, "Z+-") {
		return Time{}, errors.New("time carries a time zone (RS034)")
	}
	main, frac, hasFrac := strings.Cut(s, ".")
	parts := strings.Split(main, ":")
	if len(parts) != 3 || len(parts[0]) != 2 || len(parts[1]) != 2 || len(parts[2]) != 2 {
		return Time{}, errors.New("not a time of the form hh:mm:ss")
	}
	var v [3]int
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil {
			return Time{}, errors.New("not a time of the form hh:mm:ss")
		}
		v[i] = n
	}
	t := Time{Hour: v[0], Minute: v[1], Second: v[2], Set: true}
	if hasFrac {
		if frac == "" || len(frac) > 9 {
			return Time{}, errors.New("bad fractional seconds")
		}
		n, err := strconv.Atoi(frac)
		if err != nil || n < 0 {
			return Time{}, errors.New("bad fractional seconds")
		}
		for i := len(frac); i < 9; i++ {
			n *= 10
		}
		t.Nanosecond = n
	}
	if t.Hour > 23 || t.Minute > 59 || t.Second > 59 {
		if !(t.Hour == 24 && t.Minute == 0 && t.Second == 0 && t.Nanosecond == 0) {
			return Time{}, errors.New("not an existing time of day")
		}
	}
	return t, nil
}

// String formats t as hh:mm:ss[.fraction].
func (t Time) String() string {
	s := fmt.Sprintf("%02d:%02d:%02d", t.Hour, t.Minute, t.Second)
	if t.Nanosecond != 0 {
		f := strings.TrimRight(fmt.Sprintf("%09d", t.Nanosecond), "0")
		s += "." + f
	}
	return s
}

// MarshalText implements encoding.TextMarshaler.
func (t Time) MarshalText() ([]byte, error) {
	if t.Hour < 0 || t.Hour > 23 || t.Minute < 0 || t.Minute > 59 || t.Second < 0 || t.Second > 59 || t.Nanosecond < 0 || t.Nanosecond > 999999999 {
		return nil, errors.New("not an existing time of day")
	}
	return []byte(t.String()), nil
}

// UnmarshalText implements encoding.TextUnmarshaler (see ParseTime).
func (t *Time) UnmarshalText(b []byte) error {
	v, err := ParseTime(string(b))
	if err != nil {
		return err
	}
	*t = v
	return nil
}

// ValidBSN reports whether s is a burgerservicenummer: 9 digits passing the
// 11-proef (CS002): 9·d1 + 8·d2 + … + 2·d8 − 1·d9 ≡ 0 (mod 11). All zeros
// is refused.
func ValidBSN(s string) bool {
	if len(s) != 9 || !allDigits(s) || s == "000000000" {
		return false
	}
	sum := 0
	for i := 0; i < 8; i++ {
		sum += (9 - i) * int(s[i]-'0')
	}
	sum -= int(s[8] - '0')
	return sum%11 == 0
}

// ValidAGB reports whether s is an AGB code: 8 digits.
func ValidAGB(s string) bool { return len(s) == 8 && allDigits(s) }

// ValidGemeentecode reports whether s is a CBS gemeentecode: 4 digits.
// (Whether the gemeente exists, TR378, needs the CBS list.)
func ValidGemeentecode(s string) bool { return len(s) == 4 && allDigits(s) }

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}
