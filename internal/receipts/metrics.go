package receipts

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Counter is the part of the Store the collector reads.
type Counter interface {
	CountByState(ctx context.Context) (map[State]int64, error)
	InState(ctx context.Context, s State, before time.Time, limit int) ([]Record, error)
}

// Collector exposes where disclosures are, read from the store at scrape
// time so every instance reports the shared truth:
//
//	sluis_disclosures{state}                   disclosures in each state
//	sluis_oldest_in_flight_seconds             age of the oldest disclosure not yet delivered, refused or failed
//	sluis_oldest_unanswered_seconds            age of the oldest delivery without a retour (delivered or overdue)
type Collector struct {
	store      Counter
	now        func() time.Time
	byState    *prometheus.Desc
	inFlight   *prometheus.Desc
	unanswered *prometheus.Desc
	scrapeErr  *prometheus.Desc
}

// NewCollector returns the collector; register it on a registry.
func NewCollector(store Counter) *Collector {
	return &Collector{
		store:      store,
		now:        time.Now,
		byState:    prometheus.NewDesc("sluis_disclosures", "Disclosures in each state (from the store).", []string{"state"}, nil),
		inFlight:   prometheus.NewDesc("sluis_oldest_in_flight_seconds", "Age of the oldest disclosure received but not yet delivered, refused or failed.", nil, nil),
		unanswered: prometheus.NewDesc("sluis_oldest_unanswered_seconds", "Age of the oldest delivered disclosure without a retour.", nil, nil),
		scrapeErr:  prometheus.NewDesc("sluis_receipts_scrape_error", "1 when the store could not be read for these metrics.", nil, nil),
	}
}

// Describe implements prometheus.Collector.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.byState
	ch <- c.inFlight
	ch <- c.unanswered
	ch <- c.scrapeErr
}

// Collect implements prometheus.Collector.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	failed := 0.0
	counts, err := c.store.CountByState(ctx)
	if err != nil {
		failed = 1
	}
	for s, n := range counts {
		ch <- prometheus.MustNewConstMetric(c.byState, prometheus.GaugeValue, float64(n), string(s))
	}
	now := c.now()
	oldest := func(states ...State) float64 {
		var first time.Time
		for _, s := range states {
			rs, err := c.store.InState(ctx, s, now, 1)
			if err != nil {
				failed = 1
				continue
			}
			if len(rs) == 1 {
				if t := rs[0].At[s]; first.IsZero() || t.Before(first) {
					first = t
				}
			}
		}
		if first.IsZero() {
			return 0
		}
		return now.Sub(first).Seconds()
	}
	ch <- prometheus.MustNewConstMetric(c.inFlight, prometheus.GaugeValue, oldest(Received, Allowed, Published))
	ch <- prometheus.MustNewConstMetric(c.unanswered, prometheus.GaugeValue, oldest(Delivered, Overdue))
	ch <- prometheus.MustNewConstMetric(c.scrapeErr, prometheus.GaugeValue, failed)
}
