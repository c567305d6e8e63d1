// Package storetest is the contract test suite of the receipts and ledger
// stores. Every implementation runs it from its own tests:
//
//	func TestContract(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) storetest.Store { return openFresh(t) })
//	}
//
// newStore must return an empty, migrated store that is closed in
// t.Cleanup. The store must also implement Tamperer (usually in an
// export_test.go file) so the suite can prove a changed ledger is detected.
package storetest

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/sluis-gateway/sluis/internal/actor"
	"github.com/sluis-gateway/sluis/internal/ledger"
	"github.com/sluis-gateway/sluis/internal/receipts"
	"github.com/sluis-gateway/sluis/internal/rights"
)

// Store is what the suite tests: the receipts store and the ledger.
type Store interface {
	receipts.Store
	receipts.Batcher
	ledger.Reader
	ledger.Appender
	ledger.Redactor
	rights.Records
}

// Tamperer changes a stored ledger entry behind the store's back, as an
// attacker with database access would. Test builds only.
type Tamperer interface {
	TamperLedgerDetail(ctx context.Context, seq int64, detail map[string]string) error
}

// Actor is the actor of the suite's writes.
var Actor = actor.Actor{Kind: "system", ID: "0363/regsys-a", OnBehalfOf: "0363"}

// Ctx returns a context carrying Actor, cancelled at the end of the test.
func Ctx(t testing.TB) context.Context {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	return actor.With(ctx, Actor)
}

// NewRecord returns a complete record for Register.
func NewRecord(id, municipality, messageType string) receipts.Record {
	return receipts.Record{
		DisclosureID: id,
		Municipality: municipality,
		System:       "regsys-a",
		Recipient:    "42420001",
		Standard:     "iWmo",
		MessageType:  messageType,
		Purpose:      "toewijzing",
		Basis:        "legal_obligation",
		ClientKey:    "c0ffee" + id,
		RequestHash:  "hash-" + id,
	}
}

// VerifyChain reads the whole ledger in pages and verifies it; it returns
// the entries read.
func VerifyChain(t testing.TB, r ledger.Reader) []ledger.Entry {
	t.Helper()
	all := ReadLedger(t, r)
	if err := ledger.Verify(all); err != nil {
		t.Fatalf("ledger.Verify over %d entries: %v", len(all), err)
	}
	return all
}

// ReadLedger reads the whole ledger in pages of 97 (an odd size, to cross
// page boundaries).
func ReadLedger(t testing.TB, r ledger.Reader) []ledger.Entry {
	t.Helper()
	ctx := context.Background()
	var all []ledger.Entry
	for from := int64(1); ; {
		page, err := r.Entries(ctx, from, 97)
		if err != nil {
			t.Fatalf("Entries(%d, 97): %v", from, err)
		}
		all = append(all, page...)
		if len(page) < 97 {
			return all
		}
		from = page[len(page)-1].Seq + 1
	}
}

// Run runs the contract suite; each subtest gets its own store.
func Run(t *testing.T, newStore func(t *testing.T) Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s Store)
	}{
		{"register and get round trip", testRoundTrip},
		{"register is idempotent for the same request", testIdempotent},
		{"register of a used id with another request conflicts", testConflict},
		{"identificatie counts per municipality and message type", testIdentificatie},
		{"identificatie unique under 50 concurrent registers", testIdentificatieConcurrent},
		{"concurrent registers of one id make one record", testSameIDConcurrent},
		{"transitions", testTransitions},
		{"move writes its facts to the ledger", testMoveLedger},
		{"move all applies its changes together or not at all", testMoveAll},
		{"unknown disclosure is not found", testNotFound},
		{"missing actor changes nothing", testMissingActor},
		{"ledger verifies after concurrent writes", testLedgerConcurrent},
		{"failing writes do not disturb concurrent ones", testMixedConcurrent},
		{"ledger tampering is detected", testTamper},
		{"in state lists oldest first before the cutoff", testInState},
		{"count by state", testCountByState},
		{"record invalid", testRecordInvalid},
		{"invalid requests are recorded bounded per principal and window", testInvalidBounded},
		{"invalid requests with their own event, detail, or an id conflict", testInvalidEventAndDetail},
		{"sequence numbers and the announced mark", testSequence},
		{"claims: one holder at a time, leases expire", testClaim},
		{"concurrent claims of one disclosure: one wins", testClaimConcurrent},
		{"append and read the ledger", testAppend},
		{"redaction removes a client's references and the chain verifies", testRedact},
		{"bad arguments are refused", testBadArguments},
		{"by client lists one municipality's disclosures of one client in order", testByClient},
		{"register batch: each item as Register would, in one transaction", testRegisterBatch},
		{"register batches and registers at once: one record per id, no identificatie twice", testRegisterBatchConcurrent},
		{"claim batch: each claim as Claim would", testClaimBatch},
		{"move batch: each item's changes as MoveAll would", testMoveBatch},
		{"release batch: each release as Release would", testReleaseBatch},
		{"claim, move and release batches crossing in opposite orders finish", testBatchesCrossing},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.fn(t, newStore(t))
		})
	}
}

