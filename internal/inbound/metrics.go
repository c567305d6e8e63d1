package inbound

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics of the inbound handler and the answer deadlines. Labels hold
// message types, outcomes and reason codes only.
type Metrics struct {
	messages *prometheus.CounterVec
	parked   *prometheus.CounterVec
	retours  *prometheus.CounterVec
	overdue  *prometheus.CounterVec
	answered *prometheus.CounterVec
}

// NewMetrics registers the inbound metrics on reg.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	if reg == nil {
		return nil, fmt.Errorf("inbound metrics: nil registerer")
	}
	m := &Metrics{
		messages: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sluis_inbound_messages_total",
			Help: "Heenberichten from providers handled, by message type and outcome (accepted, rejected, duplicate_identificatie, parked).",
		}, []string{"message_type", "outcome"}),
		parked: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sluis_inbound_parked_total",
			Help: "Heenberichten parked on the dead-letter exchange, by reason.",
		}, []string{"reason"}),
		retours: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sluis_inbound_retours_total",
			Help: "Signed technical retours sent to providers, by message type (WMO316, JW306, WMO325, ...).",
		}, []string{"message_type"}),
		overdue: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sluis_inbound_overdue_total",
			Help: "Inbound messages whose answer became overdue, by message type.",
		}, []string{"message_type"}),
		answered: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sluis_inbound_answered_total",
			Help: "Inbound messages answered by the registration system, by message type and whether the answer was late.",
		}, []string{"message_type", "late"}),
	}
	for _, c := range []prometheus.Collector{m.messages, m.parked, m.retours, m.overdue, m.answered} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("inbound metrics: %w", err)
		}
	}
	for _, r := range Reasons {
		m.parked.WithLabelValues(string(r))
	}
	for _, mt := range []string{"WMO315", "JW315", "WMO317", "JW317", "WMO323", "JW323"} {
		m.overdue.WithLabelValues(mt)
		m.answered.WithLabelValues(mt, "false")
		m.answered.WithLabelValues(mt, "true")
	}
	// Every label value is exported from the start, at 0: the heenberichten
	// with their outcomes, and the technical retours sluis answers with.
	for _, mt := range []string{"WMO305", "JW305", "WMO307", "JW307", "WMO315", "JW315", "WMO317", "JW317", "WMO323", "JW323"} {
		for _, o := range []string{OutcomeAccepted, OutcomeRejected, OutcomeDuplicate} {
			m.messages.WithLabelValues(mt, o)
		}
	}
	m.messages.WithLabelValues("unknown", OutcomeParked)
	for _, rt := range []string{"WMO306", "JW306", "WMO308", "JW308", "WMO316", "JW316", "WMO318", "JW318", "WMO325", "JW325"} {
		m.retours.WithLabelValues(rt)
	}
	return m, nil
}

// OverdueCounter is the overdue counter of a message type (for tests).
func (m *Metrics) OverdueCounter(messageType string) prometheus.Counter {
	return m.overdue.WithLabelValues(messageType)
}
