package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/sluis-gateway/sluis/adapters/store/internal/storecore"
	"github.com/sluis-gateway/sluis/internal/actor"
	"github.com/sluis-gateway/sluis/internal/receipts"
)

func testInvalidBounded(t *testing.T, s Store) {
	const n = 3*receipts.InvalidRecordedPerWindow + 7
	at := time.Date(2026, 5, 4, 10, 15, 0, 0, time.UTC)
	other := actor.With(Ctx(t), actor.Actor{Kind: "system", ID: "regsys-b", OnBehalfOf: "0599"})
	before := ledgerLen(t, s)
	for i := 0; i < n; i++ {
		// The claimed sender and the employee vary (a request chooses
		// them); the principal does not.
		ctx := actor.With(Ctx(t), actor.SenderEmployee(Actor.ID, fmt.Sprintf("%04d", i), fmt.Sprintf("e-%d", i)))
		if err := s.RecordInvalid(ctx, receipts.InvalidRequest{
			DisclosureID: fmt.Sprintf("junk-%d", i), Municipality: fmt.Sprintf("%04d", i), System: "x",
			Reason: "json: syntax error", ReceivedAt: at.Add(time.Duration(i) * time.Second),
		}); err != nil {
			t.Fatalf("RecordInvalid %d: %v", i, err)
		}
	}
	if err := s.RecordInvalid(other, receipts.InvalidRequest{Reason: "json: syntax error", ReceivedAt: at}); err != nil {
		t.Fatal(err)
	}
	// The next window starts over.
	if err := s.RecordInvalid(Ctx(t), receipts.InvalidRequest{Reason: "json: syntax error", ReceivedAt: at.Add(receipts.InvalidWindow)}); err != nil {
		t.Fatal(err)
	}
	all := VerifyChain(t, s)
	added := all[before:]
	var recorded, overflow int
	for _, e := range added {
		switch e.Event {
		case "intake:invalid":
			recorded++
		case "intake:invalid_overflow":
			overflow++
			if e.Detail["window_start"] != "2026-05-04T10:00:00Z" {
				t.Errorf("overflow entry detail %v", e.Detail)
			}
		default:
			t.Errorf("unexpected entry %s", e.Event)
		}
	}
	if recorded != receipts.InvalidRecordedPerWindow+2 || overflow != 1 {
		t.Fatalf("%d invalid requests wrote %d recorded and %d overflow entries; want %d and 1",
			n+2, recorded, overflow, receipts.InvalidRecordedPerWindow+2)
	}
	for _, tc := range []struct {
		name      string
		principal string
		window    time.Time
		want      int64
	}{
		{"the busy principal's window", "system:" + Actor.ID, at, n},
		{"the same window by a time inside it", "system:" + Actor.ID, at.Add(40 * time.Minute), n},
		{"the next window", "system:" + Actor.ID, at.Add(receipts.InvalidWindow), 1},
		{"another principal", "system:regsys-b", at, 1},
		{"a principal without invalid requests", "system:nobody", at, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := s.InvalidCount(Ctx(t), tc.principal, tc.window)
			if err != nil || got != tc.want {
				t.Fatalf("InvalidCount = %d, %v; want %d", got, err, tc.want)
			}
		})
	}
}

func testSequence(t *testing.T, s Store) {
	rec := register(t, s, NewRecord("seq-1", "0363", "WMO301"))
	if rec.Sequence != 1 || rec.Announced != 0 {
		t.Fatalf("registered: sequence %d announced %d, want 1 and 0", rec.Sequence, rec.Announced)
	}
	recs, err := s.MoveAll(Ctx(t), "seq-1", receipts.Change{To: receipts.Allowed}, receipts.Change{To: receipts.Published})
	if err != nil {
		t.Fatal(err)
	}
	if recs[0].Sequence != 2 || recs[1].Sequence != 3 {
		t.Fatalf("MoveAll sequences %d, %d; want 2, 3", recs[0].Sequence, recs[1].Sequence)
	}
	if _, err := s.MoveAll(Ctx(t), "seq-1", receipts.Change{To: receipts.Delivered}, receipts.Change{To: receipts.Received}); !errors.Is(err, receipts.ErrInvalidTransition) {
		t.Fatalf("bad MoveAll: %v", err)
	}
	for _, tc := range []struct {
		name string
		mark int64
		want int64
	}{
		{"raised", 2, 2},
		{"never lowered", 1, 2},
		{"raised again", 3, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := s.MarkAnnounced(Ctx(t), "seq-1", tc.mark); err != nil {
				t.Fatal(err)
			}
			if got := get(t, s, "seq-1"); got.Announced != tc.want || got.Sequence != 3 {
				t.Fatalf("announced %d sequence %d, want %d and 3", got.Announced, got.Sequence, tc.want)
			}
		})
	}
	if got := move(t, s, "seq-1", receipts.Delivered, receipts.Accepted); got.Sequence != 5 || got.Announced != 3 {
		t.Fatalf("after two moves: sequence %d announced %d", got.Sequence, got.Announced)
	}
	if err := s.MarkAnnounced(Ctx(t), "nope", 1); !errors.Is(err, receipts.ErrNotFound) {
		t.Fatalf("MarkAnnounced of an unknown id: %v", err)
	}
}

