package storecore

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Counter is the last Identificatie handed out for one municipality and
// message type (a row of identificatie_counters).
type Counter struct {
	Municipality string
	MessageType  string
	Last         int64
}

// CounterKey names a counter that may not exist yet.
type CounterKey struct {
	Municipality string
	MessageType  string
}

// String is "municipality/message type", e.g. "0363/WMO301".
func (k CounterKey) String() string { return k.Municipality + "/" + k.MessageType }

// ParseCounterKey parses "0363/WMO301": a 4-digit gemeentecode and a
// message type of letters and digits.
func ParseCounterKey(s string) (CounterKey, error) {
	m, t, ok := strings.Cut(s, "/")
	if !ok || len(m) != 4 || strings.Trim(m, "0123456789") != "" || t == "" || len(t) > 16 ||
		strings.Trim(t, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") != "" {
		return CounterKey{}, fmt.Errorf("%w: want a counter as MUNICIPALITY/TYPE, e.g. 0363/WMO301", ErrBadArgument)
	}
	return CounterKey{Municipality: m, MessageType: t}, nil
}

// CheckRaise checks RaiseCounters' arguments: by in 1..MaxIdentificatie,
// valid keys.
func CheckRaise(by int64, also []CounterKey) error {
	if by < 1 || by > MaxIdentificatie {
		return fmt.Errorf("%w: raise by 1 to %d", ErrBadArgument, int64(MaxIdentificatie))
	}
	for _, k := range also {
		if _, err := ParseCounterKey(k.String()); err != nil {
			return err
		}
	}
	return nil
}

// RaiseDetail is the ledger detail of a raise: by how much and which
// counters, after the raise ("0363/WMO301=1007,...").
func RaiseDetail(by int64, after []Counter) map[string]string {
	parts := make([]string, len(after))
	for i, c := range after {
		parts[i] = CounterKey{c.Municipality, c.MessageType}.String() + "=" + strconv.FormatInt(c.Last, 10)
	}
	slices.Sort(parts)
	return map[string]string{"by": strconv.FormatInt(by, 10), "counters": strings.Join(parts, ",")}
}
