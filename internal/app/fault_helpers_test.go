//go:build fault || soak

// The fault tests' helpers, shared with the soak test (soak_test.go, build
// tag soak), which runs the same world on RabbitMQ nodes of its own.

package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	amqp091 "github.com/rabbitmq/amqp091-go"

	"github.com/sluis-gateway/sluis/adapters/amqp"
	"github.com/sluis-gateway/sluis/internal/app"
	"github.com/sluis-gateway/sluis/internal/archive"
	"github.com/sluis-gateway/sluis/internal/bus"
	"github.com/sluis-gateway/sluis/internal/config"
	"github.com/sluis-gateway/sluis/internal/ledger"
	"github.com/sluis-gateway/sluis/internal/pipeline"
	"github.com/sluis-gateway/sluis/internal/receipts"
	"github.com/sluis-gateway/sluis/internal/signing"
	"github.com/sluis-gateway/sluis/internal/testenv"
	"github.com/sluis-gateway/sluis/messages"
)

// TestMain removes the sluis binary the fault tests built.
func TestMain(m *testing.M) {
	code := m.Run()
	testenv.RemoveSluisBinary()
	os.Exit(code)
}

// The providers of the development registry (queues exist), and an AGB code
// with no queue: a publish to it is returned by the broker.
const (
	agbWmo     = "42420001"
	agbJw      = "65656055"
	agbNoQueue = "12345678"
)

// Bounds on the waits of a fault test: generous, they only turn a hang into
// a failure with a diagnosis.
const (
	startTimeout  = 60 * time.Second
	settleTimeout = 4 * time.Minute
)

// faultEnv is one fault scenario's world: a private vhost, a store shared by
// every gateway process of the scenario, shared keys, the test's own
// registration system (intake publisher, status queue) and care providers
// (consumers of the provider queues).
type faultEnv struct {
	t        *testing.T
	url      string
	dir      string
	store    string // "sqlite" or "postgres"
	vars     map[string]string
	verifier *signing.Verifier

	status   *statusTracker
	received *inbox
	wg       sync.WaitGroup
}

// newFaultEnv prepares the world on a private vhost of the machine's
// broker; storeKind is "sqlite" or "postgres".
func newFaultEnv(t *testing.T, storeKind string) *faultEnv {
	t.Helper()
	return newFaultEnvAt(t, storeKind, testenv.VHost(t))
}

