package breach

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/sluis-gateway/sluis/internal/ledger"
	"github.com/sluis-gateway/sluis/internal/receipts"
)

// LedgerReader is what the data-subject list reads: the ledger in order.
type LedgerReader interface {
	Entries(ctx context.Context, from int64, limit int) ([]ledger.Entry, error)
	EntriesFor(ctx context.Context, disclosureID string) ([]ledger.Entry, error)
}

// Receipts finds a disclosure's record (its client key and municipality).
type Receipts interface {
	Get(ctx context.Context, disclosureID string) (receipts.Record, error)
}

// Subject is one data subject to inform (art. 34), by client key: the
// registration system that sent the disclosures knows who it is (the
// disclosure id is its own request id); sluis keeps no name or BSN.
type Subject struct {
	ClientKey   string              `json:"client_key"`
	Disclosures []SubjectDisclosure `json:"disclosures"`
}

// SubjectDisclosure is one affected disclosure of a subject, as the ledger
// records it.
type SubjectDisclosure struct {
	DisclosureID string    `json:"disclosure_id"`
	System       string    `json:"system"`
	Municipality string    `json:"municipality"`
	Recipient    string    `json:"recipient"`
	MessageType  string    `json:"message_type"`
	State        string    `json:"state"`
	DeliveredAt  time.Time `json:"delivered_at,omitzero"`
	// LedgerSeq is the ledger entry that shows it left sluis (delivered, or
	// published when no confirm was recorded); 0 when it never left.
	LedgerSeq int64 `json:"ledger_seq"`
}

const ledgerPage = 1000

// affected returns the ids of the incident's disclosures: those it names,
// and for a compromised signing key every disclosure the ledger shows
// delivered from OccurredFrom (to OccurredUntil, when set).
func (r *Register) affected(ctx context.Context, inc Incident) ([]string, error) {
	ids := slices.Clone(inc.DisclosureIDs)
	if inc.Source != SourceKeyCompromised || inc.OccurredFrom.IsZero() {
		return ids, nil
	}
	delivered := ledger.StateEvent(string(receipts.Delivered))
	for from := int64(1); ; {
		es, err := r.ledger.Entries(ctx, from, ledgerPage)
		if err != nil {
			return nil, err
		}
		for _, e := range es {
			from = e.Seq + 1
			if e.Event != delivered || e.At.Before(inc.OccurredFrom) ||
				(!inc.OccurredUntil.IsZero() && e.At.After(inc.OccurredUntil)) {
				continue
			}
			if !slices.Contains(ids, e.DisclosureID) {
				ids = append(ids, e.DisclosureID)
			}
		}
		if len(es) < ledgerPage {
			return ids, nil
		}
	}
}

// Subjects lists the data subjects of a confirmed incident the officer must
// consider informing: every client of an affected disclosure of the
// officer's municipality (each with the ledger's record of it), and the
// client keys the incident names when it is the officer's municipality's
// own. The read is recorded in the ledger.
func (r *Register) Subjects(ctx context.Context, o Officer, id string) ([]Subject, error) {
	inc, err := r.get(ctx, o, id)
	if err != nil {
		return nil, err
	}
	if inc.State != Confirmed {
		return nil, fmt.Errorf("%s is %s (only a confirmed breach has subjects to inform): %w", inc.ID, inc.State, ErrState)
	}
	ids, err := r.affected(ctx, inc)
	if err != nil {
		return nil, fmt.Errorf("subjects of %s: %w", inc.ID, err)
	}
	bySubject := map[string]*Subject{}
	var order []string
	add := func(key string) *Subject {
		if s, ok := bySubject[key]; ok {
			return s
		}
		s := &Subject{ClientKey: key, Disclosures: []SubjectDisclosure{}}
		bySubject[key] = s
		order = append(order, key)
		return s
	}
	for _, d := range ids {
		rec, err := r.receipts.Get(ctx, d)
		if errors.Is(err, receipts.ErrNotFound) {
			continue // named but unknown: nothing of a client to inform about
		}
		if err != nil {
			return nil, fmt.Errorf("subjects of %s: %w", inc.ID, err)
		}
		if rec.Municipality != o.Municipality || rec.ClientKey == "" {
			continue
		}
		es, err := r.ledger.EntriesFor(ctx, d)
		if err != nil {
			return nil, fmt.Errorf("subjects of %s: %w", inc.ID, err)
		}
		sd := SubjectDisclosure{DisclosureID: d, System: rec.System, Municipality: rec.Municipality,
			Recipient: rec.Recipient, MessageType: rec.MessageType, State: string(rec.State)}
		for _, e := range es {
			switch e.Event {
			case ledger.StateEvent(string(receipts.Delivered)):
				sd.LedgerSeq, sd.DeliveredAt = e.Seq, e.At
			case ledger.StateEvent(string(receipts.Published)):
				if sd.LedgerSeq == 0 {
					sd.LedgerSeq = e.Seq
				}
			}
		}
		s := add(rec.ClientKey)
		s.Disclosures = append(s.Disclosures, sd)
	}
	if inc.Municipality == o.Municipality {
		for _, k := range inc.ClientKeys {
			add(k)
		}
	}
	out := make([]Subject, 0, len(order))
	for _, k := range order {
		out = append(out, *bySubject[k])
	}
	if _, err := r.store.Append(ctx, "", EventSubjectsRead, map[string]string{
		"incident": inc.ID, "municipality": o.Municipality, "subjects": strconv.Itoa(len(out)),
	}); err != nil {
		return nil, fmt.Errorf("record the read: %w", err)
	}
	return out, nil
}
