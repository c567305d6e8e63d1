package rights

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/sluis-gateway/sluis/internal/archive"
	"github.com/sluis-gateway/sluis/internal/ledger"
	"github.com/sluis-gateway/sluis/internal/receipts"
)

// ReportVersion is the version of the access report
// (docs/contract/access-v1.schema.json).
const ReportVersion = 1

// Report answers an access request (art. 15) and is the portable export
// (art. 20): every disclosure of the municipality about the client, each
// as the ledger records it, with the archived message.
type Report struct {
	Version          int          `json:"version"`
	GeneratedAt      time.Time    `json:"generated_at"`
	Municipality     string       `json:"municipality"`
	RequestReference string       `json:"request_reference"`
	Disclosures      []Disclosure `json:"disclosures"`
}

// Disclosure is one share (or refused share) in the report.
type Disclosure struct {
	ID          string    `json:"id"`
	ReceivedAt  time.Time `json:"received_at"`
	Recipient   Recipient `json:"recipient"`
	Standard    string    `json:"standard"`
	MessageType string    `json:"message_type"`
	Purpose     string    `json:"purpose"`
	LegalBasis  string    `json:"legal_basis"`
	// Categories are the data categories of the fields that went (or,
	// when refused, would have gone), from the screening's ledger entry.
	Categories []string `json:"data_categories"`
	State      string   `json:"state"`
	// States holds when the disclosure entered each state (the receipts).
	States      map[string]time.Time `json:"states"`
	RetourCodes []string             `json:"retour_codes,omitempty"`
	Refusal     *Refusal             `json:"refusal,omitempty"`
	Failure     string               `json:"failure,omitempty"`
	FollowUps   []string             `json:"follow_ups,omitempty"`
	// Ledger is every ledger entry about the disclosure, in order, without
	// its actor (staff and system ids are not the client's data) and hash.
	Ledger  []Event `json:"ledger"`
	Message Message `json:"message"`
}

// Recipient is a care provider.
type Recipient struct {
	AGB  string `json:"agb"`
	Name string `json:"name"`
}

// Refusal is why a share was refused: the sentence and codes screening gave.
type Refusal struct {
	Reason string   `json:"reason"`
	Codes  []string `json:"codes"`
}

// Event is a ledger entry in the report.
type Event struct {
	Seq    int64             `json:"seq"`
	At     time.Time         `json:"at"`
	Event  string            `json:"event"`
	Detail map[string]string `json:"detail"`
}

// Message states of the archived message.
const (
	MessageArchived    = "archived"     // Content holds the signed message
	MessageShredded    = "shredded"     // the client's archive key was destroyed
	MessageNotArchived = "not_archived" // never delivered, so nothing was kept
)

// Message is the archived signed message of a delivered disclosure.
type Message struct {
	Status      string `json:"status"`
	ContentType string `json:"content_type,omitempty"`
	Content     string `json:"content,omitempty"`
}

// Access builds the access report for the client of q over the
// disclosures of municipality, and records it in the ledger (EventAccess,
// with the number of disclosures and of archived messages included)
// before returning it. A client without disclosures gets an empty report.
func (s *Service) Access(ctx context.Context, municipality string, q Question) (Report, error) {
	recs, err := s.disclosuresOf(ctx, municipality, q)
	if err != nil {
		return Report{}, err
	}
	rep := Report{Version: ReportVersion, GeneratedAt: s.now().UTC(), Municipality: municipality,
		RequestReference: q.Reference, Disclosures: []Disclosure{}}
	messages := 0
	for _, rec := range recs {
		d, err := s.disclosure(ctx, rec)
		if err != nil {
			return Report{}, err
		}
		if d.Message.Status == MessageArchived {
			messages++
		}
		rep.Disclosures = append(rep.Disclosures, d)
	}
	if err := s.record(ctx, EventAccess, municipality, q, map[string]string{
		"disclosures": itoa(len(rep.Disclosures)), "messages": itoa(messages),
	}); err != nil {
		return Report{}, err
	}
	return rep, nil
}

