package amqp

import (
	"errors"
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// PublisherMetrics are the Prometheus metrics of a Publisher. A nil
// *PublisherMetrics records nothing.
type PublisherMetrics struct {
	confirmSeconds prometheus.Histogram
	returns        *prometheus.CounterVec
	nacks          prometheus.Counter
	timeouts       prometheus.Counter
	reconnects     prometheus.Counter
	inFlight       prometheus.Gauge
}

// NewPublisherMetrics creates the publisher metrics and registers them on reg.
func NewPublisherMetrics(reg prometheus.Registerer) (*PublisherMetrics, error) {
	if reg == nil {
		return nil, errors.New("publisher metrics: nil registerer")
	}
	m := &PublisherMetrics{
		confirmSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "sluis_publish_confirm_seconds",
			Help:    "Time from publishing a message to the broker's positive confirm.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}),
		returns: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sluis_publish_returns_total",
			Help: "Mandatory publishes the broker returned as unroutable (no queue bound), by exchange: sluis.outbound (no provider queue), sluis.status (the sender bound no status queue), default (a queue addressed by name).",
		}, []string{"exchange"}),
		nacks: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "sluis_publish_nacks_total",
			Help: "Publishes the broker negatively confirmed (e.g. queue full with reject-publish).",
		}),
		timeouts: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "sluis_publish_timeouts_total",
			Help: "Publishes not confirmed within the confirm timeout.",
		}),
		reconnects: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "sluis_publish_reconnects_total",
			Help: "Connections re-established after the publisher lost its connection or channel.",
		}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "sluis_publish_in_flight",
			Help: "Messages published and awaiting the broker's confirm.",
		}),
	}
	for _, c := range []prometheus.Collector{m.confirmSeconds, m.returns, m.nacks, m.timeouts, m.reconnects, m.inFlight} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("publisher metrics: %w", err)
		}
	}
	// The two exchanges whose returns mean different things (a provider
	// without a queue, a sender without a status queue) exist at zero.
	m.returns.WithLabelValues(ExchangeOutbound)
	m.returns.WithLabelValues(ExchangeStatus)
	return m, nil
}

func (m *PublisherMetrics) observeConfirm(d time.Duration) {
	if m != nil {
		m.confirmSeconds.Observe(d.Seconds())
	}
}

// returned counts a return from exchange (its name, set by the code's
// Route, never by a message: a bounded label).
func (m *PublisherMetrics) returned(exchange string) {
	if m != nil {
		if exchange == "" {
			exchange = "default"
		}
		m.returns.WithLabelValues(exchange).Inc()
	}
}

func (m *PublisherMetrics) nacked() {
	if m != nil {
		m.nacks.Inc()
	}
}

func (m *PublisherMetrics) timedOut() {
	if m != nil {
		m.timeouts.Inc()
	}
}

func (m *PublisherMetrics) reconnected() {
	if m != nil {
		m.reconnects.Inc()
	}
}

func (m *PublisherMetrics) inFlightAdd(n float64) {
	if m != nil {
		m.inFlight.Add(n)
	}
}
