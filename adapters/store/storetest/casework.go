package storetest

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/sluis-gateway/sluis/adapters/store/internal/storecore"
	"github.com/sluis-gateway/sluis/internal/actor"
	"github.com/sluis-gateway/sluis/internal/casework"
	"github.com/sluis-gateway/sluis/internal/ledger"
)

// CaseworkStore is what the casework suite tests.
type CaseworkStore interface {
	casework.Store
	ledger.Reader
}

// RunCasework runs the casework contract suite (internal/casework: human
// reviews, break-glass reads, follow-ups); each subtest gets its own empty,
// migrated store, closed in t.Cleanup.
func RunCasework(t *testing.T, newStore func(t *testing.T) CaseworkStore) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s CaseworkStore)
	}{
		{"open, get and list round trip", testItemRoundTrip},
		{"opening an item again is a no-op", testItemOpenIdempotent},
		{"closing: once, with its ledger entry", testItemClose},
		{"lists are per municipality, kind and open state", testItemLists},
		{"overdue: open items past their due time", testItemOverdue},
		{"concurrent closes: one wins", testItemCloseRace},
		{"without an actor nothing changes", testItemNoActor},
		{"bad arguments are refused", testItemBadArguments},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.fn(t, newStore(t))
		})
	}
}

var itemT0 = time.Date(2026, 11, 23, 10, 0, 0, 123456789, time.UTC)

func newItem(id string, kind casework.Kind, municipality string) casework.Item {
	due := itemT0.Add(24 * time.Hour)
	return casework.Item{ID: id, Kind: kind, DisclosureID: "d-" + id, Municipality: municipality, OpenedAt: itemT0,
		Due: &due, Reason: "client_request", Reference: "ZK-1"}
}

func openItem(t *testing.T, s CaseworkStore, it casework.Item) casework.Item {
	t.Helper()
	got, created, err := s.OpenItem(Ctx(t), it)
	if err != nil || !created {
		t.Fatalf("OpenItem(%s): created %v, %v", it.ID, created, err)
	}
	return got
}

func itemEvents(t *testing.T, s CaseworkStore, event string) []ledger.Entry {
	t.Helper()
	var out []ledger.Entry
	for _, e := range ReadLedger(t, s) {
		if e.Event == event {
			out = append(out, e)
		}
	}
	return out
}

func sameItem(a, b casework.Item) bool {
	tp := func(x, y *time.Time) bool { return (x == nil) == (y == nil) && (x == nil || x.Equal(*y)) }
	return a.ID == b.ID && a.Kind == b.Kind && a.DisclosureID == b.DisclosureID && a.Municipality == b.Municipality &&
		a.OpenedAt.Equal(b.OpenedAt) && a.OpenedBy == b.OpenedBy && tp(a.Due, b.Due) && a.Reason == b.Reason &&
		a.Reference == b.Reference && tp(a.ClosedAt, b.ClosedAt) && a.ClosedBy == b.ClosedBy && a.Outcome == b.Outcome &&
		a.OutcomeReason == b.OutcomeReason && a.OutcomeReference == b.OutcomeReference
}

func testItemRoundTrip(t *testing.T, s CaseworkStore) {
	want := newItem("break_glass:1", casework.KindBreakGlass, "0363")
	got := openItem(t, s, want)
	if got.OpenedBy != Actor.String() || !got.OpenedAt.Equal(storecore.Trunc(itemT0)) || !got.Open() {
		t.Fatalf("opened %+v", got)
	}
	read, err := s.GetItem(Ctx(t), want.ID)
	if err != nil || !sameItem(read, got) || read.OpenedAt.Location() != time.UTC {
		t.Fatalf("GetItem = %+v, %v; want %+v", read, err, got)
	}
	list, err := s.ListItems(Ctx(t), "0363", "", false, 10)
	if err != nil || len(list) != 1 || !sameItem(list[0], got) {
		t.Fatalf("ListItems = %+v, %v", list, err)
	}
	es := itemEvents(t, s, "break_glass:opened")
	if len(es) != 1 || es[0].DisclosureID != want.DisclosureID || es[0].Detail["item_id"] != want.ID ||
		es[0].Detail["reason"] != "client_request" || es[0].Detail["municipality"] != "0363" {
		t.Fatalf("ledger: %+v", es)
	}
	if _, err := s.GetItem(Ctx(t), "nope"); !errors.Is(err, casework.ErrNotFound) {
		t.Fatalf("unknown item: %v", err)
	}
}

