//go:build soak

// Soak test (issue 13, item 9): sustained load on the gateway as its own
// process while it is killed with SIGKILL and its RabbitMQ node restarted
// several times, then on a three-node RabbitMQ cluster with one node stopped
// mid-run. It runs on RabbitMQ nodes of its own (testenv.StartRabbitNodes),
// never on the machine's broker, so it may run next to other tests; `make
// test` runs its short form after the fault tests, `make soak` the long one:
//
//	go test -race -count=1 -tags soak -run Soak -timeout 15m ./internal/app/
//	go test -race -count=1 -tags soak -run Soak -timeout 60m ./internal/app/ -soak.long
//
// See docs/fault-tests.md, "Soak test".
package app_test

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/sluis-gateway/sluis/adapters/amqp"
	"github.com/sluis-gateway/sluis/internal/app"
	"github.com/sluis-gateway/sluis/internal/bus"
	"github.com/sluis-gateway/sluis/internal/receipts"
	"github.com/sluis-gateway/sluis/internal/testenv"
)

var soakLong = flag.Bool("soak.long", false, "run the long soak (make soak) instead of the short form (make test)")

// soakProfile is how long and how hard a soak runs.
type soakProfile struct {
	load     time.Duration // how long requests keep coming
	rate     int           // requests per second
	kills    int           // SIGKILLs of the gateway (single node)
	restarts int           // restarts of the RabbitMQ node (single node)
	cluster  time.Duration // how long requests keep coming on the cluster
}

func profile() soakProfile {
	if *soakLong {
		return soakProfile{load: 4 * time.Minute, rate: 25, kills: 4, restarts: 3, cluster: 2 * time.Minute}
	}
	return soakProfile{load: 24 * time.Second, rate: 20, kills: 1, restarts: 1, cluster: 18 * time.Second}
}

// rssBound is the most a gateway process may ever hold resident (VmHWM, its
// peak). The soak's requests are small (a few kB) and the defaults bound
// the work in flight (workers × prefetch), so the peak must not grow with
// the length of the run; 200 MB is the ceiling issue 13 sets for a gateway
// under oversized input, and a soak of ordinary input has to stay below it.
const rssBound = 200 << 20

// soakNoQueueEvery: one request in soakNoQueueEvery goes to the AGB code
// with no queue (it must end failed, never delivered).
const soakNoQueueEvery = 20

// soakBurst is the burst of requests published on top of the steady load
// just before each fault.
const soakBurst = 200

// brokerDown is how long a restarted RabbitMQ node stays stopped.
const brokerDown = 3 * time.Second

