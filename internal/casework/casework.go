// Package casework tracks the work that people owe after a decision:
// human reviews of a decision (AVG art. 22), break-glass reads of a
// disclosure's archived content, and the follow-ups of a safety override
// (inform the client, the coordinator's review). Each is an Item, open until
// closed, with a ledger entry when it opens and when it closes; coordinators
// list and judge them for their own municipality. See docs/client-rights.md.
//
// Items carry ids, codes, times and case numbers: never client data. Free
// text is not accepted anywhere (reasons and outcomes are codes), so
// nothing personal can reach the ledger through them.
package casework

import (
	"context"
	"errors"
	"time"
)

// Kind is what an item is about.
type Kind string

// The kinds.
const (
	KindHumanReview       Kind = "human_review"       // art. 22: a person reviews a decision
	KindBreakGlass        Kind = "break_glass"        // a read of archived content by someone but the sender
	KindInformClient      Kind = "inform_client"      // a safety override's client is to be informed
	KindCoordinatorReview Kind = "coordinator_review" // a safety override is reviewed by the coordinator
)

// Kinds lists the kinds.
var Kinds = []Kind{KindHumanReview, KindBreakGlass, KindInformClient, KindCoordinatorReview}

// Outcomes a coordinator may give, by kind (Judge); inform_client is closed
// by RecordInformed instead.
var Outcomes = map[Kind][]string{
	KindHumanReview:       {"upheld", "overturned"},
	KindBreakGlass:        {"justified", "unjustified"},
	KindCoordinatorReview: {"justified", "unjustified"},
}

// Outcomes of inform_client.
const (
	OutcomeInformed    = "informed"
	OutcomeNotPossible = "not_possible"
)

// NotPossibleReasons are the codes of why a client cannot be informed.
// ReasonStatedAtDecision closes the item the tracker opens for an override
// whose request already said informing is not possible (its text stays in
// the request: it is free text).
var NotPossibleReasons = []string{"unreachable", "safety_risk", "lacks_capacity", "deceased", "other"}

// ReasonStatedAtDecision: the override's request said the client cannot be
// informed.
const ReasonStatedAtDecision = "stated_at_decision"

// ReasonClientRequest: the client asked (an access request, the reason
// of the reads an access report makes).
const ReasonClientRequest = "client_request"

// BreakGlassReasons are the reasons a break-glass read may state.
var BreakGlassReasons = []string{"client_request", "colleague_absent", "complaint", "incident", "audit", "legal_claim"}

// Item is one piece of work.
type Item struct {
	// ID is kind:disclosure id for the one-per-disclosure kinds (human
	// review, inform client, coordinator review) and kind:random for a
	// break-glass read.
	ID           string
	Kind         Kind
	DisclosureID string
	// Municipality is the disclosure's: only its coordinators see the item.
	Municipality string
	OpenedAt     time.Time
	// OpenedBy is the ledger actor that opened it (actor.Actor.String()).
	OpenedBy string
	// Due is when it must be closed by; nil when there is no deadline.
	Due *time.Time
	// Reason is a code: the break-glass reason; empty for other kinds.
	Reason string
	// Reference is a case number the opener gave (may be empty).
	Reference string

	ClosedAt *time.Time
	ClosedBy string
	// Outcome, OutcomeReason and OutcomeReference say how it was closed.
	Outcome          string
	OutcomeReason    string
	OutcomeReference string
}

// Open reports whether the item is not closed.
func (it Item) Open() bool { return it.ClosedAt == nil }

// Overdue reports whether the item is open past its due time at now.
func (it Item) Overdue(now time.Time) bool { return it.Open() && it.Due != nil && now.After(*it.Due) }

// Closing is how an item is closed.
type Closing struct {
	At        time.Time
	Outcome   string
	Reason    string
	Reference string
}

// Named errors of the store and the service.
var (
	// ErrNotFound: no item (or disclosure) under that id for the caller.
	ErrNotFound = errors.New("not found")
	// ErrClosed: the item was closed before.
	ErrClosed = errors.New("item already closed")
)

// Ledger events: "<kind>:opened" and "<kind>:closed" (OpenedEvent,
// ClosedEvent), and EventArchiveRead, EventItemsRead.
const (
	// EventArchiveRead is the sending employee's own read of archived
	// content (not a break-glass: logged, not listed).
	EventArchiveRead = "archive:read"
	// EventItemsRead is a coordinator's read of the item list.
	EventItemsRead = "review_items:read"
)

// OpenedEvent is the ledger event of an item of kind k opening.
func OpenedEvent(k Kind) string { return string(k) + ":opened" }

// ClosedEvent is the ledger event of an item of kind k closing.
func ClosedEvent(k Kind) string { return string(k) + ":closed" }

// OpenedDetail is the ledger detail of an item opening.
func OpenedDetail(it Item) map[string]string {
	d := map[string]string{"item_id": it.ID, "municipality": it.Municipality}
	if it.Due != nil {
		d["due"] = it.Due.UTC().Format(time.RFC3339)
	}
	if it.Reason != "" {
		d["reason"] = it.Reason
	}
	if it.Reference != "" {
		d["reference"] = it.Reference
	}
	return d
}

// ClosedDetail is the ledger detail of an item closing.
func ClosedDetail(it Item) map[string]string {
	d := map[string]string{"item_id": it.ID, "municipality": it.Municipality, "outcome": it.Outcome}
	if it.OutcomeReason != "" {
		d["reason"] = it.OutcomeReason
	}
	if it.OutcomeReference != "" {
		d["reference"] = it.OutcomeReference
	}
	return d
}

// Store keeps items. Implementations are safe for concurrent use, also by
// several processes sharing one database; each change writes its ledger
// entry (OpenedEvent/ClosedEvent with OpenedDetail/ClosedDetail, the
// item's disclosure id, the actor from ctx) in the same transaction, and
// without an actor fails with actor.ErrMissing and changes nothing. Times
// are kept to the microsecond, in UTC.
type Store interface {
	// OpenItem stores it unless an item with its ID exists; it returns the
	// stored item and whether it was created (no ledger entry when not).
	// OpenedBy is set from the actor.
	OpenItem(ctx context.Context, it Item) (Item, bool, error)
	// CloseItem closes the open item id: ErrNotFound for an unknown id,
	// ErrClosed when it was closed before (nothing changes). ClosedBy is
	// set from the actor.
	CloseItem(ctx context.Context, id string, c Closing) (Item, error)
	// GetItem returns an item, or ErrNotFound.
	GetItem(ctx context.Context, id string) (Item, error)
	// ListItems returns the municipality's items of kind (all kinds when
	// kind is ""), open ones only when openOnly, oldest first, at most
	// limit. None is an empty list.
	ListItems(ctx context.Context, municipality string, kind Kind, openOnly bool, limit int) ([]Item, error)
	// CountOverdue counts the open items whose due time is before now, by
	// kind (kinds without any are absent).
	CountOverdue(ctx context.Context, now time.Time) (map[Kind]int64, error)
}