func testItemOpenIdempotent(t *testing.T, s CaseworkStore) {
	first := openItem(t, s, newItem("inform_client:d1", casework.KindInformClient, "0363"))
	again := newItem("inform_client:d1", casework.KindInformClient, "0363")
	again.Reference = "other"
	got, created, err := s.OpenItem(Ctx(t), again)
	if err != nil || created || !sameItem(got, first) {
		t.Fatalf("second open: %+v created %v %v; want the first %+v", got, created, err, first)
	}
	if n := len(itemEvents(t, s, "inform_client:opened")); n != 1 {
		t.Fatalf("%d opened entries, want 1", n)
	}
}

func testItemClose(t *testing.T, s CaseworkStore) {
	openItem(t, s, newItem("human_review:d1", casework.KindHumanReview, "0363"))
	at := itemT0.Add(time.Hour)
	got, err := s.CloseItem(Ctx(t), "human_review:d1", casework.Closing{At: at, Outcome: "upheld", Reason: "r", Reference: "ZK-2"})
	if err != nil || got.Open() || !got.ClosedAt.Equal(storecore.Trunc(at)) || got.ClosedBy != Actor.String() ||
		got.Outcome != "upheld" || got.OutcomeReason != "r" || got.OutcomeReference != "ZK-2" {
		t.Fatalf("closed %+v, %v", got, err)
	}
	read, err := s.GetItem(Ctx(t), "human_review:d1")
	if err != nil || !sameItem(read, got) {
		t.Fatalf("after close: %+v, %v; want %+v", read, err, got)
	}
	if _, err := s.CloseItem(Ctx(t), "human_review:d1", casework.Closing{At: at, Outcome: "overturned"}); !errors.Is(err, casework.ErrClosed) {
		t.Fatalf("second close: %v", err)
	}
	if _, err := s.CloseItem(Ctx(t), "nope", casework.Closing{At: at, Outcome: "upheld"}); !errors.Is(err, casework.ErrNotFound) {
		t.Fatalf("close unknown: %v", err)
	}
	es := itemEvents(t, s, "human_review:closed")
	if len(es) != 1 || es[0].Detail["outcome"] != "upheld" || es[0].Detail["reference"] != "ZK-2" || es[0].DisclosureID != "d-human_review:d1" {
		t.Fatalf("ledger: %+v", es)
	}
	VerifyChain(t, s)
}

func testItemLists(t *testing.T, s CaseworkStore) {
	openItem(t, s, newItem("a", casework.KindBreakGlass, "0363"))
	openItem(t, s, newItem("b", casework.KindHumanReview, "0363"))
	openItem(t, s, newItem("c", casework.KindBreakGlass, "0599"))
	openItem(t, s, newItem("d", casework.KindBreakGlass, "0363"))
	if _, err := s.CloseItem(Ctx(t), "d", casework.Closing{At: itemT0, Outcome: "justified"}); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name         string
		municipality string
		kind         casework.Kind
		openOnly     bool
		limit        int
		want         []string
	}{
		{"all of 0363, oldest first", "0363", "", false, 10, []string{"a", "b", "d"}},
		{"open ones of 0363", "0363", "", true, 10, []string{"a", "b"}},
		{"one kind", "0363", casework.KindBreakGlass, false, 10, []string{"a", "d"}},
		{"one kind, open", "0363", casework.KindBreakGlass, true, 10, []string{"a"}},
		{"another municipality", "0599", "", false, 10, []string{"c"}},
		{"a municipality without items", "0014", "", false, 10, []string{}},
		{"limited", "0363", "", false, 2, []string{"a", "b"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := s.ListItems(Ctx(t), tc.municipality, tc.kind, tc.openOnly, tc.limit)
			if err != nil || got == nil {
				t.Fatalf("ListItems: %v, %v", got, err)
			}
			ids := []string{}
			for _, it := range got {
				ids = append(ids, it.ID)
			}
			if !slices.Equal(ids, tc.want) {
				t.Fatalf("ids %v, want %v", ids, tc.want)
			}
		})
	}
}