// TestSoakKillsAndRestarts: one gateway on SQLite and one private RabbitMQ
// node; requests keep coming at a steady rate while the gateway is killed
// with SIGKILL (and started again) and the node is stopped and started
// again (rabbitmqctl stop: the whole Erlang VM), in turn, with a stretch of
// undisturbed load before each fault and after the last. Afterwards every
// request is settled exactly once, no provider received another
// Identificatie for a disclosure, and the gateway's peak RSS stayed under
// rssBound.
func TestSoakKillsAndRestarts(t *testing.T) {
	began := time.Now()
	p := profile()
	nodes := testenv.StartRabbitNodes(t, 1)
	node := nodes[0]
	t.Logf("private RabbitMQ node %s up %s after the test began", node.Name(), time.Since(began).Round(100*time.Millisecond))
	e := newFaultEnvAt(t, "sqlite", node.URL())
	gw := e.startGateway("sluis-1")
	rss := watchRSS(t, gw)

	l := startLoad(e, p.rate)
	faults := p.kills + p.restarts
	gap := p.load / time.Duration(faults+1)
	flying := map[string]receipts.State{}
	note := func(now map[string]receipts.State) {
		for id, s := range now {
			flying[id] = s
		}
	}
	kills, restarts := 0, 0
	for i := 0; i < faults; i++ {
		time.Sleep(gap)
		l.busy(e, soakBurst)
		// Kills and restarts in turn, the extra ones at the end.
		if restarts >= p.restarts || (kills < p.kills && i%2 == 0) {
			rss.sample()
			if err := gw.Kill(); err != nil {
				t.Fatal(err)
			}
			kills++
			now := e.inFlightNow()
			note(now)
			t.Logf("%s: SIGKILL %d with %d requests published, %d settled (status events), %d in flight in the store",
				time.Since(l.began).Round(100*time.Millisecond), kills, l.published(), e.status.settled(l.ids()), len(now))
			gw.restart(t)
			continue
		}
		restarts++
		now := e.inFlightNow()
		note(now)
		down := node.Restart(brokerDown)
		t.Logf("%s: RabbitMQ restart %d with %d requests published, %d in flight in the store; unavailable %s",
			time.Since(l.began).Round(100*time.Millisecond), restarts, l.published(), len(now), down.Round(100*time.Millisecond))
		if !gw.Running() {
			t.Fatalf("the gateway process exited when its broker was restarted:\n%s", gw.LogExcerpt(40, 300))
		}
	}
	time.Sleep(gap)
	reqs, loadTook := l.stop(t)
	all := ids(reqs)
	t.Logf("load: %d requests in %s (%d publishes retried after a broker outage)", len(reqs), loadTook.Round(100*time.Millisecond), l.retried())
	if len(flying) == 0 {
		t.Fatalf("no disclosure was in flight at any fault: the test proves nothing (raise the rate)")
	}

	d := e.waitSettled(all, gw)
	t.Logf("all settled %s after the load ended", d.Round(100*time.Millisecond))
	rss.sample()
	if err := gw.Stop(30 * time.Second); err != nil {
		t.Errorf("gateway did not stop cleanly: %v", err)
	}
	assertLogClean(t, gw)
	o := e.checkOutcome(reqs)
	t.Log(e.resumed(flying))
	soakReport(t, e, "kills and restarts, SQLite", began, reqs, o, kills, restarts, rss)
}

// TestSoakCluster: a three-node RabbitMQ cluster of the test's own; the
// topology is declared through node 1, so node 1 leads every quorum queue
// of the gateway. Two gateways on one PostgreSQL database connect to node 2
// and node 3 (SLUIS_AMQP_URL takes one address); the test's registration
// system and care providers to node 3. Node 1 is stopped after a third of
// the load and started again after two thirds: the queues elect leaders on
// nodes 2 and 3, the gateways keep their connections and go on, and node 1
// rejoins. The same checks as the single-node soak.
func TestSoakCluster(t *testing.T) {
	began := time.Now()
	p := profile()
	nodes := testenv.StartRabbitNodes(t, 3)
	t.Logf("private three-node RabbitMQ cluster up %s after the test began", time.Since(began).Round(100*time.Millisecond))
	if err := app.DeclareTopology(nodes[0].URL(), []string{agbWmo, agbJw}, nil, slog.New(slog.NewTextHandler(io.Discard, nil))); err != nil {
		t.Fatal(err)
	}
	e := newFaultEnvAt(t, "postgres", nodes[2].URL())
	logQueues(t, nodes[0], "declared through node 1")
	gw1 := e.startGatewayWith("sluis-1", map[string]string{"SLUIS_AMQP_URL": nodes[1].URL()})
	gw2 := e.startGatewayWith("sluis-2", map[string]string{"SLUIS_AMQP_URL": nodes[2].URL()})
	gws := []*gateway{gw1, gw2}
	rss := watchRSS(t, gws...)

	l := startLoad(e, p.rate)
	time.Sleep(p.cluster / 3)
	l.busy(e, soakBurst)
	flying := e.inFlightNow()
	settledAtStop := e.status.settled(l.ids())
	stopAt := time.Now()
	nodes[0].Stop()
	t.Logf("%s: node 1 stopped (%s) with %d requests published, %d settled, %d in flight in the store",
		time.Since(l.began).Round(100*time.Millisecond), time.Since(stopAt).Round(100*time.Millisecond), l.published(), settledAtStop, len(flying))
	for q, lo := range logQueues(t, nodes[1], "with node 1 down") {
		if lo[0] == nodes[0].Name() || strings.Contains(lo[1], nodes[0].Name()) {
			t.Errorf("queue %s with node 1 stopped: leader %s, online %s", q, lo[0], lo[1])
		}
	}
	time.Sleep(p.cluster / 3)
	for _, gw := range gws {
		if !gw.Running() {
			t.Fatalf("%s exited while node 1 was down:\n%s", gw.Name(), gw.LogExcerpt(40, 300))
		}
	}
	settledDown := e.status.settled(l.ids()) - settledAtStop
	nodes[0].Start()
	t.Logf("%s: node 1 started again after %s down; %d more settled while it was down",
		time.Since(l.began).Round(100*time.Millisecond), time.Since(stopAt).Round(100*time.Millisecond), settledDown)
	if settledDown == 0 {
		t.Errorf("no disclosure settled while node 1 was down: the cluster did not carry on without it")
	}
	time.Sleep(p.cluster / 3)
	reqs, loadTook := l.stop(t)
	all := ids(reqs)
	t.Logf("load: %d requests in %s (%d publishes retried)", len(reqs), loadTook.Round(100*time.Millisecond), l.retried())

	d := e.waitSettled(all, gws...)
	t.Logf("all settled %s after the load ended", d.Round(100*time.Millisecond))
	for q, lo := range logQueues(t, nodes[0], "at the end, node 1 back") {
		if strings.HasPrefix(q, "sluis.") && !strings.Contains(lo[1], nodes[0].Name()) {
			t.Errorf("queue %s after node 1 came back: online %s, node 1 did not rejoin", q, lo[1])
		}
	}
	for _, gw := range gws {
		t.Logf("%s: publisher reconnects %s", gw.Name(), gw.metricOr("sluis_publish_reconnects_total"))
	}
	rss.sample()
	for _, gw := range gws {
		if err := gw.Stop(30 * time.Second); err != nil {
			t.Errorf("%s did not stop cleanly: %v", gw.Name(), err)
		}
		assertLogClean(t, gw)
	}
	o := e.checkOutcome(reqs)
	t.Log(e.resumed(flying))
	soakReport(t, e, "three-node cluster, node 1 stopped, PostgreSQL", began, reqs, o, 0, 0, rss)
}

