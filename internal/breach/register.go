package breach

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/sluis-gateway/sluis/internal/actor"
	"github.com/sluis-gateway/sluis/internal/ledger"
)

// Ledger events of the register. Their detail holds the incident id, its
// source and state and counts, never the privacy officer's text.
const (
	EventRecorded     = "breach:recorded"
	EventProposed     = "breach:proposed"
	EventConfirmed    = "breach:confirmed"
	EventDismissed    = "breach:dismissed"
	EventUpdated      = "breach:updated"
	EventNotified     = "breach:notified"
	EventRead         = "breach:read"
	EventSubjectsRead = "breach:subjects_read"
	EventExported     = "breach:exported"
)

// Store keeps the register. Every write stores the incident and its ledger
// entry (event, detail; the actor from ctx) in one transaction.
// Implementations are safe for concurrent use, also by several processes.
type Store interface {
	// BreachCreate stores a new incident. When inc.SignalKey is set and an
	// incident with that key exists, nothing is written: the stored one is
	// returned with created=false.
	BreachCreate(ctx context.Context, inc Incident, event string, detail map[string]string) (stored Incident, created bool, err error)
	// BreachUpdate replaces the incident whose stored Version is
	// inc.Version-1 (ErrConflict when another change came first,
	// ErrNotFound for an unknown id).
	BreachUpdate(ctx context.Context, inc Incident, event string, detail map[string]string) (Incident, error)
	// BreachGet returns one incident or ErrNotFound.
	BreachGet(ctx context.Context, id string) (Incident, error)
	// BreachList returns every incident, oldest first.
	BreachList(ctx context.Context) ([]Incident, error)
	// Append writes a ledger entry (a read of the register).
	Append(ctx context.Context, disclosureID, event string, detail map[string]string) (ledger.Entry, error)
}

// Officer is the privacy officer acting: their municipality scopes every
// read and write. Their identity for the record comes from the context's
// actor.
type Officer struct {
	Municipality string
}

// MayRead reports whether o may see inc: their municipality's own, or the
// gateway's (no municipality).
func (o Officer) MayRead(inc Incident) bool {
	return inc.Municipality == "" || inc.Municipality == o.Municipality
}

// Config holds the register's parts. Store is required.
type Config struct {
	Store    Store
	Ledger   LedgerReader
	Receipts Receipts
	Metrics  *Metrics
	Now      func() time.Time
	Logger   *slog.Logger
}

// Register is the breach register. Build it with New.
type Register struct {
	store    Store
	ledger   LedgerReader
	receipts Receipts
	metrics  *Metrics
	now      func() time.Time
	log      *slog.Logger
}

// New builds the register.
func New(c Config) (*Register, error) {
	if c.Store == nil || c.Ledger == nil || c.Receipts == nil {
		return nil, errors.New("breach register: Store, Ledger and Receipts are required")
	}
	r := &Register{store: c.Store, ledger: c.Ledger, receipts: c.Receipts, metrics: c.Metrics, now: c.Now, log: c.Logger}
	if r.now == nil {
		r.now = time.Now
	}
	if r.log == nil {
		r.log = slog.Default()
	}
	return r, nil
}

func newID() string {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand never fails on Linux
	}
	return "brk-" + hex.EncodeToString(b[:])
}

func actorName(ctx context.Context) (string, error) {
	a, err := actor.From(ctx)
	if err != nil {
		return "", err
	}
	return a.String(), nil
}

func detailOf(inc Incident, extra ...string) map[string]string {
	d := map[string]string{
		"incident": inc.ID, "source": string(inc.Source), "state": string(inc.State),
		"municipality": inc.Municipality,
		"client_keys":  strconv.Itoa(len(inc.ClientKeys)), "disclosures": strconv.Itoa(len(inc.DisclosureIDs)),
	}
	for i := 0; i+1 < len(extra); i += 2 {
		d[extra[i]] = extra[i+1]
	}
	return d
}

// Record enters a breach a privacy officer found: confirmed at once, aware
// from now unless f gives an earlier moment.
func (r *Register) Record(ctx context.Context, o Officer, f Facts) (Incident, error) {
	who, err := actorName(ctx)
	if err != nil {
		return Incident{}, fmt.Errorf("record breach: %w", err)
	}
	now := r.now().UTC()
	inc := Incident{ID: newID(), Municipality: o.Municipality, State: Confirmed, Source: SourceManual,
		AwareAt: now, RecordedBy: who, DecidedBy: who, DecidedAt: now, CreatedAt: now, UpdatedAt: now, Version: 1}
	if err := inc.apply(f, now); err != nil {
		return Incident{}, err
	}
	if err := inc.complete(); err != nil {
		return Incident{}, err
	}
	stored, _, err := r.store.BreachCreate(ctx, inc, EventRecorded, detailOf(inc))
	if err != nil {
		return Incident{}, fmt.Errorf("record breach: %w", err)
	}
	r.refresh(ctx)
	return stored, nil
}

