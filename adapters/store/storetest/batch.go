package storetest

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/sluis-gateway/sluis/adapters/store/internal/storecore"
	"github.com/sluis-gateway/sluis/internal/actor"
	"github.com/sluis-gateway/sluis/internal/receipts"
)

// Actors of the batch cases: each item's ledger entry names its own.
var (
	batchActorA = actor.SenderEmployee("regsys-a", "0363", "e-1")
	batchActorB = actor.SenderEmployee("regsys-b", "0599", "e-2")
)

func testRegisterBatch(t *testing.T, s Store) {
	old := register(t, s, NewRecord("rb-old", "0363", "WMO301"))
	before := ledgerLen(t, s)
	other := NewRecord("rb-old", "0363", "WMO301")
	other.RequestHash = "another request"
	twiceOther := NewRecord("rb-twice", "0363", "WMO301")
	twiceOther.RequestHash = "another request"
	bad := NewRecord("rb-bad", "0363", "WMO301")
	bad.Municipality = ""
	items := []receipts.Registration{
		{Actor: batchActorA, Record: NewRecord("rb-1", "0363", "WMO301")},
		{Actor: batchActorB, Record: NewRecord("rb-2", "0599", "JW301")},
		{Actor: batchActorA, Record: NewRecord("rb-old", "0363", "WMO301")},
		{Actor: batchActorA, Record: other},
		{Actor: batchActorA, Record: NewRecord("rb-twice", "0363", "WMO301")},
		{Actor: batchActorB, Record: NewRecord("rb-twice", "0363", "WMO301")},
		{Actor: batchActorB, Record: twiceOther},
		{Actor: batchActorA, Record: bad},
		{Record: NewRecord("rb-no-actor", "0363", "WMO301")},
		{Actor: batchActorA, Record: NewRecord("rb-3", "0363", "WMO301")},
	}
	got, err := s.RegisterBatch(Ctx(t), items)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(items) {
		t.Fatalf("%d results for %d items", len(got), len(items))
	}
	for _, tc := range []struct {
		name    string
		i       int
		created bool
		err     error
		same    int // >= 0: the same record as that item's
	}{
		{"a new id is registered", 0, true, nil, -1},
		{"a new id of another municipality", 1, true, nil, -1},
		{"a stored id with the same request is found", 2, false, nil, -1},
		{"a stored id with another request conflicts", 3, false, receipts.ErrConflict, -1},
		{"an id new in the batch", 4, true, nil, -1},
		{"its second copy finds the first", 5, false, nil, 4},
		{"a copy with another request conflicts", 6, false, receipts.ErrConflict, -1},
		{"a bad record is refused", 7, false, storecore.ErrBadArgument, -1},
		{"an item without an actor is refused", 8, false, actor.ErrMissing, -1},
		{"the items after them are registered", 9, true, nil, -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := got[tc.i]
			if tc.err != nil {
				if !errors.Is(r.Err, tc.err) {
					t.Fatalf("err = %v, want %v", r.Err, tc.err)
				}
				return
			}
			if r.Err != nil || r.Created != tc.created {
				t.Fatalf("created %v, err %v; want created %v", r.Created, r.Err, tc.created)
			}
			if r.Record.DisclosureID != items[tc.i].Record.DisclosureID || r.Record.State != receipts.Received {
				t.Fatalf("record %+v", r.Record)
			}
			if d := diffRecords(get(t, s, r.Record.DisclosureID), r.Record); d != "" {
				t.Fatalf("returned record differs from the stored one: %s", d)
			}
			if tc.same >= 0 && r.Record.Identificatie != got[tc.same].Record.Identificatie {
				t.Fatalf("identificatie %s, the first copy has %s", r.Record.Identificatie, got[tc.same].Record.Identificatie)
			}
		})
	}
	if got[2].Record.Identificatie != old.Identificatie {
		t.Errorf("found record has identificatie %s, stored %s", got[2].Record.Identificatie, old.Identificatie)
	}
	// Identificaties continue the counter per municipality and type.
	idents := []string{old.Identificatie, got[0].Record.Identificatie, got[4].Record.Identificatie, got[9].Record.Identificatie}
	if !slices.Equal(idents, []string{"1", "2", "3", "4"}) {
		t.Errorf("identificaties of 0363/WMO301 = %v, want 1 2 3 4", idents)
	}
	if got[1].Record.Identificatie != "1" {
		t.Errorf("identificatie of 0599/JW301 = %s, want 1", got[1].Record.Identificatie)
	}
	for _, id := range []string{"rb-bad", "rb-no-actor"} {
		if _, err := s.Get(Ctx(t), id); !errors.Is(err, receipts.ErrNotFound) {
			t.Errorf("refused item %s: Get = %v, want not found", id, err)
		}
	}
	added := VerifyChain(t, s)[before:]
	want := map[string]string{"rb-1": batchActorA.String(), "rb-2": batchActorB.String(), "rb-twice": batchActorA.String(), "rb-3": batchActorA.String()}
	if len(added) != len(want) {
		t.Fatalf("the batch added %d ledger entries, want %d", len(added), len(want))
	}
	for _, e := range added {
		if e.Event != "state:received" || want[e.DisclosureID] != e.Actor {
			t.Errorf("ledger entry %s %s by %s", e.DisclosureID, e.Event, e.Actor)
		}
	}
	if _, err := s.RegisterBatch(Ctx(t), nil); !errors.Is(err, receipts.ErrBadBatch) {
		t.Errorf("an empty batch: %v, want ErrBadBatch", err)
	}
}

