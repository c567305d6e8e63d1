package casework

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sluis-gateway/sluis/internal/actor"
	"github.com/sluis-gateway/sluis/internal/disclosure"
	"github.com/sluis-gateway/sluis/internal/ledger"
	"github.com/sluis-gateway/sluis/internal/receipts"
)

// LedgerReader reads the ledger in order.
type LedgerReader interface {
	Entries(ctx context.Context, from int64, limit int) ([]ledger.Entry, error)
}

// TrackerConfig configures NewTracker; Store, Receipts and Ledger are
// required.
type TrackerConfig struct {
	Store    Store
	Receipts Receipts
	Ledger   LedgerReader
	// Interval between scans; zero: 5 seconds (a scan reads only the
	// entries written since the last one).
	Interval time.Duration
	// Registerer takes the overdue gauge (sluis_review_items_overdue);
	// nil: none is registered.
	Registerer prometheus.Registerer
	Now        func() time.Time
	Logger     *slog.Logger
}

// Tracker opens the follow-ups of every allowed safety override from the
// ledger (its state:allowed entry with basis safety_override):
// inform_client, due at the time the request planned (or, when the
// request said informing is not possible, closed at once with outcome
// not_possible and reason stated_at_decision), and coordinator_review, due
// ReviewWithin after the override was allowed. Opening is idempotent (one
// item per disclosure and kind), so the tracker reads the ledger from its
// start after every restart and several instances may run it. It also
// serves the overdue gauge.
type Tracker struct {
	store    Store
	receipts Receipts
	ledger   LedgerReader
	interval time.Duration
	now      func() time.Time
	log      *slog.Logger

	mu   sync.Mutex
	next int64 // the next ledger seq to read

	overdue *prometheus.Desc
}

// NewTracker builds the tracker and registers its gauge.
func NewTracker(c TrackerConfig) (*Tracker, error) {
	if c.Store == nil || c.Receipts == nil || c.Ledger == nil {
		return nil, errors.New("casework tracker: store, receipts and ledger are required")
	}
	if c.Interval == 0 {
		c.Interval = 5 * time.Second
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	t := &Tracker{store: c.Store, receipts: c.Receipts, ledger: c.Ledger, interval: c.Interval, now: c.Now, log: c.Logger, next: 1,
		overdue: prometheus.NewDesc("sluis_review_items_overdue",
			"Open review items past their due time, by kind (inform_client, coordinator_review, human_review, break_glass).",
			[]string{"kind"}, nil)}
	if c.Registerer != nil {
		if err := c.Registerer.Register(t); err != nil {
			return nil, fmt.Errorf("casework tracker metrics: %w", err)
		}
	}
	return t, nil
}

// Describe implements prometheus.Collector.
func (t *Tracker) Describe(ch chan<- *prometheus.Desc) { ch <- t.overdue }

// Collect implements prometheus.Collector: the overdue counts at the
// tracker's clock, every kind reported (0 when none).
func (t *Tracker) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	n, err := t.store.CountOverdue(ctx, t.now())
	if err != nil {
		ch <- prometheus.NewInvalidMetric(t.overdue, err)
		return
	}
	for _, k := range Kinds {
		ch <- prometheus.MustNewConstMetric(t.overdue, prometheus.GaugeValue, float64(n[k]), string(k))
	}
}

// Run scans every interval until ctx ends.
func (t *Tracker) Run(ctx context.Context) error {
	tick := time.NewTicker(t.interval)
	defer tick.Stop()
	for {
		if _, err := t.Scan(ctx); err != nil && ctx.Err() == nil {
			t.log.Error("follow-up tracker", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

const trackerPage = 1000

// Scan reads the ledger entries written since the last scan and opens the
// follow-ups they call for; it returns how many items it opened. A failure
// leaves the cursor at the entry that failed, so the next scan retries it.
func (t *Tracker) Scan(ctx context.Context) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	ctx = actor.With(ctx, actor.System)
	opened := 0
	allowed := ledger.StateEvent(string(receipts.Allowed))
	for {
		es, err := t.ledger.Entries(ctx, t.next, trackerPage)
		if err != nil {
			return opened, fmt.Errorf("follow-ups: read ledger: %w", err)
		}
		for _, e := range es {
			if e.Event == allowed && e.Detail["basis"] == disclosure.BasisSafetyOverride {
				n, err := t.open(ctx, e)
				opened += n
				if err != nil {
					return opened, fmt.Errorf("follow-ups of %s: %w", e.DisclosureID, err)
				}
			}
			t.next = e.Seq + 1
		}
		if len(es) < trackerPage {
			return opened, nil
		}
	}
}

func (t *Tracker) open(ctx context.Context, e ledger.Entry) (int, error) {
	rec, err := t.receipts.Get(ctx, e.DisclosureID)
	if err != nil {
		return 0, err
	}
	opened := 0
	inform := Item{ID: string(KindInformClient) + ":" + e.DisclosureID, Kind: KindInformClient, DisclosureID: e.DisclosureID,
		Municipality: rec.Municipality, OpenedAt: e.At}
	if due, err := time.Parse(time.RFC3339, e.Detail["inform_client_due"]); err == nil {
		inform.Due = &due
	}
	it, created, err := t.store.OpenItem(ctx, inform)
	if err != nil {
		return opened, err
	}
	if created {
		opened++
	}
	if it.Open() && e.Detail["inform_client_not_possible"] == "true" {
		if _, err := t.store.CloseItem(ctx, it.ID, Closing{At: e.At, Outcome: OutcomeNotPossible, Reason: ReasonStatedAtDecision}); err != nil && !errors.Is(err, ErrClosed) {
			return opened, err
		}
	}
	due := e.At.Add(ReviewWithin)
	_, created, err = t.store.OpenItem(ctx, Item{ID: string(KindCoordinatorReview) + ":" + e.DisclosureID, Kind: KindCoordinatorReview,
		DisclosureID: e.DisclosureID, Municipality: rec.Municipality, OpenedAt: e.At, Due: &due})
	if created {
		opened++
	}
	return opened, err
}
