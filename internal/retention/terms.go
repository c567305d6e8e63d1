// Package retention holds how long sluis keeps what it knows of a client,
// and destroys it when that ends: the terms with their legal sources (this
// file, the one home of each), the decision per record (plan.go), the
// scheduled destruction job (job.go) and erasure on request, AVG art. 17
// (erasure.go). See docs/retention.md.
//
// Nothing here logs, returns in an error or puts in a metric label a BSN or
// a client key: records are named by their ids and counted by kind.
package retention

import (
	"errors"
	"fmt"
	"time"

	"github.com/sluis-gateway/sluis/messages"
)

// ErrNoTerm: a record of a standard that has no retention term here.
var ErrNoTerm = errors.New("no retention term for this standard")

const (
	// YearsIJw is the retention term of a disclosure under the Jeugdwet
	// (iJw messages) and of its archived message: Jeugdwet art. 7.3.8,
	// twenty years "te rekenen vanaf het tijdstip waarop zij zijn
	// vervaardigd", and the teams' privacy statement §5 (Jeugdwet files
	// twenty years, then destroyed within one year). It counts from the
	// moment the record was made: the disclosure's registration (Until).
	YearsIJw = 20
	// YearsIWmo is the retention term of a disclosure under the Wmo 2015
	// (iWmo messages) and of its archived message: the teams' privacy
	// statement §5 (WMO files fifteen years, then destroyed within one
	// year). The Wmo 2015 sets no term itself; the term is counted like
	// the Jeugdwet's, from the moment the record was made.
	YearsIWmo = 15
	// RegisterYears is how long a consent-register row (a consent, a
	// restriction of processing, an objection, a legal representative
	// mark) is kept after it ended (withdrawn, used, expired, lifted): the
	// controller must be able to show the basis of each share it made
	// (AVG art. 5(2), accountability), and claims about a share are barred
	// five years after the client knew of it (BW 3:310 lid 1). A row a
	// retained disclosure relied on is kept as long as that disclosure
	// (plan.go), whichever ends later.
	RegisterYears = 5
	// DestroyWithinYears: once its term ended a record is destroyed
	// within one year (privacy statement §5, "daarna binnen een jaar
	// vernietigd"). The job destroys at the end of the term; a record
	// still held DestroyWithinYears after it is overdue: a breach signal
	// (breach.SourceRetentionOverdue) and an alert.
	DestroyWithinYears = 1
)

// Years is the retention term of a disclosure of standard ("iJw" or
// "iWmo"), of its archived message and of a provider's inbound message of
// that standard.
func Years(standard string) (int, error) {
	switch standard {
	case string(messages.IJw):
		return YearsIJw, nil
	case string(messages.IWmo):
		return YearsIWmo, nil
	}
	return 0, fmt.Errorf("%w: %q", ErrNoTerm, standard)
}

// Standards lists the standards with a term, longest first.
var Standards = []string{string(messages.IJw), string(messages.IWmo)}

// Until is the end of the retention term of a record of standard made at
// made: a disclosure registered (receipts.Record.CreatedAt), its archived
// message, or an inbound message received (inbound.Record.ReceivedAt) at
// made. Calendar years in UTC.
func Until(standard string, made time.Time) (time.Time, error) {
	y, err := Years(standard)
	if err != nil {
		return time.Time{}, err
	}
	return made.UTC().AddDate(y, 0, 0), nil
}

// RegisterUntil is the end of the term of a consent-register row that
// ended at ended (before any extension by a disclosure that relied on it).
func RegisterUntil(ended time.Time) time.Time {
	return ended.UTC().AddDate(RegisterYears, 0, 0)
}

// DestroyBy is the last moment a record whose term ended at until may
// still be held: DestroyWithinYears later.
func DestroyBy(until time.Time) time.Time {
	return until.UTC().AddDate(DestroyWithinYears, 0, 0)
}

// Cutoffs say, for a moment now, what is due: a disclosure (or inbound
// message) of a standard made at or before Made[standard], a register row
// ended at or before Register. A store filters with them; the plan decides
// per record with Until (a cutoff is the same calendar arithmetic run
// backwards, so it may differ by a day at the end of February: the store
// is given a day more and the plan is exact).
type Cutoffs struct {
	Made     map[string]time.Time
	Register time.Time
}

// CutoffsAt returns the cutoffs of what is due at now.
func CutoffsAt(now time.Time) Cutoffs {
	now = now.UTC()
	c := Cutoffs{Made: map[string]time.Time{}, Register: now.AddDate(-RegisterYears, 0, 1)}
	for _, s := range Standards {
		y, _ := Years(s)
		c.Made[s] = now.AddDate(-y, 0, 1)
	}
	return c
}
