package breach

import (
	"context"
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics of the register: counts only, never an incident's facts.
type Metrics struct {
	incidents *prometheus.GaugeVec
	ap        *prometheus.GaugeVec
	stale     prometheus.Gauge
	proposed  *prometheus.CounterVec
	refreshed prometheus.Gauge
}

// deadlines are the label values of sluis_breach_ap_notification_pending.
var deadlines = []string{DeadlineOpen, DeadlineSoon, DeadlineOverdue}

// NewMetrics registers the register's metrics on reg.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	if reg == nil {
		return nil, fmt.Errorf("breach metrics: nil registerer")
	}
	m := &Metrics{
		incidents: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "sluis_breach_incidents",
			Help: "Incidents in the breach register, by state (proposed, confirmed, dismissed).",
		}, []string{"state"}),
		ap: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "sluis_breach_ap_notification_pending",
			Help: "Confirmed breaches the AP has not been notified of (and not decided 'not required'), by deadline: open (more than 24 h left of the 72), due_soon (24 h or less), overdue (72 h from awareness passed).",
		}, []string{"deadline"}),
		stale: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "sluis_breach_proposals_stale",
			Help: "Breaches sluis proposed that no privacy officer has confirmed or dismissed within 24 hours.",
		}),
		proposed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sluis_breach_proposals_total",
			Help: "Breaches sluis proposed from what it saw, by source.",
		}, []string{"source"}),
		refreshed: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "sluis_breach_register_refreshed_timestamp_seconds",
			Help: "When the breach register's gauges were last computed (Unix time).",
		}),
	}
	for _, c := range []prometheus.Collector{m.incidents, m.ap, m.stale, m.proposed, m.refreshed} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("breach metrics: %w", err)
		}
	}
	for _, s := range States {
		m.incidents.WithLabelValues(string(s))
	}
	for _, d := range deadlines {
		m.ap.WithLabelValues(d)
	}
	for _, s := range []Source{SourceWrongParty, SourceForgedRetours, SourceKeyCompromised, SourceRetentionOverdue} {
		m.proposed.WithLabelValues(string(s))
	}
	return m, nil
}

// Counts is the register at one moment, as the gauges show it.
type Counts struct {
	ByState    map[State]int
	ByDeadline map[string]int
	Stale      int
}

// CountsAt computes the gauges' values at now.
func CountsAt(all []Incident, now time.Time) Counts {
	c := Counts{ByState: map[State]int{}, ByDeadline: map[string]int{}}
	for _, inc := range all {
		c.ByState[inc.State]++
		if d := inc.DeadlineAt(now); d != DeadlineNone {
			c.ByDeadline[d]++
		}
		if inc.State == Proposed && now.Sub(inc.ProposedAt) >= StaleProposal {
			c.Stale++
		}
	}
	return c
}

// RefreshInterval is how often Run recomputes the gauges.
const RefreshInterval = time.Minute

// Refresh recomputes the gauges from the store now.
func (r *Register) Refresh(ctx context.Context) error {
	if r.metrics == nil {
		return nil
	}
	all, err := r.store.BreachList(ctx)
	if err != nil {
		return fmt.Errorf("breach metrics: %w", err)
	}
	now := r.now()
	c := CountsAt(all, now)
	for _, s := range States {
		r.metrics.incidents.WithLabelValues(string(s)).Set(float64(c.ByState[s]))
	}
	for _, d := range deadlines {
		r.metrics.ap.WithLabelValues(d).Set(float64(c.ByDeadline[d]))
	}
	r.metrics.stale.Set(float64(c.Stale))
	r.metrics.refreshed.Set(float64(now.Unix()))
	return nil
}

// refresh is Refresh after a change; a failure is logged (the next tick of
// Run tries again).
func (r *Register) refresh(ctx context.Context) {
	if err := r.Refresh(ctx); err != nil {
		r.log.Error("breach register gauges", "err", err)
	}
}

// Run recomputes the gauges every RefreshInterval until ctx ends (one of
// the gateway's background runners), so a deadline passes on the gauges
// without any change to the register.
func (r *Register) Run(ctx context.Context) error {
	r.refresh(ctx)
	t := time.NewTicker(RefreshInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			r.refresh(ctx)
		}
	}
}
