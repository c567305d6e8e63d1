package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"testing"
	"time"

	amqp091 "github.com/rabbitmq/amqp091-go"

	"github.com/sluis-gateway/sluis/adapters/amqp"
	"github.com/sluis-gateway/sluis/cmd/sluis/cli"
	"github.com/sluis-gateway/sluis/internal/app"
	"github.com/sluis-gateway/sluis/internal/bus"
	"github.com/sluis-gateway/sluis/internal/receipts"
	"github.com/sluis-gateway/sluis/internal/testenv"
)

// quiet is how long a test listens for events or messages that must not
// come, after what must come has come.
const quiet = 3 * time.Second

// eventsOf returns every status event of disclosure id, in arrival order:
// those waitState put aside, then whatever arrives within quiet. Events of
// other ids are put aside.
func (h *harness) eventsOf(id string) []bus.Event {
	h.t.Helper()
	return h.eventsOfAll(id)[id]
}

// eventsOfAll is eventsOf for several ids, listening once.
func (h *harness) eventsOfAll(ids ...string) map[string][]bus.Event {
	h.t.Helper()
	out := map[string][]bus.Event{}
	for _, id := range ids {
		out[id] = h.pending[id]
		delete(h.pending, id)
	}
	timeout := time.After(quiet)
	for {
		select {
		case d := <-h.events:
			ev, err := bus.Parse(d.Body)
			if err != nil {
				h.t.Fatalf("bad status event: %v", err)
			}
			if _, ok := out[ev.DisclosureID]; ok {
				out[ev.DisclosureID] = append(out[ev.DisclosureID], ev)
				continue
			}
			h.pending[ev.DisclosureID] = append(h.pending[ev.DisclosureID], ev)
		case <-timeout:
			return out
		}
	}
}

// drain takes every message from agb's queue until none comes for quiet,
// counting them by AMQP message id.
func (h *harness) drain(agb string) map[string]int {
	h.t.Helper()
	ch, err := h.conn.Channel()
	if err != nil {
		h.t.Fatal(err)
	}
	defer ch.Close()
	got := map[string]int{}
	last := time.Now()
	for time.Since(last) < quiet {
		d, ok, err := ch.Get(amqp.ProviderQueue(agb), true)
		if err != nil {
			h.t.Fatal(err)
		}
		if !ok {
			time.Sleep(50 * time.Millisecond)
			continue
		}
		got[d.MessageId]++
		last = time.Now()
	}
	return got
}

// withID is the iWmo example under id, with decision reference ref ("" keeps
// the example's).
func withID(t *testing.T, id, ref string) []byte {
	t.Helper()
	m, _ := readExample(t, "iwmo-301.json")
	m["id"] = id
	if ref != "" {
		m["legal_basis"].(map[string]any)["decision_ref"] = ref
	}
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// checkOnce asserts one status event per state of path for id, in order,
// with sequences 1, 2, 3, ...
func checkOnce(t *testing.T, id string, evs []bus.Event, path ...string) {
	t.Helper()
	var states []string
	for i, ev := range evs {
		states = append(states, ev.State)
		if ev.Sequence != int64(i+1) {
			t.Errorf("%s: event %d (%s) has sequence %d, want %d", id, i, ev.State, ev.Sequence, i+1)
		}
	}
	if fmt.Sprint(states) != fmt.Sprint(path) {
		t.Fatalf("%s: status events %v, want each of %v once, in order", id, states, path)
	}
}

// sendCopies sends body three times at once: POST to each of apis (one
// client each) and one AMQP publish, as a sender that retries at once.
func (h *harness) sendCopies(body []byte, apis ...string) {
	h.t.Helper()
	var wg sync.WaitGroup
	codes := make([]int, len(apis))
	for i, api := range apis {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := h.client.Post(api+"/v1/disclosures", "application/json", bytes.NewReader(body))
			if err != nil {
				h.t.Error(err)
				return
			}
			resp.Body.Close()
			codes[i] = resp.StatusCode
		}()
	}
	h.send(body)
	wg.Wait()
	for _, c := range codes {
		if c != http.StatusAccepted {
			h.t.Fatalf("POST answered %d, want 202", c)
		}
	}
}

// TestEndToEndCopiesBackToBack: POST, POST and one AMQP publish of the
// same request at once make exactly one provider message and one status
// event per state, sequences strictly increasing, for every id.
func TestEndToEndCopiesBackToBack(t *testing.T) {
	h := start(t)
	api := "https://" + h.gw.HTTPAddr
	ids := make([]string, 10)
	for i := range ids {
		ids[i] = fmt.Sprintf("d0c0ffee-0000-4000-8000-%012d", i)
		h.sendCopies(withID(t, ids[i], ""), api, api)
	}
	checkCopies(t, h, ids)
}

