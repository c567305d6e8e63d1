// Package receipts holds where every disclosure is: its state, with the time
// it reached each state, and the facts that explain it (reason, retour codes,
// the Identificatie of the message it became). It declares the Store it needs;
// adapters/store implements it for SQLite and PostgreSQL.
package receipts

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// State is where a disclosure is.
type State string

// The states of a disclosure. Final states end its life; waiting states are
// where it may rest while something outside sluis happens.
const (
	Received  State = "received"  // accepted at intake, recorded
	Invalid   State = "invalid"   // final: malformed request (see Reason)
	Refused   State = "refused"   // final: screening refused it (see ReasonCodes)
	Allowed   State = "allowed"   // screening allowed it
	Published State = "published" // signed message handed to the broker, confirm pending
	Delivered State = "delivered" // waiting: the broker confirmed and a queue took it
	Accepted  State = "accepted"  // final: the provider's retour accepted it
	Rejected  State = "rejected"  // final: the provider's retour rejected it (see RetourCodes)
	Overdue   State = "overdue"   // waiting: no retour within 3 working days after delivery
	Failed    State = "failed"    // final: could not be delivered (see Reason)
)

// Final reports whether nothing more happens to a disclosure in state s.
func (s State) Final() bool {
	switch s {
	case Invalid, Refused, Accepted, Rejected, Failed:
		return true
	}
	return false
}

// next lists the transitions that are allowed.
var next = map[State][]State{
	Received:  {Refused, Allowed, Failed},
	Allowed:   {Refused, Published, Failed},
	Published: {Delivered, Failed},
	Delivered: {Accepted, Rejected, Overdue},
	Overdue:   {Accepted, Rejected},
}

// CanMove reports whether a disclosure may move from one state to another.
func CanMove(from, to State) bool {
	for _, s := range next[from] {
		if s == to {
			return true
		}
	}
	return false
}

// Named errors of the Store.
var (
	ErrNotFound          = errors.New("disclosure not found")
	ErrInvalidTransition = errors.New("invalid state transition")
	ErrConflict          = errors.New("disclosure id already used for a different request")
	// ErrClaimed: another worker (in this or another sluis process) holds
	// the disclosure's processing claim (Store.Claim).
	ErrClaimed = errors.New("disclosure is being processed elsewhere")
)

// Invalid requests are recorded bounded (Store.RecordInvalid): per
// authenticated principal and InvalidWindow (aligned to UTC), the first
// InvalidRecordedPerWindow are kept in full (a row and a ledger entry each);
// the next one writes one ledger entry intake:invalid_overflow (ledger.EventIntakeInvalidOverflow), and later
// ones are only counted in the window's total.
const (
	InvalidWindow            = time.Hour
	InvalidRecordedPerWindow = 20
)

