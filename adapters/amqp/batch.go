package amqp

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	amqp "github.com/rabbitmq/amqp091-go"
)

// BatchHandler handles one batch of deliveries: one outcome per message, in
// order. nil acks the message; an error nacks it (requeued). It must not
// return before every outcome it reports as nil is durable.
type BatchHandler func(ctx context.Context, msgs []*message.Message) []error

// BatchConfig configures ConsumeBatches.
type BatchConfig struct {
	// Queue is the existing queue to consume (declared by Topology).
	Queue string
	// Size is the most deliveries of one batch (1 or more).
	Size int
	// Wait is how long a batch waits after its first delivery for more.
	Wait time.Duration
	// Prefetch is the channel's prefetch; at least Size (raised to it).
	Prefetch int
	// CloseTimeout bounds how long the batch in hand may take once ctx
	// ends before its context is cancelled too. Default 15s.
	CloseTimeout time.Duration
}

// ErrBadBatchConfig: ConsumeBatches got a configuration it cannot use.
var ErrBadBatchConfig = errors.New("amqp: bad batch config")

// ConsumeBatches consumes cfg.Queue on a channel of its own on the shared
// consumer connection, in batches: it waits for a delivery, takes what
// else arrives within cfg.Wait up to cfg.Size, unmarshals them (Marshaler)
// and hands them to handle. Then it nacks (requeue) every message whose
// outcome was an error, one by one, and acknowledges the rest with one
// basic.ack with multiple=true for the batch's highest delivery tag among
// them: every delivery up to it is then settled, since the batch holds the
// channel's oldest unsettled deliveries. The next batch is taken after
// that.
//
// When the channel or the connection is lost it consumes again once the
// connection is back (with backoff); the deliveries of the lost channel,
// handled or not, are redelivered by the broker. It returns nil when ctx
// ends, after the batch in hand (bounded by cfg.CloseTimeout), and
// ErrConsumersClosed when the connection was closed. logger may be nil.
func (c *Consumers) ConsumeBatches(ctx context.Context, cfg BatchConfig, handle BatchHandler, logger watermill.LoggerAdapter) error {
	switch {
	case cfg.Queue == "":
		return fmt.Errorf("%w: empty queue", ErrBadBatchConfig)
	case cfg.Size < 1:
		return fmt.Errorf("%w: size %d", ErrBadBatchConfig, cfg.Size)
	case cfg.Wait <= 0:
		return fmt.Errorf("%w: wait %s", ErrBadBatchConfig, cfg.Wait)
	case handle == nil:
		return fmt.Errorf("%w: no handler", ErrBadBatchConfig)
	}
	cfg.Prefetch = max(cfg.Prefetch, cfg.Size)
	if cfg.CloseTimeout <= 0 {
		cfg.CloseTimeout = 15 * time.Second
	}
	if logger == nil {
		logger = watermill.NopLogger{}
	}
	logger = logger.With(watermill.LogFields{"queue": cfg.Queue, "component": "amqp_batches"})
	delay := 100 * time.Millisecond
	for {
		if c.conn.Closed() {
			return ErrConsumersClosed
		}
		err := c.consumeBatches(ctx, cfg, handle)
		if ctx.Err() != nil {
			return nil
		}
		if errors.Is(err, errConsumed) {
			delay = 100 * time.Millisecond // it worked for a while
		}
		logger.Error("AMQP batch consumer lost its channel, consuming again", err, watermill.LogFields{"retry_in": delay.String()})
		t := time.NewTimer(delay)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return nil
		}
		delay = min(2*delay, 5*time.Second)
	}
}

// errConsumed marks the end of a channel that delivered before it died.
var errConsumed = errors.New("consumed")

