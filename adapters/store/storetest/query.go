package storetest

import (
	"errors"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/sluis-gateway/sluis/internal/receipts"
)

func testInState(t *testing.T, s Store) {
	base := time.Date(2026, 1, 5, 8, 0, 0, 0, time.UTC)
	offsets := []int{3, 1, 4, 2, 5} // hours after base, by record
	for i, h := range offsets {
		id := "s-" + strconv.Itoa(i)
		register(t, s, NewRecord(id, "0363", "WMO301"))
		if _, err := s.Move(Ctx(t), id, receipts.Change{To: receipts.Allowed, At: base.Add(time.Duration(h) * time.Hour)}); err != nil {
			t.Fatal(err)
		}
	}
	register(t, s, NewRecord("still-received", "0363", "WMO301"))

	tests := []struct {
		name   string
		state  receipts.State
		before time.Time
		limit  int
		want   []string
	}{
		{"cutoff is exclusive", receipts.Allowed, base.Add(4 * time.Hour), 10, []string{"s-1", "s-3", "s-0"}},
		{"limit keeps the oldest", receipts.Allowed, base.Add(24 * time.Hour), 2, []string{"s-1", "s-3"}},
		{"all", receipts.Allowed, base.Add(24 * time.Hour), 10, []string{"s-1", "s-3", "s-0", "s-2", "s-4"}},
		{"nothing before the first", receipts.Allowed, base.Add(time.Hour), 10, nil},
		{"other state", receipts.Received, time.Now().Add(time.Hour), 10, []string{"still-received"}},
		{"empty state", receipts.Delivered, time.Now().Add(time.Hour), 10, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			recs, err := s.InState(Ctx(t), tt.state, tt.before, tt.limit)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, r := range recs {
				got = append(got, r.DisclosureID)
				if r.State != tt.state {
					t.Errorf("%s in state %s", r.DisclosureID, r.State)
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func testCountByState(t *testing.T, s Store) {
	for i := range 6 {
		register(t, s, NewRecord("n-"+strconv.Itoa(i), "0363", "WMO301"))
	}
	move(t, s, "n-0", receipts.Refused)
	move(t, s, "n-1", receipts.Allowed)
	move(t, s, "n-2", receipts.Allowed, receipts.Published, receipts.Delivered)
	move(t, s, "n-3", receipts.Allowed, receipts.Published, receipts.Delivered, receipts.Overdue, receipts.Accepted)
	got, err := s.CountByState(Ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	want := map[receipts.State]int64{
		receipts.Received: 2, receipts.Refused: 1, receipts.Allowed: 1,
		receipts.Delivered: 1, receipts.Accepted: 1,
	}
	for _, st := range allStates {
		if got[st] != want[st] {
			t.Errorf("count[%s] = %d, want %d", st, got[st], want[st])
		}
	}
}

func testRecordInvalid(t *testing.T, s Store) {
	tests := []struct {
		name string
		req  receipts.InvalidRequest
	}{
		{"all fields", receipts.InvalidRequest{DisclosureID: "bad-1", Municipality: "0363", System: "regsys-a",
			Reason: "client.bsn: elfproef", ReceivedAt: time.Date(2026, 2, 1, 10, 0, 0, 5, time.UTC)}},
		{"nothing readable", receipts.InvalidRequest{Reason: "json: unexpected end of input"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := s.RecordInvalid(Ctx(t), tt.req); err != nil {
				t.Fatalf("RecordInvalid: %v", err)
			}
		})
	}
	es := mustEntriesFor(t, s, "bad-1")
	if len(es) != 1 || es[0].Event != "intake:invalid" || es[0].Detail["reason"] != "client.bsn: elfproef" {
		t.Fatalf("entries for bad-1: %+v", es)
	}
	all := VerifyChain(t, s)
	if len(all) != 2 || all[1].Event != "intake:invalid" || all[1].Detail["reason"] != "json: unexpected end of input" {
		t.Fatalf("ledger: %+v", all)
	}
	if _, err := s.Get(Ctx(t), "bad-1"); !errors.Is(err, receipts.ErrNotFound) {
		t.Fatalf("an invalid request became a disclosure: %v", err)
	}
}
