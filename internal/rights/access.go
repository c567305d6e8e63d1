package rights

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/sluis-gateway/sluis/internal/archive"
	"github.com/sluis-gateway/sluis/internal/casework"
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

// Asker is the staff member asking: their id (the token's subject, for
// telling the sending employee's own reads) and municipality.
type Asker struct {
	ID           string
	Municipality string
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
// disclosures of the asker's municipality, and records it in the ledger
// (EventAccess, with the number of disclosures and of archived messages
// included) before returning it. A client without disclosures gets an
// empty report.
//
// Handing over an archived message is a read of its content: when the
// asker is not the disclosure's sending employee it breaks the glass, with
// the reason casework.ReasonClientRequest and the question's reference, and
// the break_glass item stays on the coordinator's list until judged. The
// items are opened before the report is built, so its ledger lists them.
func (s *Service) Access(ctx context.Context, asker Asker, q Question) (Report, error) {
	municipality := asker.Municipality
	recs, err := s.disclosuresOf(ctx, municipality, q)
	if err != nil {
		return Report{}, err
	}
	rep := Report{Version: ReportVersion, GeneratedAt: s.now().UTC(), Municipality: municipality,
		RequestReference: q.Reference, Disclosures: []Disclosure{}}
	messages, glass := 0, 0
	for _, rec := range recs {
		d, broke, err := s.disclosure(ctx, asker, q, rec)
		if err != nil {
			return Report{}, err
		}
		if broke {
			glass++
		}
		if d.Message.Status == MessageArchived {
			messages++
		}
		rep.Disclosures = append(rep.Disclosures, d)
	}
	if err := s.record(ctx, EventAccess, municipality, q, map[string]string{
		"disclosures": itoa(len(rep.Disclosures)), "messages": itoa(messages), "break_glass": itoa(glass),
	}); err != nil {
		return Report{}, err
	}
	return rep, nil
}

// disclosure builds one disclosure of the report; broke says whether
// handing over its message broke the glass.
func (s *Service) disclosure(ctx context.Context, asker Asker, q Question, rec receipts.Record) (d Disclosure, broke bool, err error) {
	es, err := s.ledger.EntriesFor(ctx, rec.DisclosureID)
	if err != nil {
		return Disclosure{}, false, fmt.Errorf("%w: ledger of %s: %w", ErrUnavailable, rec.DisclosureID, err)
	}
	msg := s.message(ctx, rec.DisclosureID)
	if msg.Status == "" {
		return Disclosure{}, false, fmt.Errorf("%w: archive of %s", ErrUnavailable, rec.DisclosureID)
	}
	if broke = msg.Status == MessageArchived && (asker.ID == "" || casework.SenderEmployee(es) != asker.ID); broke {
		now := s.now().UTC()
		due := now.Add(casework.JudgeWithin)
		if _, _, err := s.glass.OpenItem(ctx, casework.Item{ID: casework.NewBreakGlassID(), Kind: casework.KindBreakGlass,
			DisclosureID: rec.DisclosureID, Municipality: rec.Municipality, OpenedAt: now, Due: &due,
			Reason: casework.ReasonClientRequest, Reference: q.Reference}); err != nil {
			return Disclosure{}, false, fmt.Errorf("%w: break-glass of %s: %w", ErrUnavailable, rec.DisclosureID, err)
		}
		if es, err = s.ledger.EntriesFor(ctx, rec.DisclosureID); err != nil {
			return Disclosure{}, false, fmt.Errorf("%w: ledger of %s: %w", ErrUnavailable, rec.DisclosureID, err)
		}
	}
	d = Disclosure{
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
	d.Message = msg
	return d, broke, nil
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
// client's data from the asker's municipality, by AGB code, and records
// the answer in the ledger (EventRecipients, with the number of
// recipients).
func (s *Service) Recipients(ctx context.Context, asker Asker, q Question) (RecipientList, error) {
	municipality := asker.Municipality
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
