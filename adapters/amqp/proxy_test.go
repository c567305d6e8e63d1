package amqp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// proxy is a TCP proxy in front of the real broker that a test can take
// down, cut, and pause in the broker-to-client direction (holding confirms
// back), to stage connection failures deterministically.
type proxy struct {
	t      *testing.T
	ln     net.Listener
	target string

	mu      sync.Mutex
	up      bool
	conns   []net.Conn
	paused  bool
	resume  chan struct{} // closed when unpaused
	refused atomic.Int64  // connections refused while down
	wg      sync.WaitGroup
}

func newProxy(t *testing.T, up bool) *proxy {
	t.Helper()
	u, err := url.Parse(testURL())
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{t: t, ln: ln, target: u.Host, up: up, resume: make(chan struct{})}
	close(p.resume)
	p.wg.Add(1)
	go p.accept()
	t.Cleanup(func() {
		_ = ln.Close()
		p.setPaused(false)
		p.cut()
		p.wg.Wait()
	})
	return p
}

// url is the broker URL through the proxy.
func (p *proxy) url() string {
	u, _ := url.Parse(testURL())
	u.Host = p.ln.Addr().String()
	return u.String()
}

func (p *proxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		up := p.up
		p.mu.Unlock()
		if !up {
			p.refused.Add(1)
			_ = c.Close()
			continue
		}
		s, err := net.Dial("tcp", p.target)
		if err != nil {
			_ = c.Close()
			continue
		}
		p.mu.Lock()
		p.conns = append(p.conns, c, s)
		p.mu.Unlock()
		p.wg.Add(2)
		go func() { defer p.wg.Done(); _, _ = io.Copy(s, c); _ = s.Close() }()
		go func() { defer p.wg.Done(); p.copyGated(c, s); _ = c.Close() }()
	}
}

// copyGated copies broker to client, holding each chunk while paused.
func (p *proxy) copyGated(dst, src net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			p.mu.Lock()
			resume := p.resume
			p.mu.Unlock()
			<-resume
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

func (p *proxy) setUp(up bool) {
	p.mu.Lock()
	p.up = up
	p.mu.Unlock()
}

func (p *proxy) setPaused(paused bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if paused == p.paused {
		return
	}
	p.paused = paused
	if paused {
		p.resume = make(chan struct{})
	} else {
		close(p.resume)
	}
}

// cut closes every proxied connection, like a network failure.
func (p *proxy) cut() {
	p.mu.Lock()
	conns := p.conns
	p.conns = nil
	p.mu.Unlock()
	for _, c := range conns {
		_ = c.Close()
	}
}

// TestPublishInFlightFailsRetryablyOnConnectionLoss holds the broker's
// confirms back, cuts the connection and checks that every message that
// was in flight fails with ErrNotConnected (never nil), that the
// publisher reconnects, and that the messages did reach the queue (which
// is why a retry must keep the message id).
func TestPublishInFlightFailsRetryablyOnConnectionLoss(t *testing.T) {
	q := uniqueName("inflight")
	declareQueue(t, q, nil)
	px := newProxy(t, true)
	reg := prometheus.NewRegistry()
	metrics, err := NewPublisherMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	p := newTestPublisher(t, PublisherConfig{URL: px.url()}, metrics)
	if err := p.Publish(q, newMsg("warm-"+randHex(3))); err != nil {
		t.Fatal(err)
	}

	px.setPaused(true)
	const n = 10
	batch := make([]string, n)
	var wmsgs []*message.Message
	for i := range n {
		wmsgs = append(wmsgs, newMsg(fmt.Sprintf("inflight-%d-%s", i, randHex(3))))
	}
	for i, m := range wmsgs {
		batch[i] = m.UUID
	}
	result := make(chan []error, 1)
	go func() { result <- p.PublishContext(context.Background(), q, wmsgs...) }()
	// Wait until the broker holds all n (plus the warm-up message): they
	// are stored, but their confirms are held in the proxy.
	_, ch := dial(t)
	for {
		st, err := ch.QueueDeclarePassive(q, true, false, false, false, nil)
		if err != nil {
			t.Fatal(err)
		}
		if st.Messages >= n+1 {
			break
		}
		time.Sleep(time.Millisecond)
	}
	if got := testutil.ToFloat64(metrics.inFlight); got != n {
		t.Fatalf("in flight before the cut: %v, want %d", got, n)
	}
	px.cut()
	px.setPaused(false)
	errs := <-result
	for i, err := range errs {
		if !errors.Is(err, ErrNotConnected) {
			t.Errorf("in-flight message %d: %v, want ErrNotConnected", i, err)
		}
	}
	// The publisher reconnects through the proxy and works again.
	if err := p.Publish(q, newMsg("after-"+randHex(3))); err != nil {
		t.Fatalf("publish after reconnect: %v", err)
	}
	if r := testutil.ToFloat64(metrics.reconnects); r != 1 {
		t.Errorf("reconnects_total = %v, want 1", r)
	}
	want := map[string]bool{}
	for _, id := range batch {
		want[id] = true
	}
	got := queueIDs(t, q, want)
	for _, id := range batch {
		if got[id] != 1 {
			t.Errorf("in-flight message %s in queue %d times, want 1 (stored, confirm lost)", id, got[id])
		}
	}
}

// TestPublisherConnectsWhenBrokerComesUp starts with the broker unreachable:
// NewPublisher succeeds, a Publish waits, and succeeds once it is reachable.
func TestPublisherConnectsWhenBrokerComesUp(t *testing.T) {
	q := uniqueName("comes-up")
	declareQueue(t, q, nil)
	px := newProxy(t, false)
	p := newTestPublisher(t, PublisherConfig{
		URL:              px.url(),
		ConnectWait:      time.Minute,
		ReconnectBackoff: Backoff{Initial: 5 * time.Millisecond, Max: 20 * time.Millisecond},
	}, nil)
	result := make(chan error, 1)
	go func() { result <- p.Publish(q, newMsg("late-"+randHex(3))) }()
	for px.refused.Load() < 2 { // it tried and was refused at least twice
		time.Sleep(time.Millisecond)
	}
	px.setUp(true)
	if err := <-result; err != nil {
		t.Fatalf("Publish across broker start: %v", err)
	}
}
