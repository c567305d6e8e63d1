package pipeline_test

import (
	"slices"
	"sync"
	"testing"

	"github.com/sluis-gateway/sluis/internal/bus"
	"github.com/sluis-gateway/sluis/internal/receipts"
)

// TestCopiesInFlight: copies of one request taken at once by several
// workers make one provider message and one status event per state, in
// order, with increasing sequence numbers; the later copies say nothing.
func TestCopiesInFlight(t *testing.T) {
	ps := newParts()
	p := ps.pipeline(t)
	body := exampleBody(t, nil)
	var wg sync.WaitGroup
	errs := make([]error, 5)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = handle(p, intake("intake-copy", body))
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("copy %d: %v", i, err)
		}
	}
	if n := len(ps.pub.on(bus.TopicOutbound)); n != 1 {
		t.Fatalf("%d provider messages, want 1", n)
	}
	var states []string
	var seqs []int64
	for _, m := range ps.pub.on(bus.TopicStatus) {
		ev, err := bus.Parse(m.Payload)
		if err != nil {
			t.Fatal(err)
		}
		states = append(states, ev.State)
		seqs = append(seqs, ev.Sequence)
	}
	if want := []string{"received", "allowed", "published", "delivered"}; !slices.Equal(states, want) {
		t.Fatalf("status events %v, want %v", states, want)
	}
	if want := []int64{1, 2, 3, 4}; !slices.Equal(seqs, want) {
		t.Fatalf("sequences %v, want %v", seqs, want)
	}
	if rec := ps.store.get(exampleID); rec.Announced != 4 {
		t.Fatalf("announced mark %d, want 4", rec.Announced)
	}
}

// TestConflictOverAMQP: another request under a used id gets an invalid
// event about itself; the disclosure with the id is not touched.
func TestConflictOverAMQP(t *testing.T) {
	ps := newParts()
	p := ps.pipeline(t)
	if err := handle(p, intake("first", exampleBody(t, nil))); err != nil {
		t.Fatal(err)
	}
	before := ps.store.get(exampleID)
	entries := len(ps.store.entries())
	other := exampleBody(t, func(m map[string]any) { m["legal_basis"].(map[string]any)["decision_ref"] = "besluit-2026-0043" })
	if err := handle(p, intake("second", other)); err != nil {
		t.Fatal(err)
	}
	after := ps.store.get(exampleID)
	if after.State != before.State || after.Sequence != before.Sequence || after.UpdatedAt != before.UpdatedAt {
		t.Fatalf("the original changed: %+v -> %+v", before, after)
	}
	for _, e := range ps.store.entries()[entries:] {
		if e.Event != "invalid" {
			t.Errorf("ledger entry %s after the conflict, want only the invalid request", e.Event)
		}
	}
	evs := ps.pub.on(bus.TopicStatus)
	ev, err := bus.Parse(evs[len(evs)-1].Payload)
	if err != nil {
		t.Fatal(err)
	}
	if ev.State != string(receipts.Invalid) || ev.Sequence != 0 || ev.Identificatie != "" || ev.MessageID != "" ||
		len(ev.Problems) != 1 || ev.Problems[0].Rule != "idempotency" {
		t.Fatalf("conflict event %+v", ev)
	}
}
