package review

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/sluis-gateway/sluis/internal/ledger"
)

// entries is an in-memory ledger (a fake of our own port).
type entries []ledger.Entry

func (l entries) Entries(_ context.Context, from int64, limit int) ([]ledger.Entry, error) {
	var out []ledger.Entry
	for _, e := range l {
		if e.Seq >= from && len(out) < limit {
			out = append(out, e)
		}
	}
	return out, nil
}

type broken struct{}

var errRead = errors.New("read failed")

func (broken) Entries(context.Context, int64, int) ([]ledger.Entry, error) { return nil, errRead }

func TestOverrides(t *testing.T) {
	at := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	override := map[string]string{"basis": "safety_override", "follow_up": "inform_client,coordinator_review",
		"inform_client_due": "2026-11-30T10:00:00Z"}
	var many entries
	for i := int64(1); i <= 2*page+1; i++ {
		e := ledger.Entry{Seq: i, At: at, Actor: "system:regsys-a@0363", DisclosureID: "d", Event: "state:published"}
		if i == 1 || i == page+1 || i == 2*page+1 {
			e.Event, e.Detail = "state:allowed", override
		}
		many = append(many, e)
	}
	cases := []struct {
		name string
		l    entries
		want []int64
	}{
		{"empty ledger", nil, []int64{}},
		{"allowed on consent is no override", entries{{Seq: 1, Event: "state:allowed", Detail: map[string]string{"basis": "consent"}}}, []int64{}},
		{"refused override is not listed", entries{{Seq: 1, Event: "state:refused", Detail: map[string]string{"basis": "safety_override"}}}, []int64{}},
		{"overrides across pages, oldest first", many, []int64{1, page + 1, 2*page + 1}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Overrides(context.Background(), tc.l)
			if err != nil {
				t.Fatal(err)
			}
			if got == nil || len(got) != len(tc.want) {
				t.Fatalf("Overrides = %+v, want seqs %v", got, tc.want)
			}
			for i, o := range got {
				if o.LedgerSeq != tc.want[i] {
					t.Fatalf("Overrides[%d].LedgerSeq = %d, want %d", i, o.LedgerSeq, tc.want[i])
				}
			}
		})
	}
	o, _ := Overrides(context.Background(), many)
	if o[0].FollowUps != "inform_client,coordinator_review" || o[0].InformClientDue != "2026-11-30T10:00:00Z" || o[0].InformImpossible || !o[0].At.Equal(at) {
		t.Fatalf("Overrides[0] = %+v", o[0])
	}
	if _, err := Overrides(context.Background(), broken{}); !errors.Is(err, errRead) {
		t.Fatalf("Overrides on a broken ledger: %v", err)
	}
}
