package storetest

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"testing"

	"github.com/sluis-gateway/sluis/adapters/store/internal/storecore"
	"github.com/sluis-gateway/sluis/internal/actor"
	"github.com/sluis-gateway/sluis/internal/ledger"
)

// CounterStore is a store whose Identificatie counters an operator can
// list and raise (`sluis store counters`, docs/operations.md).
type CounterStore interface {
	Store
	// Counters returns every counter, by municipality then message type.
	Counters(ctx context.Context) ([]storecore.Counter, error)
	// RaiseCounters adds by to every counter (creating those of also that
	// do not exist at by) with one ledger entry, all or nothing; it
	// returns the counters after.
	RaiseCounters(ctx context.Context, by int64, also []storecore.CounterKey) ([]storecore.Counter, error)
}

// RunCounters runs the counters' contract suite; each subtest gets its own
// empty, migrated store from newStore.
func RunCounters(t *testing.T, newStore func(t *testing.T) CounterStore) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s CounterStore)
	}{
		{"raising continues every counter above the raise", testRaiseCounters},
		{"a refused raise changes nothing", testRaiseRefused},
		{"a raise during registrations hands out no number twice", testRaiseConcurrent},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.fn(t, newStore(t))
		})
	}
}

func counters(t *testing.T, s CounterStore) map[string]int64 {
	t.Helper()
	cs, err := s.Counters(Ctx(t))
	if err != nil {
		t.Fatalf("Counters: %v", err)
	}
	m := map[string]int64{}
	for _, c := range cs {
		m[c.Municipality+"/"+c.MessageType] = c.Last
	}
	return m
}

func testRaiseCounters(t *testing.T, s CounterStore) {
	if got := counters(t, s); len(got) != 0 {
		t.Fatalf("a fresh store has counters %v", got)
	}
	for i := 0; i < 3; i++ {
		register(t, s, NewRecord("a-"+strconv.Itoa(i), "0363", "WMO301"))
	}
	register(t, s, NewRecord("b-1", "0599", "JW301"))
	if got := counters(t, s); got["0363/WMO301"] != 3 || got["0599/JW301"] != 1 || len(got) != 2 {
		t.Fatalf("counters %v, want 0363/WMO301=3 0599/JW301=1", got)
	}
	after, err := s.RaiseCounters(Ctx(t), 1000, []storecore.CounterKey{{Municipality: "0363", MessageType: "WMO319"}, {Municipality: "0363", MessageType: "WMO301"}})
	if err != nil {
		t.Fatalf("RaiseCounters: %v", err)
	}
	want := map[string]int64{"0363/WMO301": 1003, "0363/WMO319": 1000, "0599/JW301": 1001}
	if len(after) != len(want) {
		t.Fatalf("returned %v, want %v", after, want)
	}
	for _, c := range after {
		if want[c.Municipality+"/"+c.MessageType] != c.Last {
			t.Fatalf("returned %v, want %v", after, want)
		}
	}
	for k, n := range want {
		var m, typ string = k[:4], k[5:]
		r := register(t, s, NewRecord("after-"+k, m, typ))
		if r.Identificatie != strconv.FormatInt(n+1, 10) {
			t.Errorf("%s: next Identificatie %s, want %d", k, r.Identificatie, n+1)
		}
	}
	es := VerifyChain(t, s)
	var raised []ledger.Entry
	for _, e := range es {
		if e.Event == ledger.EventCountersRaised {
			raised = append(raised, e)
		}
	}
	if len(raised) != 1 {
		t.Fatalf("%d %s entries, want 1", len(raised), ledger.EventCountersRaised)
	}
	e := raised[0]
	if e.Detail["by"] != "1000" || e.Detail["counters"] != "0363/WMO301=1003,0363/WMO319=1000,0599/JW301=1001" ||
		e.DisclosureID != "" || e.Actor != Actor.String() {
		t.Fatalf("entry %+v", e)
	}
}

func testRaiseRefused(t *testing.T, s CounterStore) {
	register(t, s, NewRecord("a-1", "0363", "WMO301"))
	n := ledgerLen(t, s)
	tests := []struct {
		name string
		ctx  context.Context
		by   int64
		also []storecore.CounterKey
		want error
	}{
		{"no actor", context.Background(), 10, nil, actor.ErrMissing},
		{"by zero", Ctx(t), 0, nil, storecore.ErrBadArgument},
		{"by negative", Ctx(t), -5, nil, storecore.ErrBadArgument},
		{"a bad key", Ctx(t), 10, []storecore.CounterKey{{Municipality: "363", MessageType: "WMO301"}}, storecore.ErrBadArgument},
		{"past 12 digits", Ctx(t), storecore.MaxIdentificatie, []storecore.CounterKey{{Municipality: "0599", MessageType: "JW301"}}, storecore.ErrIdentificatieExhausted},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := s.RaiseCounters(tt.ctx, tt.by, tt.also); !errors.Is(err, tt.want) {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
			if got := counters(t, s); len(got) != 1 || got["0363/WMO301"] != 1 {
				t.Fatalf("counters after a refused raise: %v", got)
			}
			if got := ledgerLen(t, s); got != n {
				t.Fatalf("ledger grew from %d to %d", n, got)
			}
		})
	}
}

// testRaiseConcurrent: registrations racing a raise get distinct numbers,
// and every number handed out after the raise committed is above it.
func testRaiseConcurrent(t *testing.T, s CounterStore) {
	const workers, each = 4, 10
	register(t, s, NewRecord("first", "0363", "WMO301")) // the counter exists before the race
	var wg sync.WaitGroup
	ids := make(chan string, workers*each)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				r, _, err := s.Register(Ctx(t), NewRecord("c-"+strconv.Itoa(w)+"-"+strconv.Itoa(i), "0363", "WMO301"))
				if err != nil {
					t.Errorf("Register: %v", err)
					return
				}
				ids <- r.Identificatie
			}
		}()
	}
	if _, err := s.RaiseCounters(Ctx(t), 500, nil); err != nil {
		t.Errorf("RaiseCounters: %v", err)
	}
	wg.Wait()
	close(ids)
	seen := map[string]bool{}
	for id := range ids {
		if seen[id] {
			t.Fatalf("Identificatie %s handed out twice", id)
		}
		seen[id] = true
	}
	if seen["1"] {
		t.Fatal("Identificatie 1 handed out again")
	}
	if len(seen) != workers*each {
		t.Fatalf("%d registrations, want %d", len(seen), workers*each)
	}
	r := register(t, s, NewRecord("last", "0363", "WMO301"))
	if n, _ := strconv.ParseInt(r.Identificatie, 10, 64); n <= 500 {
		t.Fatalf("Identificatie %d after a raise of 500", n)
	}
	VerifyChain(t, s)
}
