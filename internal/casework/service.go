package casework

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sluis-gateway/sluis/internal/archive"
	"github.com/sluis-gateway/sluis/internal/bus"
	"github.com/sluis-gateway/sluis/internal/disclosure"
	"github.com/sluis-gateway/sluis/internal/identity"
	"github.com/sluis-gateway/sluis/internal/ledger"
	"github.com/sluis-gateway/sluis/internal/receipts"
)

// Deadlines of the kinds without one of their own (an inform_client item
// is due at the time the override's request planned).
const (
	// ReviewWithin: a safety override is reviewed by the coordinator within
	// 7 days of being allowed.
	ReviewWithin = 7 * 24 * time.Hour
	// HumanReviewWithin: a human review is answered within one month (AVG
	// art. 12(3)), taken as 30 days.
	HumanReviewWithin = 30 * 24 * time.Hour
	// JudgeWithin: a break-glass read is judged within 7 days.
	JudgeWithin = 7 * 24 * time.Hour
	// ListLimit bounds one list.
	ListLimit = 1000
)

// More named errors of the service.
var (
	// ErrBadRequest is matched by every *RequestError.
	ErrBadRequest = errors.New("bad casework request")
	// ErrNotReviewable: the disclosure's decision is neither a refusal nor
	// an allowed safety override.
	ErrNotReviewable = errors.New("the decision is neither a refusal nor an allowed safety override")
	// ErrOwnItem: a coordinator may not judge their own break-glass read.
	ErrOwnItem = errors.New("a coordinator does not judge their own break-glass read")
	// ErrNoContent: nothing of the disclosure is archived (never
	// delivered), or its content was shredded (wrapping archive.ErrShredded).
	ErrNoContent = errors.New("no archived content")
	// ErrUnavailable: the store, ledger, archive or broker did not answer.
	ErrUnavailable = errors.New("casework unavailable")
)

// RequestError names the refused field, never its value: Reason in
// English for the API, Dutch the same for the staff console.
type RequestError struct {
	Field  string
	Reason string
	Dutch  string
}

func (e *RequestError) Error() string { return e.Field + ": " + e.Reason }

// Is matches ErrBadRequest.
func (e *RequestError) Is(target error) bool { return target == ErrBadRequest }

var referenceRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._/-]{0,63}$`)

// checkReference: empty, or a case number (as rights.ValidReference).
func checkReference(field, ref string) error {
	if ref != "" && !referenceRe.MatchString(ref) {
		return &RequestError{Field: field, Reason: "a case number of 1 to 64 letters, digits, '.', '_', '/' or '-'",
			Dutch: "het kenmerk is een zaaknummer van 1 tot 64 letters, cijfers, '.', '_', '/' of '-'"}
	}
	return nil
}

func oneOf(field, v string, allowed []string) error {
	if !slices.Contains(allowed, v) {
		return &RequestError{Field: field, Reason: "one of " + strings.Join(allowed, ", "), Dutch: "kies een van de gegeven mogelijkheden"}
	}
	return nil
}

// Receipts reads a disclosure's record.
type Receipts interface {
	Get(ctx context.Context, disclosureID string) (receipts.Record, error)
}

// Ledger is what the service needs of the ledger.
type Ledger interface {
	EntriesFor(ctx context.Context, disclosureID string) ([]ledger.Entry, error)
	Append(ctx context.Context, disclosureID, event string, detail map[string]string) (ledger.Entry, error)
}

// Archive reads archived content (internal/archive).
type Archive interface {
	Get(ctx context.Context, disclosureID string) ([]byte, error)
}

// Config configures NewService; every field but Now is required.
type Config struct {
	Store     Store
	Receipts  Receipts
	Ledger    Ledger
	Archive   Archive
	Publisher bus.Publisher
	Now       func() time.Time
}

// Service is the staff's casework. Safe for concurrent use.
type Service struct {
	store    Store
	receipts Receipts
	ledger   Ledger
	archive  Archive
	pub      bus.Publisher
	now      func() time.Time
}

// NewService builds the service.
func NewService(c Config) (*Service, error) {
	if c.Store == nil || c.Receipts == nil || c.Ledger == nil || c.Archive == nil || c.Publisher == nil {
		return nil, errors.New("casework: store, receipts, ledger, archive and publisher are required")
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return &Service{store: c.Store, receipts: c.Receipts, ledger: c.Ledger, archive: c.Archive, pub: c.Publisher, now: c.Now}, nil
}

// disclosureOf reads the record of a disclosure of the staff member's
// municipality; another municipality's answers as an unknown id.
func (s *Service) disclosureOf(ctx context.Context, staff identity.Staff, id string) (receipts.Record, error) {
	if id == "" || len(id) > 128 {
		return receipts.Record{}, &RequestError{Field: "disclosure_id", Reason: "1 to 128 characters required",
			Dutch: "het berichtnummer is 1 tot 128 tekens"}
	}
	rec, err := s.receipts.Get(ctx, id)
	if errors.Is(err, receipts.ErrNotFound) || (err == nil && identity.MayReadFor(staff, rec.Municipality) != nil) {
		return receipts.Record{}, fmt.Errorf("disclosure: %w", ErrNotFound)
	}
	if err != nil {
		return receipts.Record{}, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	return rec, nil
}

// itemOf reads an item of the staff member's municipality.
func (s *Service) itemOf(ctx context.Context, staff identity.Staff, id string) (Item, error) {
	it, err := s.store.GetItem(ctx, id)
	if errors.Is(err, ErrNotFound) || (err == nil && identity.MayReadFor(staff, it.Municipality) != nil) {
		return Item{}, fmt.Errorf("item: %w", ErrNotFound)
	}
	if err != nil {
		return Item{}, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	return it, nil
}

func unavailable(err error) error {
	if errors.Is(err, ErrNotFound) || errors.Is(err, ErrClosed) || errors.Is(err, ErrBadRequest) {
		return err
	}
	return fmt.Errorf("%w: %w", ErrUnavailable, err)
}

// RequestHumanReview puts a disclosure's decision up for human review (AVG
// art. 22): a refusal, or an allowed safety override. It opens the
// human_review item (one per disclosure: asking again returns the one
// there, created false), due in HumanReviewWithin.
func (s *Service) RequestHumanReview(ctx context.Context, staff identity.Staff, disclosureID, reference string) (Item, bool, error) {
	if err := checkReference("request_reference", reference); err != nil {
		return Item{}, false, err
	}
	rec, err := s.disclosureOf(ctx, staff, disclosureID)
	if err != nil {
		return Item{}, false, err
	}
	_, allowed := rec.At[receipts.Allowed]
	if rec.State != receipts.Refused && !(allowed && rec.Basis == disclosure.BasisSafetyOverride) {
		return Item{}, false, ErrNotReviewable
	}
	now := s.now().UTC()
	due := now.Add(HumanReviewWithin)
	it, created, err := s.store.OpenItem(ctx, Item{ID: string(KindHumanReview) + ":" + rec.DisclosureID, Kind: KindHumanReview,
		DisclosureID: rec.DisclosureID, Municipality: rec.Municipality, OpenedAt: now, Due: &due, Reference: reference})
	if err != nil {
		return Item{}, false, unavailable(err)
	}
	return it, created, nil
}

// Judge (coordinators only: identity.ErrRoleNotAllowed) closes a human review, break-glass or coordinator review item of
// the coordinator's municipality with outcome (Outcomes). A human review's
// outcome is first sent to the disclosure's sender as a status event
// (state review_<outcome>), then recorded: a failed publish changes
// nothing, and a retry after a failed record sends the same event (same
// message id) again.
func (s *Service) Judge(ctx context.Context, staff identity.Staff, itemID, outcome, reference string) (Item, error) {
	if !staff.Has(identity.RoleCoordinator) {
		return Item{}, identity.ErrRoleNotAllowed
	}
	if err := checkReference("reference", reference); err != nil {
		return Item{}, err
	}
	it, err := s.itemOf(ctx, staff, itemID)
	if err != nil {
		return Item{}, err
	}
	allowed, ok := Outcomes[it.Kind]
	if !ok {
		return Item{}, &RequestError{Field: "outcome", Reason: "an inform_client item is closed by recording that the client was informed",
			Dutch: "dit punt wordt gesloten door vast te leggen dat de cliënt is geïnformeerd"}
	}
	if err := oneOf("outcome", outcome, allowed); err != nil {
		return Item{}, err
	}
	if !it.Open() {
		return Item{}, fmt.Errorf("item %s: %w", it.ID, ErrClosed)
	}
	if it.Kind == KindBreakGlass && strings.HasPrefix(it.OpenedBy, "staff:"+staff.ID+"@") {
		return Item{}, ErrOwnItem
	}
	now := s.now().UTC()
	if it.Kind == KindHumanReview {
		rec, err := s.receipts.Get(ctx, it.DisclosureID)
		if err != nil {
			return Item{}, unavailable(err)
		}
		ev := bus.Event{DisclosureID: rec.DisclosureID, State: ReviewState(outcome), At: now, Municipality: rec.Municipality,
			System: rec.System, Recipient: rec.Recipient, MessageType: rec.MessageType, Basis: rec.Basis}
		if _, err := bus.Publish(ctx, s.pub, ev); err != nil {
			return Item{}, fmt.Errorf("%w: status event: %w", ErrUnavailable, err)
		}
	}
	closed, err := s.store.CloseItem(ctx, it.ID, Closing{At: now, Outcome: outcome, Reference: reference})
	if err != nil {
		return Item{}, unavailable(err)
	}
	return closed, nil
}

// ReviewState is the status event state of a human review's outcome:
// review_upheld or review_overturned.
func ReviewState(outcome string) string { return "review_" + outcome }

// RecordInformed closes a safety override's inform_client item: the client
// was informed (OutcomeInformed), or cannot be (OutcomeNotPossible with a
// reason from NotPossibleReasons).
func (s *Service) RecordInformed(ctx context.Context, staff identity.Staff, disclosureID, outcome, reason, reference string) (Item, error) {
	if err := oneOf("outcome", outcome, []string{OutcomeInformed, OutcomeNotPossible}); err != nil {
		return Item{}, err
	}
	switch {
	case outcome == OutcomeNotPossible:
		if err := oneOf("reason", reason, NotPossibleReasons); err != nil {
			return Item{}, err
		}
	case reason != "":
		return Item{}, &RequestError{Field: "reason", Reason: "only with outcome not_possible",
			Dutch: "een reden hoort alleen bij de uitkomst dat informeren niet mogelijk was"}
	}
	if err := checkReference("reference", reference); err != nil {
		return Item{}, err
	}
	it, err := s.itemOf(ctx, staff, string(KindInformClient)+":"+disclosureID)
	if err != nil {
		return Item{}, err
	}
	closed, err := s.store.CloseItem(ctx, it.ID, Closing{At: s.now().UTC(), Outcome: outcome, Reason: reason, Reference: reference})
	if err != nil {
		return Item{}, unavailable(err)
	}
	return closed, nil
}

// List (coordinators only) returns the coordinator's municipality's items of kind ("" for
// all), open ones only when openOnly, oldest first (at most ListLimit),
// and records the read (EventItemsRead) before returning it.
func (s *Service) List(ctx context.Context, staff identity.Staff, kind Kind, openOnly bool) ([]Item, error) {
	if !staff.Has(identity.RoleCoordinator) {
		return nil, identity.ErrRoleNotAllowed
	}
	if kind != "" && !slices.Contains(Kinds, kind) {
		return nil, &RequestError{Field: "kind", Reason: "one of human_review, break_glass, inform_client, coordinator_review",
			Dutch: "deze soort werkvoorraad bestaat niet"}
	}
	if err := identity.MayReadFor(staff, staff.Municipality); err != nil {
		return nil, err
	}
	items, err := s.store.ListItems(ctx, staff.Municipality, kind, openOnly, ListLimit)
	if err != nil {
		return nil, unavailable(err)
	}
	state := "all"
	if openOnly {
		state = "open"
	}
	if _, err := s.ledger.Append(ctx, "", EventItemsRead, map[string]string{"municipality": staff.Municipality,
		"kind": string(kind), "state": state, "count": strconv.Itoa(len(items))}); err != nil {
		return nil, fmt.Errorf("%w: record the read: %w", ErrUnavailable, err)
	}
	return items, nil
}

// Read is archived content handed to a staff member.
type Read struct {
	DisclosureID string
	ContentType  string
	Content      []byte
	// BreakGlass is the item opened for the read; nil for the sending
	// employee's own read.
	BreakGlass *Item
}

// ReadArchive returns a disclosure's archived signed message. The sending
// employee (the staff id equal to the request's sender.employee) reads it
// with a ledger entry EventArchiveRead. Anyone else breaks the glass: a
// reason from BreakGlassReasons is required (else a *RequestError for
// field reason, and nothing is read), and the read opens a break_glass
// item, with its ledger entry, which stays on the coordinator's list until
// judged. The record is written before the content is returned.
func (s *Service) ReadArchive(ctx context.Context, staff identity.Staff, disclosureID, reason, reference string) (Read, error) {
	if err := checkReference("reference", reference); err != nil {
		return Read{}, err
	}
	rec, err := s.disclosureOf(ctx, staff, disclosureID)
	if err != nil {
		return Read{}, err
	}
	es, err := s.ledger.EntriesFor(ctx, rec.DisclosureID)
	if err != nil {
		return Read{}, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	own := staff.ID != "" && SenderEmployee(es) == staff.ID
	if !own {
		if err := oneOf("reason", reason, BreakGlassReasons); err != nil {
			return Read{}, err
		}
	}
	content, err := s.archive.Get(ctx, rec.DisclosureID)
	switch {
	case errors.Is(err, archive.ErrNotFound), errors.Is(err, archive.ErrShredded):
		return Read{}, fmt.Errorf("%w: %w", ErrNoContent, err)
	case err != nil:
		return Read{}, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	out := Read{DisclosureID: rec.DisclosureID, ContentType: "application/xml", Content: content}
	now := s.now().UTC()
	if own {
		d := map[string]string{"municipality": rec.Municipality}
		if reference != "" {
			d["reference"] = reference
		}
		if _, err := s.ledger.Append(ctx, rec.DisclosureID, EventArchiveRead, d); err != nil {
			return Read{}, fmt.Errorf("%w: record the read: %w", ErrUnavailable, err)
		}
		return out, nil
	}
	due := now.Add(JudgeWithin)
	it, _, err := s.store.OpenItem(ctx, Item{ID: NewBreakGlassID(), Kind: KindBreakGlass,
		DisclosureID: rec.DisclosureID, Municipality: rec.Municipality, OpenedAt: now, Due: &due, Reason: reason, Reference: reference})
	if err != nil {
		return Read{}, unavailable(err)
	}
	out.BreakGlass = &it
	return out, nil
}

// SenderEmployee is the employee id the disclosure's request named
// (sender.employee), read from the actor of its state:received entry
// ("... employee:E ..."); "" when none.
func SenderEmployee(es []ledger.Entry) string {
	for _, e := range es {
		if e.Event != ledger.StateEvent(string(receipts.Received)) {
			continue
		}
		_, rest, ok := strings.Cut(e.Actor, " employee:")
		if !ok {
			return ""
		}
		emp, _, _ := strings.Cut(rest, " ")
		if emp == "unknown" {
			return ""
		}
		return emp
	}
	return ""
}

// NewBreakGlassID is a fresh break-glass item id: break_glass:<32 hex>.
func NewBreakGlassID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
	return string(KindBreakGlass) + ":" + hex.EncodeToString(b[:])
}
