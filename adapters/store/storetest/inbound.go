package storetest

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/sluis-gateway/sluis/internal/inbound"
	"github.com/sluis-gateway/sluis/internal/ledger"
)

// InboundStore is what the inbound contract suite tests.
type InboundStore interface {
	inbound.Store
	ledger.Reader
}

// RunInbound runs the inbound store contract suite; each subtest gets its
// own store from newStore (empty, migrated, closed in t.Cleanup).
func RunInbound(t *testing.T, newStore func(t *testing.T) InboundStore) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s InboundStore)
	}{
		{"record and get round trip, with its ledger entry", testInboundRoundTrip},
		{"the same provider, type and Identificatie is stored once", testInboundDuplicate},
		{"answered and overdue moves, and the refused ones", testInboundMoves},
		{"due lists accepted records before a time, oldest first", testInboundDue},
		{"writes without an actor and bad records are refused", testInboundRefused},
		{"concurrent records of one Identificatie store one", testInboundConcurrent},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.fn(t, newStore(t))
		})
	}
}

var inboundT0 = time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)

// NewInbound returns a complete accepted record for RecordInbound.
func NewInbound(id, identificatie string) inbound.Record {
	return inbound.Record{
		ID: id, Provider: "42420001", Municipality: "0363", System: "regsys-a", Standard: "iWmo",
		MessageType: "WMO315", Identificatie: identificatie, MessageID: "msg-" + id, State: inbound.Accepted,
		RetourCodes: []string{"0200"}, ReceivedAt: inboundT0, Due: inboundT0.Add(7 * 24 * time.Hour),
	}
}

func recordInbound(t *testing.T, s InboundStore, r inbound.Record) inbound.Record {
	t.Helper()
	got, created, err := s.RecordInbound(Ctx(t), r)
	if err != nil || !created {
		t.Fatalf("RecordInbound(%s) = created %v, %v", r.ID, created, err)
	}
	return got
}

