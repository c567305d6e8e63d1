package inbound_test

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/sluis-gateway/sluis/adapters/store/sqlite"
	"github.com/sluis-gateway/sluis/internal/actor"
	"github.com/sluis-gateway/sluis/internal/bus"
	"github.com/sluis-gateway/sluis/internal/calendar"
	"github.com/sluis-gateway/sluis/internal/inbound"
)

// events records the status events published.
type events struct {
	mu  sync.Mutex
	evs []bus.Event
}

func (e *events) PublishContext(_ context.Context, topic string, msgs ...*message.Message) []error {
	e.mu.Lock()
	defer e.mu.Unlock()
	errs := make([]error, len(msgs))
	for _, m := range msgs {
		if ev, err := bus.Parse(m.Payload); err == nil && topic == bus.TopicStatus {
			e.evs = append(e.evs, ev)
		}
	}
	return errs
}

// TestDeadlinesOverdue: on an injected clock a 315 received on Friday 4
// December 2026 is due 5 working days later (Friday 11 December); the scan
// before leaves it, the scan after moves it to overdue once, with a status
// event, a ledger entry and the metric. A 323 (10 working days) is not due
// yet; a late answer still moves the overdue one on.
func TestDeadlinesOverdue(t *testing.T) {
	ctx := actor.With(context.Background(), actor.Actor{Kind: "provider", ID: "42420001"})
	s, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "sluis.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	received := time.Date(2026, 12, 4, 10, 0, 0, 0, calendar.Location())
	rec := func(id, mt string, days int) {
		t.Helper()
		_, _, err := s.RecordInbound(ctx, inbound.Record{ID: id, Provider: "42420001", Municipality: "0363",
			System: "regsys-demo", Standard: "iWmo", MessageType: mt, Identificatie: id, MessageID: "m-" + id,
			State: inbound.Accepted, RetourCodes: []string{"0200"}, ReceivedAt: received,
			Due: calendar.AddWorkingDays(received, days)})
		if err != nil {
			t.Fatal(err)
		}
	}
	rec("in-315", "WMO315", 5)
	rec("in-323", "WMO323", 10)
	if due := calendar.AddWorkingDays(received, 5); due.Format("2006-01-02") != "2026-12-11" {
		t.Fatalf("5 working days after 4 December: %v", due)
	}

	reg := prometheus.NewRegistry()
	m, err := inbound.NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	now := received
	pub := &events{}
	d, err := inbound.NewDeadlines(inbound.DeadlinesConfig{Store: s, Publisher: pub, Metrics: m, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		name  string
		at    time.Time
		moved int
	}{
		{"the day before the deadline", time.Date(2026, 12, 10, 12, 0, 0, 0, calendar.Location()), 0},
		{"just after the deadline", time.Date(2026, 12, 11, 10, 0, 1, 0, calendar.Location()), 1},
		{"again: moved once", time.Date(2026, 12, 14, 10, 0, 0, 0, calendar.Location()), 0},
	}
	for _, st := range steps {
		now = st.at
		n, err := d.Scan(context.Background())
		if err != nil || n != st.moved {
			t.Fatalf("%s: moved %d, %v; want %d", st.name, n, err, st.moved)
		}
	}
	got, _ := s.GetInbound(ctx, "in-315")
	if got.State != inbound.Overdue {
		t.Fatalf("315 is %s", got.State)
	}
	if got, _ := s.GetInbound(ctx, "in-323"); got.State != inbound.Accepted {
		t.Fatalf("323 is %s before its 10 working days", got.State)
	}
	if len(pub.evs) != 1 || pub.evs[0].State != "inbound_overdue" || pub.evs[0].InboundID != "in-315" ||
		pub.evs[0].RoutingKey() != "0363.regsys-demo.inbound_overdue" {
		t.Fatalf("events %+v", pub.evs)
	}
	if v := testutil.ToFloat64(m.OverdueCounter("WMO315")); v != 1 {
		t.Fatalf("sluis_inbound_overdue_total{WMO315} = %v", v)
	}
	es, err := s.EntriesFor(ctx, "in-315")
	if err != nil || len(es) != 2 || es[1].Event != "inbound:overdue" || es[1].Detail["rule"] != "OP274" || es[1].Actor != actor.System.String() {
		t.Fatalf("ledger %+v, %v", es, err)
	}
	late, err := s.MoveInbound(ctx, "in-315", inbound.Change{To: inbound.Answered, At: now, AnsweredBy: "d-1"})
	if err != nil || late.State != inbound.Answered {
		t.Fatalf("late answer: %+v, %v", late, err)
	}
}
