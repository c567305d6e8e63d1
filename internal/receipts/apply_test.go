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
