package pipeline

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sluis-gateway/sluis/internal/receipts"
)

// Metrics are the pipeline's Prometheus metrics. Labels hold states, message
// types and stage names only.
type Metrics struct {
	transitions    *prometheus.CounterVec
	stageSeconds   *prometheus.HistogramVec
	invalid        *prometheus.CounterVec
	refused        prometheus.Counter
	statusUnrouted prometheus.Counter
	claimWaits     prometheus.Counter
}

// Channels a request comes in by (label "channel").
const (
	ChannelHTTP = "http"
	ChannelAMQP = "amqp"
)

// NewMetrics registers the pipeline's metrics on reg.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{
		transitions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sluis_disclosure_transitions_total",
			Help: "Disclosures entering a state, by state and message type.",
		}, []string{"state", "message_type"}),
		stageSeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "sluis_stage_seconds",
			Help:    "Time spent in each pipeline stage.",
			Buckets: prometheus.ExponentialBuckets(0.0001, 2.5, 12),
		}, []string{"stage"}),
		invalid: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sluis_disclosure_invalid_total",
			Help: "Requests refused at intake as malformed (bad JSON, schema, BSN, an id used for another request), by channel (http, amqp).",
		}, []string{"channel"}),
		refused: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "sluis_intake_refused_total",
			Help: "Requests refused at intake because the authenticated system may not use their sender or legal basis.",
		}),
		statusUnrouted: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "sluis_status_unrouted_total",
			Help: "Status events no queue took (the sender bound no status queue).",
		}),
		claimWaits: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "sluis_disclosure_claim_waits_total",
			Help: "Times a copy of a request waited for another gateway's claim on its disclosure (one poll each).",
		}),
	}
	for _, c := range []prometheus.Collector{m.transitions, m.stageSeconds, m.invalid, m.refused, m.statusUnrouted, m.claimWaits} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	for _, ch := range []string{ChannelHTTP, ChannelAMQP} {
		m.invalid.WithLabelValues(ch)
	}
	return m, nil
}

// CountInvalid counts a request refused as malformed that came in by
// channel (ChannelHTTP or ChannelAMQP; anything else counts as amqp, so the
// label set stays bounded).
func (m *Metrics) CountInvalid(channel string) {
	if channel != ChannelHTTP {
		channel = ChannelAMQP
	}
	m.invalid.WithLabelValues(channel).Inc()
}

// CountRefused counts a request refused because its authenticated system
// may not use its sender or legal basis.
func (m *Metrics) CountRefused() { m.refused.Inc() }

func (m *Metrics) state(r receipts.Record) {
	m.transitions.WithLabelValues(string(r.State), r.MessageType).Inc()
}

func (m *Metrics) stage(name string, from, to time.Time) {
	m.stageSeconds.WithLabelValues(name).Observe(to.Sub(from).Seconds())
}
