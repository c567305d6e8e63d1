package amqp

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/sluis-gateway/sluis/internal/bus"
)

func TestNewPublisherRejectsBadConfig(t *testing.T) {
	route := RouteTo("")
	tests := []struct {
		name  string
		cfg   PublisherConfig
		field string
	}{
		{"empty URL", PublisherConfig{Route: route}, "URL"},
		{"unparsable URL", PublisherConfig{URL: "http://example.org", Route: route}, "URL"},
		{"no route", PublisherConfig{URL: testURL()}, "Route"},
		{"negative confirm timeout", PublisherConfig{URL: testURL(), Route: route, ConfirmTimeout: -time.Second}, "ConfirmTimeout"},
		{"negative window", PublisherConfig{URL: testURL(), Route: route, MaxInFlight: -1}, "MaxInFlight"},
		{"negative connect wait", PublisherConfig{URL: testURL(), Route: route, ConnectWait: -1}, "ConnectWait"},
		{"backoff initial above max", PublisherConfig{URL: testURL(), Route: route,
			ReconnectBackoff: Backoff{Initial: time.Minute, Max: time.Second}}, "ReconnectBackoff"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := NewPublisher(tc.cfg, nil, nil)
			if err == nil {
				_ = p.Close()
				t.Fatal("NewPublisher accepted a bad config")
			}
			if !errors.Is(err, ErrInvalidConfig) || !strings.Contains(err.Error(), tc.field) {
				t.Fatalf("error %q: want ErrInvalidConfig naming %s", err, tc.field)
			}
		})
	}
}

func TestNewPublisherKeepsPasswordOutOfErrors(t *testing.T) {
	_, err := NewPublisher(PublisherConfig{URL: "amqp://u:s3cret@[::1", Route: RouteTo("")}, nil, nil)
	if err == nil || strings.Contains(err.Error(), "s3cret") {
		t.Fatalf("error %v: want an error without the password", err)
	}
}

func TestPublishDeliversToQueue(t *testing.T) {
	q := uniqueName("deliver")
	declareQueue(t, q, nil)
	reg := prometheus.NewRegistry()
	metrics, err := NewPublisherMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	p := newTestPublisher(t, PublisherConfig{}, metrics)

	msg := newMsg("id-" + randHex(4))
	msg.Metadata.Set("content_type", "application/xml")
	msg.Metadata.Set("message_type", "WMO301")
	if err := p.Publish(q, msg); err != nil {
		t.Fatalf("Publish: %v", err)
	}

	_, ch := dial(t)
	d, ok, err := ch.Get(q, true)
	if err != nil || !ok {
		t.Fatalf("get: ok=%v err=%v", ok, err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"message id", d.MessageId, msg.UUID},
		{"content type", d.ContentType, "application/xml"},
		{"delivery mode", d.DeliveryMode, amqp.Persistent},
		{"header from metadata", d.Headers["message_type"], "WMO301"},
		{"content_type not a header", d.Headers["content_type"], nil},
		{"body", string(d.Body), string(msg.Payload)},
		{"timestamp set", d.Timestamp.IsZero(), false},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: got %v, want %v", c.name, c.got, c.want)
		}
	}
	if got := testutil.CollectAndCount(reg, "sluis_publish_confirm_seconds"); got != 1 {
		t.Errorf("confirm histogram series: %d", got)
	}
	if got := testutil.ToFloat64(metrics.inFlight); got != 0 {
		t.Errorf("in flight after publish: %v", got)
	}
}

func TestPublishDefaultContentType(t *testing.T) {
	q := uniqueName("ctype")
	declareQueue(t, q, nil)
	p := newTestPublisher(t, PublisherConfig{}, nil)
	if err := p.Publish(q, newMsg("x-"+randHex(4))); err != nil {
		t.Fatal(err)
	}
	_, ch := dial(t)
	d, ok, err := ch.Get(q, true)
	if err != nil || !ok {
		t.Fatalf("get: ok=%v err=%v", ok, err)
	}
	if d.ContentType != DefaultContentType {
		t.Fatalf("content type %q", d.ContentType)
	}
}