// logQueues logs each quorum queue's leader and online members, as node
// sees them, and returns them by queue name.
func logQueues(t *testing.T, node *testenv.RabbitNode, when string) map[string][2]string {
	t.Helper()
	out, err := node.Ctl("list_queues", "-p", testenv.SoakVHost, "name", "leader", "online")
	if err != nil {
		t.Errorf("queues %s: %v\n%s", when, err, out)
		return nil
	}
	t.Logf("queues %s (name, leader, online members):\n%s", when, strings.TrimSpace(out))
	queues := map[string][2]string{}
	for _, line := range strings.Split(out, "\n") {
		if f := strings.SplitN(line, "\t", 3); len(f) == 3 && f[0] != "name" {
			queues[f[0]] = [2]string{f[1], f[2]}
		}
	}
	return queues
}

// soakReport checks the figures the issue names and logs them: lost (a
// request with no settled record), doubled (a disclosure whose provider
// received another Identificatie, or two disclosures with one), the peak RSS.
func soakReport(t *testing.T, e *faultEnv, what string, began time.Time, reqs []request, o outcome, kills, restarts int, rss *rssWatch) {
	t.Helper()
	st := e.openStore()
	defer st.Close()
	lost := 0
	byIdent := map[string]string{}
	doubled := 0
	recs := map[string]receipts.Record{}
	for _, r := range reqs {
		rec, err := st.Get(context.Background(), r.id)
		if err != nil || !settledStates[string(rec.State)] {
			lost++
			continue
		}
		recs[rec.MessageID] = rec
		key := rec.Municipality + "/" + rec.MessageType + "/" + rec.Identificatie
		if prev, dup := byIdent[key]; dup && prev != r.id {
			doubled++
		}
		byIdent[key] = r.id
	}
	inbox, _, _ := e.received.snapshot()
	for mid, ds := range inbox {
		for _, d := range ds {
			if rec, ok := recs[mid]; !ok || d.identificatie != rec.Identificatie {
				doubled++
				break
			}
		}
	}
	peak, by := rss.peak()
	t.Logf("SOAK %s: %s, %d requests sent (%d delivered, %d failed: no queue), %d SIGKILLs, %d RabbitMQ restarts; lost %d, doubled Identificatie %d; providers received %d messages (%d repeats with the same MessageID and Identificatie); %d repeated status events; ledger %d entries verified; peak RSS (VmHWM) %.1f MB (%s)",
		what, time.Since(began).Round(time.Second), len(reqs), o.delivered, o.failed, kills, restarts, lost, doubled, o.messages, o.duplicates, o.statusRepeats, o.ledgerEntries, float64(peak)/(1<<20), by)
	if lost != 0 || doubled != 0 {
		t.Errorf("%d lost, %d doubled Identificatie; want 0 and 0", lost, doubled)
	}
	if peak == 0 {
		t.Errorf("no VmHWM was read from /proc for any gateway process")
	}
	if peak >= rssBound {
		t.Errorf("a gateway's peak RSS (VmHWM) was %.1f MB, over the bound of %d MB", float64(peak)/(1<<20), rssBound>>20)
	}
}

