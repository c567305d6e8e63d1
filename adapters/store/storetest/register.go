package storetest

import (
	"errors"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/sluis-gateway/sluis/internal/receipts"
)

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
	want.Sequence = 1
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
	want.Sequence = 5
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
