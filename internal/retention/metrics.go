package retention

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// Causes of a destruction (the cause label).
const (
	CauseTerm    = "term"    // the term ended (the job)
	CauseErasure = "erasure" // an erasure request
)

// Erasure outcomes.
const (
	OutcomeErased  = "erased"
	OutcomePartial = "partial"
	OutcomeRefused = "refused"
)

// Metrics of retention: counts by kind, standard and outcome only, never a
// client or an id.
type Metrics struct {
	destroyed *prometheus.CounterVec
	passes    *prometheus.CounterVec
	failures  prometheus.Counter
	oldest    prometheus.Gauge
	lastPass  prometheus.Gauge
	erasures  *prometheus.CounterVec
}

// NewMetrics registers the metrics on reg:
//
//	sluis_retention_destroyed_total{kind,standard,cause}  records destroyed
//	sluis_retention_passes_total{result}                  passes of the job (ok, error)
//	sluis_retention_failures_total                        destructions that failed (one client or batch each)
//	sluis_retention_oldest_overdue_seconds                how long ago the term of the oldest record still held past it ended
//	sluis_retention_last_pass_timestamp_seconds           when the last pass ended without error
//	sluis_erasure_requests_total{outcome}                 erasure requests answered (erased, partial, refused)
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	if reg == nil {
		return nil, fmt.Errorf("retention metrics: nil registerer")
	}
	m := &Metrics{
		destroyed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sluis_retention_destroyed_total",
			Help: "Records destroyed, by kind, standard (iJw, iWmo; none for consent-register rows) and cause (term: the retention job; erasure: a client's request).",
		}, []string{"kind", "standard", "cause"}),
		passes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sluis_retention_passes_total",
			Help: "Passes of the retention job, by result (ok, error).",
		}, []string{"result"}),
		failures: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "sluis_retention_failures_total",
			Help: "Destructions that failed (one client, or one batch of records without a client); retried on the next pass.",
		}),
		oldest: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "sluis_retention_oldest_overdue_seconds",
			Help: "How long ago the retention term of the oldest record still held past it ended (0: none), as of the last pass.",
		}),
		lastPass: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "sluis_retention_last_pass_timestamp_seconds",
			Help: "Unix time of the last retention pass that ended without error (0 before the first).",
		}),
		erasures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sluis_erasure_requests_total",
			Help: "Erasure requests (AVG art. 17) answered, by outcome (erased, partial, refused).",
		}, []string{"outcome"}),
	}
	for _, c := range []prometheus.Collector{m.destroyed, m.passes, m.failures, m.oldest, m.lastPass, m.erasures} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("retention metrics: %w", err)
		}
	}
	for _, cause := range []string{CauseTerm, CauseErasure} {
		for _, k := range Kinds {
			for _, s := range standardsOf(k) {
				m.destroyed.WithLabelValues(string(k), s, cause)
			}
		}
	}
	for _, r := range []string{"ok", "error"} {
		m.passes.WithLabelValues(r)
	}
	for _, o := range []string{OutcomeErased, OutcomePartial, OutcomeRefused} {
		m.erasures.WithLabelValues(o)
	}
	return m, nil
}

// standardsOf lists the standard label values of a kind.
func standardsOf(k Kind) []string {
	switch k {
	case KindDisclosure, KindArchived, KindReviewItem, KindInbound:
		return Standards
	}
	return []string{standardNone}
}

// count adds what a destruction deleted.
func (m *Metrics) count(d Destroyed, cause string) {
	if m == nil {
		return
	}
	add := func(k Kind, std string, n int) {
		if n > 0 {
			m.destroyed.WithLabelValues(string(k), std, cause).Add(float64(n))
		}
	}
	for std, n := range d.Disclosures {
		add(KindDisclosure, std, n)
	}
	for std, n := range d.Inbound {
		add(KindInbound, std, n)
	}
	for std, n := range d.ArchivedMessages {
		add(KindArchived, std, n)
	}
	for std, n := range d.ReviewItems {
		add(KindReviewItem, std, n)
	}
	add(KindConsent, standardNone, d.Consents)
	add(KindRestriction, standardNone, d.Restrictions)
	add(KindObjection, standardNone, d.Objections)
	add(KindRepresentative, standardNone, d.Representative)
}
