package amqp

import (
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/sluis-gateway/sluis/internal/testenv"
)

// TestLastDelivery nacks a message of a real work queue until the broker
// dead-letters it: LastDelivery is true on exactly the delivery whose nack
// sends it to sluis.dead.
func TestLastDelivery(t *testing.T) {
	_, ch := testenv.Channel(t, testenv.VHost(t))
	if err := (Topology{}).Declare(ch); err != nil {
		t.Fatal(err)
	}
	if err := ch.Publish("", QueueDisclosures, false, false, amqp.Publishing{MessageId: "m-1", Body: []byte("{}")}); err != nil {
		t.Fatal(err)
	}
	var last []int
	for i := 0; ; i++ {
		d, ok := getWait(t, ch, QueueDisclosures)
		if !ok {
			break
		}
		if i > DeliveryLimit+1 {
			t.Fatalf("still delivered after %d deliveries", i)
		}
		msg, err := Marshaler{}.Unmarshal(d)
		if err != nil {
			t.Fatal(err)
		}
		if LastDelivery(msg) {
			last = append(last, i)
		}
		if err := d.Nack(false, true); err != nil {
			t.Fatal(err)
		}
	}
	if len(last) != 1 || last[0] != DeliveryLimit {
		t.Errorf("LastDelivery on deliveries %v, want only on delivery %d (counting from 0)", last, DeliveryLimit)
	}
	if d, ok := getWait(t, ch, QueueDead); !ok || d.MessageId != "m-1" {
		t.Errorf("sluis.dead holds %q (%v), want the nacked message m-1", d.MessageId, ok)
	}
}

// getWait gets one message of queue, waiting briefly for a requeued or
// dead-lettered one to arrive.
func getWait(t *testing.T, ch *amqp.Channel, queue string) (amqp.Delivery, bool) {
	t.Helper()
	for try := 0; try < 20; try++ {
		d, ok, err := ch.Get(queue, false)
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			return d, true
		}
		time.Sleep(50 * time.Millisecond)
	}
	return amqp.Delivery{}, false
}
