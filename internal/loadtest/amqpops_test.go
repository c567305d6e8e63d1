package loadtest

import (
	"context"
	"net"
	"strconv"
	"testing"
	"time"

	amqp091 "github.com/rabbitmq/amqp091-go"

	"github.com/sluis-gateway/sluis/internal/testenv"
)

// TestOpsProxyCounts sends known operations through the proxy to the real
// broker and checks what it counted.
func TestOpsProxyCounts(t *testing.T) {
	vh := testenv.VHost(t)
	u, err := amqp091.ParseURI(vh)
	if err != nil {
		t.Fatal(err)
	}
	p, err := NewOpsProxy(net.JoinHostPort(u.Host, strconv.Itoa(u.Port)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	url, err := p.URL(vh)
	if err != nil {
		t.Fatal(err)
	}
	_, ch := testenv.Channel(t, url)
	q, err := ch.QueueDeclare("ops-test", false, false, false, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := ch.Confirm(false); err != nil {
		t.Fatal(err)
	}
	returns := ch.NotifyReturn(make(chan amqp091.Return, 4))
	ctx := context.Background()
	for i, key := range []string{q.Name, q.Name, q.Name, "nobody-bound"} {
		dc, err := ch.PublishWithDeferredConfirmWithContext(ctx, "", key, true, false, amqp091.Publishing{Body: []byte{byte(i)}})
		if err != nil {
			t.Fatal(err)
		}
		if ok, err := dc.WaitContext(ctx); !ok || err != nil {
			t.Fatalf("publish %d not confirmed: %v", i, err)
		}
	}
	<-returns
	ds, err := ch.Consume(q.Name, "", false, false, false, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	var last amqp091.Delivery
	for i := range 3 {
		last = testenv.Next(t, ds, "delivery")
		if i == 0 {
			if err := last.Ack(false); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := last.Ack(true); err != nil { // the other two
		t.Fatal(err)
	}
	// A synchronous call after the acks: the broker has read them.
	if _, err := ch.QueueDeclarePassive(q.Name, false, false, false, false, nil); err != nil {
		t.Fatal(err)
	}
	var got Ops
	for deadline := time.Now().Add(testenv.NextWait); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if got = p.Ops(); got[OpAck] == 2 {
			break
		}
	}
	for _, tc := range []struct {
		name string
		key  string
		want int64
	}{
		{"publishes", OpPublish, 4},
		{"publishes to the default exchange", OpPublish + " ", 4},
		{"confirms", OpConfirm, 4},
		{"returns", OpReturn, 1},
		{"deliveries", OpDeliver, 3},
		{"acks, one of them multiple", OpAck, 2},
		{"multiple acks", OpAckMultiple, 1},
		{"no nacks", OpNack, 0},
		{"confirm mode selected once", OpOther + " confirm.select", 1},
		{"one queue declared, one checked", OpOther + " queue.declare", 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got[tc.key] != tc.want {
				t.Errorf("%q = %d, want %d (all: %v)", tc.key, got[tc.key], tc.want, got)
			}
		})
	}
}