// Record is what sluis keeps of one disclosure: metadata, never the payload.
type Record struct {
	DisclosureID string // chosen by the sender; the idempotency key
	Municipality string // sender's CBS gemeentecode, 4 digits
	System       string // sender's registration system id
	Recipient    string // AGB code, 8 digits
	Standard     string // "iWmo" or "iJw"
	MessageType  string // e.g. "WMO301"
	Purpose      string
	Basis        string // "consent", "legal_obligation", "safety_override"
	// ClientKey is a keyed hash (HMAC-SHA256, hex) of the client's BSN, so a
	// client's disclosures can be found and stopped without keeping the BSN.
	ClientKey string
	// RequestHash is a SHA-256 over the request as received, to tell a retry
	// (same hash) from a different request reusing an id (ErrConflict).
	RequestHash string

	State State
	// Sequence is the number of states the disclosure has entered: 1 at
	// registration (received), one more with every state change. A status
	// event carries the sequence of the state it announces, so a consumer
	// can order events and see a gap or a repeat.
	Sequence int64
	// Announced is the highest Sequence whose status event the broker has
	// confirmed (or returned: no status queue bound); a state with
	// Sequence > Announced has not been announced yet.
	Announced int64
	// Identificatie of the Bericht, allocated once at registration; unique per
	// (Municipality, MessageType) (TR056).
	Identificatie string
	// MessageID is the AMQP message id of the outbound message; the same on
	// every republish.
	MessageID   string
	Reason      string   // why failed / invalid / refused (plain, no personal data)
	ReasonCodes []string // machine-readable refusal codes
	RetourCodes []string // from the provider's retour, for rejected
	// At holds the time the disclosure entered each state it has been in.
	At        map[State]time.Time
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Change is a state transition with the facts that explain it.
type Change struct {
	To          State
	At          time.Time
	Reason      string
	ReasonCodes []string
	RetourCodes []string
	// Detail is added to the ledger entry (non-personal facts only).
	Detail map[string]string
}

// InvalidRequest records a request that could not even be registered: bad
// JSON, failed schema, bad BSN. DisclosureID, Municipality and System are
// filled when they could be read. Reason names the problem by field path,
// never by value.
type InvalidRequest struct {
	DisclosureID string
	Municipality string
	System       string
	Reason       string
	ReceivedAt   time.Time
	// Event is the ledger event of the entry; "" is intake:invalid. A
	// request refused to its principal is "intake:refused", one without an
	// authenticated system "intake:unauthenticated": bounded the same way.
	Event string
	// Detail adds non-personal facts to the ledger entry (the store's own
	// keys win).
	Detail map[string]string
	// Conflict marks a well-formed request whose id is registered for a
	// different request: its ledger entry is filed under no disclosure
	// (the id is in its detail as request_id), so the trail of the
	// disclosure that has the id is not touched.
	Conflict bool
}

// Store keeps receipts. Implementations are safe for concurrent use by many
// goroutines and by several sluis processes sharing one database (PostgreSQL).
// Every method that changes state also appends a ledger entry in the same
// transaction, with the actor taken from ctx (actor.From); without an actor
// it fails with actor.ErrMissing and changes nothing.
type Store interface {
	// Register records a new disclosure in state Received and allocates its
	// Identificatie and MessageID in the same transaction. If the id is known
	// with the same RequestHash it returns the stored record and created=false
	// (a retry or redelivery); with a different RequestHash, ErrConflict.
	Register(ctx context.Context, r Record) (stored Record, created bool, err error)

	// Move applies a state change. It fails with ErrInvalidTransition when
	// CanMove(current, c.To) is false, ErrNotFound for an unknown id.
	Move(ctx context.Context, disclosureID string, c Change) (Record, error)

	// MoveAll applies changes one after the other in one transaction: all
	// of them or none. Each is checked against the state the one before it
	// left and gets its own ledger entry, as with Move; the result holds the
	// record after each change. Called without changes it fails.
	MoveAll(ctx context.Context, disclosureID string, cs ...Change) ([]Record, error)

	// Get returns one record, or ErrNotFound.
	Get(ctx context.Context, disclosureID string) (Record, error)

	// ByIdentificatie finds the disclosure whose outbound Bericht had this
	// Identificatie (for matching retours), or ErrNotFound.
	ByIdentificatie(ctx context.Context, municipality, messageType, identificatie string) (Record, error)

	// InState lists records in state s that entered it before t, oldest
	// first, at most limit (for overdue checks and recovery after a crash).
	InState(ctx context.Context, s State, before time.Time, limit int) ([]Record, error)

	// RecordInvalid keeps a request that could not be registered, and its
	// ledger entry, bounded per authenticated principal (the actor's kind
	// and id) and InvalidWindow: see InvalidRecordedPerWindow. Every call
	// counts in the window's total (InvalidCount).
	RecordInvalid(ctx context.Context, r InvalidRequest) error

	// InvalidCount returns how many invalid requests principal ("kind:id"
	// of the actor) had in the window starting at windowStart.
	InvalidCount(ctx context.Context, principal string, windowStart time.Time) (int64, error)

	// CountByState returns how many disclosures are in each state.
	CountByState(ctx context.Context) (map[State]int64, error)

	Claimer
}

// Claimer holds the processing claim of a disclosure, so that one worker at
// a time, in one process or in several sharing a database, moves it on and
// announces its states. A claim is a lease: it ends with Release, or by
// itself at its deadline (a worker that died). Claims write no ledger entry
// (they are no state change) and need no actor.
type Claimer interface {
	// Claim takes the claim of disclosureID for owner until the deadline
	// when nobody holds it, its holder's deadline has passed, or owner
	// holds it already (the deadline is then extended). It returns the
	// record as stored at that moment; another owner's live claim gives
	// ErrClaimed and changes nothing; an unknown id ErrNotFound.
	Claim(ctx context.Context, disclosureID, owner string, until time.Time) (Record, error)
	// Release ends owner's claim (a no-op when owner does not hold it)
	// and raises Announced to announced (never lowers it), in one write.
	Release(ctx context.Context, disclosureID, owner string, announced int64) error
	// MarkAnnounced raises Announced to seq (never lowers it) without
	// touching the claim; ErrNotFound for an unknown id.
	MarkAnnounced(ctx context.Context, disclosureID string, seq int64) error
}

// Validate checks the fields Register needs.
func (r Record) Validate() error {
	switch {
	case r.DisclosureID == "":
		return fmt.Errorf("record: missing disclosure id")
	case r.Municipality == "" || r.Recipient == "" || r.MessageType == "":
		return fmt.Errorf("record %s: missing municipality, recipient or message type", r.DisclosureID)
	case r.RequestHash == "":
		return fmt.Errorf("record %s: missing request hash", r.DisclosureID)
	}
	return nil
}
