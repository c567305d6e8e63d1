// Package review answers the coordinator's questions from the ledger: which
// disclosures went out on a safety override, so each can be reviewed and the
// client's information checked. Read-only; no I/O of its own.
package review

import (
	"context"
	"fmt"
	"time"

	"github.com/sluis-gateway/sluis/internal/disclosure"
	"github.com/sluis-gateway/sluis/internal/ledger"
	"github.com/sluis-gateway/sluis/internal/receipts"
)

// Ledger is what the review query needs: the ledger in order.
type Ledger interface {
	Entries(ctx context.Context, from int64, limit int) ([]ledger.Entry, error)
}

// Override is one disclosure shared on a safety override.
type Override struct {
	DisclosureID     string
	At               time.Time
	Actor            string
	FollowUps        string // comma-joined follow-up kinds, as in the ledger
	InformClientDue  string // RFC 3339, when the client is to be informed by
	InformImpossible bool   // informing the client is not possible
	LedgerSeq        int64
}

// page is how many entries one read of the ledger takes.
const page = 1000

// Overrides lists every allowed safety override, oldest first, from the
// ledger (a scan: fine for a coordinator's page, not for a hot path). None
// is an empty, non-nil list.
func Overrides(ctx context.Context, l Ledger) ([]Override, error) {
	out := []Override{}
	allowed := ledger.StateEvent(string(receipts.Allowed))
	for from := int64(1); ; {
		es, err := l.Entries(ctx, from, page)
		if err != nil {
			return nil, fmt.Errorf("review overrides: %w", err)
		}
		for _, e := range es {
			if e.Event == allowed && e.Detail["basis"] == disclosure.BasisSafetyOverride {
				out = append(out, Override{
					DisclosureID: e.DisclosureID, At: e.At, Actor: e.Actor, FollowUps: e.Detail["follow_up"],
					InformClientDue: e.Detail["inform_client_due"], InformImpossible: e.Detail["inform_client_not_possible"] == "true",
					LedgerSeq: e.Seq,
				})
			}
			from = e.Seq + 1
		}
		if len(es) < page {
			return out, nil
		}
	}
}