// TestEndToEndCopiesTwoGateways: the same on two gateways sharing one
// PostgreSQL database and one broker: the copies are spread over both.
func TestEndToEndCopiesTwoGateways(t *testing.T) {
	h := &harness{t: t, url: testenv.VHost(t), logs: &syncBuffer{}, pending: map[string][]bus.Event{}}
	h.configure(t.TempDir())
	h.cfg.Store = "postgres"
	h.cfg.PostgresURL = testenv.PostgresSchema(t)
	h.startGateway()
	h.listen()
	// The second gateway: the same configuration (keys, secret, broker,
	// database), its own listeners.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	second, err := app.Start(ctx, h.cfg, slog.New(slog.NewTextHandler(h.logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { second.Stop(context.Background()) })

	ids := make([]string, 10)
	for i := range ids {
		ids[i] = fmt.Sprintf("d0c0ffee-1111-4000-8000-%012d", i)
		h.sendCopies(withID(t, ids[i], ""), "https://"+h.gw.HTTPAddr, "https://"+second.HTTPAddr)
	}
	checkCopies(t, h, ids)
}

func checkCopies(t *testing.T, h *harness, ids []string) {
	t.Helper()
	messageIDs := map[string]string{}
	for _, id := range ids {
		ev := h.waitState(id, "delivered")
		messageIDs[id] = ev.MessageID
		// waitState took delivered out; put it back after the events
		// that came before it.
		h.pending[id] = append(h.pending[id], ev)
	}
	got := h.drain("42420001")
	for _, id := range ids {
		if n := got[messageIDs[id]]; n != 1 {
			t.Errorf("%s: %d provider messages, want 1", id, n)
		}
		delete(got, messageIDs[id])
	}
	if len(got) > 0 {
		t.Errorf("other provider messages: %v", got)
	}
	all := h.eventsOfAll(ids...)
	for _, id := range ids {
		checkOnce(t, id, all[id], "received", "allowed", "published", "delivered")
	}
}