func register(t *testing.T, s Store, r receipts.Record) receipts.Record {
	t.Helper()
	got, created, err := s.Register(Ctx(t), r)
	if err != nil {
		t.Fatalf("Register(%s): %v", r.DisclosureID, err)
	}
	if !created {
		t.Fatalf("Register(%s): created = false for a new id", r.DisclosureID)
	}
	return got
}

func move(t *testing.T, s Store, id string, to ...receipts.State) receipts.Record {
	t.Helper()
	var rec receipts.Record
	for _, st := range to {
		var err error
		rec, err = s.Move(Ctx(t), id, receipts.Change{To: st})
		if err != nil {
			t.Fatalf("Move(%s, %s): %v", id, st, err)
		}
	}
	return rec
}

func get(t *testing.T, s Store, id string) receipts.Record {
	t.Helper()
	rec, err := s.Get(Ctx(t), id)
	if err != nil {
		t.Fatalf("Get(%s): %v", id, err)
	}
	return rec
}

func ledgerLen(t *testing.T, s Store) int {
	t.Helper()
	return len(ReadLedger(t, s))
}

// diffRecords describes how two records differ ("" when equal), comparing
// times with Equal and requiring UTC.
func diffRecords(want, got receipts.Record) string {
	var d []string
	str := func(name, w, g string) {
		if w != g {
			d = append(d, fmt.Sprintf("%s: want %q, got %q", name, w, g))
		}
	}
	str("DisclosureID", want.DisclosureID, got.DisclosureID)
	str("Municipality", want.Municipality, got.Municipality)
	str("System", want.System, got.System)
	str("Recipient", want.Recipient, got.Recipient)
	str("Standard", want.Standard, got.Standard)
	str("MessageType", want.MessageType, got.MessageType)
	str("Purpose", want.Purpose, got.Purpose)
	str("Basis", want.Basis, got.Basis)
	str("ClientKey", want.ClientKey, got.ClientKey)
	str("RequestHash", want.RequestHash, got.RequestHash)
	str("State", string(want.State), string(got.State))
	str("Identificatie", want.Identificatie, got.Identificatie)
	str("MessageID", want.MessageID, got.MessageID)
	str("Reason", want.Reason, got.Reason)
	if want.Sequence != got.Sequence || want.Announced != got.Announced {
		d = append(d, fmt.Sprintf("Sequence/Announced: want %d/%d, got %d/%d", want.Sequence, want.Announced, got.Sequence, got.Announced))
	}
	if !slices.Equal(want.ReasonCodes, got.ReasonCodes) {
		d = append(d, fmt.Sprintf("ReasonCodes: want %q, got %q", want.ReasonCodes, got.ReasonCodes))
	}
	if !slices.Equal(want.RetourCodes, got.RetourCodes) {
		d = append(d, fmt.Sprintf("RetourCodes: want %q, got %q", want.RetourCodes, got.RetourCodes))
	}
	tm := func(name string, w, g time.Time) {
		if !w.Equal(g) || g.Location() != time.UTC {
			d = append(d, fmt.Sprintf("%s: want %s, got %s", name, w.Format(time.RFC3339Nano), g.Format(time.RFC3339Nano)))
		}
	}
	tm("CreatedAt", want.CreatedAt, got.CreatedAt)
	tm("UpdatedAt", want.UpdatedAt, got.UpdatedAt)
	if len(want.At) != len(got.At) {
		d = append(d, fmt.Sprintf("At: want %d states, got %d", len(want.At), len(got.At)))
	}
	for st, w := range want.At {
		g, ok := got.At[st]
		if !ok {
			d = append(d, fmt.Sprintf("At[%s] missing", st))
			continue
		}
		tm("At["+string(st)+"]", w, g)
	}
	if len(d) == 0 {
		return ""
	}
	return fmt.Sprint(d)
}

func isMicroUTC(tm time.Time) bool {
	return tm.Location() == time.UTC && tm.Nanosecond()%1000 == 0 && !tm.IsZero()
}
