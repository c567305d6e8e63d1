package inbound

import (
	"context"
	"errors"
	"time"
)

// State is where an inbound message is.
type State string

// States of an inbound message (docs/inbound.md).
const (
	// Accepted: it passed the technical rules and was handed to the
	// municipality's registration system; a 315, 317 or 323 waits for its
	// answer (Due), a 305 or 307 needs none.
	Accepted State = "accepted"
	// Rejected: it broke a technical rule; it was not forwarded and the
	// provider's technical retour carries the codes.
	Rejected State = "rejected"
	// Answered: the registration system's answer (301 or 319 on a 315 or
	// 317, 325 on a 323) went through the intake naming it in in_reply_to.
	Answered State = "answered"
	// Overdue: no answer by Due (working days, internal/calendar). An
	// answer still moves it on to Answered.
	Overdue State = "overdue"
)

// Errors of the inbound store.
var (
	// ErrNotFound: no inbound message with this id.
	ErrNotFound = errors.New("inbound message not found")
	// ErrInvalidTransition: the message is not in a state the change may
	// leave (only accepted → answered | overdue and overdue → answered).
	ErrInvalidTransition = errors.New("inbound message: invalid state change")
)

// Record is what sluis keeps of an inbound message: ids, codes and dates,
// never its content (no BSN, no names).
type Record struct {
	// ID is sluis's id of the message ("in-" + UUID), the id the
	// registration system answers with (in_reply_to).
	ID string
	// Provider is the sender's AGB code; Municipality the addressed
	// gemeentecode; System the registration system that receives for it.
	Provider     string
	Municipality string
	System       string
	Standard     string // iWmo | iJw
	MessageType  string // e.g. WMO315
	// Identificatie is the message's BerichtIdentificatie/Identificatie
	// (unique per provider and message type, TR056).
	Identificatie string
	// MessageID is the signed envelope's MessageID.
	MessageID string
	State     State
	// RetourCodes are the codes of the technical retour (0200 when
	// accepted); Rules the rule codes that were broken (TR101, CS003, …).
	RetourCodes []string
	Rules       []string
	ReceivedAt  time.Time
	// Due is when the answer is due (zero: none needed, a 305 or 307).
	Due time.Time
	// AnsweredBy is the disclosure id of the answer; AnsweredAt and
	// OverdueAt when the state was entered (zero until then).
	AnsweredBy string
	AnsweredAt time.Time
	OverdueAt  time.Time
}

// Change moves an inbound message on: To Answered (AnsweredBy set) or
// Overdue. Detail goes to the ledger entry (no personal data).
type Change struct {
	To         State
	At         time.Time
	AnsweredBy string
	Detail     map[string]string
}

// Store keeps inbound messages. Every write is one transaction with its
// ledger entry (event "inbound:<state>", subject the record's ID, actor
// from the context: writes without one fail). Safe for concurrent use,
// shared by several sluis instances.
type Store interface {
	// RecordInbound stores r (state Accepted or Rejected) with its ledger
	// entry. When a message of the same Provider, MessageType and
	// Identificatie is already stored it returns that one and created
	// false, and changes nothing.
	RecordInbound(ctx context.Context, r Record) (stored Record, created bool, err error)
	// GetInbound returns the record, or ErrNotFound.
	GetInbound(ctx context.Context, id string) (Record, error)
	// MoveInbound applies c: accepted → answered | overdue, overdue →
	// answered; anything else is ErrInvalidTransition (ErrNotFound for an
	// unknown id). Only a record with a Due can be answered or overdue.
	MoveInbound(ctx context.Context, id string, c Change) (Record, error)
	// InboundDue lists accepted records whose Due is before t, the oldest
	// Due first, at most limit.
	InboundDue(ctx context.Context, before time.Time, limit int) ([]Record, error)
}