func testInboundRoundTrip(t *testing.T, s InboundStore) {
	ctx := Ctx(t)
	want := NewInbound("in-1", "A1")
	recordInbound(t, s, want)
	rej := NewInbound("in-2", "A2")
	rej.State, rej.Due, rej.RetourCodes, rej.Rules = inbound.Rejected, time.Time{}, []string{"0001", "S300"}, []string{"TR101", "TR378"}
	recordInbound(t, s, rej)
	for _, w := range []inbound.Record{want, rej} {
		got, err := s.GetInbound(ctx, w.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !got.ReceivedAt.Equal(w.ReceivedAt) || !got.Due.Equal(w.Due) {
			t.Fatalf("times: got %v/%v, want %v/%v", got.ReceivedAt, got.Due, w.ReceivedAt, w.Due)
		}
		got.ReceivedAt, got.Due, w.ReceivedAt, w.Due = time.Time{}, time.Time{}, time.Time{}, time.Time{}
		if !inboundEqual(got, w) {
			t.Fatalf("GetInbound = %+v, want %+v", got, w)
		}
	}
	if _, err := s.GetInbound(ctx, "in-none"); !errors.Is(err, inbound.ErrNotFound) {
		t.Fatalf("unknown id: %v, want ErrNotFound", err)
	}
	es, err := s.EntriesFor(ctx, "in-2")
	if err != nil || len(es) != 1 || es[0].Event != "inbound:rejected" || es[0].Detail["rules"] != "TR101 TR378" ||
		es[0].Actor != Actor.String() {
		t.Fatalf("ledger of in-2: %+v, %v", es, err)
	}
}

func inboundEqual(a, b inbound.Record) bool {
	return a.ID == b.ID && a.Provider == b.Provider && a.Municipality == b.Municipality && a.System == b.System &&
		a.Standard == b.Standard && a.MessageType == b.MessageType && a.Identificatie == b.Identificatie &&
		a.MessageID == b.MessageID && a.State == b.State && slices.Equal(a.RetourCodes, b.RetourCodes) &&
		slices.Equal(a.Rules, b.Rules) && a.AnsweredBy == b.AnsweredBy
}

func testInboundDuplicate(t *testing.T, s InboundStore) {
	first := recordInbound(t, s, NewInbound("in-1", "A1"))
	again := NewInbound("in-other", "A1")
	got, created, err := s.RecordInbound(Ctx(t), again)
	if err != nil || created || got.ID != first.ID {
		t.Fatalf("second record = %s created %v, %v; want the first (%s)", got.ID, created, err, first.ID)
	}
	other := NewInbound("in-3", "A1")
	other.Provider = "65656055"
	recordInbound(t, s, other) // another provider may use the same Identificatie
	otherType := NewInbound("in-4", "A1")
	otherType.MessageType = "WMO317"
	recordInbound(t, s, otherType)
	if n := len(VerifyChain(t, s)); n != 3 {
		t.Fatalf("ledger has %d entries, want 3", n)
	}
}

func testInboundMoves(t *testing.T, s InboundStore) {
	ctx := Ctx(t)
	recordInbound(t, s, NewInbound("in-1", "A1"))
	recordInbound(t, s, NewInbound("in-2", "A2"))
	noDue := NewInbound("in-3", "A3")
	noDue.MessageType, noDue.Due = "WMO305", time.Time{}
	recordInbound(t, s, noDue)
	at := inboundT0.Add(time.Hour)

	got, err := s.MoveInbound(ctx, "in-1", inbound.Change{To: inbound.Answered, At: at, AnsweredBy: "d-1"})
	if err != nil || got.State != inbound.Answered || got.AnsweredBy != "d-1" || !got.AnsweredAt.Equal(at) {
		t.Fatalf("answer: %+v, %v", got, err)
	}
	if g, _ := s.GetInbound(ctx, "in-1"); g.State != inbound.Answered || g.AnsweredBy != "d-1" {
		t.Fatalf("stored after answer: %+v", g)
	}
	o, err := s.MoveInbound(ctx, "in-2", inbound.Change{To: inbound.Overdue, At: at, Detail: map[string]string{"rule": "OP274"}})
	if err != nil || o.State != inbound.Overdue || !o.OverdueAt.Equal(at) {
		t.Fatalf("overdue: %+v, %v", o, err)
	}
	if _, err := s.MoveInbound(ctx, "in-2", inbound.Change{To: inbound.Answered, At: at, AnsweredBy: "d-2"}); err != nil {
		t.Fatalf("late answer: %v", err)
	}
	refused := []struct {
		name string
		id   string
		c    inbound.Change
		want error
	}{
		{"answered twice", "in-1", inbound.Change{To: inbound.Answered, At: at, AnsweredBy: "d-9"}, inbound.ErrInvalidTransition},
		{"answered goes overdue", "in-1", inbound.Change{To: inbound.Overdue, At: at}, inbound.ErrInvalidTransition},
		{"no answer due", "in-3", inbound.Change{To: inbound.Answered, At: at, AnsweredBy: "d-9"}, inbound.ErrInvalidTransition},
		{"back to accepted", "in-2", inbound.Change{To: inbound.Accepted, At: at}, inbound.ErrInvalidTransition},
		{"unknown id", "in-none", inbound.Change{To: inbound.Overdue, At: at}, inbound.ErrNotFound},
	}
	for _, tc := range refused {
		if _, err := s.MoveInbound(ctx, tc.id, tc.c); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
	es, err := s.EntriesFor(ctx, "in-2")
	if err != nil || len(es) != 3 || es[1].Event != "inbound:overdue" || es[1].Detail["rule"] != "OP274" ||
		es[2].Event != "inbound:answered" || es[2].Detail["answered_by"] != "d-2" {
		t.Fatalf("ledger of in-2: %+v, %v", es, err)
	}
	VerifyChain(t, s)
}

func testInboundDue(t *testing.T, s InboundStore) {
	ctx := Ctx(t)
	for i, d := range []time.Duration{3, 1, 2, 9} {
		r := NewInbound("in-"+string(rune('a'+i)), "I"+string(rune('a'+i)))
		r.Due = inboundT0.Add(d * 24 * time.Hour)
		recordInbound(t, s, r)
	}
	if _, err := s.MoveInbound(ctx, "in-c", inbound.Change{To: inbound.Answered, At: inboundT0, AnsweredBy: "d"}); err != nil {
		t.Fatal(err)
	}
	got, err := s.InboundDue(ctx, inboundT0.Add(5*24*time.Hour), 10)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, r := range got {
		ids = append(ids, r.ID)
	}
	if !slices.Equal(ids, []string{"in-b", "in-a"}) {
		t.Fatalf("due = %v, want [in-b in-a] (in-c answered, in-d later)", ids)
	}
	if got, _ := s.InboundDue(ctx, inboundT0.Add(5*24*time.Hour), 1); len(got) != 1 || got[0].ID != "in-b" {
		t.Fatalf("limit 1: %+v", got)
	}
}

func testInboundRefused(t *testing.T, s InboundStore) {
	if _, _, err := s.RecordInbound(context.Background(), NewInbound("in-1", "A1")); err == nil {
		t.Fatal("RecordInbound without an actor succeeded")
	}
	bad := []struct {
		name string
		edit func(*inbound.Record)
	}{
		{"no id", func(r *inbound.Record) { r.ID = "" }},
		{"no provider", func(r *inbound.Record) { r.Provider = "" }},
		{"answered at once", func(r *inbound.Record) { r.State = inbound.Answered }},
		{"rejected with a due answer", func(r *inbound.Record) { r.State = inbound.Rejected }},
		{"no received time", func(r *inbound.Record) { r.ReceivedAt = time.Time{} }},
	}
	for _, tc := range bad {
		r := NewInbound("in-x", "X1")
		tc.edit(&r)
		if _, _, err := s.RecordInbound(Ctx(t), r); err == nil {
			t.Errorf("%s: stored", tc.name)
		}
	}
	recordInbound(t, s, NewInbound("in-1", "A1"))
	if _, err := s.MoveInbound(context.Background(), "in-1", inbound.Change{To: inbound.Overdue, At: inboundT0}); err == nil {
		t.Fatal("MoveInbound without an actor succeeded")
	}
}

func testInboundConcurrent(t *testing.T, s InboundStore) {
	var wg sync.WaitGroup
	ids := make([]string, 8)
	created := make([]bool, 8)
	for i := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got, c, err := s.RecordInbound(Ctx(t), NewInbound("in-"+string(rune('a'+i)), "SAME"))
			if err != nil {
				t.Error(err)
				return
			}
			ids[i], created[i] = got.ID, c
		}()
	}
	wg.Wait()
	n := 0
	for i := range ids {
		if created[i] {
			n++
		}
		if ids[i] != ids[0] {
			t.Fatalf("different records returned: %v", ids)
		}
	}
	if n != 1 {
		t.Fatalf("%d created, want 1", n)
	}
}