func testItemOverdue(t *testing.T, s CaseworkStore) {
	a := newItem("inform_client:a", casework.KindInformClient, "0363") // due t0+24h
	b := newItem("coordinator_review:a", casework.KindCoordinatorReview, "0363")
	b.Due = nil // no deadline: never overdue
	c := newItem("inform_client:c", casework.KindInformClient, "0599")
	d := newItem("inform_client:d", casework.KindInformClient, "0363")
	for _, it := range []casework.Item{a, b, c, d} {
		openItem(t, s, it)
	}
	if _, err := s.CloseItem(Ctx(t), "inform_client:d", casework.Closing{At: itemT0, Outcome: "informed"}); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		now  time.Time
		want map[casework.Kind]int64
	}{
		{"before the due time", itemT0.Add(23 * time.Hour), map[casework.Kind]int64{}},
		{"at the due time", storecore.Trunc(itemT0).Add(24 * time.Hour), map[casework.Kind]int64{}},
		{"after it: open ones of every municipality, closed ones not", itemT0.Add(25 * time.Hour), map[casework.Kind]int64{casework.KindInformClient: 2}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := s.CountOverdue(Ctx(t), tc.now)
			if err != nil || len(got) != len(tc.want) || got[casework.KindInformClient] != tc.want[casework.KindInformClient] {
				t.Fatalf("CountOverdue = %v, %v; want %v", got, err, tc.want)
			}
		})
	}
}

func testItemCloseRace(t *testing.T, s CaseworkStore) {
	openItem(t, s, newItem("race", casework.KindBreakGlass, "0363"))
	var (
		wg             sync.WaitGroup
		mu             sync.Mutex
		closed, refuse int
	)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := s.CloseItem(Ctx(t), "race", casework.Closing{At: itemT0, Outcome: "justified"})
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				closed++
			case errors.Is(err, casework.ErrClosed):
				refuse++
			default:
				t.Errorf("close: %v", err)
			}
		}()
	}
	wg.Wait()
	if closed != 1 || refuse != 7 || len(itemEvents(t, s, "break_glass:closed")) != 1 {
		t.Fatalf("%d closed, %d refused, want 1 and 7", closed, refuse)
	}
}

func testItemNoActor(t *testing.T, s CaseworkStore) {
	ctx := context.Background()
	if _, _, err := s.OpenItem(ctx, newItem("x", casework.KindBreakGlass, "0363")); !errors.Is(err, actor.ErrMissing) {
		t.Fatalf("open without actor: %v", err)
	}
	openItem(t, s, newItem("y", casework.KindBreakGlass, "0363"))
	if _, err := s.CloseItem(ctx, "y", casework.Closing{At: itemT0, Outcome: "justified"}); !errors.Is(err, actor.ErrMissing) {
		t.Fatalf("close without actor: %v", err)
	}
	if it, _ := s.GetItem(Ctx(t), "y"); !it.Open() {
		t.Fatal("closed without an actor")
	}
	if _, err := s.GetItem(Ctx(t), "x"); !errors.Is(err, casework.ErrNotFound) {
		t.Fatalf("opened without an actor: %v", err)
	}
}

func testItemBadArguments(t *testing.T, s CaseworkStore) {
	bad := func(mod func(*casework.Item)) casework.Item {
		it := newItem("bad", casework.KindBreakGlass, "0363")
		mod(&it)
		return it
	}
	cases := []struct {
		name string
		it   casework.Item
	}{
		{"unknown kind", bad(func(it *casework.Item) { it.Kind = "gossip" })},
		{"no id", bad(func(it *casework.Item) { it.ID = "" })},
		{"no disclosure", bad(func(it *casework.Item) { it.DisclosureID = "" })},
		{"no municipality", bad(func(it *casework.Item) { it.Municipality = "" })},
		{"no time", bad(func(it *casework.Item) { it.OpenedAt = time.Time{} })},
		{"a reference that is not UTF-8", bad(func(it *casework.Item) { it.Reference = "\xff" })},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if _, _, err := s.OpenItem(Ctx(t), tc.it); !errors.Is(err, storecore.ErrBadArgument) {
				t.Fatalf("OpenItem: %v, want a bad argument", err)
			}
		})
	}
	openItem(t, s, newItem("ok", casework.KindBreakGlass, "0363"))
	if _, err := s.CloseItem(Ctx(t), "ok", casework.Closing{At: itemT0}); !errors.Is(err, storecore.ErrBadArgument) {
		t.Fatalf("close without outcome: %v", err)
	}
	if _, err := s.ListItems(Ctx(t), "0363", "", false, 0); !errors.Is(err, storecore.ErrBadArgument) {
		t.Fatalf("list with limit 0: %v", err)
	}
}
