package receipts

import (
	"slices"
	"testing"
	"time"
)

func TestApplyKeepsEarlierExplanation(t *testing.T) {
	at := time.Now().UTC().Truncate(time.Microsecond)
	rec := Record{State: Delivered, Reason: "earlier", ReasonCodes: []string{"X"},
		At: map[State]time.Time{Received: at}}
	got := Apply(rec, Change{To: Overdue}, at)
	if got.State != Overdue || got.Reason != "earlier" || !slices.Equal(got.ReasonCodes, []string{"X"}) || !got.At[Overdue].Equal(at) {
		t.Fatalf("Apply = %+v", got)
	}
	if _, ok := rec.At[Overdue]; ok {
		t.Fatal("Apply changed the input's At map")
	}
}

func TestBetween(t *testing.T) {
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		at     map[State]time.Time
		want   time.Duration
		wantOK bool
	}{
		{"received and delivered", map[State]time.Time{Received: t0, Delivered: t0.Add(1500 * time.Millisecond)}, 1500 * time.Millisecond, true},
		{"not delivered yet", map[State]time.Time{Received: t0}, 0, false},
		{"delivered before received (clock skew between instances)", map[State]time.Time{Received: t0, Delivered: t0.Add(-time.Second)}, 0, false},
		{"no times at all", nil, 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := Between(Record{At: tc.at}, Received, Delivered)
			if got != tc.want || ok != tc.wantOK {
				t.Errorf("Between = %v, %v; want %v, %v", got, ok, tc.want, tc.wantOK)
			}
		})
	}
}
