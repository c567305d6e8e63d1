package amqp

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	wamqp "github.com/ThreeDotsLabs/watermill-amqp/v3/pkg/amqp"
	"github.com/ThreeDotsLabs/watermill/message"
	amqp "github.com/rabbitmq/amqp091-go"
)

func newTestSubscriber(t *testing.T, queue string, prefetch int) message.Subscriber {
	t.Helper()
	s, err := NewSubscriber(testURL(), queue, prefetch, nil)
	if err != nil {
		t.Fatalf("NewSubscriber: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// recv waits for a message; the bound only turns a hang into a failure.
func recv(t *testing.T, ch <-chan *message.Message) *message.Message {
	t.Helper()
	select {
	case m, ok := <-ch:
		if !ok {
			t.Fatal("subscription closed")
		}
		return m
	case <-time.After(30 * time.Second):
		t.Fatal("no message within 30s")
		return nil
	}
}

func TestSubscriberSeveralSubscribeCallsAllReceive(t *testing.T) {
	q := uniqueName("parallel")
	declareQueue(t, q, nil)
	sub := newTestSubscriber(t, q, 1)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)

	const n = 4
	var chans []<-chan *message.Message
	for range n {
		ch, err := sub.Subscribe(ctx, "ignored-topic")
		if err != nil {
			t.Fatalf("Subscribe: %v", err)
		}
		chans = append(chans, ch)
	}
	p := newTestPublisher(t, PublisherConfig{}, nil)
	for i := range n {
		if err := p.Publish(q, newMsg(fmt.Sprintf("par-%d-%s", i, randHex(3)))); err != nil {
			t.Fatal(err)
		}
	}
	// Every subscription holds its message unacked until all have one:
	// with prefetch 1 the broker must give each message to a different
	// subscription, so this only completes if all n consume.
	var all sync.WaitGroup
	all.Add(n)
	var wg sync.WaitGroup
	got := make([]string, n)
	for i, ch := range chans {
		wg.Add(1)
		go func() {
			defer wg.Done()
			m := recv(t, ch)
			got[i] = m.UUID
			all.Done()
			all.Wait()
			m.Ack()
		}()
	}
	wg.Wait()
	seen := map[string]bool{}
	for i, id := range got {
		if id == "" || seen[id] {
			t.Errorf("subscription %d got %q", i, id)
		}
		seen[id] = true
	}
}

func TestSubscriberNackRedeliversWithDeliveryCount(t *testing.T) {
	q := uniqueName("redeliver")
	declareQueue(t, q, nil)
	sub := newTestSubscriber(t, q, 4)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	ch, err := sub.Subscribe(ctx, "x")
	if err != nil {
		t.Fatal(err)
	}
	p := newTestPublisher(t, PublisherConfig{}, nil)
	msg := newMsg("nack-" + randHex(3))
	msg.Metadata.Set("content_type", "application/xml")
	msg.Metadata.Set("message_type", "WMO301")
	if err := p.Publish(q, msg); err != nil {
		t.Fatal(err)
	}

	first := recv(t, ch)
	if first.UUID != msg.UUID {
		t.Fatalf("UUID %q, want the message id %q", first.UUID, msg.UUID)
	}
	if first.Metadata.Get(MetadataDeliveryCount) != "" {
		t.Errorf("first delivery has delivery count %q", first.Metadata.Get(MetadataDeliveryCount))
	}
	first.Nack()

	second := recv(t, ch)
	defer second.Ack()
	checks := []struct{ name, got, want string }{
		{"uuid", second.UUID, msg.UUID},
		{"delivery count", second.Metadata.Get(MetadataDeliveryCount), "1"},
		{"content type", second.Metadata.Get(MetadataContentType), "application/xml"},
		{"header", second.Metadata.Get("message_type"), "WMO301"},
		{"publish tag dropped", second.Metadata.Get(publishTagHeader), ""},
		{"redelivered flag", second.Metadata.Get(wamqp.MetadataRedeliveredKey), "true"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: got %q, want %q", c.name, c.got, c.want)
		}
	}
}

func TestSubscriberRefusesMissingQueue(t *testing.T) {
	q := uniqueName("absent")
	sub := newTestSubscriber(t, q, 1)
	if _, err := sub.Subscribe(context.Background(), "x"); err == nil {
		t.Fatal("Subscribe on a missing queue succeeded")
	}
	// And it declared nothing.
	_, ch := dial(t)
	if _, err := ch.QueueDeclarePassive(q, true, false, false, false, nil); err == nil {
		deleteQueue(t, q)
		t.Fatal("subscriber declared the queue")
	}
}

func TestNewSubscriberRejectsBadInput(t *testing.T) {
	tests := []struct {
		name, url, queue string
		prefetch         int
	}{
		{"empty url", "", "q", 1},
		{"empty queue", testURL(), "", 1},
		{"negative prefetch", testURL(), "q", -1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if s, err := NewSubscriber(tc.url, tc.queue, tc.prefetch, nil); err == nil {
				_ = s.Close()
				t.Fatal("accepted")
			}
		})
	}
}

func TestMarshalerUnmarshal(t *testing.T) {
	ts := time.Date(2026, 11, 23, 1, 2, 3, 0, time.UTC)
	d := amqp.Delivery{
		MessageId:   "id-1",
		ContentType: "application/xml",
		Body:        []byte("<x/>"),
		Headers: amqp.Table{
			"message_type":     "WMO301",
			"x-delivery-count": int64(3),
			"x-death":          []any{amqp.Table{"count": int64(1), "reason": "rejected", "queue": "sluis.provider.42420001"}},
			publishTagHeader:   int64(7),
			"flag":             true,
			"when":             ts,
			"small":            int32(-5),
			"ratio":            1.5,
			"raw":              []byte("bytes"),
			"nothing":          nil,
		},
	}
	msg, err := Marshaler{}.Unmarshal(d)
	if err != nil {
		t.Fatalf("Unmarshal: %v", err)
	}
	want := map[string]string{
		"message_type":     "WMO301",
		"x-delivery-count": "3",
		"flag":             "true",
		"when":             "2026-11-23T01:02:03Z",
		"small":            "-5",
		"ratio":            "1.5",
		"raw":              "bytes",
		"nothing":          "",
		"content_type":     "application/xml",
	}
	for k, v := range want {
		if got := msg.Metadata.Get(k); got != v {
			t.Errorf("metadata %s = %q, want %q", k, got, v)
		}
	}
	if msg.Metadata.Get("x-death") == "" {
		t.Error("x-death dropped")
	}
	if _, ok := msg.Metadata[publishTagHeader]; ok {
		t.Error("publish tag kept")
	}
	if msg.UUID != "id-1" || string(msg.Payload) != "<x/>" {
		t.Errorf("uuid %q payload %q", msg.UUID, msg.Payload)
	}

	// Without a message id, watermill's UUID header is used.
	msg, err = Marshaler{}.Unmarshal(amqp.Delivery{Headers: amqp.Table{wamqp.DefaultMessageUUIDHeaderKey: "from-header"}})
	if err != nil || msg.UUID != "from-header" {
		t.Errorf("fallback uuid: %v %q", err, msg.UUID)
	}
}
