package retention_test

import (
	"errors"
	"testing"
	"time"

	"github.com/sluis-gateway/sluis/internal/retention"
)

func TestUntil(t *testing.T) {
	made := time.Date(2026, 2, 28, 9, 30, 0, 0, time.UTC)
	tests := []struct {
		name, standard string
		want           time.Time
		err            error
	}{
		{"iJw twenty years from the moment it was made", "iJw", time.Date(2046, 2, 28, 9, 30, 0, 0, time.UTC), nil},
		{"iWmo fifteen years", "iWmo", time.Date(2041, 2, 28, 9, 30, 0, 0, time.UTC), nil},
		{"unknown standard", "iPgb", time.Time{}, retention.ErrNoTerm},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := retention.Until(tt.standard, made)
			if !errors.Is(err, tt.err) || !got.Equal(tt.want) {
				t.Fatalf("Until = %s, %v; want %s, %v", got, err, tt.want, tt.err)
			}
		})
	}
}

// TestCutoffsCoverUntil: whatever Until says is due at now, the cutoffs a
// store filters with include (they may include a day more).
func TestCutoffsCoverUntil(t *testing.T) {
	for _, tc := range []struct {
		name string
		made time.Time
	}{
		{"ordinary day", time.Date(2026, 5, 12, 8, 0, 0, 0, time.UTC)},
		{"leap day", time.Date(2028, 2, 29, 23, 59, 0, 0, time.UTC)},
		{"last of February", time.Date(2027, 2, 28, 12, 0, 0, 0, time.UTC)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, std := range retention.Standards {
				until, err := retention.Until(std, tc.made)
				if err != nil {
					t.Fatal(err)
				}
				c := retention.CutoffsAt(until)
				if tc.made.After(c.Made[std]) {
					t.Errorf("%s made %s, due at %s: cutoff %s leaves it out", std, tc.made, until, c.Made[std])
				}
			}
			ended := retention.RegisterUntil(tc.made)
			if c := retention.CutoffsAt(ended); tc.made.After(c.Register) {
				t.Errorf("register row ended %s, due at %s: cutoff %s leaves it out", tc.made, ended, c.Register)
			}
		})
	}
}
