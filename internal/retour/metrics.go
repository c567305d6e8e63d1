package retour

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics of the retour handler. Labels hold outcomes and reason codes only.
type Metrics struct {
	retours *prometheus.CounterVec
	parked  *prometheus.CounterVec
}

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
	}
	for _, c := range []prometheus.Collector{m.retours, m.parked} {
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
