package storetest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/sluis-gateway/sluis/internal/actor"
	"github.com/sluis-gateway/sluis/internal/breach"
	"github.com/sluis-gateway/sluis/internal/ledger"
)

// BreachStore is what the breach contract suite tests: the register's store
// and the ledger its writes go to.
type BreachStore interface {
	breach.Store
	ledger.Reader
}

// RunBreach runs the breach register's contract suite; each subtest gets
// its own store from newStore (empty, migrated, closed in t.Cleanup).
func RunBreach(t *testing.T, newStore func(t *testing.T) BreachStore) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s BreachStore)
	}{
		{"create and get round trip every field", testBreachRoundTrip},
		{"a signal key is proposed once", testBreachSignalOnce},
		{"update needs the stored version", testBreachVersion},
		{"get and update of an unknown id are not found", testBreachNotFound},
		{"list is oldest first", testBreachList},
		{"every write has its ledger entry, none without an actor", testBreachLedger},
		{"concurrent proposals of one signal create one incident", testBreachConcurrent},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.fn(t, newStore(t)) })
	}
}

var breachAt = time.Date(2026, 12, 1, 9, 30, 15, 123456000, time.UTC)

func sampleIncident(id string) breach.Incident {
	return breach.Incident{
		ID: id, Municipality: "0363", State: breach.Confirmed, Source: breach.SourceManual,
		Signal: map[string]string{"k": "v"}, AwareAt: breachAt, OccurredFrom: breachAt.Add(-time.Hour),
		Summary: "e-mail met bijlage naar verkeerde aanbieder", Kinds: []string{breach.KindConfidentiality},
		Categories: []string{"identification", "contact"}, SubjectsApprox: 3, RecordsApprox: 4,
		ClientKeys:    []string{"0000000000000000000000000000000000000000000000000000000000000001"},
		DisclosureIDs: []string{"d-1", "d-2"}, Consequences: "inzage", Measures: "verwijderd",
		APNotification: breach.APRequired, APNotifiedAt: breachAt.Add(2 * time.Hour), APNotifiedBy: "staff:po-1",
		RecordedBy: "staff:po-1", CreatedAt: breachAt, UpdatedAt: breachAt, Version: 1,
	}
}

