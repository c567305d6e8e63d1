package ledger

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// VerifierConfig configures a scheduled Verifier. Reader and Registerer are
// required.
type VerifierConfig struct {
	Reader Reader
	// Registerer takes the verifier's metrics.
	Registerer prometheus.Registerer
	// Interval between verifications; default 1 hour.
	Interval time.Duration
	// Batch is the most entries read per query; default 1000.
	Batch int
	// Now is the clock; default time.Now.
	Now    func() time.Time
	Logger *slog.Logger
}

// Verifier verifies the ledger's chain on a schedule: the whole chain on its
// first pass, then only the entries added since the last verified one (it
// keeps that entry's seq and hash in memory, see Checkpoint). A Verifier is
// safe for concurrent use.
type Verifier struct {
	reader   Reader
	interval time.Duration
	batch    int
	now      func() time.Time
	log      *slog.Logger

	mu sync.Mutex
	cp Checkpoint

	verified prometheus.Gauge
	failures prometheus.Counter
	last     prometheus.Gauge
}

// NewVerifier checks the configuration, registers the metrics and builds a
// Verifier.
func NewVerifier(c VerifierConfig) (*Verifier, error) {
	switch {
	case c.Reader == nil:
		return nil, errors.New("ledger verifier: missing Reader")
	case c.Registerer == nil:
		return nil, errors.New("ledger verifier: missing Registerer")
	case c.Interval < 0:
		return nil, errors.New("ledger verifier: Interval must not be negative")
	case c.Batch < 0:
		return nil, errors.New("ledger verifier: Batch must not be negative")
	}
	v := &Verifier{reader: c.Reader, interval: c.Interval, batch: c.Batch, now: c.Now, log: c.Logger, cp: Start}
	if v.interval == 0 {
		v.interval = time.Hour
	}
	if v.batch == 0 {
		v.batch = 1000
	}
	if v.now == nil {
		v.now = time.Now
	}
	if v.log == nil {
		v.log = slog.Default()
	}
	v.verified = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "sluis_ledger_verified_seq",
		Help: "Sequence number of the last ledger entry whose hash chain verified (0 before the first verification).",
	})
	v.failures = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "sluis_ledger_verify_failures_total",
		Help: "Scheduled ledger verifications that failed: a broken chain, or the ledger could not be read.",
	})
	v.last = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "sluis_ledger_last_verify_timestamp_seconds",
		Help: "Unix time of the last scheduled ledger verification that succeeded (0 before the first).",
	})
	interval := prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "sluis_ledger_verify_interval_seconds",
		Help: "The configured interval between scheduled ledger verifications (SLUIS_LEDGER_VERIFY_INTERVAL).",
	})
	interval.Set(v.interval.Seconds())
	for _, col := range []prometheus.Collector{v.verified, v.failures, v.last, interval} {
		if err := c.Registerer.Register(col); err != nil {
			return nil, fmt.Errorf("ledger verifier metrics: %w", err)
		}
	}
	return v, nil
}

// Run verifies at once and then every Interval until ctx ends; it returns
// nil then. A failed verification is logged and counted; the next one
// starts again from the last verified entry.
func (v *Verifier) Run(ctx context.Context) error {
	t := time.NewTicker(v.interval)
	defer t.Stop()
	for {
		if _, err := v.Verify(ctx); err != nil && ctx.Err() == nil {
			if seq, ok := BrokenAt(err); ok {
				v.log.Error("ledger chain broken", "seq", seq, "err", err)
			} else {
				v.log.Error("ledger verification failed", "err", err)
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// Verify reads and verifies the entries after the last verified one and
// returns the new checkpoint. On a broken chain the checkpoint stays at the
// last entry that verified, and the error is a *BreakError (BrokenAt). A
// failure is counted unless ctx ended.
func (v *Verifier) Verify(ctx context.Context) (Checkpoint, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	cp, err := v.verify(ctx)
	v.cp = cp
	v.verified.Set(float64(cp.Seq))
	if err != nil {
		if ctx.Err() == nil { // a pass cut short by shutdown is no failure
			v.failures.Inc()
		}
		return cp, err
	}
	v.last.Set(float64(v.now().UnixNano()) / 1e9)
	return cp, nil
}

func (v *Verifier) verify(ctx context.Context) (Checkpoint, error) {
	return VerifyReader(ctx, v.reader, v.cp, v.batch)
}

// VerifyReader reads the entries after cp from r, batch at a time (batch at
// least 1), and verifies them with VerifyFrom; VerifyReader(ctx, r, Start,
// n) verifies the whole ledger. It returns the checkpoint of the last entry
// that verified; a broken chain is a *BreakError (BrokenAt).
func VerifyReader(ctx context.Context, r Reader, cp Checkpoint, batch int) (Checkpoint, error) {
	if batch < 1 {
		return cp, errors.New("ledger verify: batch must be at least 1")
	}
	for {
		entries, err := r.Entries(ctx, cp.Seq+1, batch)
		if err != nil {
			return cp, fmt.Errorf("read ledger from seq %d: %w", cp.Seq+1, err)
		}
		if cp, err = VerifyFrom(cp, entries); err != nil {
			return cp, err
		}
		if len(entries) < batch {
			return cp, nil
		}
	}
}