// consumeBatches consumes on one channel until it dies or ctx ends.
func (c *Consumers) consumeBatches(ctx context.Context, cfg BatchConfig, handle BatchHandler) error {
	if !c.conn.IsConnected() {
		return errors.New("no connection")
	}
	conn := c.conn.Connection()
	if conn == nil || conn.IsClosed() {
		return errors.New("no connection")
	}
	ch, err := conn.Channel()
	if err != nil {
		return fmt.Errorf("open channel: %w", err)
	}
	defer ch.Close()
	if _, err := ch.QueueDeclarePassive(cfg.Queue, true, false, false, false, nil); err != nil {
		return fmt.Errorf("queue %s must exist (declare it with Topology): %w", cfg.Queue, err)
	}
	if err := ch.Qos(cfg.Prefetch, 0, false); err != nil {
		return fmt.Errorf("qos: %w", err)
	}
	deliveries, err := ch.Consume(cfg.Queue, "", false, false, false, false, nil)
	if err != nil {
		return fmt.Errorf("consume %s: %w", cfg.Queue, err)
	}
	consumed := false
	for {
		batch, open := collect(ctx, deliveries, cfg.Size, cfg.Wait)
		if len(batch) > 0 {
			consumed = true
			if err := settle(batch, runBatch(ctx, cfg.CloseTimeout, batch, handle)); err != nil {
				return fmt.Errorf("%w: settle: %w", errConsumed, err)
			}
		}
		if ctx.Err() != nil {
			return nil
		}
		if !open {
			if consumed {
				return fmt.Errorf("%w: the channel closed", errConsumed)
			}
			return errors.New("the channel closed")
		}
	}
}

// collect waits for one delivery, then takes what arrives within wait, up
// to size. open=false: the channel closed (what it gave is dropped: the
// broker redelivers it). When ctx ends it returns nothing: what was taken
// is redelivered when the channel closes.
func collect(ctx context.Context, deliveries <-chan amqp.Delivery, size int, wait time.Duration) (batch []amqp.Delivery, open bool) {
	select {
	case d, ok := <-deliveries:
		if !ok {
			return nil, false
		}
		batch = append(batch, d)
	case <-ctx.Done():
		return nil, true
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	for len(batch) < size {
		select {
		case d, ok := <-deliveries:
			if !ok {
				return nil, false
			}
			batch = append(batch, d)
		case <-t.C:
			return batch, true
		case <-ctx.Done():
			return nil, true
		}
	}
	return batch, true
}

// runBatch hands the batch to handle. Its context ends closeTimeout after
// ctx does, so that the batch in hand can finish at shutdown.
func runBatch(ctx context.Context, closeTimeout time.Duration, batch []amqp.Delivery, handle BatchHandler) []error {
	hctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	stop := context.AfterFunc(ctx, func() {
		t := time.AfterFunc(closeTimeout, cancel)
		<-hctx.Done()
		t.Stop()
	})
	defer stop()
	msgs := make([]*message.Message, len(batch))
	for i, d := range batch {
		msg, err := Marshaler{}.Unmarshal(d)
		if err != nil { // Unmarshal never fails today; nack rather than drop
			msg = message.NewMessage(d.MessageId, d.Body)
		}
		msg.SetContext(hctx)
		msgs[i] = msg
	}
	errs := handle(hctx, msgs)
	if len(errs) != len(batch) {
		// A handler bug: settle nothing as done.
		errs = make([]error, len(batch))
		for i := range errs {
			errs[i] = errors.New("batch handler returned the wrong number of outcomes")
		}
	}
	return errs
}

// settle nacks (requeue) each failed delivery, then acks the rest with one
// multiple ack of the highest tag among them.
func settle(batch []amqp.Delivery, errs []error) error {
	var highest *amqp.Delivery
	for i := range batch {
		if errs[i] != nil {
			if err := batch[i].Nack(false, true); err != nil {
				return fmt.Errorf("nack: %w", err)
			}
			continue
		}
		if highest == nil || batch[i].DeliveryTag > highest.DeliveryTag {
			highest = &batch[i]
		}
	}
	if highest == nil {
		return nil
	}
	if err := highest.Ack(true); err != nil {
		return fmt.Errorf("ack: %w", err)
	}
	return nil
}