func testClaim(t *testing.T, s Store) {
	register(t, s, NewRecord("claim-1", "0363", "WMO301"))
	before := ledgerLen(t, s)
	later := time.Now().Add(time.Minute)
	steps := []struct {
		name  string
		do    func() error
		want  error
		owner string // who holds the claim afterwards, checked by claiming as someone else
	}{
		{"a free claim is taken", func() error { _, err := s.Claim(Ctx(t), "claim-1", "a", later); return err }, nil, "a"},
		{"another's live claim is refused", func() error { _, err := s.Claim(Ctx(t), "claim-1", "b", later); return err }, receipts.ErrClaimed, "a"},
		{"the holder claims again", func() error { _, err := s.Claim(Ctx(t), "claim-1", "a", later); return err }, nil, "a"},
		{"release by another is a no-op", func() error { return s.Release(Ctx(t), "claim-1", "b", 0) }, nil, "a"},
		{"release by the holder frees it", func() error { return s.Release(Ctx(t), "claim-1", "a", 1) }, nil, ""},
		{"a lapsed claim is taken over", func() error {
			if _, err := s.Claim(Ctx(t), "claim-1", "c", time.Now().Add(-time.Second)); err != nil {
				return err
			}
			_, err := s.Claim(Ctx(t), "claim-1", "d", later)
			return err
		}, nil, "d"},
		{"an unknown id", func() error { _, err := s.Claim(Ctx(t), "nope", "a", later); return err }, receipts.ErrNotFound, "d"},
		{"no owner", func() error { _, err := s.Claim(Ctx(t), "claim-1", "", later); return err }, storecore.ErrBadArgument, "d"},
	}
	for _, st := range steps {
		err := st.do()
		if !errors.Is(err, st.want) || (st.want == nil && err != nil) {
			t.Fatalf("%s: %v, want %v", st.name, err, st.want)
		}
		_, err = s.Claim(Ctx(t), "claim-1", "probe", later)
		switch {
		case st.owner == "" && err != nil:
			t.Fatalf("%s: the claim should be free: %v", st.name, err)
		case st.owner == "":
			if err := s.Release(Ctx(t), "claim-1", "probe", 0); err != nil {
				t.Fatal(err)
			}
		case !errors.Is(err, receipts.ErrClaimed):
			t.Fatalf("%s: %s should hold the claim: %v", st.name, st.owner, err)
		}
	}
	rec, err := s.Claim(Ctx(t), "claim-1", "d", later)
	if err != nil || rec.Announced != 1 || rec.State != receipts.Received || rec.Sequence != 1 {
		t.Fatalf("Claim returned %+v, %v", rec, err)
	}
	if n := ledgerLen(t, s); n != before {
		t.Fatalf("claims wrote %d ledger entries", n-before)
	}
	// Claims need no actor.
	if _, err := s.Claim(t.Context(), "claim-1", "d", later); err != nil {
		t.Fatalf("claim without an actor: %v", err)
	}
}

func testClaimConcurrent(t *testing.T, s Store) {
	RaceClaims(t, []Store{s}, 20)
}

// RaceClaims registers one disclosure in stores[0] and lets n goroutines,
// spread over stores (several Stores on one database: several sluis
// processes), claim it at once with owners of their own: exactly one wins,
// the others get receipts.ErrClaimed. After the winner's release, one
// claim again wins.
func RaceClaims(t *testing.T, stores []Store, n int) {
	t.Helper()
	id := fmt.Sprintf("race-%d", time.Now().UnixNano())
	register(t, stores[0], NewRecord(id, "0363", "WMO301"))
	for round := 0; round < 2; round++ {
		var (
			wg     sync.WaitGroup
			mu     sync.Mutex
			winner string
			won    int
			others []error
		)
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				owner := fmt.Sprintf("round-%d-worker-%d", round, i)
				_, err := stores[i%len(stores)].Claim(Ctx(t), id, owner, time.Now().Add(time.Minute))
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					won++
					winner = owner
				case !errors.Is(err, receipts.ErrClaimed):
					others = append(others, err)
				}
			}()
		}
		wg.Wait()
		if won != 1 || len(others) > 0 {
			t.Fatalf("round %d: %d of %d concurrent claims won (want 1); other errors %v", round, won, n, others)
		}
		if err := stores[len(stores)-1].Release(Ctx(t), id, winner, 0); err != nil {
			t.Fatal(err)
		}
	}
}

func testInvalidEventAndDetail(t *testing.T, s Store) {
	if err := s.RecordInvalid(Ctx(t), receipts.InvalidRequest{
		Municipality: "0363", System: "regsys-a", Reason: "sender.municipality: sender not allowed",
		Event: "intake:refused", Detail: map[string]string{"request_id": "r-1", "field": "sender.municipality", "reason": "overridden"},
	}); err != nil {
		t.Fatal(err)
	}
	if err := s.RecordInvalid(Ctx(t), receipts.InvalidRequest{
		DisclosureID: "taken-1", Reason: "id already used", Conflict: true,
	}); err != nil {
		t.Fatal(err)
	}
	all := VerifyChain(t, s)
	refused, conflict := all[len(all)-2], all[len(all)-1]
	if refused.Event != "intake:refused" || refused.Detail["field"] != "sender.municipality" ||
		refused.Detail["request_id"] != "r-1" || refused.Detail["reason"] != "sender.municipality: sender not allowed" {
		t.Fatalf("refused entry %+v", refused)
	}
	if conflict.Event != "intake:invalid" || conflict.DisclosureID != "" || conflict.Detail["request_id"] != "taken-1" ||
		conflict.Detail["rule"] != "idempotency" {
		t.Fatalf("conflict entry %+v", conflict)
	}
	if err := s.RecordInvalid(Ctx(t), receipts.InvalidRequest{Reason: "x", Detail: map[string]string{"k": "bad\x00"}}); !errors.Is(err, storecore.ErrBadArgument) {
		t.Fatalf("a NUL in the detail: %v", err)
	}
}
