package testenv

import (
	"testing"
	"time"

	amqp091 "github.com/rabbitmq/amqp091-go"
)

// Channel dials the broker at url (a VHost URL) and opens a channel; the
// connection is closed when the test ends.
func Channel(t testing.TB, url string) (*amqp091.Connection, *amqp091.Channel) {
	t.Helper()
	conn, err := amqp091.Dial(url)
	if err != nil {
		t.Fatalf("dial the test broker: %v", err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	ch, err := conn.Channel()
	if err != nil {
		t.Fatalf("open a channel: %v", err)
	}
	return conn, ch
}

// Tap binds a fresh server-named queue (exclusive, deleted with the
// channel) to exchange with key and returns its deliveries, acknowledged on
// receipt. Tap the status exchange with "#" to see every status event.
func Tap(t testing.TB, ch *amqp091.Channel, exchange, key string) <-chan amqp091.Delivery {
	t.Helper()
	q, err := ch.QueueDeclare("", false, true, true, false, nil)
	if err != nil {
		t.Fatalf("declare a tap queue: %v", err)
	}
	if err := ch.QueueBind(q.Name, key, exchange, false, nil); err != nil {
		t.Fatalf("bind the tap queue to %s: %v", exchange, err)
	}
	ds, err := ch.Consume(q.Name, "", true, true, false, false, nil)
	if err != nil {
		t.Fatalf("consume the tap queue: %v", err)
	}
	return ds
}

// NextWait bounds Next's wait. It only guards against a hang: a delivery
// the test waits for is one the broker has already confirmed.
const NextWait = 30 * time.Second

// Next returns the next delivery from ds, failing the test (naming what it
// waited for) when none comes within NextWait or ds is closed.
func Next(t testing.TB, ds <-chan amqp091.Delivery, what string) amqp091.Delivery {
	t.Helper()
	select {
	case d, ok := <-ds:
		if !ok {
			t.Fatalf("no %s: the consumer was closed", what)
		}
		return d
	case <-time.After(NextWait):
		t.Fatalf("no %s within %v", what, NextWait)
	}
	return amqp091.Delivery{}
}