// newFaultEnvAt prepares the world on the broker at url: the test's
// registration system and care providers connect there, the topology is
// declared there, and the gateways connect there unless started with
// another SLUIS_AMQP_URL (startGatewayWith).
func newFaultEnvAt(t *testing.T, storeKind, url string) *faultEnv {
	t.Helper()
	e := &faultEnv{t: t, url: url, dir: t.TempDir(), store: storeKind}
	keys := filepath.Join(e.dir, "keys")
	key, cert, err := signing.GenerateDevelopment(keys, "sluis")
	if err != nil {
		t.Fatal(err)
	}
	secret := filepath.Join(keys, "client-key.secret")
	if err := os.WriteFile(secret, []byte(strings.Repeat("fa17", 16)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	master := filepath.Join(keys, "archive-master.key")
	if err := archive.GenerateMasterKeyFile(master); err != nil {
		t.Fatal(err)
	}
	if e.verifier, err = signing.LoadVerifier(cert); err != nil {
		t.Fatal(err)
	}
	// The development registries (providers, systems); the keys are the
	// test's own (SLUIS_DEV_KEYS=false).
	e.vars = testenv.WithSettings(testenv.DevSettings(e.dir), map[string]string{
		"SLUIS_AMQP_URL":           e.url,
		testenv.DevBroker:          "true",
		"SLUIS_STORE":              storeKind,
		"SLUIS_SIGNING_KEY":        key,
		"SLUIS_SIGNING_CERT":       cert,
		"SLUIS_DEV_KEYS":           "false",
		"SLUIS_CLIENT_KEY_SECRET":  secret,
		"SLUIS_ARCHIVE_MASTER_KEY": master,
		"SLUIS_LOG_LEVEL":          "info",
	})
	for k, v := range testenv.DevIdentity(t).Env() { // the API serves only mutual TLS
		e.vars[k] = v
	}
	switch storeKind {
	case "sqlite":
		e.vars["SLUIS_SQLITE_PATH"] = filepath.Join(e.dir, "sluis.db")
	case "postgres":
		e.vars["SLUIS_POSTGRES_URL"] = testenv.PostgresDatabase(t, "sluis_fault")
	default:
		t.Fatalf("unknown store %q", storeKind)
	}

	// The topology first, so that the test's status queue can be bound
	// before any disclosure moves.
	if err := app.DeclareTopology(e.url, []string{agbWmo, agbJw}, nil, slog.New(slog.NewTextHandler(io.Discard, nil))); err != nil {
		t.Fatal(err)
	}
	declareStatusQueue(t, e.url)

	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(func() { cancel(); e.wg.Wait() })
	e.status = &statusTracker{byID: map[string]map[string]int{}}
	e.received = &inbox{byMessageID: map[string][]delivery{}}
	e.consume(ctx, statusQueue, e.status.record)
	for _, agb := range []string{agbWmo, agbJw} {
		e.consume(ctx, amqp.ProviderQueue(agb), func(d amqp091.Delivery) { e.received.record(e.verifier, agb, d) })
	}
	return e
}

// statusQueue is the test's durable status queue (it must survive a broker
// restart, or the events published while the test reconnects would be lost).
const statusQueue = "fault.status"

func declareStatusQueue(t *testing.T, url string) {
	t.Helper()
	conn, err := amqp091.Dial(url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ch, err := conn.Channel()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ch.QueueDeclare(statusQueue, true, false, false, false, amqp091.Table{"x-queue-type": "quorum"}); err != nil {
		t.Fatal(err)
	}
	if err := ch.QueueBind(statusQueue, "#", amqp.ExchangeStatus, false, nil); err != nil {
		t.Fatal(err)
	}
}

// consume reads queue until ctx ends, reconnecting when the connection
// drops (a broker restart). Each delivery is acked after handle returns, so
// a delivery whose ack was lost is seen again (counted as a duplicate).
func (e *faultEnv) consume(ctx context.Context, queue string, handle func(amqp091.Delivery)) {
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		for ctx.Err() == nil {
			e.consumeOnce(ctx, queue, handle)
			select {
			case <-ctx.Done():
			case <-time.After(200 * time.Millisecond):
			}
		}
	}()
}

func (e *faultEnv) consumeOnce(ctx context.Context, queue string, handle func(amqp091.Delivery)) {
	conn, err := amqp091.Dial(e.url)
	if err != nil {
		return
	}
	defer conn.Close()
	ch, err := conn.Channel()
	if err != nil {
		return
	}
	if err := ch.Qos(100, 0, false); err != nil {
		return
	}
	ds, err := ch.Consume(queue, "", false, false, false, false, nil)
	if err != nil {
		return
	}
	for {
		select {
		case <-ctx.Done():
			return
		case d, ok := <-ds:
			if !ok {
				return
			}
			handle(d)
			_ = d.Ack(false)
		}
	}
}

// gateway is one `sluis serve` process of the scenario.
type gateway struct {
	*testenv.Process
	addr  string // the API listener (TLS)
	admin string // the admin listener: /healthz, /metrics
}

// startGateway starts a sluis process on the scenario's store and keys with
// its own HTTP port, and waits until /healthz answers 200.
func (e *faultEnv) startGateway(name string) *gateway {
	e.t.Helper()
	return e.startGatewayWith(name, nil)
}

// startGatewayWith is startGateway with some of the scenario's settings
// replaced (e.g. SLUIS_AMQP_URL: another node of a cluster).
func (e *faultEnv) startGatewayWith(name string, over map[string]string) *gateway {
	e.t.Helper()
	g := &gateway{addr: testenv.FreeAddr(e.t), admin: testenv.FreeAddr(e.t)}
	env := []string{"SLUIS_HTTP_ADDR=" + g.addr, "SLUIS_ADMIN_ADDR=" + g.admin}
	for k, v := range testenv.WithSettings(e.vars, over) {
		env = append(env, k+"="+v)
	}
	sort.Strings(env)
	g.Process = testenv.StartProcess(e.t, name, testenv.SluisBinary(e.t), env, "serve")
	g.waitHealthy(e.t)
	return g
}

// restart starts a stopped or killed gateway again with the same
// configuration and waits until it is healthy.
func (g *gateway) restart(t *testing.T) {
	t.Helper()
	if err := g.Start(); err != nil {
		t.Fatal(err)
	}
	g.waitHealthy(t)
}

func (g *gateway) waitHealthy(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	client := &http.Client{Timeout: 2 * time.Second}
	err := g.WaitFor(ctx, 100*time.Millisecond, func() bool {
		resp, err := client.Get("http://" + g.admin + "/healthz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	if err != nil {
		t.Fatalf("gateway did not become healthy: %v\n%s", err, g.Log())
	}
}

// metrics returns the gateway's /metrics text ("" when it cannot be read).
func (g *gateway) metrics() string {
	client := &http.Client{Timeout: 5 * time.Second}
	resp, err := client.Get("http://" + g.admin + "/metrics")
	if err != nil {
		return ""
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return ""
	}
	return string(body)
}

// metric returns the value of an unlabelled metric of the gateway, and
// whether it was there.
func (g *gateway) metric(name string) (float64, bool) {
	for _, line := range strings.Split(g.metrics(), "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			return f, err == nil
		}
	}
	return 0, false
}

// stageMeans reads the gateway's /metrics and returns the mean time of
// each pipeline stage and of a publish confirm so far, e.g. "sign=3.1ms".
// It is a figure for the log, not an assertion.
func (g *gateway) stageMeans() string {
	body := g.metrics()
	if body == "" {
		return "(no metrics)"
	}
	sums, counts := map[string]float64{}, map[string]float64{}
	for _, line := range strings.Split(body, "\n") {
		name, rest, ok := strings.Cut(line, " ")
		if !ok || strings.HasPrefix(line, "#") {
			continue
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(rest), 64)
		if err != nil {
			continue
		}
		for _, family := range []string{"sluis_stage_seconds", "sluis_publish_confirm_seconds"} {
			label := strings.TrimPrefix(family, "sluis_")
			label = strings.TrimSuffix(label, "_seconds")
			if stage, ok := strings.CutPrefix(name, family+`_sum{stage="`); ok {
				sums[strings.TrimSuffix(stage, `"}`)] += v
			} else if stage, ok := strings.CutPrefix(name, family+`_count{stage="`); ok {
				counts[strings.TrimSuffix(stage, `"}`)] += v
			} else if strings.HasPrefix(name, family+"_sum") {
				sums[label] += v
			} else if strings.HasPrefix(name, family+"_count") {
				counts[label] += v
			}
		}
	}
	var parts []string
	for stage, n := range counts {
		if n > 0 {
			parts = append(parts, fmt.Sprintf("%s=%s", stage, time.Duration(sums[stage]/n*float64(time.Second)).Round(10*time.Microsecond)))
		}
	}
	sort.Strings(parts)
	return strings.Join(parts, " ")
}

// request is one disclosure request of the load.
type request struct {
	id, agb string
	body    []byte
}

// makeLoad builds n requests from the contract's examples, alternating iWmo
// (to 42420001) and iJw (to 65656055), with every noQueueEvery-th one
// addressed to an AGB code with no queue. All have a legal_obligation basis
// and valid BSNs, so every one is allowed by screening.
func makeLoad(t *testing.T, n, noQueueEvery int) []request {
	t.Helper()
	wmo, _ := readExample(t, "iwmo-301.json")
	jw, _ := readExample(t, "ijw-301.json")
	out := make([]request, 0, n)
	for i := 0; i < n; i++ {
		m, agb := wmo, agbWmo
		if i%2 == 1 {
			m, agb = jw, agbJw
		}
		if noQueueEvery > 0 && i%noQueueEvery == noQueueEvery-1 {
			agb = agbNoQueue
		}
		m["id"] = watermill.NewUUID()
		m["recipient"] = map[string]any{"agb": agb}
		body, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, request{id: m["id"].(string), agb: agb, body: body})
	}
	return out
}

// publishLoad puts every request on the intake queue, broker-confirmed.
func (e *faultEnv) publishLoad(reqs []request) time.Duration {
	e.t.Helper()
	pub, err := amqp.NewPublisher(amqp.PublisherConfig{URL: e.url, Route: amqp.Route, UserID: amqp.UserOf(e.url)}, watermill.NopLogger{}, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	defer pub.Close()
	began := time.Now()
	const batch = 200
	for i := 0; i < len(reqs); i += batch {
		var msgs []*message.Message
		for _, r := range reqs[i:min(i+batch, len(reqs))] {
			m := message.NewMessage("intake-"+r.id, r.body)
			m.Metadata.Set("content_type", "application/json")
			msgs = append(msgs, m)
		}
		for j, err := range pub.PublishContext(context.Background(), bus.TopicIntake, msgs...) {
			if err != nil {
				e.t.Fatalf("publish request %d to the intake: %v", i+j, err)
			}
		}
	}
	return time.Since(began)
}

// waitUntil polls cond until it holds or settleTimeout passes; what
// describes the wait in the failure.
func (e *faultEnv) waitUntil(what string, cond func() bool) time.Duration {
	e.t.Helper()
	began := time.Now()
	deadline := began.Add(settleTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			e.t.Fatalf("gave up after %s waiting until %s; status events: %s", settleTimeout, what, e.status.summary())
		}
		time.Sleep(50 * time.Millisecond)
	}
	return time.Since(began)
}

// stallTimeout is how long waitSettled waits without any disclosure
// settling before it looks into the store and gives up.
const stallTimeout = 60 * time.Second

// waitSettled waits until every disclosure of ids had a status event of a
// final or waiting state. When nothing settles for stallTimeout (or the
// gateways all exited), it fails and names the disclosures that are stuck,
// with their stored states.
func (e *faultEnv) waitSettled(all []string, gws ...*gateway) time.Duration {
	e.t.Helper()
	began := time.Now()
	last, lastAt := -1, time.Now()
	for {
		n := e.status.settled(all)
		if n == len(all) {
			return time.Since(began)
		}
		running := false
		for _, g := range gws {
			running = running || g.Running()
		}
		if n != last {
			last, lastAt = n, time.Now()
		}
		if time.Since(lastAt) > stallTimeout || time.Since(began) > settleTimeout || !running {
			e.t.Fatalf("%d of %d disclosures settled, none more for %s (gateway running: %v); status events: %s; stuck: %s",
				n, len(all), time.Since(lastAt).Round(time.Second), running, e.status.summary(), e.stuck(all))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// stuck describes (up to 10 of) the disclosures with no settled status
// event, with their state in the store.
func (e *faultEnv) stuck(all []string) string {
	st := e.openStore()
	defer st.Close()
	var b strings.Builder
	shown := 0
	for _, id := range all {
		settled := false
		for s := range e.status.statesOf(id) {
			settled = settled || settledStates[s]
		}
		if settled {
			continue
		}
		if shown == 10 {
			b.WriteString(" ...")
			break
		}
		shown++
		rec, err := st.Get(context.Background(), id)
		if err != nil {
			fmt.Fprintf(&b, " %s: %v;", id, err)
			continue
		}
		fmt.Fprintf(&b, " %s: %s since %s;", id, rec.State, rec.At[rec.State].Format(time.RFC3339Nano))
	}
	fmt.Fprintf(&b, " intake queue %d ready, dead-letter queue %d", e.queueDepth(amqp.QueueDisclosures), e.queueDepth(amqp.QueueDead))
	return b.String()
}

// queueDepth returns the ready messages of a queue.
func (e *faultEnv) queueDepth(queue string) int {
	e.t.Helper()
	conn, err := amqp091.Dial(e.url)
	if err != nil {
		e.t.Fatal(err)
	}
	defer conn.Close()
	ch, err := conn.Channel()
	if err != nil {
		e.t.Fatal(err)
	}
	q, err := ch.QueueDeclarePassive(queue, true, false, false, false, nil)
	if err != nil {
		e.t.Fatalf("inspect queue %s: %v", queue, err)
	}
	return q.Messages
}

// openStore opens the scenario's store in the test process (after the
// gateways stopped, or next to them: both stores allow several processes).
func (e *faultEnv) openStore() app.Store {
	e.t.Helper()
	vars := map[string]string{"SLUIS_AMQP_URL": e.url}
	for k, v := range e.vars {
		vars[k] = v
	}
	cfg, err := config.Parse(vars)
	if err != nil {
		e.t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	st, err := app.OpenStore(ctx, cfg)
	if err != nil {
		e.t.Fatalf("open the store: %v", err)
	}
	return st
}

// countStates counts the store's records by state.
func (e *faultEnv) countStates() map[receipts.State]int64 {
	e.t.Helper()
	st := e.openStore()
	defer st.Close()
	counts, err := st.CountByState(context.Background())
	if err != nil {
		e.t.Fatal(err)
	}
	return counts
}

// inFlightNow returns the disclosures the store holds in a state that is
// neither final nor waiting (received, allowed, published), with that state.
func (e *faultEnv) inFlightNow() map[string]receipts.State {
	e.t.Helper()
	st := e.openStore()
	defer st.Close()
	out := map[string]receipts.State{}
	for _, s := range []receipts.State{receipts.Received, receipts.Allowed, receipts.Published} {
		recs, err := st.InState(context.Background(), s, time.Now().Add(time.Hour), 100000)
		if err != nil {
			e.t.Fatal(err)
		}
		for _, r := range recs {
			out[r.DisclosureID] = s
		}
	}
	return out
}

// resumed checks that every disclosure in flight at a fault settled
// afterwards, and describes them: how many per state at the fault, and how
// many of the published ones reached their provider more than once.
func (e *faultEnv) resumed(at map[string]receipts.State) string {
	e.t.Helper()
	st := e.openStore()
	defer st.Close()
	inbox, _, _ := e.received.snapshot()
	byState := map[receipts.State]int{}
	twice := 0
	for id, s := range at {
		byState[s]++
		rec, err := st.Get(context.Background(), id)
		if err != nil {
			e.t.Errorf("disclosure %s, %s at the fault: %v", id, s, err)
			continue
		}
		if !settledStates[string(rec.State)] {
			e.t.Errorf("disclosure %s, %s at the fault, did not resume: still %s", id, s, rec.State)
		}
		if s == receipts.Published && len(inbox[rec.MessageID]) > 1 {
			twice++
		}
	}
	return fmt.Sprintf("%d in flight at the fault (%v) all resumed and settled; %d of the published ones reached their provider twice (same MessageID and Identificatie)",
		len(at), byState, twice)
}

// statusTracker keeps every status event the test's registration system
// received, per disclosure and state (with how often it came).
type statusTracker struct {
	mu        sync.Mutex
	byID      map[string]map[string]int
	events    int
	malformed int
	noID      int
}

// settledStates are the states a disclosure may rest in: final or waiting.
var settledStates = map[string]bool{
	string(receipts.Delivered): true, string(receipts.Failed): true, string(receipts.Refused): true,
	string(receipts.Invalid): true, string(receipts.Accepted): true, string(receipts.Rejected): true,
	string(receipts.Overdue): true,
}

func (s *statusTracker) record(d amqp091.Delivery) {
	ev, err := bus.Parse(d.Body)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.events++
	switch {
	case err != nil:
		s.malformed++
	case ev.DisclosureID == "":
		s.noID++
	default:
		if s.byID[ev.DisclosureID] == nil {
			s.byID[ev.DisclosureID] = map[string]int{}
		}
		s.byID[ev.DisclosureID][ev.State]++
	}
}

// count returns how many of ids have had an event in one of states.
func (s *statusTracker) count(ids []string, states ...string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, id := range ids {
		for _, st := range states {
			if s.byID[id][st] > 0 {
				n++
				break
			}
		}
	}
	return n
}

// settled returns how many of ids have had an event of a final or waiting
// state.
func (s *statusTracker) settled(ids []string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, id := range ids {
		for st := range s.byID[id] {
			if settledStates[st] {
				n++
				break
			}
		}
	}
	return n
}

// statesOf returns the states disclosure id had events for.
func (s *statusTracker) statesOf(id string) map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]int{}
	for k, v := range s.byID[id] {
		out[k] = v
	}
	return out
}

// repeats counts events received more than once (same disclosure, same
// state): status events are at-least-once.
func (s *statusTracker) repeats() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, states := range s.byID {
		for _, c := range states {
			n += c - 1
		}
	}
	return n
}

func (s *statusTracker) summary() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	latest := map[string]int{}
	for _, states := range s.byID {
		for st := range states {
			latest[st]++
		}
	}
	return fmt.Sprintf("%d events, %d disclosures, by state reached %v, malformed %d, without id %d",
		s.events, len(s.byID), latest, s.malformed, s.noID)
}

// delivery is what a care provider saw of one message.
type delivery struct {
	queueAGB      string // the queue it came from
	amqpID        string // AMQP message-id property
	messageID     string // envelope MessageID (signed)
	messageType   string
	sender        string
	recipient     string
	identificatie string // Bericht Header/BerichtIdentificatie/Identificatie
	redelivered   bool
}

// inbox collects the providers' messages by envelope MessageID.
type inbox struct {
	mu          sync.Mutex
	byMessageID map[string][]delivery
	total       int
	bad         []string // messages that failed verification or parsing (no content)
}

func (b *inbox) record(v *signing.Verifier, agb string, d amqp091.Delivery) {
	got := delivery{queueAGB: agb, amqpID: d.MessageId, redelivered: d.Redelivered}
	opened, err := v.Open(d.Body)
	var problem string
	if err != nil {
		problem = fmt.Sprintf("message %s in queue of %s does not verify: %v", d.MessageId, agb, err)
	} else {
		got.messageID = opened.Meta.MessageID
		got.messageType = opened.Meta.MessageType
		got.sender = opened.Meta.Sender
		got.recipient = opened.Meta.Recipient
		m, err := messages.Parse(opened.Bericht)
		if err != nil {
			problem = fmt.Sprintf("message %s: Bericht does not parse: %v", d.MessageId, err)
		} else {
			got.identificatie = m.Head().BerichtIdentificatie.Identificatie
		}
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.total++
	if problem != "" {
		b.bad = append(b.bad, problem)
		return
	}
	b.byMessageID[got.messageID] = append(b.byMessageID[got.messageID], got)
}

func (b *inbox) has(messageID string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.byMessageID[messageID]) > 0
}

func (b *inbox) snapshot() (map[string][]delivery, int, []string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make(map[string][]delivery, len(b.byMessageID))
	for k, v := range b.byMessageID {
		out[k] = append([]delivery(nil), v...)
	}
	return out, b.total, append([]string(nil), b.bad...)
}

// outcome is what checkOutcome found, for the test's figures.
type outcome struct {
	delivered, failed int
	messages          int // messages the providers received
	duplicates        int // of which repeats of a message already received (same MessageID and Identificatie)
	statusRepeats     int
	ledgerEntries     int
}

// checkOutcome is the acceptance, against the store (the truth)
// after every gateway stopped, the providers' inboxes and the status events:
//
//   - every request has exactly one record, and no other record exists;
//   - each is in a final or waiting state: delivered for the providers with
//     a queue, failed with reason "recipient not connected" (and never
//     delivered) for the AGB with no queue;
//   - every delivered disclosure's message reached its provider, and every
//     message a provider received belongs to exactly one disclosure and
//     carries that disclosure's Identificatie (copies with the same
//     MessageID and Identificatie are allowed: at-least-once);
//   - Identificaties are unique per (gemeente, message type);
//   - the status events agree with the store (no disclosure announced both
//     delivered and failed);
//   - the ledger's hash chain verifies, and each disclosure's state entries
//     are one life from received to its stored state, each move allowed
//     (no state entered twice);
//   - nothing was dead-lettered and the intake queue is empty.
func (e *faultEnv) checkOutcome(reqs []request) outcome {
	t := e.t
	t.Helper()
	ctx := context.Background()
	st := e.openStore()
	defer st.Close()

	var out outcome
	recs := make(map[string]receipts.Record, len(reqs))
	byMessageID := map[string]string{}
	byIdent := map[string]string{}
	errorsLeft := 20
	fail := func(format string, args ...any) {
		t.Helper()
		if errorsLeft > 0 {
			t.Errorf(format, args...)
		}
		errorsLeft--
	}
	for _, r := range reqs {
		rec, err := st.Get(ctx, r.id)
		if err != nil {
			fail("disclosure %s (to %s) missing from the store: %v", r.id, r.agb, err)
			continue
		}
		recs[r.id] = rec
		if !settledStates[string(rec.State)] {
			fail("disclosure %s stuck in %s (times %v)", r.id, rec.State, rec.At)
			continue
		}
		if prev, dup := byMessageID[rec.MessageID]; dup {
			fail("disclosures %s and %s share MessageID %s", prev, r.id, rec.MessageID)
		}
		byMessageID[rec.MessageID] = r.id
		key := rec.Municipality + "/" + rec.MessageType + "/" + rec.Identificatie
		if prev, dup := byIdent[key]; dup {
			fail("disclosures %s and %s share Identificatie %s", prev, r.id, key)
		}
		byIdent[key] = r.id

		if r.agb == agbNoQueue {
			if rec.State != receipts.Failed || rec.Reason != pipeline.ReasonNotConnected || !rec.At[receipts.Delivered].IsZero() {
				fail("disclosure %s to the AGB with no queue: state %s, reason %q, delivered at %v; want failed, %q, never delivered",
					r.id, rec.State, rec.Reason, rec.At[receipts.Delivered], pipeline.ReasonNotConnected)
			}
			out.failed++
		} else {
			if rec.State != receipts.Delivered {
				fail("disclosure %s to %s: state %s (reason %q), want delivered", r.id, r.agb, rec.State, rec.Reason)
			}
			out.delivered++
		}

		// The status events tell the same story as the store.
		seen := e.status.statesOf(r.id)
		for s := range seen {
			if settledStates[s] && s != string(rec.State) {
				fail("disclosure %s: status event %s, but the store says %s", r.id, s, rec.State)
			}
		}
		if seen[string(rec.State)] == 0 {
			fail("disclosure %s: no status event for its state %s", r.id, rec.State)
		}
	}
	counts, err := st.CountByState(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var total int64
	for _, n := range counts {
		total += n
	}
	if total != int64(len(reqs)) {
		fail("the store holds %d disclosures (%v), %d were sent", total, counts, len(reqs))
	}

	// Every delivered disclosure's message reaches its provider.
	e.waitUntil("every delivered message reached its provider", func() bool {
		for _, rec := range recs {
			if rec.State == receipts.Delivered && !e.received.has(rec.MessageID) {
				return false
			}
		}
		return true
	})
	inbox, n, bad := e.received.snapshot()
	out.messages = n
	for _, b := range bad {
		fail("%s", b)
	}
	for mid, ds := range inbox {
		id, ok := byMessageID[mid]
		if !ok {
			fail("a provider received message %s (Identificatie %s) that belongs to no disclosure", mid, ds[0].identificatie)
			continue
		}
		rec := recs[id]
		for _, d := range ds {
			if d.identificatie != rec.Identificatie || d.messageType != rec.MessageType || d.sender != rec.Municipality {
				fail("disclosure %s: provider received Identificatie %s %s from %s, the store says %s %s from %s",
					id, d.messageType, d.identificatie, d.sender, rec.MessageType, rec.Identificatie, rec.Municipality)
			}
			if d.queueAGB != rec.Recipient || d.recipient != rec.Recipient || d.amqpID != mid {
				fail("disclosure %s: message in the queue of %s for %s with AMQP id %s; want %s, id %s",
					id, d.queueAGB, d.recipient, d.amqpID, rec.Recipient, mid)
			}
		}
		if rec.State != receipts.Delivered {
			fail("disclosure %s is %s, but its provider received it", id, rec.State)
		}
		out.duplicates += len(ds) - 1
	}

	// The ledger's hash chain holds after the faults, and it records each
	// disclosure's life once: every state at most once, in allowed order,
	// ending in the stored state.
	var entries []ledger.Entry
	for from := int64(1); ; {
		page, err := st.Entries(ctx, from, 5000)
		if err != nil {
			t.Fatal(err)
		}
		entries = append(entries, page...)
		if len(page) < 5000 {
			break
		}
		from = page[len(page)-1].Seq + 1
	}
	if err := ledger.Verify(entries); err != nil {
		fail("ledger after the faults: %v", err)
	}
	out.ledgerEntries = len(entries)
	lives := map[string][]receipts.State{}
	for _, en := range entries {
		if to, ok := strings.CutPrefix(en.Event, "state:"); ok {
			lives[en.DisclosureID] = append(lives[en.DisclosureID], receipts.State(to))
		}
	}
	for id, rec := range recs {
		life := lives[id]
		if len(life) == 0 || life[0] != receipts.Received || life[len(life)-1] != rec.State {
			fail("disclosure %s: ledger life %v, store state %s", id, life, rec.State)
			continue
		}
		for i := 1; i < len(life); i++ {
			if !receipts.CanMove(life[i-1], life[i]) {
				fail("disclosure %s: ledger life %v moves %s to %s", id, life, life[i-1], life[i])
			}
		}
	}
	if len(lives) != len(recs) {
		fail("the ledger has state entries for %d disclosures, the store %d records", len(lives), len(recs))
	}

	if n := e.queueDepth(amqp.QueueDead); n != 0 {
		fail("%d messages were dead-lettered", n)
	}
	if n := e.queueDepth(amqp.QueueDisclosures); n != 0 {
		fail("%d requests left in the intake queue", n)
	}
	e.status.mu.Lock()
	if e.status.malformed+e.status.noID > 0 {
		fail("%d malformed status events, %d without a disclosure id", e.status.malformed, e.status.noID)
	}
	e.status.mu.Unlock()
	out.statusRepeats = e.status.repeats()
	if errorsLeft < 0 {
		t.Errorf("... and %d more problems", -errorsLeft)
	}
	return out
}

func ids(reqs []request) []string {
	out := make([]string, len(reqs))
	for i, r := range reqs {
		out[i] = r.id
	}
	return out
}

// metricOr renders an unlabelled metric for the log, "?" when missing.
func (g *gateway) metricOr(name string) string {
	if v, ok := g.metric(name); ok {
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	return "?"
}

// assertLogClean checks a gateway's whole output (every run, the faults
// included: errors while the broker was away, redeliveries) for the
// examples' personal data, as assertNoPersonalData does for the in-process
// tests, without printing the (long) log.
func assertLogClean(t *testing.T, g *gateway) {
	t.Helper()
	log := g.Log()
	for _, secret := range []string{"999900006", "999900018", "Bakker", "1967-08-13", "2014-02-14", "Kerklaan", "9999XX"} {
		if n := strings.Count(log, secret); n > 0 {
			t.Errorf("the output of %s contains personal data %q (%d times)", g.Name(), secret, n)
		}
	}
}
