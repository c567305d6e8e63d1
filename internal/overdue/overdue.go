// Package overdue finds delivered messages that got no retour in time: per
// OP090 a provider answers within 3 working days after delivery (weekends
// and Dutch public holidays, see internal/calendar, do not count). Such a
// disclosure moves to overdue once, with a status event and a metric; a late
// retour still moves it on to accepted or rejected.
package overdue

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sluis-gateway/sluis/internal/actor"
	"github.com/sluis-gateway/sluis/internal/bus"
	"github.com/sluis-gateway/sluis/internal/calendar"
	"github.com/sluis-gateway/sluis/internal/receipts"
)

// WorkingDays is the OP090 term: a retour is due 3 working days after
// delivery.
const WorkingDays = 3

// Deadline is the instant a disclosure delivered at delivered becomes
// overdue: the same wall-clock time in Europe/Amsterdam, WorkingDays working
// days later.
func Deadline(delivered time.Time) time.Time {
	return calendar.AddWorkingDays(delivered, WorkingDays)
}

// Store is what the scanner needs of the receipts store (see receipts.Store;
// safe for concurrent use, shared by several sluis instances).
type Store interface {
	InState(ctx context.Context, s receipts.State, before time.Time, limit int) ([]receipts.Record, error)
	Move(ctx context.Context, disclosureID string, c receipts.Change) (receipts.Record, error)
	CountByState(ctx context.Context) (map[receipts.State]int64, error)
	// MarkAnnounced records that a state's status event was confirmed
	// (receipts.Claimer), so no later pass announces it again.
	MarkAnnounced(ctx context.Context, disclosureID string, seq int64) error
}

// Config configures a Scanner. Store, Publisher and Registerer are required.
type Config struct {
	Store Store
	// Publisher sends status events (topic bus.TopicStatus).
	Publisher bus.Publisher
	// Registerer takes the scanner's metrics.
	Registerer prometheus.Registerer
	// Interval between scans; default 1 minute.
	Interval time.Duration
	// Batch is the most records read per query; default 500. A scan keeps
	// querying until a batch has nothing more that is due.
	Batch int
	// Now is the clock; default time.Now.
	Now    func() time.Time
	Logger *slog.Logger
}

// Scanner moves delivered disclosures past their deadline to overdue.
type Scanner struct {
	store    Store
	pub      bus.Publisher
	interval time.Duration
	batch    int
	now      func() time.Time
	log      *slog.Logger

	// pending holds records moved to overdue whose status event failed;
	// the next scan sends them again.
	mu      sync.Mutex
	pending map[string]receipts.Record

	overdue prometheus.Counter
	current prometheus.Gauge
	scans   *prometheus.CounterVec
}

// New checks the configuration and builds a Scanner.
func New(c Config) (*Scanner, error) {
	switch {
	case c.Store == nil:
		return nil, errors.New("overdue scanner: missing Store")
	case c.Publisher == nil:
		return nil, errors.New("overdue scanner: missing Publisher")
	case c.Registerer == nil:
		return nil, errors.New("overdue scanner: missing Registerer")
	case c.Interval < 0:
		return nil, errors.New("overdue scanner: Interval must not be negative")
	case c.Batch < 0:
		return nil, errors.New("overdue scanner: Batch must not be negative")
	}
	s := &Scanner{store: c.Store, pub: c.Publisher, interval: c.Interval, batch: c.Batch, now: c.Now, log: c.Logger,
		pending: map[string]receipts.Record{}}
	if s.interval == 0 {
		s.interval = time.Minute
	}
	if s.batch == 0 {
		s.batch = 500
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	s.overdue = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "sluis_overdue_total",
		Help: "Disclosures moved to overdue: no retour within 3 working days after delivery (OP090).",
	})
	s.current = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "sluis_overdue_disclosures",
		Help: "Disclosures currently overdue (waiting for a late retour), as of the last scan.",
	})
	s.scans = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "sluis_overdue_scans_total",
		Help: "Overdue scans, by result (ok, error).",
	}, []string{"result"})
	for _, col := range []prometheus.Collector{s.overdue, s.current, s.scans} {
		if err := c.Registerer.Register(col); err != nil {
			return nil, fmt.Errorf("overdue metrics: %w", err)
		}
	}
	s.scans.WithLabelValues("ok")
	s.scans.WithLabelValues("error")
	return s, nil
}

