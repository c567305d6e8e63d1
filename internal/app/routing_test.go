package app

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os/exec"
	"strconv"
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
	"github.com/sluis-gateway/sluis/internal/bus"
	"github.com/sluis-gateway/sluis/internal/logctx"
	"github.com/sluis-gateway/sluis/internal/retour"
	"github.com/sluis-gateway/sluis/internal/testenv"
)

// TestDeliveryLimitWithoutPolicies: in a vhost whose policies were removed
// (no dead-lettering, no delivery-limit on the broker), a message that its
// handler always fails is delivered amqp.DeliveryLimit times, then parked
// by the gateway on sluis.dead as a summary without its body, and
// acknowledged: it never loops for ever.
func TestDeliveryLimitWithoutPolicies(t *testing.T) {
	vh := testenv.VHost(t)
	vhost := vh[strings.LastIndex(vh, "/")+1:]
	for _, p := range []string{"sluis-intake", "sluis-retours", "sluis-provider", "sluis-dead-retention"} {
		if out, err := exec.Command("rabbitmqctl", "-q", "clear_policy", "-p", vhost, p).CombinedOutput(); err != nil {
			t.Fatalf("clear_policy %s: %v\n%s", p, err, out)
		}
	}
	_, ch := testenv.Channel(t, vh)
	if err := (amqp.Topology{}).Declare(ch); err != nil {
		t.Fatal(err)
	}
	body := []byte(`{"bsn":"999900006","poison":true}`)
	if err := ch.Publish("", amqp.QueueDisclosures, false, false, amqp091.Publishing{MessageId: "poison-1", Body: body, ContentType: "application/json"}); err != nil {
		t.Fatal(err)
	}
	dead := testenv.Tap(t, ch, amqp.ExchangeDead, "")

	pub, err := amqp.NewPublisher(amqp.PublisherConfig{URL: vh, Route: amqp.Route}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = pub.Close() })
	conns, err := amqp.NewConsumers(vh, "test-consumers", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conns.Close() })
	sub, err := conns.Subscriber(amqp.QueueDisclosures, 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	r, err := message.NewRouter(message.RouterConfig{}, watermill.NopLogger{})
	if err != nil {
		t.Fatal(err)
	}
	deadLetters := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "sluis_dead_letters_total", Help: "h"}, []string{"queue", "reason"})
	var handled atomic.Int64
	r.AddConsumerHandler("poison", amqp.QueueDisclosures, sub, func(*message.Message) error {
		handled.Add(1)
		return errors.New("always fails")
	}).AddMiddleware(deliveryLimit(amqp.QueueDisclosures, pub, deadLetters, slog.New(slog.NewTextHandler(io.Discard, nil))))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })

	d := testenv.Next(t, dead, "the parked poison message")
	if strings.Contains(string(d.Body), "999900006") || strings.Contains(string(d.Body), "poison\":true") {
		t.Fatalf("the dead letter holds the body: %s", d.Body)
	}
	var p retour.Parked
	if err := json.Unmarshal(d.Body, &p); err != nil {
		t.Fatalf("dead letter %s: %v", d.Body, err)
	}
	if p.Reason != ReasonDeliveryLimit || p.Kind != "disclosure" || p.Source != amqp.QueueDisclosures ||
		p.MessageID != "poison-1" || p.Size != len(body) || len(p.SHA256) != 64 {
		t.Fatalf("summary %+v", p)
	}
	if d.Headers[retour.HeaderParkReason] != string(ReasonDeliveryLimit) {
		t.Fatalf("headers %v", d.Headers)
	}
	if n := handled.Load(); n != int64(amqp.DeliveryLimit) {
		t.Fatalf("handled %d times, want %d (then parked)", n, amqp.DeliveryLimit)
	}
	// Counted once the summary is confirmed, which may be just after the
	// test took it from sluis.dead.
	for until := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		got := testutil.ToFloat64(deadLetters.WithLabelValues(amqp.QueueDisclosures, string(ReasonDeliveryLimit)))
		if got == 1 {
			break
		}
		if time.Now().After(until) {
			t.Fatalf("sluis_dead_letters_total %v, want 1", got)
		}
	}
	// Acknowledged: the queue is empty (counts settle after the ack).
	deadline := time.Now().Add(30 * time.Second)
	for {
		q, err := ch.QueueDeclarePassive(amqp.QueueDisclosures, true, false, false, false, nil)
		if err != nil {
			t.Fatal(err)
		}
		if q.Messages == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s still holds %d messages", amqp.QueueDisclosures, q.Messages)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestOneProvidersFloodDoesNotDelayAnother: provider A floods its retour
// queue and every one of its retours is stuck in the handler; provider B's
// one retour, published after the whole flood, is still handled while A's
// flood is stuck (with one shared retour queue it would wait behind all of
// A's). Then A's flood is let through and every retour is handled once.
// Asserted by counts and order, never by timings.
func TestOneProvidersFloodDoesNotDelayAnother(t *testing.T) {
	const agbA, agbB, flood = "42420001", "65656055", 50
	vh := testenv.VHost(t)
	_, ch := testenv.Channel(t, vh)
	if err := (amqp.Topology{Providers: []string{agbA, agbB}}).Declare(ch); err != nil {
		t.Fatal(err)
	}
	conns, err := amqp.NewConsumers(vh, "test-consumers", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conns.Close() })
	pub, err := amqp.NewPublisher(amqp.PublisherConfig{URL: vh, Route: amqp.RouteTo(amqp.ExchangeRetour)}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = pub.Close() })

	gate := make(chan struct{}) // A's retours wait here until B's was handled
	var mu sync.Mutex
	var order []string
	handledB := make(chan struct{})
	hs, err := retourHandlers([]string{agbA, agbB}, func(agb string) (message.NoPublishHandlerFunc, error) {
		return func(msg *message.Message) error {
			if agb == agbA {
				<-gate
			}
			mu.Lock()
			order = append(order, msg.UUID)
			mu.Unlock()
			if agb == agbB {
				close(handledB)
			}
			return nil
		}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	r, _, err := newRouter(conns, 4, pub, prometheus.NewRegistry(), watermill.NopLogger{}, slog.New(slog.NewTextHandler(io.Discard, nil)), hs...)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	released := false
	t.Cleanup(func() {
		if !released {
			close(gate)
		}
		cancel()
		<-done
	})
	<-r.Running()

	for i := range flood {
		if err := pub.Publish(agbA, message.NewMessage(fmt.Sprintf("a-%02d", i), []byte("retour of A"))); err != nil {
			t.Fatalf("flood %d: %v", i, err)
		}
	}
	if err := pub.Publish(agbB, message.NewMessage("b-00", []byte("retour of B"))); err != nil {
		t.Fatal(err)
	}
	select {
	case <-handledB:
	case <-time.After(testenv.NextWait):
		t.Fatalf("provider B's retour was not handled while provider A's flood of %d is stuck", flood)
	}
	mu.Lock()
	if len(order) != 1 || order[0] != "b-00" {
		t.Fatalf("handled %v, want only B's retour while A's are stuck", order)
	}
	mu.Unlock()
	// A's consumer holds one retour (prefetch 1); the rest wait on its own
	// queue, not in the gateway.
	q, err := ch.QueueDeclarePassive(amqp.RetourQueue(agbA), true, false, false, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	if q.Messages < flood-1-1 { // ready messages (one is held, one may be in flight to it)
		t.Errorf("%s has %d ready, want about %d: the gateway took more than its prefetch", amqp.RetourQueue(agbA), q.Messages, flood-1)
	}

	close(gate)
	released = true
	deadline := time.Now().Add(60 * time.Second)
	for {
		mu.Lock()
		n := len(order)
		mu.Unlock()
		if n == flood+1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d retours handled", n, flood+1)
		}
		time.Sleep(50 * time.Millisecond)
	}
	seen := map[string]int{}
	for _, id := range order {
		seen[id]++
	}
	if len(seen) != flood+1 {
		t.Fatalf("handled %d distinct retours, want %d: %v", len(seen), flood+1, order)
	}
}

// TestFullRetourQueueRefusesOnlyItsProvider: with the retour policy's
// max-length lowered, provider A's flood beyond its own queue's limit is
// nacked, while provider B's retour is still taken.
func TestFullRetourQueueRefusesOnlyItsProvider(t *testing.T) {
	const agbA, agbB = "42420001", "65656055"
	vh := testenv.VHost(t)
	vhost := vh[strings.LastIndex(vh, "/")+1:]
	_, ch := testenv.Channel(t, vh)
	if err := (amqp.Topology{Providers: []string{agbA, agbB}}).Declare(ch); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("rabbitmqctl", "-q", "set_policy", "-p", vhost, "--apply-to", "queues", "--priority", "10",
		"sluis-retours", `^sluis\.retours\.[0-9]{8}$`,
		`{"dead-letter-exchange":"sluis.dead","delivery-limit":20,"max-length":3,"overflow":"reject-publish"}`).CombinedOutput(); err != nil {
		t.Fatalf("set_policy: %v\n%s", err, out)
	}
	pub, err := amqp.NewPublisher(amqp.PublisherConfig{URL: vh, Route: amqp.RouteTo(amqp.ExchangeRetour)}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = pub.Close() })
	refused := 0
	for i := range 10 {
		err := pub.Publish(agbA, message.NewMessage(fmt.Sprintf("a-%02d", i), []byte("x")))
		switch {
		case err == nil:
		case errors.Is(err, bus.ErrRefused):
			refused++
		default:
			t.Fatalf("flood %d: %v", i, err)
		}
	}
	if refused < 10-4 { // a quorum queue takes max-length+1
		t.Fatalf("%d of A's 10 retours refused, want at least 6", refused)
	}
	if err := pub.Publish(agbB, message.NewMessage("b-00", []byte("x"))); err != nil {
		t.Fatalf("provider B's retour beside A's full queue: %v", err)
	}
}

