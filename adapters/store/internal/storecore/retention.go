package storecore

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sluis-gateway/sluis/internal/retention"
)

// Query builds a statement and its arguments together, so conditions that
// repeat a parameter list stay in step. Dollar selects PostgreSQL's $n
// placeholders; otherwise SQLite's ?.
type Query struct {
	b      strings.Builder
	Args   []any
	Dollar bool
	// Time converts a time argument for the database (SQLite: Unix
	// microseconds; PostgreSQL: the time truncated to microseconds).
	Time func(time.Time) any
}

// Add appends sql.
func (q *Query) Add(sql string) *Query {
	q.b.WriteString(sql)
	return q
}

// Arg appends a placeholder for v.
func (q *Query) Arg(v any) *Query {
	if t, ok := v.(time.Time); ok && q.Time != nil {
		v = q.Time(t)
	}
	q.Args = append(q.Args, v)
	if q.Dollar {
		q.b.WriteString("$" + strconv.Itoa(len(q.Args)))
	} else {
		q.b.WriteString("?")
	}
	return q
}

// String is the statement.
func (q *Query) String() string { return q.b.String() }

// Due appends the condition that a row (standard column std, made-time
// column made) is due at c: one (std = s AND made <= cutoff) per standard,
// in a stable order; none is false.
func (q *Query) Due(std, made string, c retention.Cutoffs) *Query {
	if len(c.Made) == 0 {
		return q.Add("(1 = 0)")
	}
	q.Add("(")
	for i, s := range slices.Sorted(maps.Keys(c.Made)) {
		if i > 0 {
			q.Add(" OR ")
		}
		q.Add("(" + std + " = ").Arg(s).Add(" AND " + made + " <= ").Arg(c.Made[s]).Add(")")
	}
	return q.Add(")")
}

// CheckDestruction checks the ids of a destruction before anything is
// written (text a store cannot keep byte for byte is never an id it holds).
func CheckDestruction(d retention.Destruction) error {
	if err := CheckKey("municipality", d.Client.Municipality); err != nil {
		return err
	}
	if d.Event == "" {
		return fmt.Errorf("%w: destruction without a ledger event", ErrBadArgument)
	}
	if d.Client.ClientKey == "" && (len(d.ConsentIDs) > 0 || len(d.RestrictionIDs) > 0 || len(d.ObjectionIDs) > 0 || d.Representative) {
		return fmt.Errorf("%w: register rows need a client key", ErrBadArgument)
	}
	for _, id := range slices.Concat(d.DisclosureIDs, d.ConsentIDs, d.InboundIDs) {
		if err := CheckKey("id", id); err != nil {
			return err
		}
	}
	return nil
}

// DestroyDetail is the ledger detail of a destruction: the caller's detail
// with the counts (the store's keys win).
func DestroyDetail(d retention.Destruction, out retention.Destroyed) map[string]string {
	detail := maps.Clone(d.Detail)
	if detail == nil {
		detail = map[string]string{}
	}
	maps.Copy(detail, out.Detail())
	detail["municipality"] = d.Client.Municipality
	return detail
}

// NewDestroyed is an empty count.
func NewDestroyed() retention.Destroyed {
	return retention.Destroyed{Disclosures: map[string]int{}, ArchivedMessages: map[string]int{},
		ReviewItems: map[string]int{}, Inbound: map[string]int{}}
}

// DayMicros is one day in microseconds (a consent's period ends the day
// after its last day).
const DayMicros = int64(24 * time.Hour / time.Microsecond)