// Run scans at once and then every Interval until ctx ends; it returns nil
// then. A failed scan is logged and counted, and tried again next time.
func (s *Scanner) Run(ctx context.Context) error {
	t := time.NewTicker(s.interval)
	defer t.Stop()
	for {
		if _, err := s.Scan(ctx); err != nil && ctx.Err() == nil {
			s.log.Error("overdue scan failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// Scan moves every delivered disclosure whose Deadline has passed to
// overdue, announces each, and updates the gauge. It returns how many it
// moved. A disclosure another instance moved first (ErrInvalidTransition)
// is skipped silently.
func (s *Scanner) Scan(ctx context.Context) (int, error) {
	n, err := s.scan(ctx)
	if err != nil {
		s.scans.WithLabelValues("error").Inc()
		return n, err
	}
	s.scans.WithLabelValues("ok").Inc()
	return n, nil
}

func (s *Scanner) scan(ctx context.Context) (int, error) {
	if _, err := actor.From(ctx); err != nil {
		ctx = actor.With(ctx, actor.System)
	}
	now := s.now()
	if err := s.announcePending(ctx, now); err != nil {
		return 0, err
	}
	// Three working days are at least three times 24 hours (summer time
	// changes on a Sunday, which only lengthens a span that crosses it):
	// nothing delivered later than that can be due. InState filters
	// coarsely (strictly before, so a second is added to include a delivery
	// exactly 72 hours ago), Deadline precisely.
	before := now.Add(-WorkingDays*24*time.Hour + time.Second)
	moved := 0
	for {
		recs, err := s.store.InState(ctx, receipts.Delivered, before, s.batch)
		if err != nil {
			return moved, fmt.Errorf("overdue scan: %w", err)
		}
		due := 0
		for _, rec := range recs {
			delivered, ok := rec.At[receipts.Delivered]
			if !ok || now.Before(Deadline(delivered)) {
				continue
			}
			due++
			ok, err := s.move(ctx, rec, delivered, now)
			if ok {
				moved++
			}
			if err != nil {
				return moved, err
			}
		}
		// Records come oldest first. A full batch with something due may
		// hide more beyond it; a batch with nothing due (all within their
		// deadline, e.g. over a long holiday) or a short one ends the scan.
		if len(recs) < s.batch || due == 0 {
			break
		}
	}
	counts, err := s.store.CountByState(ctx)
	if err != nil {
		return moved, fmt.Errorf("overdue scan: count: %w", err)
	}
	s.current.Set(float64(counts[receipts.Overdue]))
	return moved, nil
}

// move moves one record; false when another instance was first.
func (s *Scanner) move(ctx context.Context, rec receipts.Record, delivered, now time.Time) (bool, error) {
	deadline := Deadline(delivered)
	next, err := s.store.Move(ctx, rec.DisclosureID, receipts.Change{
		To:     receipts.Overdue,
		At:     now,
		Reason: "no retour within " + strconv.Itoa(WorkingDays) + " working days after delivery (OP090)",
		Detail: map[string]string{
			"rule":     "OP090",
			"deadline": deadline.Format(time.RFC3339),
		},
	})
	if errors.Is(err, receipts.ErrInvalidTransition) {
		return false, nil // answered or marked overdue meanwhile
	}
	if err != nil {
		return false, fmt.Errorf("overdue %s: %w", rec.DisclosureID, err)
	}
	s.overdue.Inc()
	s.log.Info("disclosure overdue", "disclosure_id", next.DisclosureID, "recipient", next.Recipient,
		"message_type", next.MessageType, "deadline", deadline.Format(time.RFC3339))
	if err := bus.Announce(ctx, s.pub, next, now); err != nil {
		// The state is durable; keep the event for the next scan.
		s.mu.Lock()
		s.pending[next.DisclosureID] = next
		s.mu.Unlock()
		return true, err
	}
	s.announced(ctx, next)
	return true, nil
}

// announced raises the stored announced mark after a confirmed event; a
// failure only risks the event being announced once more, so it is logged.
func (s *Scanner) announced(ctx context.Context, rec receipts.Record) {
	if err := s.store.MarkAnnounced(ctx, rec.DisclosureID, rec.Sequence); err != nil {
		s.log.Warn("mark announced", "disclosure_id", rec.DisclosureID, "err", err)
	}
}

// announcePending sends status events that failed before.
func (s *Scanner) announcePending(ctx context.Context, now time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for id, rec := range s.pending {
		if err := bus.Announce(ctx, s.pub, rec, now); err != nil {
			return err
		}
		s.announced(ctx, rec)
		delete(s.pending, id)
	}
	return nil
}
