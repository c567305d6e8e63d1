package receipts

import "testing"

func TestTransitions(t *testing.T) {
	cases := []struct {
		name     string
		from, to State
		ok       bool
	}{
		{"screened and allowed", Received, Allowed, true},
		{"screened and refused", Received, Refused, true},
		{"published after allowed", Allowed, Published, true},
		{"confirmed by the broker", Published, Delivered, true},
		{"returned by the broker", Published, Failed, true},
		{"provider accepts", Delivered, Accepted, true},
		{"provider rejects", Delivered, Rejected, true},
		{"no retour in time", Delivered, Overdue, true},
		{"late retour", Overdue, Accepted, true},
		{"withdrawn while queued", Allowed, Refused, true},
		{"never delivered without publish", Allowed, Delivered, false},
		{"never delivered after failing", Failed, Delivered, false},
		{"refused is final", Refused, Allowed, false},
		{"no overdue twice", Overdue, Overdue, false},
		{"not failed after delivery", Delivered, Failed, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := CanMove(tc.from, tc.to); got != tc.ok {
				t.Fatalf("CanMove(%s, %s) = %v", tc.from, tc.to, got)
			}
		})
	}
}

func TestFinal(t *testing.T) {
	for _, s := range []State{Invalid, Refused, Accepted, Rejected, Failed} {
		if !s.Final() {
			t.Errorf("%s should be final", s)
		}
		if len(next[s]) != 0 {
			t.Errorf("final state %s has transitions", s)
		}
	}
	for _, s := range []State{Received, Allowed, Published, Delivered, Overdue} {
		if s.Final() {
			t.Errorf("%s should not be final", s)
		}
	}
}