// TestEndToEndIDConflict: another request under a used id gets 409 over
// HTTP and an invalid event about itself over AMQP; the original's
// receipt, events and ledger trail are untouched either way.
func TestEndToEndIDConflict(t *testing.T) {
	h := start(t)
	const id = "c0ff11c7-0000-4000-8000-000000000001"
	original := withID(t, id, "")
	if code, _ := h.post(h.client, "application/json", original); code != http.StatusAccepted {
		t.Fatalf("POST answered %d", code)
	}
	// At once, before the pipeline took the first: 409, not 202.
	code, body := h.post(h.client, "application/json", withID(t, id, "besluit-2026-0099"))
	if code != http.StatusConflict || body["field"] != "id" || body["error"] == nil {
		t.Fatalf("conflicting POST answered %d %v, want 409 naming the id", code, body)
	}
	delivered := h.waitState(id, "delivered")
	checkOnce(t, id, append(h.pending[id], delivered), "received", "allowed", "published", "delivered")
	delete(h.pending, id)
	before, err := h.gw.Store.Get(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	trail, err := h.gw.Store.EntriesFor(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}

	// Over AMQP: an invalid event about the new request.
	h.send(withID(t, id, "besluit-2026-0098"))
	ev := h.waitState(id, "invalid")
	if ev.Sequence != 0 || ev.Identificatie != "" || ev.MessageID != "" || len(ev.Problems) != 1 || ev.Problems[0].Rule != "idempotency" {
		t.Fatalf("conflict event %+v", ev)
	}
	// Another POST of a different request after delivery: 409 again.
	if code, _ := h.post(h.client, "application/json", withID(t, id, "besluit-2026-0097")); code != http.StatusConflict {
		t.Fatalf("conflicting POST after delivery answered %d", code)
	}
	// The same request again: 202, and nothing more happens.
	if code, _ := h.post(h.client, "application/json", original); code != http.StatusAccepted {
		t.Fatalf("repeated POST answered %d", code)
	}

	if evs := h.eventsOf(id); len(evs) != 0 {
		t.Fatalf("more events of the original: %+v", evs)
	}
	after, err := h.gw.Store.Get(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if after.State != receipts.Delivered || after.Sequence != before.Sequence || !after.UpdatedAt.Equal(before.UpdatedAt) {
		t.Fatalf("the original changed: %s seq %d -> %s seq %d", before.State, before.Sequence, after.State, after.Sequence)
	}
	trailAfter, err := h.gw.Store.EntriesFor(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if len(trailAfter) != len(trail) {
		t.Fatalf("the original's ledger trail grew from %d to %d entries", len(trail), len(trailAfter))
	}
	conflicts := 0
	for _, e := range h.ledgerEvents("intake:invalid") {
		if e.Detail["request_id"] == id && e.Detail["rule"] == "idempotency" && e.DisclosureID == "" {
			conflicts++
		}
	}
	if conflicts != 3 {
		t.Fatalf("%d conflict entries filed under no disclosure, want 3", conflicts)
	}
	if n := h.drain("42420001"); len(n) != 1 {
		t.Fatalf("provider messages %v, want the original's only", n)
	}
	if http, amqp := h.counter("sluis_disclosure_invalid_total", "channel", "http"), h.counter("sluis_disclosure_invalid_total", "channel", "amqp"); http != 2 || amqp != 1 {
		t.Fatalf("invalid counted http %v amqp %v, want 2 and 1", http, amqp)
	}
}

// TestEndToEndInvalidFlood: 1,000 invalid requests (half over HTTP, half
// over AMQP) add a bounded number of ledger entries and are all counted,
// per channel.
func TestEndToEndInvalidFlood(t *testing.T) {
	h := start(t)
	const n = 500
	before := len(h.ledgerEvents("intake:invalid")) + len(h.ledgerEvents("intake:invalid_overflow"))
	for i := 0; i < n; i++ {
		garbage := []byte(fmt.Sprintf(`{"id":"junk-%d","sender":{"municipality":"%04d","system":"regsys-demo"},"standard":`, i, i))
		if code, _ := h.post(h.client, "application/json", garbage); code != http.StatusBadRequest {
			t.Fatalf("POST %d answered %d", i, code)
		}
		h.send(garbage)
	}
	deadline := time.Now().Add(2 * time.Minute)
	for h.counter("sluis_disclosure_invalid_total", "channel", "amqp") < n && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	if got := h.counter("sluis_disclosure_invalid_total", "channel", "http"); got != n {
		t.Errorf("http invalid counted %v, want %d", got, n)
	}
	if got := h.counter("sluis_disclosure_invalid_total", "channel", "amqp"); got != n {
		t.Errorf("amqp invalid counted %v, want %d", got, n)
	}
	added := len(h.ledgerEvents("intake:invalid")) + len(h.ledgerEvents("intake:invalid_overflow")) - before
	// One principal (regsys-demo, over both channels): at most the
	// recorded ones and one overflow entry per hour; the run may cross an
	// hour boundary.
	if bound := 2 * (receipts.InvalidRecordedPerWindow + 1); added > bound || added < receipts.InvalidRecordedPerWindow {
		t.Fatalf("%d invalid requests added %d ledger entries, want between %d and %d",
			2*n, added, receipts.InvalidRecordedPerWindow, bound)
	}
	total, err := h.gw.Store.InvalidCount(context.Background(), "system:regsys-demo", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	prev, err := h.gw.Store.InvalidCount(context.Background(), "system:regsys-demo", time.Now().Add(-receipts.InvalidWindow))
	if err != nil {
		t.Fatal(err)
	}
	if total+prev != 2*n {
		t.Fatalf("the store counted %d invalid requests, want %d", total+prev, 2*n)
	}
}

// TestEndToEndReplayedRetour: a verbatim replay of a recorded retour is
// acked without a status event and counted as a duplicate.
func TestEndToEndReplayedRetour(t *testing.T) {
	h := start(t)
	// A copy of every retour the provider publishes.
	_, ch := testenv.Channel(t, h.url)
	copies := testenv.Tap(t, ch, amqp.ExchangeRetour, "42420001")

	var out bytes.Buffer
	done := make(chan error, 1)
	go func() {
		done <- cli.RunProvider(context.Background(), &out, cli.ProviderConfig{
			AMQPURL: h.url, AGB: "42420001", Trusted: []string{h.cfg.SigningCert}, Count: 1,
			Timeout: time.Minute, Answer: "accept", DevDir: h.cfg.DevProvidersDir,
		})
	}()
	const id = "7e7e7e7e-0000-4000-8000-000000000001"
	h.send(withID(t, id, ""))
	accepted := h.waitState(id, "accepted")
	if err := <-done; err != nil {
		t.Fatalf("provider: %v\n%s", err, out.String())
	}
	if accepted.Sequence != 5 {
		t.Fatalf("accepted has sequence %d, want 5", accepted.Sequence)
	}
	retour := testenv.Next(t, copies, "the provider's retour")
	h.pending[id] = nil // received .. delivered were seen

	const replays = 3
	for i := 0; i < replays; i++ {
		if err := ch.Publish(amqp.ExchangeRetour, "42420001", false, false, amqp091.Publishing{
			Body: retour.Body, ContentType: retour.ContentType, UserId: retour.UserId,
			MessageId: retour.MessageId, DeliveryMode: amqp091.Persistent,
		}); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(time.Minute)
	for h.counter("sluis_retours_total", "outcome", "duplicate") < replays && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	if got := h.counter("sluis_retours_total", "outcome", "duplicate"); got != replays {
		t.Fatalf("duplicates counted %v, want %d", got, replays)
	}
	if evs := h.eventsOf(id); len(evs) != 0 {
		t.Fatalf("a replayed retour announced %+v", evs)
	}
	rec, err := h.gw.Store.Get(context.Background(), id)
	if err != nil || rec.State != receipts.Accepted || rec.Sequence != 5 || rec.Announced != 5 {
		t.Fatalf("record %+v, %v", rec, err)
	}
}