func testRegisterBatchConcurrent(t *testing.T, s Store) {
	// Batches and single registers of overlapping ids at once: one record
	// per id, identificaties unique and without gaps.
	const ids, batches = 40, 6
	var wg sync.WaitGroup
	errs := make(chan error, batches*2)
	for b := 0; b < batches; b++ {
		wg.Add(2)
		go func() {
			defer wg.Done()
			var items []receipts.Registration
			for i := 0; i < ids; i++ {
				k := (i*7 + b*5) % ids
				items = append(items, receipts.Registration{Actor: batchActorA, Record: NewRecord(fmt.Sprintf("rbc-%d", k), "0363", "WMO301")})
			}
			got, err := s.RegisterBatch(Ctx(t), items)
			if err != nil {
				errs <- err
				return
			}
			for _, r := range got {
				if r.Err != nil {
					errs <- r.Err
				}
			}
		}()
		go func() {
			defer wg.Done()
			rec := NewRecord(fmt.Sprintf("rbc-%d", b), "0363", "WMO301")
			if _, _, err := s.Register(actor.With(Ctx(t), batchActorB), rec); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	seen := map[string]bool{}
	for i := 0; i < ids; i++ {
		rec := get(t, s, fmt.Sprintf("rbc-%d", i))
		if seen[rec.Identificatie] {
			t.Fatalf("identificatie %s twice", rec.Identificatie)
		}
		seen[rec.Identificatie] = true
	}
	for i := 1; i <= ids; i++ {
		if !seen[fmt.Sprint(i)] {
			t.Errorf("identificatie %d missing: %v", i, seen)
		}
	}
	entries := VerifyChain(t, s)
	if len(entries) != ids {
		t.Fatalf("%d ledger entries for %d registrations", len(entries), ids)
	}
}

func testClaimBatch(t *testing.T, s Store) {
	for _, id := range []string{"cb-free", "cb-mine", "cb-theirs", "cb-lapsed"} {
		register(t, s, NewRecord(id, "0363", "WMO301"))
	}
	later := time.Now().Add(time.Minute)
	for _, c := range []struct{ id, owner string }{{"cb-mine", "me"}, {"cb-theirs", "them"}} {
		if _, err := s.Claim(Ctx(t), c.id, c.owner, later); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Claim(Ctx(t), "cb-lapsed", "them", time.Now().Add(-time.Second)); err != nil {
		t.Fatal(err)
	}
	before := ledgerLen(t, s)
	claims := []receipts.ClaimRequest{
		cr("cb-free", "me"), cr("cb-mine", "me"), cr("cb-theirs", "me"), cr("cb-lapsed", "me"), cr("cb-unknown", "me"), cr("cb-noowner", ""),
	}
	// Claims need no actor.
	got, err := s.ClaimBatch(t.Context(), claims, later)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		i    int
		err  error
	}{
		{"a free claim is taken", 0, nil},
		{"the holder claims again", 1, nil},
		{"another's live claim is refused", 2, receipts.ErrClaimed},
		{"a lapsed claim is taken over", 3, nil},
		{"an unknown id", 4, receipts.ErrNotFound},
		{"no owner", 5, storecore.ErrBadArgument},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := got[tc.i]
			if tc.err != nil {
				if !errors.Is(r.Err, tc.err) {
					t.Fatalf("err = %v, want %v", r.Err, tc.err)
				}
				return
			}
			if r.Err != nil || r.Record.DisclosureID != claims[tc.i].DisclosureID || r.Record.State != receipts.Received {
				t.Fatalf("record %+v, err %v", r.Record, r.Err)
			}
			// Now held by me: another owner is refused.
			if _, err := s.Claim(Ctx(t), claims[tc.i].DisclosureID, "probe", later); !errors.Is(err, receipts.ErrClaimed) {
				t.Fatalf("after the batch, Claim by another = %v, want ErrClaimed", err)
			}
		})
	}
	if _, err := s.Claim(Ctx(t), "cb-theirs", "probe", later); !errors.Is(err, receipts.ErrClaimed) {
		t.Errorf("the refused claim changed the holder: %v", err)
	}
	if n := ledgerLen(t, s); n != before {
		t.Errorf("claims wrote %d ledger entries", n-before)
	}
	for _, tc := range []struct {
		name   string
		claims []receipts.ClaimRequest
	}{
		{"no claims", nil},
		{"one disclosure twice", []receipts.ClaimRequest{cr("cb-free", "me"), cr("cb-free", "me")}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := s.ClaimBatch(Ctx(t), tc.claims, later); !errors.Is(err, receipts.ErrBadBatch) {
				t.Fatalf("err = %v, want ErrBadBatch", err)
			}
		})
	}
}

