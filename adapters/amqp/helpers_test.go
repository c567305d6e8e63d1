package amqp

import (
	"crypto/rand"
	"encoding/hex"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/sluis-gateway/sluis/internal/testenv"
)

// testURL is the broker the tests use; SLUIS_TEST_AMQP_URL overrides it.
func testURL() string {
	if u := os.Getenv("SLUIS_TEST_AMQP_URL"); u != "" {
		return u
	}
	return "amqp://guest:guest@127.0.0.1:5672/"
}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// uniqueName returns a broker name private to this test run.
func uniqueName(base string) string {
	return "test.h3." + base + "." + randHex(4)
}

// dial opens a connection and channel for test set-up; both close at cleanup.
func dial(t testing.TB) (*amqp.Connection, *amqp.Channel) {
	t.Helper()
	return testenv.Channel(t, testURL())
}

// declareQueue declares a durable queue (quorum unless args say otherwise)
// and deletes it at cleanup.
func declareQueue(t testing.TB, name string, args amqp.Table) {
	t.Helper()
	_, ch := dial(t)
	if args == nil {
		args = amqp.Table{}
	}
	if _, ok := args["x-queue-type"]; !ok {
		args["x-queue-type"] = "quorum"
	}
	if _, err := ch.QueueDeclare(name, true, false, false, false, args); err != nil {
		t.Fatalf("declare queue %s: %v", name, err)
	}
	t.Cleanup(func() { deleteQueue(t, name) })
}

func deleteQueue(t testing.TB, name string) {
	t.Helper()
	withOwnChannel(t, "delete queue "+name, func(ch *amqp.Channel) error {
		_, err := ch.QueueDelete(name, false, false, false)
		return err
	})
}

func deleteExchange(t testing.TB, name string) {
	t.Helper()
	withOwnChannel(t, "delete exchange "+name, func(ch *amqp.Channel) error {
		return ch.ExchangeDelete(name, false, false)
	})
}

// withOwnChannel runs do on a connection of its own (the test's may be
// closed by now) and reports, without stopping, what failed.
func withOwnChannel(t testing.TB, what string, do func(*amqp.Channel) error) {
	t.Helper()
	conn, err := amqp.Dial(testURL())
	if err != nil {
		t.Errorf("cleanup: %s: dial: %v", what, err)
		return
	}
	defer conn.Close()
	ch, err := conn.Channel()
	if err != nil {
		t.Errorf("cleanup: %s: channel: %v", what, err)
		return
	}
	if err := do(ch); err != nil {
		t.Errorf("cleanup: %s: %v", what, err)
	}
}

// newTestPublisher starts a Publisher on the test broker, closed at cleanup.
func newTestPublisher(t testing.TB, cfg PublisherConfig, metrics *PublisherMetrics) *Publisher {
	t.Helper()
	if cfg.URL == "" {
		cfg.URL = testURL()
	}
	if cfg.Route == nil {
		cfg.Route = RouteTo("")
	}
	if cfg.ConnectionName == "" {
		cfg.ConnectionName = uniqueName("publisher")
	}
	p, err := NewPublisher(cfg, nil, metrics)
	if err != nil {
		t.Fatalf("NewPublisher: %v", err)
	}
	t.Cleanup(func() { _ = p.Close() })
	return p
}

// queueIDs takes every message out of queue and returns the message ids
// with their counts. Confirmed messages are in the queue; want lists ids
// that must be there: since a quorum queue applies an enqueue on its leader
// right around the confirm, it polls briefly until all of want were seen.
func queueIDs(t testing.TB, queue string, want map[string]bool) map[string]int {
	t.Helper()
	_, ch := dial(t)
	got := map[string]int{}
	deadline := time.Now().Add(10 * time.Second)
	for {
		d, ok, err := ch.Get(queue, true)
		if err != nil {
			t.Fatalf("get from %s: %v", queue, err)
		}
		if ok {
			got[d.MessageId]++
			continue
		}
		missing := 0
		for id := range want {
			if got[id] == 0 {
				missing++
			}
		}
		if missing == 0 || time.Now().After(deadline) {
			return got
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// consumeIDs consumes queue until every id in want was seen (or a generous
// bound passes) and returns the ids seen with their counts. Faster than
// queueIDs for big queues; it does not promise to see ids beyond want.
func consumeIDs(t testing.TB, queue string, want map[string]bool) map[string]int {
	t.Helper()
	_, ch := dial(t)
	if err := ch.Qos(2000, 0, false); err != nil {
		t.Fatal(err)
	}
	deliveries, err := ch.Consume(queue, "", true, false, false, false, nil)
	if err != nil {
		t.Fatalf("consume %s: %v", queue, err)
	}
	got := map[string]int{}
	seen := 0
	bound := time.After(60 * time.Second)
	for seen < len(want) {
		select {
		case d := <-deliveries:
			got[d.MessageId]++
			if want[d.MessageId] && got[d.MessageId] == 1 {
				seen++
			}
		case <-bound:
			return got
		}
	}
	return got
}

func newMsg(id string) *message.Message {
	return message.NewMessage(id, []byte("payload "+id))
}

// routeByMetadata sends each message to metadata "exchange" (default: the
// default exchange) with routing key metadata "to".
func routeByMetadata(_ string, msg *message.Message) (string, string, error) {
	return msg.Metadata.Get("exchange"), msg.Metadata.Get("to"), nil
}

func errorContainsAll(err error, parts ...string) bool {
	if err == nil {
		return false
	}
	for _, p := range parts {
		if !strings.Contains(err.Error(), p) {
			return false
		}
	}
	return true
}