// TestPublishUnroutable: a return is ErrUnroutable with the broker's
// reason, counted under the exchange it came back from (so provider
// returns and status-event returns are told apart).
func TestPublishUnroutable(t *testing.T) {
	status := uniqueName("status")
	_, ch := dial(t)
	if err := ch.ExchangeDeclare(status, "topic", false, true, false, false, nil); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { deleteExchange(t, status) })
	for _, tc := range []struct {
		name, exchange, label string
	}{
		{"a queue by name on the default exchange", "", "default"},
		{"a named exchange without bindings", status, status},
	} {
		t.Run(tc.name, func(t *testing.T) {
			metrics, err := NewPublisherMetrics(prometheus.NewRegistry())
			if err != nil {
				t.Fatal(err)
			}
			p := newTestPublisher(t, PublisherConfig{Route: RouteTo(tc.exchange)}, metrics)
			err = p.Publish(uniqueName("nobody-listens"), newMsg("u-"+randHex(4)))
			if !errors.Is(err, bus.ErrUnroutable) {
				t.Fatalf("Publish to unbound key: %v, want ErrUnroutable", err)
			}
			if !strings.Contains(err.Error(), "NO_ROUTE") {
				t.Errorf("error %q does not carry the broker's reason", err)
			}
			if got := testutil.ToFloat64(metrics.returns.WithLabelValues(tc.label)); got != 1 {
				t.Errorf("returns_total{exchange=%q} = %v, want 1", tc.label, got)
			}
			if got := testutil.ToFloat64(metrics.returns.WithLabelValues(ExchangeOutbound)); got != 0 {
				t.Errorf("returns_total{exchange=%q} = %v, want 0", ExchangeOutbound, got)
			}
		})
	}
}

func TestPublishMixedBatchFailsOnlyUnroutable(t *testing.T) {
	q := uniqueName("mixed")
	declareQueue(t, q, nil)
	missing := uniqueName("missing")
	p := newTestPublisher(t, PublisherConfig{Route: routeByMetadata}, nil)

	var msgs []*message.Message
	for i := range 20 {
		m := newMsg(fmt.Sprintf("mixed-%d-%s", i, randHex(3)))
		if i%3 == 0 {
			m.Metadata.Set("to", missing)
		} else {
			m.Metadata.Set("to", q)
		}
		msgs = append(msgs, m)
	}
	errs := p.PublishContext(context.Background(), "any", msgs...)
	want := map[string]bool{}
	for i, err := range errs {
		routable := i%3 != 0
		switch {
		case routable && err != nil:
			t.Errorf("message %d (routable): %v", i, err)
		case !routable && !errors.Is(err, bus.ErrUnroutable):
			t.Errorf("message %d (unroutable): %v, want ErrUnroutable", i, err)
		}
		if routable {
			want[msgs[i].UUID] = true
		}
	}
	got := queueIDs(t, q, want)
	if len(got) != len(want) {
		t.Errorf("queue holds %d distinct ids, want %d", len(got), len(want))
	}
	for id := range want {
		if got[id] != 1 {
			t.Errorf("id %s in queue %d times", id, got[id])
		}
	}

	// Publish joins per-message errors, naming the failed messages.
	err := p.Publish("any", msgs[0], msgs[1])
	if !errors.Is(err, bus.ErrUnroutable) || !strings.Contains(err.Error(), msgs[0].UUID) || strings.Contains(err.Error(), msgs[1].UUID) {
		t.Errorf("Publish error %v: want ErrUnroutable naming only %s", err, msgs[0].UUID)
	}
}