// Proposal is what sluis saw (signals.go).
type Proposal struct {
	Municipality  string
	Source        Source
	SignalKey     string
	Signal        map[string]string
	Summary       string
	Kinds         []string
	DisclosureIDs []string
	OccurredFrom  time.Time
}

// Propose enters sluis's own proposal, once per SignalKey (created=false
// when it was already proposed). The actor is sluis (or the operator who
// declared a key compromised).
func (r *Register) Propose(ctx context.Context, p Proposal) (Incident, bool, error) {
	if p.SignalKey == "" || p.Source == "" || p.Source == SourceManual {
		return Incident{}, false, invalid("a proposal needs a source and a signal key", "een voorstel heeft een bron en een signaalsleutel nodig")
	}
	who, err := actorName(ctx)
	if err != nil {
		return Incident{}, false, fmt.Errorf("propose breach: %w", err)
	}
	now := r.now().UTC()
	inc := Incident{ID: newID(), Municipality: p.Municipality, State: Proposed, Source: p.Source,
		Signal: p.Signal, SignalKey: p.SignalKey, ProposedAt: now, Summary: p.Summary,
		Kinds: dedupe(p.Kinds), DisclosureIDs: dedupe(p.DisclosureIDs), OccurredFrom: p.OccurredFrom.UTC(),
		RecordedBy: who, CreatedAt: now, UpdatedAt: now, Version: 1}
	if p.OccurredFrom.IsZero() {
		inc.OccurredFrom = time.Time{}
	}
	stored, created, err := r.store.BreachCreate(ctx, inc, EventProposed, detailOf(inc))
	if err != nil {
		return Incident{}, false, fmt.Errorf("propose breach: %w", err)
	}
	if created {
		r.log.Warn("breach proposed", "incident", stored.ID, "source", stored.Source, "municipality", stored.Municipality)
		r.refresh(ctx)
	}
	return stored, created, nil
}

// get reads an incident the officer may see.
func (r *Register) get(ctx context.Context, o Officer, id string) (Incident, error) {
	inc, err := r.store.BreachGet(ctx, id)
	if err != nil {
		return Incident{}, err
	}
	if !o.MayRead(inc) {
		return Incident{}, fmt.Errorf("%s: %w", id, ErrNotFound)
	}
	return inc, nil
}

// change reads, checks the version, applies fn, and stores the result.
func (r *Register) change(ctx context.Context, o Officer, id string, version int, event string,
	fn func(inc *Incident, who string, now time.Time) error) (Incident, error) {
	who, err := actorName(ctx)
	if err != nil {
		return Incident{}, err
	}
	inc, err := r.get(ctx, o, id)
	if err != nil {
		return Incident{}, err
	}
	if version != inc.Version {
		return Incident{}, fmt.Errorf("%s: version %d, stored %d: %w", id, version, inc.Version, ErrConflict)
	}
	now := r.now().UTC()
	if err := fn(&inc, who, now); err != nil {
		return Incident{}, err
	}
	inc.UpdatedAt = now
	inc.Version++
	stored, err := r.store.BreachUpdate(ctx, inc, event, detailOf(inc))
	if err != nil {
		return Incident{}, err
	}
	r.refresh(ctx)
	return stored, nil
}

// Confirm turns a proposal into a breach: aware from now unless f gives an
// earlier moment (not before the proposal's own facts allow).
func (r *Register) Confirm(ctx context.Context, o Officer, id string, version int, f Facts) (Incident, error) {
	return r.change(ctx, o, id, version, EventConfirmed, func(inc *Incident, who string, now time.Time) error {
		if inc.State != Proposed {
			return fmt.Errorf("%s is %s: %w", inc.ID, inc.State, ErrState)
		}
		inc.AwareAt = now
		if err := inc.apply(f, now); err != nil {
			return err
		}
		inc.State, inc.DecidedAt, inc.DecidedBy = Confirmed, now, who
		return inc.complete()
	})
}

// Dismiss closes a proposal that is no breach, with the reason.
func (r *Register) Dismiss(ctx context.Context, o Officer, id string, version int, reason string) (Incident, error) {
	return r.change(ctx, o, id, version, EventDismissed, func(inc *Incident, who string, now time.Time) error {
		if inc.State != Proposed {
			return fmt.Errorf("%s is %s: %w", inc.ID, inc.State, ErrState)
		}
		reason = strings.TrimSpace(reason)
		if reason == "" {
			return invalid("reason is required to dismiss a proposal", "geef de reden waarom dit geen datalek is")
		}
		if err := checkText("reason", reason); err != nil {
			return err
		}
		inc.State, inc.DecidedAt, inc.DecidedBy, inc.DismissReason = Dismissed, now, who, reason
		return nil
	})
}

