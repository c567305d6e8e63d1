package inbound

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/sluis-gateway/sluis/internal/actor"
	"github.com/sluis-gateway/sluis/internal/bus"
)

// Deadlines moves accepted inbound messages whose answer is past its Due
// (5 working days for a 315 or 317, OP274/OP346; 10 for a 323, OP090x4;
// Due is set by the handler with calendar.AddWorkingDays) to overdue, once,
// with a ledger entry, a status event "inbound_overdue" and the metric
// sluis_inbound_overdue_total. Build it with NewDeadlines.
type Deadlines struct {
	store    Store
	pub      bus.Publisher
	metrics  *Metrics
	interval time.Duration
	now      func() time.Time
	log      *slog.Logger
}

// DeadlinesConfig configures Deadlines; Store, Publisher and Metrics are
// required.
type DeadlinesConfig struct {
	Store     Store
	Publisher bus.Publisher
	Metrics   *Metrics
	// Interval between scans; default 1 minute.
	Interval time.Duration
	// Now is the clock; default time.Now.
	Now    func() time.Time
	Logger *slog.Logger
}

// NewDeadlines checks the configuration.
func NewDeadlines(c DeadlinesConfig) (*Deadlines, error) {
	switch {
	case c.Store == nil || c.Publisher == nil || c.Metrics == nil:
		return nil, errors.New("inbound deadlines: Store, Publisher and Metrics are required")
	case c.Interval < 0:
		return nil, errors.New("inbound deadlines: Interval must not be negative")
	}
	d := &Deadlines{store: c.Store, pub: c.Publisher, metrics: c.Metrics, interval: c.Interval, now: c.Now, log: c.Logger}
	if d.interval == 0 {
		d.interval = time.Minute
	}
	if d.now == nil {
		d.now = time.Now
	}
	if d.log == nil {
		d.log = slog.Default()
	}
	return d, nil
}

// Run scans at once and then every Interval until ctx ends (then nil).
func (d *Deadlines) Run(ctx context.Context) error {
	t := time.NewTicker(d.interval)
	defer t.Stop()
	for {
		if _, err := d.Scan(ctx); err != nil && ctx.Err() == nil {
			d.log.Error("inbound deadline scan failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// Scan moves every accepted message past its Due to overdue and announces
// it; it returns how many it moved. One another instance moved first is
// skipped. A status event that fails is an error; the record stays overdue
// (the event is at least once only while the scan that moved it runs).
func (d *Deadlines) Scan(ctx context.Context) (int, error) {
	if _, err := actor.From(ctx); err != nil {
		ctx = actor.With(ctx, actor.System)
	}
	now := d.now()
	moved := 0
	for {
		recs, err := d.store.InboundDue(ctx, now, 200)
		if err != nil {
			return moved, fmt.Errorf("inbound deadlines: %w", err)
		}
		for _, r := range recs {
			kind := r.MessageType[strings.IndexAny(r.MessageType, "0123456789"):]
			next, err := d.store.MoveInbound(ctx, r.ID, Change{To: Overdue, At: now, Detail: map[string]string{
				"rule": Heenberichten[kind].Rule, "deadline": r.Due.UTC().Format(time.RFC3339),
			}})
			if errors.Is(err, ErrInvalidTransition) {
				continue
			}
			if err != nil {
				return moved, fmt.Errorf("inbound deadlines: %w", err)
			}
			moved++
			d.metrics.overdue.WithLabelValues(r.MessageType).Inc()
			d.log.Warn("inbound message overdue", "inbound_id", r.ID, "message_type", r.MessageType,
				"municipality", r.Municipality, "system", r.System, "due", r.Due)
			if _, err := bus.Publish(ctx, d.pub, Event(next, string(Overdue), now)); err != nil {
				return moved, fmt.Errorf("inbound deadlines: status event %s: %w", r.ID, err)
			}
		}
		if len(recs) < 200 {
			return moved, nil
		}
	}
}