func TestPublishToMissingExchangeFailsOnlyThatMessage(t *testing.T) {
	q := uniqueName("beside-missing-exchange")
	declareQueue(t, q, nil)
	p := newTestPublisher(t, PublisherConfig{Route: routeByMetadata}, nil)
	good := newMsg("good-" + randHex(3))
	good.Metadata.Set("to", q)
	bad := newMsg("bad-" + randHex(3))
	bad.Metadata.Set("exchange", uniqueName("no-such-exchange"))
	bad.Metadata.Set("to", q)
	errs := p.PublishContext(context.Background(), "any", good, bad, good)
	if errs[0] != nil || errs[2] != nil {
		t.Errorf("messages to an existing queue: %v, %v", errs[0], errs[2])
	}
	if !errors.Is(errs[1], ErrNoExchange) {
		t.Errorf("message to a missing exchange: %v, want ErrNoExchange", errs[1])
	}
}

func TestPublishNackedWhenQueueRejects(t *testing.T) {
	q := uniqueName("full")
	// A classic queue: a quorum queue enforces x-max-length only after the
	// fact, so it may take one message more.
	declareQueue(t, q, amqp.Table{"x-queue-type": "classic", "x-max-length": int64(1), "x-overflow": "reject-publish"})
	reg := prometheus.NewRegistry()
	metrics, err := NewPublisherMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	p := newTestPublisher(t, PublisherConfig{}, metrics)
	if err := p.Publish(q, newMsg("first-"+randHex(3))); err != nil {
		t.Fatalf("first publish: %v", err)
	}
	err = p.Publish(q, newMsg("second-"+randHex(3)))
	if !errors.Is(err, ErrNacked) {
		t.Fatalf("publish to full queue: %v, want ErrNacked", err)
	}
	if got := testutil.ToFloat64(metrics.nacks); got != 1 {
		t.Errorf("nacks_total = %v", got)
	}
}

