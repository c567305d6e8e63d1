package overdue_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	amqp091 "github.com/rabbitmq/amqp091-go"

	"github.com/sluis-gateway/sluis/adapters/amqp"
	"github.com/sluis-gateway/sluis/adapters/store/sqlite"
	"github.com/sluis-gateway/sluis/internal/actor"
	"github.com/sluis-gateway/sluis/internal/bus"
	"github.com/sluis-gateway/sluis/internal/calendar"
	"github.com/sluis-gateway/sluis/internal/overdue"
	"github.com/sluis-gateway/sluis/internal/receipts"
	"github.com/sluis-gateway/sluis/internal/retour"
	"github.com/sluis-gateway/sluis/internal/testenv"
)

func ams(y int, m time.Month, d, hh, mm int) time.Time {
	return time.Date(y, m, d, hh, mm, 0, 0, calendar.Location())
}

func TestDeadline(t *testing.T) {
	tests := []struct {
		name      string
		delivered time.Time
		want      time.Time
	}{
		{"Monday: Thursday", ams(2026, 11, 23, 10, 0), ams(2026, 11, 26, 10, 0)},
		{"Thursday: over the weekend to Tuesday", ams(2026, 11, 26, 10, 0), ams(2026, 12, 1, 10, 0)},
		{"Friday late evening: Wednesday", ams(2026, 11, 27, 23, 30), ams(2026, 12, 2, 23, 30)},
		{"Saturday: the day itself never counts", ams(2026, 11, 28, 10, 0), ams(2026, 12, 2, 10, 0)},
		{"Sunday: Wednesday", ams(2026, 11, 29, 10, 0), ams(2026, 12, 2, 10, 0)},
		{"before Christmas 2026", ams(2026, 12, 24, 10, 0), ams(2026, 12, 30, 10, 0)},
		{"before Easter 2027: Good Friday and Easter Monday do not count", ams(2027, 3, 25, 10, 0), ams(2027, 4, 1, 10, 0)},
		{"before King's Day 2027 (Tuesday 27 April)", ams(2027, 4, 23, 10, 0), ams(2027, 4, 29, 10, 0)},
		{"King's Day 2025 on a Saturday changes nothing", ams(2025, 4, 24, 10, 0), ams(2025, 4, 29, 10, 0)},
		{"over New Year 2027", ams(2026, 12, 30, 10, 0), ams(2027, 1, 5, 10, 0)},
		{"UTC input is read in Amsterdam", time.Date(2026, 11, 27, 23, 30, 0, 0, time.UTC), ams(2026, 12, 2, 0, 30)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := overdue.Deadline(tc.delivered); !got.Equal(tc.want) {
				t.Fatalf("Deadline(%s) = %s, want %s", tc.delivered, got, tc.want)
			}
		})
	}
}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

type harness struct {
	t      *testing.T
	store  *sqlite.Store
	pub    retour.Publisher
	ch     *amqp091.Channel
	events <-chan amqp091.Delivery
	clock  *clock
	n      atomic.Int64
}

// publisher is the AMQP publisher as the gateway wires it: a message no
// queue takes fails with an error wrapping bus.ErrUnroutable.
type publisher struct{ *amqp.Publisher }

func newHarness(t *testing.T) *harness {
	t.Helper()
	url := testenv.VHost(t)
	h := &harness{t: t, clock: &clock{}}
	_, h.ch = testenv.Channel(t, url)
	if err := (amqp.Topology{}).Declare(h.ch); err != nil {
		t.Fatal(err)
	}
	h.events = testenv.Tap(t, h.ch, amqp.ExchangeStatus, "#")
	p, err := amqp.NewPublisher(amqp.PublisherConfig{URL: url, ConnectionName: "overdue-test",
		Route: func(topic string, m *message.Message) (string, string, error) {
			if topic != bus.TopicStatus {
				return "", "", fmt.Errorf("unexpected topic %q", topic)
			}
			return amqp.ExchangeStatus, m.Metadata.Get("routing_key"), nil
		}}, watermill.NopLogger{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	h.pub = publisher{p}
	if h.store, err = sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "s.db")); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = h.store.Close() })
	return h
}

