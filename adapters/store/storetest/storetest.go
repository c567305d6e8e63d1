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
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/sluis-gateway/sluis/internal/actor"
	"github.com/sluis-gateway/sluis/internal/ledger"
	"github.com/sluis-gateway/sluis/internal/receipts"
)

// Store is what the suite tests: the receipts store and the ledger.
type Store interface {
	receipts.Store
	ledger.Reader
	ledger.Appender
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
		{"append and read the ledger", testAppend},
		{"bad arguments are refused", testBadArguments},
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

func testRoundTrip(t *testing.T, s Store) {
	in := NewRecord("d-1", "0363", "WMO301")
	in.State = receipts.Accepted   // ignored: Register starts in Received
	in.Identificatie = "999"       // ignored: allocated
	in.ReasonCodes = []string{"x"} // ignored: a new record has no explanation
	before := time.Now().Add(-time.Second)
	got := register(t, s, in)
	after := time.Now().Add(time.Second)

	want := NewRecord("d-1", "0363", "WMO301")
	want.State = receipts.Received
	want.Identificatie = "1"
	want.MessageID = "WMO301-0363-1"
	want.CreatedAt, want.UpdatedAt = got.CreatedAt, got.CreatedAt
	want.At = map[receipts.State]time.Time{receipts.Received: got.CreatedAt}
	if d := diffRecords(want, got); d != "" {
		t.Fatalf("Register returned %s", d)
	}
	if !isMicroUTC(got.CreatedAt) || got.CreatedAt.Before(before) || got.CreatedAt.After(after) {
		t.Fatalf("CreatedAt %s: want now, UTC, microseconds", got.CreatedAt.Format(time.RFC3339Nano))
	}
	if d := diffRecords(got, get(t, s, "d-1")); d != "" {
		t.Fatalf("Get differs from Register: %s", d)
	}

	// Walk to rejected with explicit times, reasons and codes.
	base := time.Date(2026, 3, 2, 9, 30, 0, 123456789, time.FixedZone("CET", 3600))
	steps := []receipts.Change{
		{To: receipts.Allowed, At: base},
		{To: receipts.Published, At: base.Add(time.Minute)},
		{To: receipts.Delivered, At: base.Add(2 * time.Minute)},
		{To: receipts.Rejected, At: base.Add(time.Hour), Reason: "retour rejected",
			ReasonCodes: []string{"R1", "R2"}, RetourCodes: []string{"0233", "8001"}},
	}
	var moved receipts.Record
	for _, c := range steps {
		var err error
		moved, err = s.Move(Ctx(t), "d-1", c)
		if err != nil {
			t.Fatalf("Move(%s): %v", c.To, err)
		}
	}
	want.State = receipts.Rejected
	want.Reason = "retour rejected"
	want.ReasonCodes = []string{"R1", "R2"}
	want.RetourCodes = []string{"0233", "8001"}
	want.At = map[receipts.State]time.Time{receipts.Received: got.CreatedAt}
	for _, c := range steps {
		want.At[c.To] = c.At.Truncate(time.Microsecond)
	}
	want.UpdatedAt = moved.UpdatedAt
	if d := diffRecords(want, moved); d != "" {
		t.Fatalf("Move returned %s", d)
	}
	if !isMicroUTC(moved.UpdatedAt) || moved.UpdatedAt.Before(got.CreatedAt) {
		t.Fatalf("UpdatedAt %s: want a UTC time after creation", moved.UpdatedAt)
	}
	if d := diffRecords(moved, get(t, s, "d-1")); d != "" {
		t.Fatalf("Get differs from Move: %s", d)
	}

	entries, err := s.EntriesFor(Ctx(t), "d-1")
	if err != nil {
		t.Fatal(err)
	}
	var events []string
	for _, e := range entries {
		events = append(events, e.Event)
		if e.Actor != Actor.String() {
			t.Errorf("entry %d actor %q, want %q", e.Seq, e.Actor, Actor.String())
		}
	}
	wantEvents := []string{"state:received", "state:allowed", "state:published", "state:delivered", "state:rejected"}
	if !slices.Equal(events, wantEvents) {
		t.Fatalf("ledger events %q, want %q", events, wantEvents)
	}
	first := entries[0]
	wantDetail := map[string]string{"message_type": "WMO301", "recipient": "42420001", "identificatie": "1"}
	for k, v := range wantDetail {
		if first.Detail[k] != v {
			t.Errorf("received entry detail[%s] = %q, want %q", k, first.Detail[k], v)
		}
	}
	if !first.At.Equal(got.CreatedAt) {
		t.Errorf("received entry At %s, want the registration time %s", first.At, got.CreatedAt)
	}
	VerifyChain(t, s)
}

func testIdempotent(t *testing.T, s Store) {
	first := register(t, s, NewRecord("d-1", "0363", "WMO301"))
	n := ledgerLen(t, s)
	for i := range 3 {
		again, created, err := s.Register(Ctx(t), NewRecord("d-1", "0363", "WMO301"))
		if err != nil {
			t.Fatalf("re-register %d: %v", i, err)
		}
		if created {
			t.Fatalf("re-register %d: created = true", i)
		}
		if d := diffRecords(first, again); d != "" {
			t.Fatalf("re-register %d returned %s", i, d)
		}
	}
	// Idempotency holds after the record moved on, too.
	moved := move(t, s, "d-1", receipts.Allowed)
	again, created, err := s.Register(Ctx(t), NewRecord("d-1", "0363", "WMO301"))
	if err != nil || created {
		t.Fatalf("re-register after move: created=%v err=%v", created, err)
	}
	if d := diffRecords(moved, again); d != "" {
		t.Fatalf("re-register after move returned %s", d)
	}
	if got := ledgerLen(t, s); got != n+1 {
		t.Fatalf("ledger has %d entries, want %d (re-registers add none)", got, n+1)
	}
	if next := register(t, s, NewRecord("d-2", "0363", "WMO301")); next.Identificatie != "2" {
		t.Fatalf("next identificatie %q, want 2 (re-registers allocate none)", next.Identificatie)
	}
}

func testConflict(t *testing.T, s Store) {
	first := register(t, s, NewRecord("d-1", "0363", "WMO301"))
	n := ledgerLen(t, s)
	tests := []struct {
		name   string
		change func(r *receipts.Record)
	}{
		{"other request hash", func(r *receipts.Record) { r.RequestHash = "other" }},
		{"other request hash and type", func(r *receipts.Record) { r.RequestHash = "other"; r.MessageType = "JW301" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := NewRecord("d-1", "0363", "WMO301")
			tt.change(&r)
			_, created, err := s.Register(Ctx(t), r)
			if !errors.Is(err, receipts.ErrConflict) || created {
				t.Fatalf("Register: created=%v err=%v, want ErrConflict", created, err)
			}
		})
	}
	if d := diffRecords(first, get(t, s, "d-1")); d != "" {
		t.Fatalf("stored record changed: %s", d)
	}
	if got := ledgerLen(t, s); got != n {
		t.Fatalf("ledger has %d entries, want %d", got, n)
	}
}

func testIdentificatie(t *testing.T, s Store) {
	tests := []struct {
		id, municipality, messageType string
		want                          string
	}{
		{"a", "0363", "WMO301", "1"},
		{"b", "0363", "WMO301", "2"},
		{"c", "0599", "WMO301", "1"},
		{"d", "0363", "JW301", "1"},
		{"e", "0363", "WMO301", "3"},
		{"f", "0599", "JW301", "1"},
		{"g", "0599", "WMO301", "2"},
	}
	for _, tt := range tests {
		got := register(t, s, NewRecord(tt.id, tt.municipality, tt.messageType))
		if got.Identificatie != tt.want {
			t.Fatalf("%s (%s, %s): identificatie %q, want %q", tt.id, tt.municipality, tt.messageType, got.Identificatie, tt.want)
		}
		if want := tt.messageType + "-" + tt.municipality + "-" + tt.want; got.MessageID != want {
			t.Fatalf("%s: message id %q, want %q", tt.id, got.MessageID, want)
		}
	}
	for _, tt := range tests {
		got, err := s.ByIdentificatie(Ctx(t), tt.municipality, tt.messageType, tt.want)
		if err != nil {
			t.Fatalf("ByIdentificatie(%s, %s, %s): %v", tt.municipality, tt.messageType, tt.want, err)
		}
		if got.DisclosureID != tt.id {
			t.Fatalf("ByIdentificatie(%s, %s, %s) = %s, want %s", tt.municipality, tt.messageType, tt.want, got.DisclosureID, tt.id)
		}
	}
	if _, err := s.ByIdentificatie(Ctx(t), "0363", "WMO301", "4"); !errors.Is(err, receipts.ErrNotFound) {
		t.Fatalf("ByIdentificatie of an unused number: %v, want ErrNotFound", err)
	}
}

func testIdentificatieConcurrent(t *testing.T, s Store) {
	const n = 50
	type result struct {
		rec receipts.Record
		err error
	}
	results := make(chan result, n)
	var wg sync.WaitGroup
	ctx := Ctx(t)
	for i := range n {
		wg.Go(func() {
			rec, _, err := s.Register(ctx, NewRecord("c-"+strconv.Itoa(i), "0363", "WMO301"))
			results <- result{rec, err}
		})
	}
	wg.Wait()
	close(results)
	seen := map[string]string{}
	for r := range results {
		if r.err != nil {
			t.Fatalf("Register: %v", r.err)
		}
		if other, dup := seen[r.rec.Identificatie]; dup {
			t.Fatalf("identificatie %s given to %s and %s", r.rec.Identificatie, other, r.rec.DisclosureID)
		}
		seen[r.rec.Identificatie] = r.rec.DisclosureID
	}
	for i := 1; i <= n; i++ {
		if _, ok := seen[strconv.Itoa(i)]; !ok {
			t.Fatalf("identificatie %d not allocated; got %v", i, seen)
		}
	}
	if got := len(VerifyChain(t, s)); got != n {
		t.Fatalf("ledger has %d entries, want %d", got, n)
	}
}

func testSameIDConcurrent(t *testing.T, s Store) {
	const n = 20
	type result struct {
		rec     receipts.Record
		created bool
		err     error
	}
	results := make(chan result, n)
	var wg sync.WaitGroup
	ctx := Ctx(t)
	for range n {
		wg.Go(func() {
			rec, created, err := s.Register(ctx, NewRecord("same", "0363", "WMO301"))
			results <- result{rec, created, err}
		})
	}
	wg.Wait()
	close(results)
	created := 0
	for r := range results {
		if r.err != nil {
			t.Fatalf("Register: %v", r.err)
		}
		if r.created {
			created++
		}
		if r.rec.Identificatie != "1" {
			t.Fatalf("identificatie %q, want 1", r.rec.Identificatie)
		}
	}
	if created != 1 {
		t.Fatalf("%d registers reported created, want 1", created)
	}
	entries, err := s.EntriesFor(Ctx(t), "same")
	if err != nil || len(entries) != 1 {
		t.Fatalf("EntriesFor: %d entries, err %v; want 1", len(entries), err)
	}
	if next := register(t, s, NewRecord("other", "0363", "WMO301")); next.Identificatie != "2" {
		t.Fatalf("next identificatie %q, want 2", next.Identificatie)
	}
}

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

func testMissingActor(t *testing.T, s Store) {
	register(t, s, NewRecord("known", "0363", "WMO301"))
	n := ledgerLen(t, s)
	contexts := []struct {
		name string
		ctx  context.Context
	}{
		{"no actor", context.Background()},
		{"actor without id", actor.With(context.Background(), actor.Actor{Kind: "system"})},
	}
	for _, c := range contexts {
		calls := []struct {
			name string
			call func() error
		}{
			{"register", func() error {
				_, _, err := s.Register(c.ctx, NewRecord("new", "0363", "WMO301"))
				return err
			}},
			{"re-register", func() error {
				_, _, err := s.Register(c.ctx, NewRecord("known", "0363", "WMO301"))
				return err
			}},
			{"move", func() error {
				_, err := s.Move(c.ctx, "known", receipts.Change{To: receipts.Allowed})
				return err
			}},
			{"record invalid", func() error {
				return s.RecordInvalid(c.ctx, receipts.InvalidRequest{DisclosureID: "bad", Reason: "json"})
			}},
			{"append", func() error { _, err := s.Append(c.ctx, "known", "decision:allowed", nil); return err }},
		}
		for _, tt := range calls {
			t.Run(c.name+", "+tt.name, func(t *testing.T) {
				if err := tt.call(); !errors.Is(err, actor.ErrMissing) {
					t.Fatalf("got %v, want actor.ErrMissing", err)
				}
			})
		}
	}
	if _, err := s.Get(Ctx(t), "new"); !errors.Is(err, receipts.ErrNotFound) {
		t.Fatalf("Get(new): %v, want ErrNotFound", err)
	}
	if st := get(t, s, "known").State; st != receipts.Received {
		t.Fatalf("state %s, want received", st)
	}
	if got := ledgerLen(t, s); got != n {
		t.Fatalf("ledger has %d entries, want %d", got, n)
	}
	if next := register(t, s, NewRecord("next", "0363", "WMO301")); next.Identificatie != "2" {
		t.Fatalf("identificatie %q, want 2 (refused registers allocate none)", next.Identificatie)
	}
}

// testLedgerConcurrent: 50 registers, then 8 goroutines doing 150 moves and
// 50 appends; the chain must hold and have no gaps.
func testLedgerConcurrent(t *testing.T, s Store) {
	const records, workers = 50, 8
	for i := range records {
		register(t, s, NewRecord("l-"+strconv.Itoa(i), "0363", "WMO301"))
	}
	jobs := make(chan int)
	errs := make(chan error, records)
	ctx := Ctx(t)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for i := range jobs {
				id := "l-" + strconv.Itoa(i)
				for _, st := range []receipts.State{receipts.Allowed, receipts.Published, receipts.Delivered} {
					if _, err := s.Move(ctx, id, receipts.Change{To: st}); err != nil {
						errs <- fmt.Errorf("move %s to %s: %w", id, st, err)
						return
					}
				}
				if _, err := s.Append(ctx, id, "decision:noted", map[string]string{"n": strconv.Itoa(i)}); err != nil {
					errs <- fmt.Errorf("append %s: %w", id, err)
					return
				}
			}
		})
	}
	for i := range records {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	all := VerifyChain(t, s)
	if want := records + 4*records; len(all) != want {
		t.Fatalf("ledger has %d entries, want %d", len(all), want)
	}
}

