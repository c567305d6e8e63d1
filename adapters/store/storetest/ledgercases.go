package storetest

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/sluis-gateway/sluis/internal/actor"
	"github.com/sluis-gateway/sluis/internal/ledger"
	"github.com/sluis-gateway/sluis/internal/receipts"
)

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