func testMoveBatch(t *testing.T, s Store) {
	for _, id := range []string{"mb-1", "mb-2", "mb-3", "mb-4", "mb-done"} {
		register(t, s, NewRecord(id, "0363", "WMO301"))
	}
	move(t, s, "mb-done", receipts.Refused)
	before := ledgerLen(t, s)
	allow := []receipts.Change{{To: receipts.Allowed}}
	twice := []receipts.Moves{{Actor: batchActorA, DisclosureID: "mb-1", Changes: allow}, {Actor: batchActorA, DisclosureID: "mb-1", Changes: allow}}
	if _, err := s.MoveBatch(Ctx(t), twice); !errors.Is(err, receipts.ErrBadBatch) {
		t.Fatalf("one disclosure twice: %v, want ErrBadBatch", err)
	}
	if _, err := s.MoveBatch(Ctx(t), nil); !errors.Is(err, receipts.ErrBadBatch) {
		t.Fatalf("no moves: %v, want ErrBadBatch", err)
	}
	if n := ledgerLen(t, s); n != before {
		t.Fatalf("refused batches wrote %d ledger entries", n-before)
	}
	moves := []receipts.Moves{
		{Actor: batchActorA, DisclosureID: "mb-1", Changes: []receipts.Change{{To: receipts.Allowed}, {To: receipts.Published}}},
		{Actor: batchActorB, DisclosureID: "mb-2", Changes: []receipts.Change{{To: receipts.Refused, Reason: "Refused: no basis.", ReasonCodes: []string{"no_basis"}}}},
		{Actor: batchActorA, DisclosureID: "mb-done", Changes: allow},
		{Actor: batchActorA, DisclosureID: "mb-unknown", Changes: allow},
		{Actor: batchActorA, DisclosureID: "mb-none"},
		{Actor: batchActorB, DisclosureID: "mb-3", Changes: []receipts.Change{{To: receipts.Allowed}, {To: receipts.Delivered}}},
		{DisclosureID: "mb-4", Changes: allow},
	}
	got, err := s.MoveBatch(Ctx(t), moves)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		i      int
		err    error
		states []receipts.State
	}{
		{"two changes in one item", 0, nil, []receipts.State{receipts.Allowed, receipts.Published}},
		{"a refusal with its reason", 1, nil, []receipts.State{receipts.Refused}},
		{"a final state does not move", 2, receipts.ErrInvalidTransition, nil},
		{"an unknown id", 3, receipts.ErrNotFound, nil},
		{"no changes", 4, storecore.ErrBadArgument, nil},
		{"an item fails whole: allowed then delivered", 5, receipts.ErrInvalidTransition, nil},
		{"an item without an actor", 6, actor.ErrMissing, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := got[tc.i]
			if tc.err != nil {
				if !errors.Is(r.Err, tc.err) {
					t.Fatalf("err = %v, want %v", r.Err, tc.err)
				}
				return
			}
			if r.Err != nil || len(r.Records) != len(tc.states) {
				t.Fatalf("records %+v, err %v", r.Records, r.Err)
			}
			for k, st := range tc.states {
				if r.Records[k].State != st {
					t.Fatalf("record %d in %s, want %s", k, r.Records[k].State, st)
				}
			}
			if d := diffRecords(get(t, s, moves[tc.i].DisclosureID), r.Records[len(r.Records)-1]); d != "" {
				t.Fatalf("returned record differs from the stored one: %s", d)
			}
		})
	}
	for _, id := range []string{"mb-3", "mb-4"} {
		if rec := get(t, s, id); rec.State != receipts.Received || rec.Sequence != 1 {
			t.Errorf("the failed item %s moved: %s seq %d", id, rec.State, rec.Sequence)
		}
	}
	if rec := get(t, s, "mb-2"); rec.Reason != "Refused: no basis." || !slices.Equal(rec.ReasonCodes, []string{"no_basis"}) {
		t.Errorf("refusal stored as %q %v", rec.Reason, rec.ReasonCodes)
	}
	added := VerifyChain(t, s)[before:]
	var got3 []string
	for _, e := range added {
		got3 = append(got3, e.DisclosureID+" "+e.Event+" "+e.Actor)
	}
	want := []string{
		"mb-1 state:allowed " + batchActorA.String(),
		"mb-1 state:published " + batchActorA.String(),
		"mb-2 state:refused " + batchActorB.String(),
	}
	if !slices.Equal(got3, want) {
		t.Errorf("ledger entries\n%q\nwant\n%q", got3, want)
	}
}

