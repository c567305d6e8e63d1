package bus_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/prometheus/client_golang/prometheus"
	amqp091 "github.com/rabbitmq/amqp091-go"

	"github.com/sluis-gateway/sluis/adapters/amqp"
	"github.com/sluis-gateway/sluis/internal/bus"
	"github.com/sluis-gateway/sluis/internal/testenv"
)

// clock is a test clock moved by hand.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// skipEnv is a private vhost with the status and outbound exchanges, the
// gateway's publisher on it, and a StatusSkipper in front of it.
type skipEnv struct {
	ch      *amqp091.Channel
	skipper *bus.StatusSkipper
	reg     *prometheus.Registry
	clock   *clock
}

const skipWindow = 30 * time.Second

func newSkipEnv(t *testing.T, window time.Duration) *skipEnv {
	t.Helper()
	url := testenv.VHost(t)
	_, ch := testenv.Channel(t, url)
	if err := ch.ExchangeDeclare(amqp.ExchangeStatus, "topic", true, false, false, false, nil); err != nil {
		t.Fatal(err)
	}
	if err := ch.ExchangeDeclare(amqp.ExchangeOutbound, "direct", true, false, false, false, nil); err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	pm, err := amqp.NewPublisherMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := amqp.NewPublisher(amqp.PublisherConfig{URL: url, Route: amqp.Route}, nil, pm)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = pub.Close() })
	c := &clock{t: time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)}
	s, err := bus.NewStatusSkipper(pub, window, c.now, reg)
	if err != nil {
		t.Fatal(err)
	}
	return &skipEnv{ch: ch, skipper: s, reg: reg, clock: c}
}

// event is a status event of disclosure id in state on system's key.
func event(id, system, state string) bus.Event {
	return bus.Event{DisclosureID: id, State: state, Municipality: "0363", System: system}
}

// publish sends evs in one call and returns their outcomes.
func (e *skipEnv) publish(evs ...bus.Event) []error {
	msgs := make([]*message.Message, len(evs))
	for i, ev := range evs {
		msgs[i] = ev.Message()
	}
	return e.skipper.PublishContext(context.Background(), bus.TopicStatus, msgs...)
}

// counter reads a counter of the registry (0 when absent), by its one
// label's value.
func (e *skipEnv) counter(t *testing.T, name, label string) float64 {
	t.Helper()
	mfs, err := e.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			if len(m.GetLabel()) == 1 && m.GetLabel()[0].GetValue() == label {
				return m.GetCounter().GetValue()
			}
		}
	}
	return 0
}

func (e *skipEnv) skipped(t *testing.T) float64 {
	return e.counter(t, "sluis_status_events_skipped_total", bus.SkipReasonUnbound)
}

// returns is how many status events the broker returned to the publisher.
func (e *skipEnv) returns(t *testing.T) float64 {
	return e.counter(t, "sluis_publish_returns_total", amqp.ExchangeStatus)
}

// want checks each outcome: nil, the broker's return (ErrUnroutable, not
// ErrSkipped) or a skip (ErrSkipped).
func want(t *testing.T, got []error, outcomes ...string) {
	t.Helper()
	if len(got) != len(outcomes) {
		t.Fatalf("%d outcomes, want %d", len(got), len(outcomes))
	}
	for i, o := range outcomes {
		err := got[i]
		ok := false
		switch o {
		case "delivered":
			ok = err == nil
		case "returned":
			ok = errors.Is(err, bus.ErrUnroutable) && !errors.Is(err, bus.ErrSkipped)
		case "skipped":
			ok = errors.Is(err, bus.ErrSkipped) && errors.Is(err, bus.ErrUnroutable)
		}
		if !ok {
			t.Errorf("event %d: outcome %v, want %s", i, err, o)
		}
	}
}

func TestStatusSkipperUnboundKeySkippedWithinWindow(t *testing.T) {
	e := newSkipEnv(t, skipWindow)
	want(t, e.publish(event("d-1", "regsys-a", "received")), "returned")
	e.clock.add(skipWindow - time.Second)
	want(t, e.publish(event("d-2", "regsys-a", "received"), event("d-3", "regsys-a", "received")), "skipped", "skipped")
	if got := e.skipped(t); got != 2 {
		t.Errorf("skipped counter %v, want 2", got)
	}
	if got := e.returns(t); got != 1 {
		t.Errorf("broker returned %v status events, want 1 (the skipped ones were never sent)", got)
	}
	// Another state of the same system is another key: not skipped.
	want(t, e.publish(event("d-1", "regsys-a", "allowed")), "returned")
	// bus.Publish takes a skip as no error and does not count it unrouted.
	unrouted, err := bus.Publish(context.Background(), e.skipper, event("d-4", "regsys-a", "received"))
	if unrouted != 0 || err != nil {
		t.Errorf("bus.Publish of a skipped event = %d, %v; want 0, nil", unrouted, err)
	}
}

