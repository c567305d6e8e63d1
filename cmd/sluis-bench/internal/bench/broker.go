package bench

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	amqp091 "github.com/rabbitmq/amqp091-go"

	"github.com/sluis-gateway/sluis/adapters/amqp"
)

// statusEvents binds a private queue to the given states on sluis.status
// and consumes it (auto-ack).
func statusEvents(conn *amqp091.Connection, states []string) (<-chan amqp091.Delivery, error) {
	ch, err := conn.Channel()
	if err != nil {
		return nil, fmt.Errorf("status channel: %w", err)
	}
	q, err := ch.QueueDeclare("", false, true, true, false, nil)
	if err != nil {
		return nil, fmt.Errorf("status queue: %w", err)
	}
	for _, s := range states {
		if err := ch.QueueBind(q.Name, "#."+s, amqp.ExchangeStatus, false, nil); err != nil {
			return nil, fmt.Errorf("bind status queue (is the gateway's topology declared?): %w", err)
		}
	}
	d, err := ch.Consume(q.Name, "sluis-bench-status", true, true, false, false, nil)
	if err != nil {
		return nil, fmt.Errorf("consume status: %w", err)
	}
	return d, nil
}

// publish sends the items with pipelined confirms, at c.Rate when it is
// positive, recording each item's publish time in published.
func publish(ctx context.Context, conn *amqp091.Connection, c LoadConfig, published []time.Time) error {
	ch, err := conn.Channel()
	if err != nil {
		return fmt.Errorf("intake channel: %w", err)
	}
	defer ch.Close()
	if err := ch.Confirm(false); err != nil {
		return fmt.Errorf("confirm mode: %w", err)
	}
	returns := ch.NotifyReturn(make(chan amqp091.Return, 1))
	var returned atomic.Int64
	go func() {
		for range returns {
			returned.Add(1)
		}
	}()
	window := make(chan *amqp091.DeferredConfirmation, c.Window)
	var nacked atomic.Int64
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for dc := range window {
			if ok, err := dc.WaitContext(ctx); err != nil || !ok {
				nacked.Add(1)
			}
		}
	}()
	var interval time.Duration
	if c.Rate > 0 {
		interval = time.Duration(float64(time.Second) / c.Rate)
	}
	start := time.Now()
	var perr error
	for i, it := range c.Items {
		if interval > 0 {
			if d := time.Until(start.Add(time.Duration(i) * interval)); d > 0 {
				select {
				case <-time.After(d):
				case <-ctx.Done():
				}
			}
		}
		if ctx.Err() != nil {
			perr = ctx.Err()
			break
		}
		published[i] = time.Now()
		dc, err := ch.PublishWithDeferredConfirmWithContext(ctx, amqp.ExchangeIntake, c.Key, true, false, amqp091.Publishing{
			ContentType:  "application/json",
			DeliveryMode: amqp091.Persistent,
			MessageId:    c.Key + "-" + it.ID,
			UserId:       amqp.UserOf(c.AMQPURL), // the intake requires the connection's user
			Body:         it.Body,
		})
		if err != nil {
			published[i] = time.Time{}
			perr = fmt.Errorf("publish to intake: %w", err)
			break
		}
		window <- dc
	}
	close(window)
	wg.Wait()
	switch {
	case perr != nil:
		return perr
	case nacked.Load() > 0:
		return fmt.Errorf("broker nacked %d intake publishes", nacked.Load())
	case returned.Load() > 0:
		return fmt.Errorf("%d intake publishes unroutable (no sluis.disclosures binding?)", returned.Load())
	}
	return nil
}