// loader publishes requests to the intake at a steady rate until stopped,
// broker-confirmed, from a goroutine; a publish that fails (its broker is
// being restarted) is retried with the same request id until it is
// confirmed, as a registration system would. The requests are made from the
// contract's examples as makeLoad makes them.
type loader struct {
	began time.Time
	stopc chan struct{}
	burst chan int // extra requests to publish at once
	done  chan struct{}

	mu      sync.Mutex
	reqs    []request
	sent    int
	retries int
	err     error
	took    time.Duration
}

// startLoad starts publishing rate requests per second (a batch every
// 250 ms) until stop.
func startLoad(e *faultEnv, rate int) *loader {
	e.t.Helper()
	wmo, _ := readExample(e.t, "iwmo-301.json")
	jw, _ := readExample(e.t, "ijw-301.json")
	pub, err := amqp.NewPublisher(amqp.PublisherConfig{URL: e.url, Route: amqp.Route, UserID: amqp.UserOf(e.url)}, watermill.NopLogger{}, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	l := &loader{began: time.Now(), stopc: make(chan struct{}), burst: make(chan int, 1), done: make(chan struct{})}
	const tick = 250 * time.Millisecond
	batch := max(1, rate/4)
	fail := func(err error) {
		l.mu.Lock()
		l.err = err
		l.mu.Unlock()
	}
	go func() {
		defer close(l.done)
		defer pub.Close()
		for i, n := 0, 0; ; n++ {
			select {
			case <-l.stopc:
				l.mu.Lock()
				l.took = time.Since(l.began)
				l.mu.Unlock()
				return
			case <-time.After(time.Until(l.began.Add(time.Duration(n) * tick))):
			}
			size := batch
			select {
			case extra := <-l.burst:
				size += extra
			default:
			}
			var reqs []request
			for ; len(reqs) < size; i++ {
				r, err := soakRequest(wmo, jw, i)
				if err != nil {
					fail(err)
					return
				}
				reqs = append(reqs, r)
			}
			l.mu.Lock()
			l.reqs = append(l.reqs, reqs...)
			l.mu.Unlock()
			if err := l.publish(pub, reqs); err != nil {
				fail(err)
				return
			}
		}
	}()
	return l
}

// soakRequest is request i of the load: iWmo to 42420001 and iJw to
// 65656055 in turn, every soakNoQueueEvery-th to the AGB with no queue.
func soakRequest(wmo, jw map[string]any, i int) (request, error) {
	tmpl, agb := wmo, agbWmo
	if i%2 == 1 {
		tmpl, agb = jw, agbJw
	}
	if i%soakNoQueueEvery == soakNoQueueEvery-1 {
		agb = agbNoQueue
	}
	m := make(map[string]any, len(tmpl))
	for k, v := range tmpl {
		m[k] = v
	}
	id := watermill.NewUUID()
	m["id"] = id
	m["recipient"] = map[string]any{"agb": agb}
	body, err := json.Marshal(m)
	if err != nil {
		return request{}, err
	}
	return request{id: id, agb: agb, body: body}, nil
}

// publishGiveUp bounds how long one batch is retried.
const publishGiveUp = 3 * time.Minute

func (l *loader) publish(pub *amqp.Publisher, reqs []request) error {
	deadline := time.Now().Add(publishGiveUp)
	for len(reqs) > 0 {
		msgs := make([]*message.Message, len(reqs))
		for i, r := range reqs {
			msgs[i] = message.NewMessage("intake-"+r.id, r.body)
			msgs[i].Metadata.Set("content_type", "application/json")
		}
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		errs := pub.PublishContext(ctx, bus.TopicIntake, msgs...)
		cancel()
		var again []request
		var last error
		for i, err := range errs {
			if err != nil {
				again, last = append(again, reqs[i]), err
			}
		}
		l.mu.Lock()
		l.sent += len(reqs) - len(again)
		l.retries += len(again)
		l.mu.Unlock()
		if len(again) > 0 {
			if time.Now().After(deadline) {
				return fmt.Errorf("%d requests still not confirmed by the broker after %s: %w", len(again), publishGiveUp, last)
			}
			time.Sleep(500 * time.Millisecond)
		}
		reqs = again
	}
	return nil
}

func (l *loader) published() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.sent
}

