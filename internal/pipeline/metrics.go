package pipeline

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sluis-gateway/sluis/internal/receipts"
)

// Metrics are the pipeline's Prometheus metrics. Labels hold states, message
// types, stage names and reason codes of a bounded set only.
type Metrics struct {
	transitions    *prometheus.CounterVec
	stageSeconds   *prometheus.HistogramVec
	invalid        *prometheus.CounterVec
	refused        prometheus.Counter
	statusUnrouted prometheus.Counter
	refusals       *prometheus.CounterVec
	failures       *prometheus.CounterVec
	toDelivered    prometheus.Histogram
	// refusalCodes is the label set of refusals; anything else is "other".
	refusalCodes map[string]bool
	claimWaits   prometheus.Counter
}

// Channels a request comes in by (label "channel").
const (
	ChannelHTTP = "http"
	ChannelAMQP = "amqp"
)

// AuthorizationCodes are the reason codes of an intake request its
// authenticated system may not send (see ReasonCodeOf).
var AuthorizationCodes = []string{CodeSenderNotAllowed, CodeBasisNotAllowed}

// DeliveryBuckets are the buckets of received → delivered: milliseconds
// for a pass, up to an hour for retries and redeliveries.
var DeliveryBuckets = []float64{0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600}

// NewMetrics registers the pipeline's metrics on reg. refusalCodes are the
// reason codes a screening may carry (screen.Codes); with
// AuthorizationCodes they are the label set of the refusal counter, and any
// other code is counted as "other".
func NewMetrics(reg prometheus.Registerer, refusalCodes ...string) (*Metrics, error) {
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
		refusals: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sluis_disclosure_refusals_total",
			Help: "Reason codes of refused disclosure requests (screening and intake authorization); a refusal with several codes counts once for each. Unknown codes count as other.",
		}, []string{"reason"}),
		failures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sluis_disclosure_failures_total",
			Help: "Disclosures that ended failed, by reason code.",
		}, []string{"reason"}),
		toDelivered: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "sluis_disclosure_received_to_delivered_seconds",
			Help:    "From a disclosure's received time to its delivered time (the broker's confirm), as the store records them.",
			Buckets: DeliveryBuckets,
		}),
		refusalCodes: map[string]bool{},
		claimWaits: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "sluis_disclosure_claim_waits_total",
			Help: "Times a copy of a request waited for another gateway's claim on its disclosure (one poll each).",
		}),
	}
	for _, c := range []prometheus.Collector{m.transitions, m.stageSeconds, m.invalid, m.refused, m.statusUnrouted,
		m.refusals, m.failures, m.toDelivered, m.claimWaits} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	for _, ch := range []string{ChannelHTTP, ChannelAMQP} {
		m.invalid.WithLabelValues(ch)
	}
	// Every label value is exported from the start, at 0, so a rate over
	// it is defined before the first occurrence.
	for _, c := range append(append([]string{}, refusalCodes...), AuthorizationCodes...) {
		m.refusalCodes[c] = true
		m.refusals.WithLabelValues(c)
	}
	m.refusals.WithLabelValues(ReasonOther)
	for _, c := range append(append([]string{}, FailureCodes...), ReasonOther) {
		m.failures.WithLabelValues(c)
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

// state counts r entering its state; a delivery also observes how long it
// took from received, a failure its reason code.
func (m *Metrics) state(r receipts.Record) {
	m.transitions.WithLabelValues(string(r.State), r.MessageType).Inc()
	switch r.State {
	case receipts.Delivered:
		if d, ok := receipts.Between(r, receipts.Received, receipts.Delivered); ok {
			m.toDelivered.Observe(d.Seconds())
		}
	case receipts.Failed:
		m.failures.WithLabelValues(FailureCode(r.Reason)).Inc()
	case receipts.Refused:
		m.refusal(r.ReasonCodes...)
	}
}

// refusal counts the reason codes of one refusal.
func (m *Metrics) refusal(codes ...string) {
	for _, c := range codes {
		if !m.refusalCodes[c] {
			c = ReasonOther
		}
		m.refusals.WithLabelValues(c).Inc()
	}
}

func (m *Metrics) stage(name string, from, to time.Time) {
	m.stageSeconds.WithLabelValues(name).Observe(to.Sub(from).Seconds())
}