// TestFailuresAreLoggedWithThePass: each failed attempt is logged with the
// logger the handler left in the message's context (the pass's
// disclosure_id); a success logs nothing.
func TestFailuresAreLoggedWithThePass(t *testing.T) {
	errStore := errors.New("store unavailable")
	tests := []struct {
		name      string
		count     string // x-delivery-count; "" absent
		err       error
		wantLines []string
	}{
		{"first delivery fails", "", errStore, []string{"handler failed; the message is retried"}},
		{"a later delivery fails", strconv.Itoa(amqp.DeliveryLimit - 1), errStore, []string{"handler failed; the message is retried"}},
		{"a delivery succeeds", strconv.Itoa(amqp.DeliveryLimit - 1), nil, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			log := slog.New(slog.NewTextHandler(&buf, nil))
			handler := func(msg *message.Message) ([]*message.Message, error) {
				msg.SetContext(logctx.With(msg.Context(), log.With("disclosure_id", "d-1")))
				return nil, tc.err
			}
			h := failures("intake-0", log)(handler)
			msg := message.NewMessage("m-1", nil)
			msg.SetContext(context.Background())
			if tc.count != "" {
				msg.Metadata.Set(amqp.MetadataDeliveryCount, tc.count)
			}
			if _, err := h(msg); !errors.Is(err, tc.err) {
				t.Fatalf("error %v, want %v", err, tc.err)
			}
			lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
			if buf.Len() == 0 {
				lines = nil
			}
			if len(lines) != len(tc.wantLines) {
				t.Fatalf("log lines %q, want %d", lines, len(tc.wantLines))
			}
			for i, want := range tc.wantLines {
				if !strings.Contains(lines[i], want) || !strings.Contains(lines[i], "disclosure_id=d-1") {
					t.Errorf("line %q, want %q with disclosure_id=d-1", lines[i], want)
				}
			}
		})
	}
}
