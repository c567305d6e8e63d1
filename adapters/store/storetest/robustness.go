package storetest

import (
	"errors"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/sluis-gateway/sluis/internal/receipts"
)

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