func TestStatusSkipperBoundKeyAlwaysDelivered(t *testing.T) {
	e := newSkipEnv(t, skipWindow)
	tap := testenv.Tap(t, e.ch, amqp.ExchangeStatus, "0363.regsys-b.#")
	for i, tc := range []struct {
		name     string
		evs      []bus.Event
		outcomes []string
	}{
		{"alone", []bus.Event{event("b-1", "regsys-b", "received")}, []string{"delivered"}},
		{"next to an unbound key", []bus.Event{event("b-2", "regsys-b", "received"), event("u-1", "regsys-u", "received"),
			event("b-2", "regsys-b", "delivered")}, []string{"delivered", "returned", "delivered"}},
		{"next to a skipped key", []bus.Event{event("u-2", "regsys-u", "received"), event("b-3", "regsys-b", "received")},
			[]string{"skipped", "delivered"}},
		{"within the window of another key", []bus.Event{event("b-4", "regsys-b", "received")}, []string{"delivered"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want(t, e.publish(tc.evs...), tc.outcomes...)
			for j, o := range tc.outcomes {
				if o != "delivered" {
					continue
				}
				d := testenv.Next(t, tap, "status event "+tc.evs[j].DisclosureID)
				if wantID := tc.evs[j].Message().UUID; d.MessageId != wantID {
					t.Errorf("delivered %s, want %s", d.MessageId, wantID)
				}
			}
		})
		e.clock.add(time.Duration(i+1) * time.Second)
	}
	if got := e.skipped(t); got != 1 {
		t.Errorf("skipped counter %v, want 1 (only the unbound key's second event)", got)
	}
}

func TestStatusSkipperProbesAfterWindow(t *testing.T) {
	for _, tc := range []struct {
		name  string
		bind  bool     // a queue is bound for the key once the window has passed
		after []string // outcomes of two events in one call after the window, then of one more
	}{
		{"still unbound: one probe returned, skipped again", false, []string{"returned", "skipped", "skipped"}},
		{"bound since: one probe delivered, the key forgotten", true, []string{"delivered", "skipped", "delivered"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newSkipEnv(t, skipWindow)
			want(t, e.publish(event("p-1", "regsys-p", "delivered")), "returned")
			var tap <-chan amqp091.Delivery
			if tc.bind {
				tap = testenv.Tap(t, e.ch, amqp.ExchangeStatus, "0363.regsys-p.delivered")
			}
			// Bound or not, within the window the key is skipped: what a
			// system that binds its queue can lose.
			want(t, e.publish(event("p-2", "regsys-p", "delivered")), "skipped")
			e.clock.add(skipWindow)
			want(t, e.publish(event("p-3", "regsys-p", "delivered"), event("p-4", "regsys-p", "delivered")), tc.after[:2]...)
			want(t, e.publish(event("p-5", "regsys-p", "delivered")), tc.after[2])
			if tc.bind {
				for _, id := range []string{"status-p-3-delivered", "status-p-5-delivered"} {
					if d := testenv.Next(t, tap, id); d.MessageId != id {
						t.Errorf("delivered %s, want %s", d.MessageId, id)
					}
				}
			}
			wantReturns := 1.0
			if !tc.bind {
				wantReturns = 2 // the first event and the probe
			}
			if got := e.returns(t); got != wantReturns {
				t.Errorf("broker returned %v status events, want %v", got, wantReturns)
			}
		})
	}
}

func TestStatusSkipperPassesThrough(t *testing.T) {
	t.Run("window 0 skips nothing", func(t *testing.T) {
		e := newSkipEnv(t, 0)
		for range 3 {
			want(t, e.publish(event("z-1", "regsys-z", "received")), "returned")
		}
		if got, ret := e.skipped(t), e.returns(t); got != 0 || ret != 3 {
			t.Errorf("skipped %v, returned %v; want 0 and 3", got, ret)
		}
	})
	t.Run("outbound messages are never skipped", func(t *testing.T) {
		e := newSkipEnv(t, skipWindow)
		for range 2 {
			m := message.NewMessage("WMO301-1", []byte("<x/>"))
			bus.AGB.Set(m, "99000001") // no provider queue bound
			err := e.skipper.PublishContext(context.Background(), bus.TopicOutbound, m)[0]
			if !errors.Is(err, bus.ErrUnroutable) || errors.Is(err, bus.ErrSkipped) {
				t.Fatalf("outbound to an unbound provider: %v, want the broker's return", err)
			}
		}
	})
}

func TestNewStatusSkipperRefusesBadInput(t *testing.T) {
	pub := &recorder{}
	for _, tc := range []struct {
		name   string
		next   bus.Publisher
		window time.Duration
		reg    prometheus.Registerer
	}{
		{"no publisher", nil, time.Second, prometheus.NewRegistry()},
		{"negative window", pub, -time.Second, prometheus.NewRegistry()},
		{"no registry", pub, time.Second, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := bus.NewStatusSkipper(tc.next, tc.window, nil, tc.reg); err == nil {
				t.Fatal("accepted")
			}
		})
	}
}