func testTamper(t *testing.T, s Store) {
	tam, ok := s.(Tamperer)
	if !ok {
		t.Fatalf("%T does not implement storetest.Tamperer (add it in export_test.go)", s)
	}
	register(t, s, NewRecord("d-1", "0363", "WMO301"))
	move(t, s, "d-1", receipts.Allowed, receipts.Refused)
	VerifyChain(t, s)
	if err := tam.TamperLedgerDetail(Ctx(t), 2, map[string]string{"from": "received", "forged": "yes"}); err != nil {
		t.Fatalf("tamper: %v", err)
	}
	all := ReadLedger(t, s)
	if err := ledger.Verify(all); !errors.Is(err, ledger.ErrBroken) {
		t.Fatalf("Verify after tampering: %v, want ErrBroken", err)
	}
}

func testInState(t *testing.T, s Store) {
	base := time.Date(2026, 1, 5, 8, 0, 0, 0, time.UTC)
	offsets := []int{3, 1, 4, 2, 5} // hours after base, by record
	for i, h := range offsets {
		id := "s-" + strconv.Itoa(i)
		register(t, s, NewRecord(id, "0363", "WMO301"))
		if _, err := s.Move(Ctx(t), id, receipts.Change{To: receipts.Allowed, At: base.Add(time.Duration(h) * time.Hour)}); err != nil {
			t.Fatal(err)
		}
	}
	register(t, s, NewRecord("still-received", "0363", "WMO301"))

	tests := []struct {
		name   string
		state  receipts.State
		before time.Time
		limit  int
		want   []string
	}{
		{"cutoff is exclusive", receipts.Allowed, base.Add(4 * time.Hour), 10, []string{"s-1", "s-3", "s-0"}},
		{"limit keeps the oldest", receipts.Allowed, base.Add(24 * time.Hour), 2, []string{"s-1", "s-3"}},
		{"all", receipts.Allowed, base.Add(24 * time.Hour), 10, []string{"s-1", "s-3", "s-0", "s-2", "s-4"}},
		{"nothing before the first", receipts.Allowed, base.Add(time.Hour), 10, nil},
		{"other state", receipts.Received, time.Now().Add(time.Hour), 10, []string{"still-received"}},
		{"empty state", receipts.Delivered, time.Now().Add(time.Hour), 10, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			recs, err := s.InState(Ctx(t), tt.state, tt.before, tt.limit)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, r := range recs {
				got = append(got, r.DisclosureID)
				if r.State != tt.state {
					t.Errorf("%s in state %s", r.DisclosureID, r.State)
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func testCountByState(t *testing.T, s Store) {
	for i := range 6 {
		register(t, s, NewRecord("n-"+strconv.Itoa(i), "0363", "WMO301"))
	}
	move(t, s, "n-0", receipts.Refused)
	move(t, s, "n-1", receipts.Allowed)
	move(t, s, "n-2", receipts.Allowed, receipts.Published, receipts.Delivered)
	move(t, s, "n-3", receipts.Allowed, receipts.Published, receipts.Delivered, receipts.Overdue, receipts.Accepted)
	got, err := s.CountByState(Ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	want := map[receipts.State]int64{
		receipts.Received: 2, receipts.Refused: 1, receipts.Allowed: 1,
		receipts.Delivered: 1, receipts.Accepted: 1,
	}
	for _, st := range allStates {
		if got[st] != want[st] {
			t.Errorf("count[%s] = %d, want %d", st, got[st], want[st])
		}
	}
}

func testRecordInvalid(t *testing.T, s Store) {
	tests := []struct {
		name string
		req  receipts.InvalidRequest
	}{
		{"all fields", receipts.InvalidRequest{DisclosureID: "bad-1", Municipality: "0363", System: "regsys-a",
			Reason: "client.bsn: elfproef", ReceivedAt: time.Date(2026, 2, 1, 10, 0, 0, 5, time.UTC)}},
		{"nothing readable", receipts.InvalidRequest{Reason: "json: unexpected end of input"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := s.RecordInvalid(Ctx(t), tt.req); err != nil {
				t.Fatalf("RecordInvalid: %v", err)
			}
		})
	}
	es := mustEntriesFor(t, s, "bad-1")
	if len(es) != 1 || es[0].Event != "intake:invalid" || es[0].Detail["reason"] != "client.bsn: elfproef" {
		t.Fatalf("entries for bad-1: %+v", es)
	}
	all := VerifyChain(t, s)
	if len(all) != 2 || all[1].Event != "intake:invalid" || all[1].Detail["reason"] != "json: unexpected end of input" {
		t.Fatalf("ledger: %+v", all)
	}
	if _, err := s.Get(Ctx(t), "bad-1"); !errors.Is(err, receipts.ErrNotFound) {
		t.Fatalf("an invalid request became a disclosure: %v", err)
	}
}

func testAppend(t *testing.T, s Store) {
	register(t, s, NewRecord("d-1", "0363", "WMO301"))
	before := time.Now().Add(-time.Second)
	tests := []struct {
		name, id, event string
		detail          map[string]string
	}{
		{"about a disclosure", "d-1", "consent:recorded", map[string]string{"consent_id": "c-1", "scope": "WMO301"}},
		{"not about a disclosure", "", "keys:rotated", nil},
		{"unicode detail", "d-1", "decision:allowed", map[string]string{"note": "café ✓ \"quoted\"\nnewline <b>&amp;</b> \\u0041", "": "empty key"}},
	}
	var appended []ledger.Entry
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := s.Append(Ctx(t), tt.id, tt.event, tt.detail)
			if err != nil {
				t.Fatalf("Append: %v", err)
			}
			if e.Event != tt.event || e.DisclosureID != tt.id || e.Actor != Actor.String() {
				t.Fatalf("entry %+v", e)
			}
			if !isMicroUTC(e.At) || e.At.Before(before) || e.Hash != ledger.ComputeHash(e) {
				t.Fatalf("entry At %s or hash wrong", e.At.Format(time.RFC3339Nano))
			}
			appended = append(appended, e)
		})
	}
	all := VerifyChain(t, s)
	if len(all) != 1+len(tests) {
		t.Fatalf("ledger has %d entries, want %d", len(all), 1+len(tests))
	}
	for i, e := range appended {
		r := all[i+1]
		if r.Seq != e.Seq || r.Hash != e.Hash || !r.At.Equal(e.At) || r.At.Location() != time.UTC {
			t.Fatalf("read back entry %d differs from the appended one", e.Seq)
		}
	}
	page, err := s.Entries(Ctx(t), 2, 2)
	if err != nil || len(page) != 2 || page[0].Seq != 2 || page[1].Seq != 3 {
		t.Fatalf("Entries(2, 2): %d entries, err %v", len(page), err)
	}
	if page, err := s.Entries(Ctx(t), 100, 10); err != nil || len(page) != 0 {
		t.Fatalf("Entries past the end: %d entries, err %v", len(page), err)
	}
	if es := mustEntriesFor(t, s, "d-1"); len(es) != 3 {
		t.Fatalf("EntriesFor(d-1): %d entries, want 3", len(es))
	}
}

func testBadArguments(t *testing.T, s Store) {
	bad := func(change func(r *receipts.Record)) receipts.Record {
		r := NewRecord("x", "0363", "WMO301")
		change(&r)
		return r
	}
	registers := []struct {
		name string
		rec  receipts.Record
	}{
		{"no id", bad(func(r *receipts.Record) { r.DisclosureID = "" })},
		{"no municipality", bad(func(r *receipts.Record) { r.Municipality = "" })},
		{"no recipient", bad(func(r *receipts.Record) { r.Recipient = "" })},
		{"no message type", bad(func(r *receipts.Record) { r.MessageType = "" })},
		{"no request hash", bad(func(r *receipts.Record) { r.RequestHash = "" })},
		{"invalid utf-8", bad(func(r *receipts.Record) { r.Purpose = "\xff\xfe" })},
		{"nul byte", bad(func(r *receipts.Record) { r.System = "a\x00b" })},
	}
	for _, tt := range registers {
		t.Run("register "+tt.name, func(t *testing.T) {
			if _, _, err := s.Register(Ctx(t), tt.rec); err == nil || errors.Is(err, receipts.ErrConflict) {
				t.Fatalf("Register: %v, want a validation error", err)
			}
		})
	}
	register(t, s, NewRecord("ok", "0363", "WMO301"))
	others := []struct {
		name string
		call func() error
	}{
		{"move to an unknown state", func() error {
			_, err := s.Move(Ctx(t), "ok", receipts.Change{To: "bogus"})
			return err
		}},
		{"move with invalid utf-8 detail", func() error {
			_, err := s.Move(Ctx(t), "ok", receipts.Change{To: receipts.Allowed, Detail: map[string]string{"k": "\xff"}})
			return err
		}},
		{"move all without changes", func() error { _, err := s.MoveAll(Ctx(t), "ok"); return err }},
		{"move all with one bad change", func() error {
			_, err := s.MoveAll(Ctx(t), "ok", receipts.Change{To: receipts.Allowed}, receipts.Change{To: "bogus"})
			return err
		}},
		{"append without event", func() error { _, err := s.Append(Ctx(t), "ok", "", nil); return err }},
		{"entries with zero limit", func() error { _, err := s.Entries(Ctx(t), 1, 0); return err }},
		{"in state with zero limit", func() error { _, err := s.InState(Ctx(t), receipts.Received, time.Now(), 0); return err }},
	}
	for _, tt := range others {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.call(); err == nil {
				t.Fatal("no error")
			}
		})
	}
	if st := get(t, s, "ok").State; st != receipts.Received {
		t.Fatalf("state %s, want received", st)
	}
	if n := len(VerifyChain(t, s)); n != 1 {
		t.Fatalf("ledger has %d entries, want 1", n)
	}
}

// testMixedConcurrent: writes that fail (invalid transitions, conflicts,
// unknown ids) run concurrently with writes that succeed; each gets its
// own answer and only the successful ones reach the store and the ledger.
func testMixedConcurrent(t *testing.T, s Store) {
	const n = 40
	for i := range n {
		register(t, s, NewRecord("x-"+strconv.Itoa(i), "0363", "WMO301"))
	}
	before := ledgerLen(t, s)
	ctx := Ctx(t)
	type result struct {
		i   int
		err error
	}
	results := make(chan result, 4*n)
	var wg sync.WaitGroup
	for i := range n {
		id := "x-" + strconv.Itoa(i)
		wg.Go(func() { // succeeds
			_, err := s.Move(ctx, id, receipts.Change{To: receipts.Allowed})
			results <- result{i, err}
		})
		wg.Go(func() { // never allowed from received or allowed
			_, err := s.Move(ctx, id, receipts.Change{To: receipts.Accepted})
			if errors.Is(err, receipts.ErrInvalidTransition) {
				err = nil
			}
			results <- result{i, err}
		})
		wg.Go(func() { // conflict
			r := NewRecord(id, "0363", "WMO301")
			r.RequestHash = "other"
			_, _, err := s.Register(ctx, r)
			if errors.Is(err, receipts.ErrConflict) {
				err = nil
			}
			results <- result{i, err}
		})
		wg.Go(func() { // unknown id
			_, err := s.Move(ctx, "missing-"+id, receipts.Change{To: receipts.Allowed})
			if errors.Is(err, receipts.ErrNotFound) {
				err = nil
			}
			results <- result{i, err}
		})
	}
	wg.Wait()
	close(results)
	for r := range results {
		if r.err != nil {
			t.Fatalf("x-%d: unexpected %v", r.i, r.err)
		}
	}
	counts, err := s.CountByState(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if counts[receipts.Allowed] != n || counts[receipts.Received] != 0 {
		t.Fatalf("counts %v, want %d allowed", counts, n)
	}
	if got := len(VerifyChain(t, s)); got != before+n {
		t.Fatalf("ledger has %d entries, want %d", got, before+n)
	}
}
