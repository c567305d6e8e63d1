package storetest

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/sluis-gateway/sluis/internal/ledger"
	"github.com/sluis-gateway/sluis/internal/receipts"
)

// pathTo lists the moves from Received to each reachable state.
var pathTo = map[receipts.State][]receipts.State{
	receipts.Received:  nil,
	receipts.Allowed:   {receipts.Allowed},
	receipts.Refused:   {receipts.Refused},
	receipts.Failed:    {receipts.Failed},
	receipts.Published: {receipts.Allowed, receipts.Published},
	receipts.Delivered: {receipts.Allowed, receipts.Published, receipts.Delivered},
	receipts.Overdue:   {receipts.Allowed, receipts.Published, receipts.Delivered, receipts.Overdue},
	receipts.Accepted:  {receipts.Allowed, receipts.Published, receipts.Delivered, receipts.Accepted},
	receipts.Rejected:  {receipts.Allowed, receipts.Published, receipts.Delivered, receipts.Rejected},
}

var allStates = []receipts.State{
	receipts.Received, receipts.Invalid, receipts.Refused, receipts.Allowed, receipts.Published,
	receipts.Delivered, receipts.Accepted, receipts.Rejected, receipts.Overdue, receipts.Failed,
}

// testTransitions tries every target state from every reachable state:
// the allowed ones must succeed, all others fail with ErrInvalidTransition
// and change nothing.
func testTransitions(t *testing.T, s Store) {
	i := 0
	for _, from := range allStates {
		path, reachable := pathTo[from]
		if !reachable {
			continue // Invalid: never a registered record
		}
		for _, to := range allStates {
			allowed := receipts.CanMove(from, to)
			verb := "may not"
			if allowed {
				verb = "may"
			}
			i++
			id := "t-" + strconv.Itoa(i)
			t.Run(fmt.Sprintf("%s %s move to %s", from, verb, to), func(t *testing.T) {
				register(t, s, NewRecord(id, "0363", "WMO301"))
				before := move(t, s, id, path...)
				if len(path) == 0 {
					before = get(t, s, id)
				}
				nEntries := len(mustEntriesFor(t, s, id))
				got, err := s.Move(Ctx(t), id, receipts.Change{To: to, Reason: "test"})
				if allowed {
					if err != nil {
						t.Fatalf("Move: %v", err)
					}
					if got.State != to || got.At[to].IsZero() {
						t.Fatalf("Move returned state %s, At[%s]=%v", got.State, to, got.At[to])
					}
					if n := len(mustEntriesFor(t, s, id)); n != nEntries+1 {
						t.Fatalf("ledger entries %d, want %d", n, nEntries+1)
					}
					return
				}
				if !errors.Is(err, receipts.ErrInvalidTransition) {
					t.Fatalf("Move: %v, want ErrInvalidTransition", err)
				}
				if d := diffRecords(before, get(t, s, id)); d != "" {
					t.Fatalf("refused move changed the record: %s", d)
				}
				if n := len(mustEntriesFor(t, s, id)); n != nEntries {
					t.Fatalf("refused move wrote to the ledger: %d entries, want %d", n, nEntries)
				}
			})
		}
	}
	VerifyChain(t, s)
}

func mustEntriesFor(t *testing.T, s Store, id string) []ledger.Entry {
	t.Helper()
	es, err := s.EntriesFor(Ctx(t), id)
	if err != nil {
		t.Fatalf("EntriesFor(%s): %v", id, err)
	}
	return es
}

func testMoveLedger(t *testing.T, s Store) {
	register(t, s, NewRecord("d-1", "0363", "WMO301"))
	move(t, s, "d-1", receipts.Allowed)
	_, err := s.Move(Ctx(t), "d-1", receipts.Change{
		To:          receipts.Refused,
		Reason:      "consent withdrawn",
		ReasonCodes: []string{"NO_CONSENT", "WITHDRAWN"},
		Detail:      map[string]string{"consent_id": "c-9", "basis": "consent"},
	})
	if err != nil {
		t.Fatal(err)
	}
	entries := mustEntriesFor(t, s, "d-1")
	last := entries[len(entries)-1]
	if last.Event != "state:refused" {
		t.Fatalf("event %q, want state:refused", last.Event)
	}
	want := map[string]string{
		"consent_id": "c-9", "basis": "consent", "from": "allowed",
		"reason": "consent withdrawn", "reason_codes": "NO_CONSENT,WITHDRAWN",
	}
	for k, v := range want {
		if last.Detail[k] != v {
			t.Errorf("detail[%s] = %q, want %q", k, last.Detail[k], v)
		}
	}
	if !isMicroUTC(last.At) {
		t.Errorf("entry At %s: want UTC, microseconds", last.At.Format(time.RFC3339Nano))
	}
	VerifyChain(t, s)
}