// Update changes the facts of a proposed or confirmed incident.
func (r *Register) Update(ctx context.Context, o Officer, id string, version int, f Facts) (Incident, error) {
	return r.change(ctx, o, id, version, EventUpdated, func(inc *Incident, _ string, now time.Time) error {
		if inc.State == Dismissed {
			return fmt.Errorf("%s is dismissed: %w", inc.ID, ErrState)
		}
		if f.AwareAt != nil && inc.State != Confirmed {
			return invalid("aware_at is set when the proposal is confirmed", "het moment van ontdekking wordt gezet wanneer het voorstel wordt bevestigd")
		}
		if err := inc.apply(f, now); err != nil {
			return err
		}
		if inc.State == Confirmed {
			return inc.complete()
		}
		return nil
	})
}

// Notify records the AP decision and notification and the informing of the
// data subjects, on a confirmed incident.
func (r *Register) Notify(ctx context.Context, o Officer, id string, version int, n Notice) (Incident, error) {
	return r.change(ctx, o, id, version, EventNotified, func(inc *Incident, who string, now time.Time) error {
		if inc.State != Confirmed {
			return fmt.Errorf("%s is %s (confirm it first): %w", inc.ID, inc.State, ErrState)
		}
		text := func(name string, p *string, dst *string) error {
			if p == nil {
				return nil
			}
			if err := checkText(name, *p); err != nil {
				return err
			}
			*dst = strings.TrimSpace(*p)
			return nil
		}
		if n.APNotification != nil {
			switch *n.APNotification {
			case APRequired, APNotRequired:
				inc.APNotification = *n.APNotification
			default:
				return invalid(fmt.Sprintf("ap_notification is %q or %q", APRequired, APNotRequired), "kies of het datalek bij de AP gemeld moet worden")
			}
		}
		if err := text("ap_not_required_reason", n.APNotRequiredReason, &inc.APNotRequiredReason); err != nil {
			return err
		}
		if inc.APNotification == APNotRequired && inc.APNotRequiredReason == "" {
			return invalid("ap_not_required_reason is required when the AP is not notified (art. 33(1), (5))",
				"geef de reden waarom dit niet bij de AP gemeld hoeft te worden (AVG art. 33 lid 1 en 5)")
		}
		if err := text("ap_reference", n.APReference, &inc.APReference); err != nil {
			return err
		}
		if err := text("ap_late_reason", n.APLateReason, &inc.APNotificationDelay); err != nil {
			return err
		}
		if n.APNotifiedAt != nil {
			at := n.APNotifiedAt.UTC()
			switch {
			case at.After(now):
				return invalid("ap_notified_at is in the future", "het moment van melden bij de AP ligt in de toekomst")
			case at.Before(inc.AwareAt.Add(-Deadline)):
				return invalid("ap_notified_at is long before aware_at", "het moment van melden bij de AP ligt ruim vóór de ontdekking")
			}
			inc.APNotification, inc.APNotifiedAt, inc.APNotifiedBy = APRequired, at, who
		}
		if !inc.APNotifiedAt.IsZero() && !inc.APNotifiedAt.Before(inc.APDue()) && inc.APNotificationDelay == "" {
			return invalid("ap_late_reason is required: the AP was notified after the 72 hours (art. 33(1))",
				"geef de reden van vertraging: de AP is na de 72 uur gemeld (AVG art. 33 lid 1)")
		}
		if n.SubjectsInformedAt != nil {
			at := n.SubjectsInformedAt.UTC()
			if at.After(now) {
				return invalid("subjects_informed_at is in the future", "het moment waarop betrokkenen zijn geïnformeerd ligt in de toekomst")
			}
			inc.SubjectsInformedAt, inc.SubjectsInformedBy = at, who
		}
		return text("subjects_not_informed_reason", n.SubjectsNotInformed, &inc.SubjectsNotInformed)
	})
}

// Get returns one incident the officer may see, recording the read.
func (r *Register) Get(ctx context.Context, o Officer, id string) (Incident, error) {
	inc, err := r.get(ctx, o, id)
	if err != nil {
		return Incident{}, err
	}
	if _, err := r.store.Append(ctx, "", EventRead, map[string]string{"incident": inc.ID}); err != nil {
		return Incident{}, fmt.Errorf("record the read: %w", err)
	}
	return inc, nil
}

// List returns the incidents the officer may see, oldest first, recording
// the read.
func (r *Register) List(ctx context.Context, o Officer) ([]Incident, error) {
	all, err := r.store.BreachList(ctx)
	if err != nil {
		return nil, err
	}
	out := []Incident{}
	for _, inc := range all {
		if o.MayRead(inc) {
			out = append(out, inc)
		}
	}
	if _, err := r.store.Append(ctx, "", EventRead, map[string]string{
		"municipality": o.Municipality, "count": strconv.Itoa(len(out))}); err != nil {
		return nil, fmt.Errorf("record the read: %w", err)
	}
	return out, nil
}