// TestPublishConcurrentMixedNeverReportsLoss checks 512 messages from 8
// goroutines, a third of them unroutable, against what the queue received.
func TestPublishConcurrentMixedNeverReportsLoss(t *testing.T) {
	q := uniqueName("concurrent")
	declareQueue(t, q, nil)
	missing := uniqueName("missing")
	p := newTestPublisher(t, PublisherConfig{Route: routeByMetadata, MaxInFlight: 64}, nil)

	const goroutines, perG = 8, 64
	type outcome struct {
		id       string
		routable bool
		err      error
	}
	var mu sync.Mutex
	var outcomes []outcome
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(g), 7))
			for i := 0; i < perG; {
				n := min(1+r.IntN(8), perG-i) // batches of 1..8
				var msgs []*message.Message
				for range n {
					m := newMsg(fmt.Sprintf("c-%d-%d-%s", g, i, randHex(3)))
					if r.IntN(3) == 0 {
						m.Metadata.Set("to", missing)
					} else {
						m.Metadata.Set("to", q)
					}
					msgs = append(msgs, m)
					i++
				}
				errs := p.PublishContext(context.Background(), "any", msgs...)
				mu.Lock()
				for k, m := range msgs {
					outcomes = append(outcomes, outcome{m.UUID, m.Metadata.Get("to") == q, errs[k]})
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()

	want := map[string]bool{}
	for _, o := range outcomes {
		if o.err == nil {
			want[o.id] = true
		}
	}
	got := queueIDs(t, q, want)
	var delivered, unroutable int
	for _, o := range outcomes {
		switch {
		case o.routable && o.err == nil:
			delivered++
			if got[o.id] != 1 {
				t.Errorf("%s reported delivered, in queue %d times", o.id, got[o.id])
			}
		case o.routable:
			t.Errorf("%s routable but failed: %v", o.id, o.err)
		case o.err == nil:
			t.Errorf("%s unroutable but reported delivered", o.id)
		case !errors.Is(o.err, bus.ErrUnroutable):
			t.Errorf("%s unroutable: %v, want ErrUnroutable", o.id, o.err)
		default:
			unroutable++
		}
	}
	if len(outcomes) != goroutines*perG {
		t.Fatalf("%d outcomes, want %d", len(outcomes), goroutines*perG)
	}
	if len(got) != delivered {
		t.Errorf("queue holds %d ids, %d reported delivered", len(got), delivered)
	}
	t.Logf("%d delivered, %d unroutable", delivered, unroutable)
}

func TestPublishConfirmTimeout(t *testing.T) {
	q := uniqueName("slow")
	declareQueue(t, q, nil)
	reg := prometheus.NewRegistry()
	metrics, err := NewPublisherMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	// The hook holds the confirm reader until released: the first confirm
	// cannot be processed before the sweeper expires its message.
	release := make(chan struct{})
	var once sync.Once
	unblock := func() { once.Do(func() { close(release) }) }
	t.Cleanup(unblock)
	p := newTestPublisher(t, PublisherConfig{
		ConfirmTimeout: 20 * time.Millisecond,
		ConnectWait:    10 * time.Second,
		beforeConfirm:  func() { <-release },
	}, metrics)

	err = p.Publish(q, newMsg("slow-"+randHex(3)))
	if !errors.Is(err, ErrConfirmTimeout) {
		t.Fatalf("Publish with held confirms: %v, want ErrConfirmTimeout", err)
	}
	if got := testutil.ToFloat64(metrics.timeouts); got != 1 {
		t.Errorf("timeouts_total = %v", got)
	}
	if got := testutil.ToFloat64(metrics.inFlight); got != 0 {
		t.Errorf("in_flight after timeout = %v", got)
	}
	unblock()
	// The late confirm of the expired message is ignored; later publishes
	// are confirmed normally (nothing holds the reader any more). The 20 ms
	// timeout also holds for them: on a loaded machine a confirm can take
	// longer, so a timeout is tried again; any other error fails.
	var err2 error
	for range 50 {
		if err2 = p.Publish(q, newMsg("after-"+randHex(3))); !errors.Is(err2, ErrConfirmTimeout) {
			break
		}
	}
	if err2 != nil {
		t.Fatalf("publish after release: %v", err2)
	}
}

func TestPublisherStartsWithBrokerDown(t *testing.T) {
	p, err := NewPublisher(PublisherConfig{
		URL:              "amqp://guest:guest@127.0.0.1:1/",
		Route:            RouteTo(""),
		ConnectWait:      50 * time.Millisecond,
		ReconnectBackoff: Backoff{Initial: 10 * time.Millisecond, Max: 20 * time.Millisecond},
	}, nil, nil)
	if err != nil {
		t.Fatalf("NewPublisher with broker down: %v", err)
	}
	errs := p.PublishContext(context.Background(), "q", newMsg("a"), newMsg("b"))
	for i, err := range errs {
		if !errors.Is(err, ErrNotConnected) {
			t.Errorf("message %d: %v, want ErrNotConnected", i, err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := p.PublishContext(ctx, "q", newMsg("c"))[0]; !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled ctx: %v", err)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if err := p.Publish("q", newMsg("d")); !errors.Is(err, ErrClosed) {
		t.Errorf("after Close: %v, want ErrClosed", err)
	}
}

func TestPublishRightAfterNewPublisherWaitsForConnection(t *testing.T) {
	// Publish is called before the background connection is up and waits
	// for it instead of failing.
	q := uniqueName("early")
	declareQueue(t, q, nil)
	p, err := NewPublisher(PublisherConfig{URL: testURL(), Route: RouteTo("")}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if err := p.Publish(q, newMsg("early-"+randHex(3))); err != nil {
		t.Fatalf("Publish right after NewPublisher: %v", err)
	}
}

func TestPublisherCloseLeavesNoGoroutines(t *testing.T) {
	q := uniqueName("leak")
	declareQueue(t, q, nil)
	_, _ = dial(t) // helpers' connections exist before the baseline
	runtime.GC()
	before := runtime.NumGoroutine()
	for range 3 {
		p, err := NewPublisher(PublisherConfig{URL: testURL(), Route: RouteTo("")}, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := p.Publish(q, newMsg("leak-"+randHex(3))); err != nil {
			t.Fatal(err)
		}
		if err := p.Close(); err != nil {
			t.Fatal(err)
		}
		if err := p.Close(); err != nil { // idempotent
			t.Fatal(err)
		}
	}
	// amqp091 ends some goroutines just after Close returns; allow them a
	// moment, then demand the baseline (+2 tolerance).
	var after int
	for range 100 {
		after = runtime.NumGoroutine()
		if after <= before+2 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if after > before+2 {
		buf := make([]byte, 1<<16)
		n := runtime.Stack(buf, true)
		t.Fatalf("goroutines: %d before, %d after Close\n%s", before, after, buf[:n])
	}
}

// connectionPid finds the broker's process id of the publisher's connection.
func connectionPid(t *testing.T, p *Publisher) string {
	t.Helper()
	local := p.localAddr()
	if local == "" {
		t.Fatal("publisher not connected")
	}
	name := local + " -> "
	out, err := exec.Command("rabbitmqctl", "-q", "list_connections", "pid", "name").CombinedOutput()
	if err != nil {
		t.Fatalf("rabbitmqctl list_connections: %v\n%s", err, out)
	}
	var pid string
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.SplitN(line, "\t", 2)
		if len(f) == 2 && strings.HasPrefix(f[1], name) {
			pid = f[0]
		}
	}
	if pid == "" {
		t.Fatalf("connection from %s not in rabbitmqctl list_connections:\n%s", local, out)
	}
	return pid
}

// closeConnectionServerSide closes a connection from the broker with
// rabbitmqctl, as a broker restart or network cut would.
func closeConnectionServerSide(t *testing.T, pid string) {
	t.Helper()
	out, err := exec.Command("rabbitmqctl", "close_connection", pid, "test: kill publisher connection").CombinedOutput()
	if err != nil {
		t.Fatalf("rabbitmqctl close_connection %s: %v\n%s", pid, err, out)
	}
}

func requireRabbitmqctl(t *testing.T) {
	t.Helper()
	if err := exec.Command("rabbitmqctl", "-q", "status").Run(); err != nil {
		t.Skipf("SKIPPED LOUDLY: rabbitmqctl is not runnable here (%v); broker-side tests need it", err)
	}
}

func TestPublishSurvivesConnectionKill(t *testing.T) {
	requireRabbitmqctl(t)
	q := uniqueName("kill")
	declareQueue(t, q, nil)
	reg := prometheus.NewRegistry()
	metrics, err := NewPublisherMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	p := newTestPublisher(t, PublisherConfig{
		MaxInFlight:      256,
		ReconnectBackoff: Backoff{Initial: 20 * time.Millisecond, Max: 200 * time.Millisecond},
	}, metrics)

	type outcome struct {
		id  string
		err error
	}
	var (
		mu        sync.Mutex
		outcomes  []outcome
		afterKill atomic.Int64 // successes after the kill
		killed    atomic.Bool
		stop      = make(chan struct{})
		wg        sync.WaitGroup
		seq       atomic.Int64
	)
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				var msgs []*message.Message
				for range 8 {
					msgs = append(msgs, newMsg(fmt.Sprintf("k-%d-%d", g, seq.Add(1))))
				}
				wasKilled := killed.Load()
				errs := p.PublishContext(context.Background(), q, msgs...)
				mu.Lock()
				for i, m := range msgs {
					outcomes = append(outcomes, outcome{m.UUID, errs[i]})
					if errs[i] == nil && wasKilled {
						afterKill.Add(1)
					}
				}
				mu.Unlock()
			}
		}()
	}
	// Let traffic flow, kill the connection under load, wait for
	// publishes that started after the kill to succeed on the new one.
	for p.localAddr() == "" {
		time.Sleep(time.Millisecond)
	}
	pid := connectionPid(t, p) // before the traffic: rabbitmqctl is slow
	for seq.Load() < 2000 {
		time.Sleep(time.Millisecond)
	}
	closeConnectionServerSide(t, pid)
	killed.Store(true)
	for afterKill.Load() < 2000 {
		time.Sleep(time.Millisecond)
	}
	close(stop)
	wg.Wait()

	want := map[string]bool{}
	var failed int
	for _, o := range outcomes {
		switch {
		case o.err == nil:
			want[o.id] = true
		case errors.Is(o.err, ErrNotConnected):
			failed++
		default:
			t.Errorf("%s: %v, want nil or ErrNotConnected", o.id, o.err)
		}
	}
	got := consumeIDs(t, q, want)
	for id := range want {
		if got[id] == 0 {
			t.Errorf("%s reported delivered but not in queue", id)
		}
	}
	if r := testutil.ToFloat64(metrics.reconnects); r < 1 {
		t.Errorf("reconnects_total = %v, want >= 1", r)
	}
	// Messages failed as not connected may still have reached the queue
	// (their ack was lost with the connection): at-least-once.
	t.Logf("%d outcomes: %d delivered, %d failed retryable (in flight or sent during the reconnect), %d ids in queue",
		len(outcomes), len(want), failed, len(got))
}

// TestPublishWindowAppliesBackPressure holds every confirm: with a window
// of 2, the third message of a call cannot be published; cancelling the
// context fails the two in flight and the waiting one.
func TestPublishWindowAppliesBackPressure(t *testing.T) {
	q := uniqueName("window")
	declareQueue(t, q, nil)
	reg := prometheus.NewRegistry()
	metrics, err := NewPublisherMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	release := make(chan struct{})
	var once sync.Once
	unblock := func() { once.Do(func() { close(release) }) }
	t.Cleanup(unblock)
	p := newTestPublisher(t, PublisherConfig{
		MaxInFlight:    2,
		ConfirmTimeout: time.Hour,
		beforeConfirm:  func() { <-release },
	}, metrics)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	result := make(chan []error, 1)
	go func() {
		result <- p.PublishContext(ctx, q, newMsg("w1-"+randHex(3)), newMsg("w2-"+randHex(3)), newMsg("w3-"+randHex(3)))
	}()
	for testutil.ToFloat64(metrics.inFlight) < 2 {
		time.Sleep(time.Millisecond)
	}
	cancel()
	errs := <-result
	for i, err := range errs {
		if !errors.Is(err, context.Canceled) {
			t.Errorf("message %d: %v, want context.Canceled", i, err)
		}
	}
	if !strings.Contains(errs[2].Error(), "window") {
		t.Errorf("third message: %v, want it to have waited for the window", errs[2])
	}
	if got := testutil.ToFloat64(metrics.inFlight); got != 0 {
		t.Errorf("in flight after cancel: %v", got)
	}
	unblock()
	// Slots were given back: a full window's worth publishes again.
	if err := p.Publish(q, newMsg("w4-"+randHex(3)), newMsg("w5-"+randHex(3))); err != nil {
		t.Fatalf("publish after cancel: %v", err)
	}
}

// Connected reads the session without dialling: true once a publish was
// confirmed, false after Close.
func TestPublisherConnected(t *testing.T) {
	q := uniqueName("connected")
	declareQueue(t, q, nil)
	p := newTestPublisher(t, PublisherConfig{}, nil)
	if err := p.Publish(q, newMsg("id-"+randHex(4))); err != nil {
		t.Fatalf("Publish: %v", err)
	}
	if !p.Connected() {
		t.Fatal("not connected after a confirmed publish")
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if p.Connected() {
		t.Fatal("connected after Close")
	}
}