func (s *Service) disclosure(ctx context.Context, rec receipts.Record) (Disclosure, error) {
	es, err := s.ledger.EntriesFor(ctx, rec.DisclosureID)
	if err != nil {
		return Disclosure{}, fmt.Errorf("%w: ledger of %s: %w", ErrUnavailable, rec.DisclosureID, err)
	}
	d := Disclosure{
		ID: rec.DisclosureID, ReceivedAt: rec.At[receipts.Received].UTC(), Recipient: s.recipient(rec.Recipient),
		Standard: rec.Standard, MessageType: rec.MessageType, Purpose: rec.Purpose, LegalBasis: rec.Basis,
		Categories: []string{}, State: string(rec.State), States: map[string]time.Time{},
		RetourCodes: rec.RetourCodes, Ledger: []Event{},
	}
	if d.ReceivedAt.IsZero() {
		d.ReceivedAt = rec.CreatedAt.UTC()
	}
	for st, at := range rec.At {
		d.States[string(st)] = at.UTC()
	}
	switch rec.State {
	case receipts.Refused:
		d.Refusal = &Refusal{Reason: rec.Reason, Codes: append([]string{}, rec.ReasonCodes...)}
	case receipts.Failed, receipts.Invalid:
		d.Failure = rec.Reason
	}
	screened := map[string]bool{ledger.StateEvent(string(receipts.Allowed)): true, ledger.StateEvent(string(receipts.Refused)): true}
	for _, e := range es {
		d.Ledger = append(d.Ledger, Event{Seq: e.Seq, At: e.At.UTC(), Event: e.Event, Detail: nonNil(e.Detail)})
		if screened[e.Event] {
			if c := e.Detail["categories"]; c != "" {
				d.Categories = strings.Split(c, ",")
			}
			if f := e.Detail["follow_up"]; f != "" {
				d.FollowUps = strings.Split(f, ",")
			}
		}
	}
	d.Message = s.message(ctx, rec.DisclosureID)
	if d.Message.Status == "" {
		return Disclosure{}, fmt.Errorf("%w: archive of %s", ErrUnavailable, rec.DisclosureID)
	}
	return d, nil
}

// message reads the archived message; Status "" when the archive failed.
func (s *Service) message(ctx context.Context, id string) Message {
	b, err := s.archive.Get(ctx, id)
	switch {
	case err == nil:
		return Message{Status: MessageArchived, ContentType: "application/xml", Content: string(b)}
	case errors.Is(err, archive.ErrShredded):
		return Message{Status: MessageShredded}
	case errors.Is(err, archive.ErrNotFound):
		return Message{Status: MessageNotArchived}
	}
	return Message{}
}

func (s *Service) recipient(agb string) Recipient {
	r := Recipient{AGB: agb}
	if p, err := s.providers.Get(agb); err == nil {
		r.Name = p.Name
	}
	return r
}

func nonNil(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

// Received says how sure it is that a recipient got the client's data.
const (
	// ReceivedDelivered: the broker confirmed the message into the
	// provider's queue.
	ReceivedDelivered = "delivered"
	// ReceivedPossibly: the message was handed to the broker but the
	// disclosure ended failed before a confirm; it may be in the queue.
	ReceivedPossibly = "possibly"
)

// RecipientList answers art. 19: who received the client's data, so each
// can be told of a rectification or erasure.
type RecipientList struct {
	Version          int                 `json:"version"`
	GeneratedAt      time.Time           `json:"generated_at"`
	Municipality     string              `json:"municipality"`
	RequestReference string              `json:"request_reference"`
	Recipients       []RecipientReceived `json:"recipients"`
}

// RecipientReceived is one provider and what it received.
type RecipientReceived struct {
	Recipient
	// Received is ReceivedDelivered when any disclosure was delivered,
	// else ReceivedPossibly.
	Received    string    `json:"received"`
	Disclosures []string  `json:"disclosures"`
	First       time.Time `json:"first"`
	Last        time.Time `json:"last"`
}

// Recipients lists the providers that received (or may have received) the
// client's data from municipality, by AGB code, and records the answer in
// the ledger (EventRecipients, with the number of recipients).
func (s *Service) Recipients(ctx context.Context, municipality string, q Question) (RecipientList, error) {
	recs, err := s.disclosuresOf(ctx, municipality, q)
	if err != nil {
		return RecipientList{}, err
	}
	by := map[string]*RecipientReceived{}
	for _, rec := range recs {
		at, delivered := rec.At[receipts.Delivered]
		if !delivered {
			var published bool
			if at, published = rec.At[receipts.Published]; !published {
				continue
			}
		}
		r := by[rec.Recipient]
		if r == nil {
			r = &RecipientReceived{Recipient: s.recipient(rec.Recipient), Received: ReceivedPossibly, First: at.UTC(), Last: at.UTC()}
			by[rec.Recipient] = r
		}
		if delivered {
			r.Received = ReceivedDelivered
		}
		r.Disclosures = append(r.Disclosures, rec.DisclosureID)
		if at.Before(r.First) {
			r.First = at.UTC()
		}
		if at.After(r.Last) {
			r.Last = at.UTC()
		}
	}
	out := RecipientList{Version: ReportVersion, GeneratedAt: s.now().UTC(), Municipality: municipality,
		RequestReference: q.Reference, Recipients: []RecipientReceived{}}
	for _, r := range by {
		out.Recipients = append(out.Recipients, *r)
	}
	slices.SortFunc(out.Recipients, func(a, b RecipientReceived) int { return strings.Compare(a.AGB, b.AGB) })
	if err := s.record(ctx, EventRecipients, municipality, q, map[string]string{"recipients": itoa(len(out.Recipients))}); err != nil {
		return RecipientList{}, err
	}
	return out, nil
}