func (l *loader) retried() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.retries
}

// busy publishes a burst of n requests on top of the steady load and waits
// (up to 20 s) until the store holds disclosures in flight, so that the
// fault that follows meets work in the middle of the pipeline (at a steady
// rate below the gateway's throughput the store is often empty of it).
func (l *loader) busy(e *faultEnv, n int) {
	l.burst <- n
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if len(e.inFlightNow()) > 0 {
			return
		}
	}
}

// ids are the ids of the requests made so far.
func (l *loader) ids() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return ids(l.reqs)
}

// stop ends the load, waits until every request made was confirmed, and
// returns the requests and how long the load ran.
func (l *loader) stop(t *testing.T) ([]request, time.Duration) {
	t.Helper()
	close(l.stopc)
	select {
	case <-l.done:
	case <-time.After(publishGiveUp + time.Minute):
		t.Fatalf("the load did not finish (%d published)", l.published())
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.err != nil {
		t.Fatalf("load: %v", l.err)
	}
	return append([]request(nil), l.reqs...), l.took
}

// rssWatch samples the peak resident set (VmHWM in /proc/<pid>/status) of
// each gateway process every 200 ms and keeps the highest per gateway over
// all its runs (a restarted gateway is a new process with its own VmHWM).
type rssWatch struct {
	gws  []*gateway
	mu   sync.Mutex
	max  map[string]int64 // bytes
	stop chan struct{}
	wg   sync.WaitGroup
}

func watchRSS(t *testing.T, gws ...*gateway) *rssWatch {
	t.Helper()
	w := &rssWatch{gws: gws, max: map[string]int64{}, stop: make(chan struct{})}
	w.wg.Add(1)
	go func() {
		defer w.wg.Done()
		tick := time.NewTicker(200 * time.Millisecond)
		defer tick.Stop()
		for {
			w.sample()
			select {
			case <-w.stop:
				return
			case <-tick.C:
			}
		}
	}()
	t.Cleanup(func() { close(w.stop); w.wg.Wait() })
	return w
}

// sample reads each running gateway's VmHWM now.
func (w *rssWatch) sample() {
	for _, g := range w.gws {
		pid := g.Pid()
		if pid == 0 || !g.Running() {
			continue
		}
		if b, ok := vmHWM(pid); ok {
			w.mu.Lock()
			w.max[g.Name()] = max(w.max[g.Name()], b)
			w.mu.Unlock()
		}
	}
}

// peak is the highest VmHWM of any gateway, and each gateway's, for the log.
func (w *rssWatch) peak() (int64, string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	var top int64
	var parts []string
	for _, g := range w.gws {
		b := w.max[g.Name()]
		top = max(top, b)
		parts = append(parts, fmt.Sprintf("%s %.1f MB", g.Name(), float64(b)/(1<<20)))
	}
	return top, strings.Join(parts, ", ")
}

// vmHWM reads a process's peak resident set size from /proc/<pid>/status.
func vmHWM(pid int) (int64, bool) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10, err == nil
		}
	}
	return 0, false
}
