package loadtest

import (
	"fmt"
	"sync"
	"sync/atomic"

	amqp091 "github.com/rabbitmq/amqp091-go"
)

// Drainer consumes every provider queue (auto-ack) so they do not grow, and
// counts what it took.
type Drainer struct {
	conn     *amqp091.Connection
	messages atomic.Int64
	bytes    atomic.Int64
	wg       sync.WaitGroup
	close    sync.Once
	closeErr error
}

// NewDrainer starts one consumer per queue (the provider queues).
func NewDrainer(amqpURL string, queues []string) (*Drainer, error) {
	conn, err := amqp091.DialConfig(amqpURL, amqp091.Config{Properties: amqp091.Table{"connection_name": "sluis-bench-providers"}})
	if err != nil {
		return nil, fmt.Errorf("dial broker: %w", err)
	}
	d := &Drainer{conn: conn}
	for _, queue := range queues {
		ch, err := conn.Channel()
		if err != nil {
			conn.Close()
			return nil, fmt.Errorf("provider channel: %w", err)
		}
		msgs, err := ch.Consume(queue, "sluis-bench-"+queue, true, false, false, false, nil)
		if err != nil {
			conn.Close()
			return nil, fmt.Errorf("consume %s: %w", queue, err)
		}
		d.wg.Add(1)
		go func() {
			defer d.wg.Done()
			for m := range msgs {
				d.messages.Add(1)
				d.bytes.Add(int64(len(m.Body)))
			}
		}()
	}
	return d, nil
}

// Counts returns the messages and bytes drained so far.
func (d *Drainer) Counts() (messages, bytes int64) { return d.messages.Load(), d.bytes.Load() }

// MeanSize is the mean size of the drained messages (0 before any).
func (d *Drainer) MeanSize() int {
	n, b := d.Counts()
	if n == 0 {
		return 0
	}
	return int(b / n)
}

// Close stops the consumers; a second Close does nothing.
func (d *Drainer) Close() error {
	d.close.Do(func() {
		d.closeErr = d.conn.Close()
		d.wg.Wait()
	})
	return d.closeErr
}
