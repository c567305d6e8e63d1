package pipeline_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/sluis-gateway/sluis/internal/bus"
	"github.com/sluis-gateway/sluis/internal/pipeline"
	"github.com/sluis-gateway/sluis/internal/receipts"
)

// withID is the example request under another id.
func withID(id string) func(map[string]any) {
	return func(m map[string]any) { m["id"] = id }
}

// TestHandleBatch: one batch with every kind of message gives each the
// outcome Handle would, and each disclosure the same life.
func TestHandleBatch(t *testing.T) {
	id := func(n int) string { return fmt.Sprintf("6f1c2a3e-8b4d-4c1a-9e2f-3a5b7c9d1e%02d", n) }
	ps := newParts()
	// The third outbound message fails (a broker failure), the fourth is
	// returned (no queue for it).
	ps.pub.outboundErrs = []error{nil, nil, errBroker, bus.ErrUnroutable}
	conflicting := exampleBody(t, func(m map[string]any) { m["id"] = id(1); m["purpose"] = "other" })
	type msgCase struct {
		name   string
		body   []byte
		err    bool
		id     string
		state  receipts.State
		events []string
	}
	delivered := []string{"received", "allowed", "published", "delivered"}
	cases := []msgCase{
		{"a new request is delivered", exampleBody(t, withID(id(1))), false, id(1), receipts.Delivered, delivered},
		{"another is delivered", exampleBody(t, withID(id(2))), false, id(2), receipts.Delivered, delivered},
		{"a broker failure is this message's only: retried from published", exampleBody(t, withID(id(3))), true, id(3), receipts.Published, []string{"received", "allowed", "published"}},
		{"an unroutable one fails, not connected", exampleBody(t, withID(id(4))), false, id(4), receipts.Failed, []string{"received", "allowed", "published", "failed"}},
		{"a copy of a request in the batch is silent", exampleBody(t, withID(id(1))), false, id(1), receipts.Delivered, nil},
		{"an id used for another request is invalid, the first untouched", conflicting, false, id(1), receipts.Delivered, []string{"invalid"}},
		{"a malformed request is invalid", []byte(`{"id": "` + id(7) + `", "sender": {"municipality": "0363", "system": "regsys-demo"}`), false, id(7), "", []string{"invalid"}},
		{"a request after them is delivered", exampleBody(t, withID(id(8))), false, id(8), receipts.Delivered, delivered},
	}
	msgs := make([]*message.Message, len(cases))
	for i, tc := range cases {
		msgs[i] = intake(fmt.Sprintf("intake-%d", i), tc.body)
	}
	errs := ps.pipeline(t).HandleBatch(context.Background(), msgs)
	if len(errs) != len(msgs) {
		t.Fatalf("%d outcomes for %d messages", len(errs), len(msgs))
	}
	events := map[string][]string{} // per disclosure id, in order
	for _, m := range ps.pub.on(bus.TopicStatus) {
		ev, err := bus.Parse(m.Payload)
		if err != nil {
			t.Fatal(err)
		}
		events[ev.DisclosureID] = append(events[ev.DisclosureID], ev.State)
	}
	claimed := map[string]bool{}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if (errs[i] != nil) != tc.err {
				t.Fatalf("outcome %v, want error %v", errs[i], tc.err)
			}
			if tc.err && !errors.Is(errs[i], errBroker) {
				t.Fatalf("outcome %v, want the broker's error", errs[i])
			}
			if tc.state != "" {
				if rec := ps.store.get(tc.id); rec.State != tc.state {
					t.Fatalf("state %s (%s), want %s", rec.State, rec.Reason, tc.state)
				}
			}
			if claimed[tc.id] {
				return // its events are the first message's
			}
			claimed[tc.id] = true
			var want []string
			for _, c := range cases {
				if c.id == tc.id {
					want = append(want, c.events...)
				}
			}
			got := slices.Clone(events[tc.id])
			slices.Sort(got)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Fatalf("status events %v, want %v", events[tc.id], want)
			}
		})
	}
	t.Run("the unroutable failure says why", func(t *testing.T) {
		if rec := ps.store.get(id(4)); rec.Reason != pipeline.ReasonNotConnected {
			t.Fatalf("reason %q", rec.Reason)
		}
	})
	t.Run("each delivered message reached the provider once and is archived", func(t *testing.T) {
		sent := map[string]int{}
		for _, m := range ps.pub.on(bus.TopicOutbound) {
			sent[m.UUID]++
		}
		for _, n := range []int{1, 2, 8} {
			rec := ps.store.get(id(n))
			if sent[rec.MessageID] != 1 {
				t.Errorf("%s: %d messages to the provider", rec.DisclosureID, sent[rec.MessageID])
			}
			if _, ok := ps.arch.get(rec.DisclosureID); !ok {
				t.Errorf("%s delivered without its archived message", rec.DisclosureID)
			}
		}
		if len(sent) != 3 {
			t.Errorf("messages to the provider: %v", sent)
		}
	})
	t.Run("every announced state is marked, every claim released", func(t *testing.T) {
		for _, n := range []int{1, 2, 4, 8} {
			if rec := ps.store.get(id(n)); rec.Announced != rec.Sequence {
				t.Errorf("%s announced %d of %d", rec.DisclosureID, rec.Announced, rec.Sequence)
			}
		}
		if _, err := ps.store.Claim(context.Background(), id(3), "probe", ps.store.get(id(3)).CreatedAt); err != nil {
			t.Errorf("the failed message's claim is held: %v", err)
		}
		if err := ps.store.Release(context.Background(), id(3), "probe", 0); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("the ledger has one life per disclosure", func(t *testing.T) {
		lives := map[string][]string{}
		for _, e := range ps.store.entries() {
			if e.Event == "invalid" {
				continue // the conflict's and the malformed request's
			}
			if e.Actor != senderActor {
				t.Errorf("ledger entry %s by %s", e.Event, e.Actor)
			}
			lives[e.DisclosureID] = append(lives[e.DisclosureID], e.Event)
		}
		want := []string{"state:received", "state:allowed", "state:published", "state:delivered"}
		for _, n := range []int{1, 2, 8} {
			if got := lives[id(n)]; !slices.Equal(got, want) {
				t.Errorf("%s: %v", id(n), got)
			}
		}
	})

	// The retry of the failed message (as the gateway retries it: alone)
	// resumes from published and delivers the same message.
	if err := handle(ps.pipeline(t), intake("intake-2", cases[2].body)); err != nil {
		t.Fatalf("retry: %v", err)
	}
	if rec := ps.store.get(id(3)); rec.State != receipts.Delivered {
		t.Fatalf("after the retry: %s", rec.State)
	}
}

// TestHandleBatchWholeStepFails: a store that fails a whole step fails
// every message of it (retried), having stored nothing of that step.
func TestHandleBatchWholeStepFails(t *testing.T) {
	ps := newParts()
	ps.store.moveErr = errors.New("database gone")
	var msgs []*message.Message
	for n := range 3 {
		msgs = append(msgs, intake(fmt.Sprint("intake-", n), exampleBody(t, withID(fmt.Sprintf("6f1c2a3e-8b4d-4c1a-9e2f-3a5b7c9d1f%02d", n)))))
	}
	errs := ps.pipeline(t).HandleBatch(context.Background(), msgs)
	for i, err := range errs {
		if err == nil {
			t.Errorf("message %d: no error", i)
		}
	}
	if out := ps.pub.on(bus.TopicOutbound); len(out) != 0 {
		t.Errorf("%d messages sent without a stored decision", len(out))
	}
	// Each was registered and announced received; nothing more.
	var states []string
	for _, m := range ps.pub.on(bus.TopicStatus) {
		ev, err := bus.Parse(m.Payload)
		if err != nil {
			t.Fatal(err)
		}
		states = append(states, ev.State)
	}
	if !slices.Equal(states, []string{"received", "received", "received"}) {
		t.Errorf("status events %v", states)
	}
}
