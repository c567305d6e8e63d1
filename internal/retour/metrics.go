package retour

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sluis-gateway/sluis/internal/receipts"
)

// Metrics of the retour handler. Labels hold outcomes and reason codes only.
type Metrics struct {
	retours *prometheus.CounterVec
	parked  *prometheus.CounterVec
	// toRetour is delivered → accepted or rejected.
	toRetour prometheus.Histogram
}

// RetourBuckets are the buckets of delivered → retour: a minute to the
// 3 working days of OP090 and beyond (a week, two).
var RetourBuckets = []float64{60, 300, 900, 1800, 3600, 4 * 3600, 12 * 3600, 86400, 2 * 86400, 3 * 86400, 5 * 86400, 7 * 86400, 14 * 86400}

// NewMetrics registers the retour metrics on reg.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	if reg == nil {
		return nil, fmt.Errorf("retour metrics: nil registerer")
	}
	m := &Metrics{
		retours: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sluis_retours_total",
			Help: "Retour messages handled, by outcome (accepted, rejected, duplicate, parked).",
		}, []string{"outcome"}),
		parked: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sluis_retours_parked_total",
			Help: "Retour messages parked on the dead-letter exchange, by reason.",
		}, []string{"reason"}),
		toRetour: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "sluis_disclosure_delivered_to_retour_seconds",
			Help:    "From a disclosure's delivered time to the time its retour was recorded (accepted or rejected), as the store records them.",
			Buckets: RetourBuckets,
		}),
	}
	for _, c := range []prometheus.Collector{m.retours, m.parked, m.toRetour} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("retour metrics: %w", err)
		}
	}
	for _, o := range []string{OutcomeAccepted, OutcomeRejected, OutcomeDuplicate, OutcomeParked} {
		m.retours.WithLabelValues(o)
	}
	for _, r := range Reasons {
		m.parked.WithLabelValues(string(r))
	}
	return m, nil
}

// answered observes how long rec, just accepted or rejected, waited for
// its retour after delivery.
func (m *Metrics) answered(rec receipts.Record) {
	if d, ok := receipts.Between(rec, receipts.Delivered, rec.State); ok {
		m.toRetour.Observe(d.Seconds())
	}
}