func testReleaseBatch(t *testing.T, s Store) {
	for _, id := range []string{"rl-1", "rl-2"} {
		register(t, s, NewRecord(id, "0363", "WMO301"))
	}
	later := time.Now().Add(time.Minute)
	if _, err := s.ClaimBatch(Ctx(t), []receipts.ClaimRequest{cr("rl-1", "me"), cr("rl-2", "them")}, later); err != nil {
		t.Fatal(err)
	}
	if err := s.ReleaseBatch(Ctx(t), []receipts.ReleaseRequest{rr("rl-1", "me", 1), rr("rl-2", "me", 1)}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name      string
		id        string
		free      bool
		announced int64
	}{
		{"the holder's claim ends, the mark rises", "rl-1", true, 1},
		{"another's claim stays, the mark rises", "rl-2", false, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec, err := s.Claim(Ctx(t), tc.id, "probe", later)
			if tc.free != (err == nil) {
				t.Fatalf("claim by another after release: %v", err)
			}
			if a := get(t, s, tc.id).Announced; a != tc.announced {
				t.Fatalf("announced %d, want %d (%+v)", a, tc.announced, rec)
			}
		})
	}
	// The mark never falls.
	if err := s.ReleaseBatch(Ctx(t), []receipts.ReleaseRequest{rr("rl-1", "probe", 0)}); err != nil {
		t.Fatal(err)
	}
	if a := get(t, s, "rl-1").Announced; a != 1 {
		t.Errorf("announced fell to %d", a)
	}
	for _, tc := range []struct {
		name string
		rs   []receipts.ReleaseRequest
		want error
	}{
		{"nothing", nil, receipts.ErrBadBatch},
		{"one disclosure twice", []receipts.ReleaseRequest{rr("rl-1", "me", 1), rr("rl-1", "me", 1)}, receipts.ErrBadBatch},
		{"no owner", []receipts.ReleaseRequest{rr("rl-1", "", 1)}, storecore.ErrBadArgument},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := s.ReleaseBatch(Ctx(t), tc.rs); !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
		})
	}
}