func (h *harness) scanner(reg prometheus.Registerer) *overdue.Scanner {
	h.t.Helper()
	s, err := overdue.New(overdue.Config{Store: h.store, Publisher: h.pub, Registerer: reg, Now: h.clock.Now, Batch: 2,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		h.t.Fatal(err)
	}
	return s
}

// delivered registers a disclosure delivered at the given instant.
func (h *harness) delivered(id string, at time.Time) {
	h.t.Helper()
	ctx := actor.With(context.Background(), actor.Actor{Kind: "system", ID: "regsys-a", OnBehalfOf: "0384"})
	if _, _, err := h.store.Register(ctx, receipts.Record{
		DisclosureID: id, Municipality: "0384", System: "regsys-a", Recipient: "42420001",
		Standard: "iWmo", MessageType: "WMO301", RequestHash: "h-" + id,
	}); err != nil {
		h.t.Fatal(err)
	}
	for _, s := range []receipts.State{receipts.Allowed, receipts.Published, receipts.Delivered} {
		if _, err := h.store.Move(ctx, id, receipts.Change{To: s, At: at}); err != nil {
			h.t.Fatal(err)
		}
	}
}

func (h *harness) state(id string) receipts.State {
	h.t.Helper()
	rec, err := h.store.Get(context.Background(), id)
	if err != nil {
		h.t.Fatal(err)
	}
	return rec.State
}

func (h *harness) event() bus.Event {
	h.t.Helper()
	ev, err := bus.Parse(testenv.Next(h.t, h.events, "status event").Body)
	if err != nil {
		h.t.Fatal(err)
	}
	return ev
}

func TestScanMovesOnceAfterDeadline(t *testing.T) {
	h := newHarness(t)
	reg := prometheus.NewRegistry()
	s := h.scanner(reg)
	ctx := context.Background()

	h.delivered("thursday", ams(2026, 11, 26, 10, 0))       // due Tue 1 Dec 10:00
	h.delivered("thursday-late", ams(2026, 11, 26, 10, 1))  // due Tue 1 Dec 10:01
	h.delivered("monday", ams(2026, 11, 30, 9, 0))          // due Thu 3 Dec 09:00
	h.delivered("easter", ams(2027, 3, 25, 10, 0))          // not yet delivered for this clock: ignored
	h.delivered("wednesday", ams(2026, 11, 25, 10, 0))      // due Mon 30 Nov 10:00
	h.delivered("before-weekend", ams(2026, 11, 20, 16, 0)) // due Wed 25 Nov 16:00

	steps := []struct {
		now     time.Time
		moved   int
		overdue []string
	}{
		{ams(2026, 11, 29, 12, 0), 1, []string{"before-weekend"}}, // Sunday: only the old one
		{ams(2026, 11, 30, 9, 59), 0, nil},
		{ams(2026, 11, 30, 10, 0), 1, []string{"wednesday"}},
		{ams(2026, 12, 1, 10, 0), 1, []string{"thursday"}},
		{ams(2026, 12, 1, 10, 0), 0, nil}, // once only
		{ams(2026, 12, 3, 9, 0), 2, []string{"thursday-late", "monday"}},
		{ams(2026, 12, 3, 9, 0), 0, nil},
	}
	total := 0
	for i, st := range steps {
		h.clock.Set(st.now)
		moved, err := s.Scan(ctx)
		if err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		if moved != st.moved {
			t.Fatalf("step %d (%s): moved %d, want %d", i, st.now, moved, st.moved)
		}
		total += moved
		for _, id := range st.overdue {
			if got := h.state(id); got != receipts.Overdue {
				t.Fatalf("step %d: %s is %s", i, id, got)
			}
			ev := h.event()
			if ev.State != "overdue" || ev.DisclosureID == "" {
				t.Fatalf("status event %+v", ev)
			}
		}
	}
	if got := h.state("easter"); got != receipts.Delivered {
		t.Fatalf("easter is %s", got)
	}
	if got := testutil.ToFloat64(mustCollector(t, reg, "sluis_overdue_total")); got != float64(total) {
		t.Errorf("sluis_overdue_total = %v, want %d", got, total)
	}
	if got := testutil.ToFloat64(mustCollector(t, reg, "sluis_overdue_disclosures")); got != 5 {
		t.Errorf("sluis_overdue_disclosures = %v, want 5", got)
	}

	// Easter 2027: six calendar days later is not yet three working days.
	h.clock.Set(ams(2027, 3, 31, 10, 0))
	if moved, err := s.Scan(ctx); err != nil || moved != 0 {
		t.Fatalf("Wednesday after Easter: moved %d, %v", moved, err)
	}
	h.clock.Set(ams(2027, 4, 1, 10, 0))
	if moved, err := s.Scan(ctx); err != nil || moved != 1 {
		t.Fatalf("Thursday after Easter: moved %d, %v", moved, err)
	}

	// The ledger says why, with the deadline.
	entries, err := h.store.EntriesFor(ctx, "thursday")
	if err != nil {
		t.Fatal(err)
	}
	last := entries[len(entries)-1]
	if last.Event != "state:overdue" || last.Detail["rule"] != "OP090" || last.Detail["deadline"] == "" {
		t.Errorf("ledger entry %+v", last)
	}
}

func TestKingsDay(t *testing.T) {
	h := newHarness(t)
	s := h.scanner(prometheus.NewRegistry())
	h.delivered("kingsday", ams(2027, 4, 23, 10, 0)) // Friday before King's Day (Tue 27 April)
	for _, st := range []struct {
		now   time.Time
		moved int
	}{
		{ams(2027, 4, 28, 10, 0), 0}, // Mon, (Tue holiday), Wed: two working days
		{ams(2027, 4, 29, 9, 59), 0},
		{ams(2027, 4, 29, 10, 0), 1},
	} {
		h.clock.Set(st.now)
		if moved, err := s.Scan(context.Background()); err != nil || moved != st.moved {
			t.Fatalf("at %s: moved %d (%v), want %d", st.now, moved, err, st.moved)
		}
	}
}

// TestTwoScannersMoveEachOnce runs two scanners (two sluis instances) on one
// store at once: every due record is moved once.
func TestTwoScannersMoveEachOnce(t *testing.T) {
	h := newHarness(t)
	const n = 20
	for i := range n {
		h.delivered(fmt.Sprintf("d-%02d", i), ams(2026, 11, 2, 10, i))
	}
	h.clock.Set(ams(2026, 11, 20, 10, 0))
	regs := []*prometheus.Registry{prometheus.NewRegistry(), prometheus.NewRegistry()}
	var wg sync.WaitGroup
	moved := make([]int, 2)
	errs := make([]error, 2)
	for i := range 2 {
		s := h.scanner(regs[i])
		wg.Add(1)
		go func() {
			defer wg.Done()
			moved[i], errs[i] = s.Scan(context.Background())
		}()
	}
	wg.Wait()
	if errs[0] != nil || errs[1] != nil {
		t.Fatal(errs)
	}
	if moved[0]+moved[1] != n {
		t.Fatalf("moved %d + %d, want %d in all", moved[0], moved[1], n)
	}
	counts, err := h.store.CountByState(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if counts[receipts.Overdue] != n {
		t.Fatalf("overdue count %d", counts[receipts.Overdue])
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	h := &harness{}
	tests := []struct {
		name string
		cfg  overdue.Config
		want string
	}{
		{"no store", overdue.Config{Publisher: h.pub, Registerer: prometheus.NewRegistry()}, "Store"},
		{"no publisher", overdue.Config{Store: &sqlite.Store{}, Registerer: prometheus.NewRegistry()}, "Publisher"},
		{"no registerer", overdue.Config{Store: &sqlite.Store{}, Publisher: publisher{}}, "Registerer"},
		{"negative interval", overdue.Config{Store: &sqlite.Store{}, Publisher: publisher{}, Registerer: prometheus.NewRegistry(), Interval: -1}, "Interval"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := overdue.New(tc.cfg)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("New = %v, want an error naming %s", err, tc.want)
			}
		})
	}
}

// mustCollector finds a registered metric by name.
func mustCollector(t *testing.T, reg *prometheus.Registry, name string) prometheus.Collector {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name {
			var v float64
			for _, m := range mf.GetMetric() {
				if m.GetCounter() != nil {
					v += m.GetCounter().GetValue()
				}
				if m.GetGauge() != nil {
					v += m.GetGauge().GetValue()
				}
			}
			g := prometheus.NewGauge(prometheus.GaugeOpts{Name: "probe"})
			g.Set(v)
			return g
		}
	}
	t.Fatalf("metric %s not registered", name)
	return nil
}