func testBreachRoundTrip(t *testing.T, s BreachStore) {
	ctx := Ctx(t)
	in := sampleIncident("brk-1")
	got, created, err := s.BreachCreate(ctx, in, breach.EventRecorded, map[string]string{"incident": in.ID})
	if err != nil || !created {
		t.Fatalf("BreachCreate = %v, %v", created, err)
	}
	back, err := s.BreachGet(ctx, in.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, inc := range []breach.Incident{got, back} {
		if !reflect.DeepEqual(inc, in) {
			t.Fatalf("stored\n%+v\nwant\n%+v", inc, in)
		}
	}
}

func testBreachSignalOnce(t *testing.T, s BreachStore) {
	ctx := Ctx(t)
	a := sampleIncident("brk-a")
	a.State, a.Source, a.SignalKey = breach.Proposed, breach.SourceWrongParty, "wrong_party:d-1:42420002"
	b := a
	b.ID, b.Summary = "brk-b", "other"
	if _, created, err := s.BreachCreate(ctx, a, breach.EventProposed, nil); err != nil || !created {
		t.Fatalf("first = %v, %v", created, err)
	}
	got, created, err := s.BreachCreate(ctx, b, breach.EventProposed, nil)
	if err != nil || created {
		t.Fatalf("second = %v, %v; want not created", created, err)
	}
	if got.ID != a.ID || got.SignalKey != a.SignalKey {
		t.Fatalf("second returned %s (%s), want the first %s", got.ID, got.SignalKey, a.ID)
	}
	if all, _ := s.BreachList(ctx); len(all) != 1 {
		t.Fatalf("%d incidents, want 1", len(all))
	}
	if n := countEvents(t, s, breach.EventProposed); n != 1 {
		t.Fatalf("%d %s entries, want 1", n, breach.EventProposed)
	}
}

func testBreachVersion(t *testing.T, s BreachStore) {
	ctx := Ctx(t)
	in := sampleIncident("brk-v")
	if _, _, err := s.BreachCreate(ctx, in, breach.EventRecorded, nil); err != nil {
		t.Fatal(err)
	}
	next := in
	next.Version, next.Measures = 2, "nieuw"
	if _, err := s.BreachUpdate(ctx, next, breach.EventUpdated, nil); err != nil {
		t.Fatal(err)
	}
	stale := in
	stale.Version, stale.Measures = 2, "verloren"
	if _, err := s.BreachUpdate(ctx, stale, breach.EventUpdated, nil); !errors.Is(err, breach.ErrConflict) {
		t.Fatalf("stale update: %v, want ErrConflict", err)
	}
	back, err := s.BreachGet(ctx, in.ID)
	if err != nil || back.Version != 2 || back.Measures != "nieuw" {
		t.Fatalf("after updates: version %d measures %q, %v", back.Version, back.Measures, err)
	}
}

func testBreachNotFound(t *testing.T, s BreachStore) {
	ctx := Ctx(t)
	if _, err := s.BreachGet(ctx, "brk-none"); !errors.Is(err, breach.ErrNotFound) {
		t.Fatalf("get: %v", err)
	}
	inc := sampleIncident("brk-none")
	inc.Version = 2
	if _, err := s.BreachUpdate(ctx, inc, breach.EventUpdated, nil); !errors.Is(err, breach.ErrNotFound) {
		t.Fatalf("update: %v", err)
	}
}

func testBreachList(t *testing.T, s BreachStore) {
	ctx := Ctx(t)
	if all, err := s.BreachList(ctx); err != nil || all == nil || len(all) != 0 {
		t.Fatalf("empty list = %v, %v; want empty, non-nil", all, err)
	}
	for i, id := range []string{"brk-3", "brk-1", "brk-2"} {
		inc := sampleIncident(id)
		inc.CreatedAt = breachAt.Add(time.Duration(i) * time.Minute)
		if _, _, err := s.BreachCreate(ctx, inc, breach.EventRecorded, nil); err != nil {
			t.Fatal(err)
		}
	}
	all, err := s.BreachList(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, inc := range all {
		ids = append(ids, inc.ID)
	}
	if fmt.Sprint(ids) != "[brk-3 brk-1 brk-2]" {
		t.Fatalf("order %v", ids)
	}
}

func testBreachLedger(t *testing.T, s BreachStore) {
	bare := context.Background()
	in := sampleIncident("brk-l")
	if _, _, err := s.BreachCreate(bare, in, breach.EventRecorded, nil); !errors.Is(err, actor.ErrMissing) {
		t.Fatalf("create without actor: %v", err)
	}
	if _, err := s.BreachGet(bare, in.ID); !errors.Is(err, breach.ErrNotFound) {
		t.Fatalf("written without actor: %v", err)
	}
	ctx := Ctx(t)
	if _, _, err := s.BreachCreate(ctx, in, breach.EventRecorded, map[string]string{"incident": in.ID}); err != nil {
		t.Fatal(err)
	}
	next := in
	next.Version = 2
	if _, err := s.BreachUpdate(bare, next, breach.EventUpdated, nil); !errors.Is(err, actor.ErrMissing) {
		t.Fatalf("update without actor: %v", err)
	}
	if _, err := s.BreachUpdate(ctx, next, breach.EventUpdated, map[string]string{"incident": in.ID}); err != nil {
		t.Fatal(err)
	}
	all := VerifyChain(t, s)
	var got []string
	for _, e := range all {
		if e.Detail["incident"] == in.ID {
			got = append(got, e.Event+" by "+e.Actor)
		}
	}
	want := []string{breach.EventRecorded + " by " + Actor.String(), breach.EventUpdated + " by " + Actor.String()}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("ledger %v, want %v", got, want)
	}
}

func testBreachConcurrent(t *testing.T, s BreachStore) {
	ctx := Ctx(t)
	var wg sync.WaitGroup
	ids := make([]string, 8)
	for i := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			inc := sampleIncident(fmt.Sprintf("brk-c%d", i))
			inc.State, inc.SignalKey = breach.Proposed, "forged_retours:2026-12-01T09:00:00Z"
			got, _, err := s.BreachCreate(ctx, inc, breach.EventProposed, nil)
			if err != nil {
				t.Error(err)
				return
			}
			ids[i] = got.ID
		}()
	}
	wg.Wait()
	for _, id := range ids[1:] {
		if id != ids[0] {
			t.Fatalf("proposals returned %v, want one id", ids)
		}
	}
	if n := countEvents(t, s, breach.EventProposed); n != 1 {
		t.Fatalf("%d %s entries, want 1", n, breach.EventProposed)
	}
}

func countEvents(t *testing.T, r ledger.Reader, event string) int {
	t.Helper()
	n := 0
	for _, e := range ReadLedger(t, r) {
		if e.Event == event {
			n++
		}
	}
	return n
}