func testBatchesCrossing(t *testing.T, s Store) {
	// Two workers run claim, move and release batches over the same
	// disclosures in opposite orders at once: both finish (no deadlock),
	// each disclosure moves once.
	const n = 30
	var ids []string
	for i := 0; i < n; i++ {
		id := fmt.Sprintf("x-%02d", i)
		register(t, s, NewRecord(id, "0363", "WMO301"))
		ids = append(ids, id)
	}
	var wg sync.WaitGroup
	moved := make([]int, 2)
	errs := make(chan error, 2)
	for w := 0; w < 2; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			order := slices.Clone(ids)
			if w == 1 {
				slices.Reverse(order)
			}
			for round := 0; round < 5; round++ {
				owner := fmt.Sprintf("w%d-%d", w, round)
				var claims []receipts.ClaimRequest
				for _, id := range order {
					claims = append(claims, receipts.ClaimRequest{DisclosureID: id, Owner: owner})
				}
				got, err := s.ClaimBatch(Ctx(t), claims, time.Now().Add(time.Minute))
				if err != nil {
					errs <- err
					return
				}
				var mine []receipts.Moves
				var rel []receipts.ReleaseRequest
				for i, c := range got {
					if c.Err != nil {
						continue
					}
					rel = append(rel, receipts.ReleaseRequest{DisclosureID: order[i], Owner: owner, Announced: 1})
					if c.Record.State == receipts.Received {
						mine = append(mine, receipts.Moves{Actor: batchActorA, DisclosureID: order[i], Changes: []receipts.Change{{To: receipts.Allowed}}})
					}
				}
				if len(mine) > 0 {
					res, err := s.MoveBatch(Ctx(t), mine)
					if err != nil {
						errs <- err
						return
					}
					for _, r := range res {
						if r.Err != nil {
							errs <- r.Err
							return
						}
						moved[w]++
					}
				}
				if len(rel) > 0 {
					if err := s.ReleaseBatch(Ctx(t), rel); err != nil {
						errs <- err
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if moved[0]+moved[1] != n {
		t.Fatalf("moved %d + %d, want %d in all", moved[0], moved[1], n)
	}
	for _, id := range ids {
		if st := get(t, s, id).State; st != receipts.Allowed {
			t.Fatalf("%s in %s", id, st)
		}
	}
	VerifyChain(t, s)
}

func cr(id, owner string) receipts.ClaimRequest {
	return receipts.ClaimRequest{DisclosureID: id, Owner: owner}
}

func rr(id, owner string, announced int64) receipts.ReleaseRequest {
	return receipts.ReleaseRequest{DisclosureID: id, Owner: owner, Announced: announced}
}