// TestLostEventSentNextScan: when the status event cannot be published the
// move stays (it is durable) and the next scan sends the event.
func TestLostEventSentNextScan(t *testing.T) {
	h := newHarness(t)
	s := h.scanner(prometheus.NewRegistry())
	h.delivered("lost-event", ams(2026, 11, 2, 10, 0))
	h.clock.Set(ams(2026, 11, 20, 10, 0))
	if err := h.ch.ExchangeDelete(amqp.ExchangeStatus, false, false); err != nil {
		t.Fatal(err)
	}
	if moved, err := s.Scan(context.Background()); err == nil || moved != 1 {
		t.Fatalf("Scan without a status exchange = %d, %v; want 1 and an error", moved, err)
	}
	if got := h.state("lost-event"); got != receipts.Overdue {
		t.Fatalf("state %s", got)
	}
	if err := (amqp.Topology{}).Declare(h.ch); err != nil {
		t.Fatal(err)
	}
	h.events = testenv.Tap(t, h.ch, amqp.ExchangeStatus, "#")
	if moved, err := s.Scan(context.Background()); err != nil || moved != 0 {
		t.Fatalf("second Scan = %d, %v", moved, err)
	}
	if ev := h.event(); ev.DisclosureID != "lost-event" || ev.State != "overdue" {
		t.Fatalf("event %+v", ev)
	}
}