// testMoveAll: the changes of one MoveAll land together, each with its
// own ledger entry and from-state, or, when one of them is not a valid
// transition from where the one before it leaves the record, none does.
func testMoveAll(t *testing.T, s Store) {
	register(t, s, NewRecord("d-1", "0363", "WMO301"))
	at := time.Date(2026, 11, 23, 9, 30, 0, 0, time.UTC)
	recs, err := s.MoveAll(Ctx(t), "d-1",
		receipts.Change{To: receipts.Allowed, At: at, Detail: map[string]string{"basis": "legal_obligation"}},
		receipts.Change{To: receipts.Published})
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 2 || recs[0].State != receipts.Allowed || recs[1].State != receipts.Published {
		t.Fatalf("records after each change: %v, want allowed then published", states(recs))
	}
	if !recs[0].At[receipts.Allowed].Equal(at) || recs[1].At[receipts.Allowed] != recs[0].At[receipts.Allowed] {
		t.Fatalf("allowed at %v / %v, want %v in both records", recs[0].At[receipts.Allowed], recs[1].At[receipts.Allowed], at)
	}
	if _, ok := recs[0].At[receipts.Published]; ok {
		t.Fatal("the record after the first change already has a published time")
	}
	if d := diffRecords(recs[1], get(t, s, "d-1")); d != "" {
		t.Fatalf("stored record differs from the last one returned: %s", d)
	}
	entries := mustEntriesFor(t, s, "d-1")
	var events, froms []string
	for _, e := range entries {
		events = append(events, e.Event)
		froms = append(froms, e.Detail["from"])
	}
	if len(events) != 3 || !slices.Equal(events[1:], []string{"state:allowed", "state:published"}) {
		t.Fatalf("ledger events %v, want registration, state:allowed, state:published", events)
	}
	if froms[1] != "received" || froms[2] != "allowed" || entries[1].Detail["basis"] != "legal_obligation" {
		t.Fatalf("ledger from-states %v, detail %v", froms, entries[1].Detail)
	}

	// Published → delivered is valid, delivered → allowed is not: nothing
	// of this call may land.
	n := ledgerLen(t, s)
	_, err = s.MoveAll(Ctx(t), "d-1", receipts.Change{To: receipts.Delivered}, receipts.Change{To: receipts.Allowed})
	if !errors.Is(err, receipts.ErrInvalidTransition) {
		t.Fatalf("got %v, want ErrInvalidTransition", err)
	}
	if st := get(t, s, "d-1").State; st != receipts.Published {
		t.Fatalf("state %s after a refused MoveAll, want published", st)
	}
	if got := ledgerLen(t, s); got != n {
		t.Fatalf("ledger grew from %d to %d entries on a refused MoveAll", n, got)
	}
	if _, err := s.MoveAll(Ctx(t), "unknown", receipts.Change{To: receipts.Allowed}); !errors.Is(err, receipts.ErrNotFound) {
		t.Fatalf("unknown id: %v, want ErrNotFound", err)
	}
	VerifyChain(t, s)
}

func states(recs []receipts.Record) []receipts.State {
	out := make([]receipts.State, len(recs))
	for i, r := range recs {
		out[i] = r.State
	}
	return out
}

func testNotFound(t *testing.T, s Store) {
	register(t, s, NewRecord("known", "0363", "WMO301"))
	tests := []struct {
		name string
		call func() error
	}{
		{"get", func() error { _, err := s.Get(Ctx(t), "unknown"); return err }},
		{"move", func() error {
			_, err := s.Move(Ctx(t), "unknown", receipts.Change{To: receipts.Allowed})
			return err
		}},
		{"by identificatie", func() error { _, err := s.ByIdentificatie(Ctx(t), "0363", "WMO301", "2"); return err }},
		{"by identificatie of another type", func() error { _, err := s.ByIdentificatie(Ctx(t), "0363", "JW301", "1"); return err }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.call(); !errors.Is(err, receipts.ErrNotFound) {
				t.Fatalf("got %v, want ErrNotFound", err)
			}
		})
	}
	if n := ledgerLen(t, s); n != 1 {
		t.Fatalf("ledger has %d entries, want 1", n)
	}
}
