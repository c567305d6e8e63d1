package bench

import (
	"context"
	"crypto/rsa"
	"fmt"
	"time"

	amqp091 "github.com/rabbitmq/amqp091-go"
	"github.com/sluis-gateway/sluis/internal/loadtest"
)

// Ceiling is the broker's throughput for what the gateway asks of it per
// disclosure at the least: one persistent, confirmed message into a quorum
// queue.
type Ceiling struct {
	Messages int
	Size     int
	Window   int
	Elapsed  time.Duration
	Rate     float64 // messages per second
	// BrokerCPU is RabbitMQ's CPU time over the run (0: not measured).
	BrokerCPU time.Duration
}

// BrokerCPUPerMessage is what one persistent, confirmed publish into a
// quorum queue costs the broker at best (0: not measured).
func (c Ceiling) BrokerCPUPerMessage() time.Duration {
	if c.Messages == 0 {
		return 0
	}
	return c.BrokerCPU / time.Duration(c.Messages)
}

// BrokerCeiling publishes n persistent messages of size bytes to a fresh
// quorum queue in the vhost at amqpURL from one plain amqp091 channel in
// confirm mode with a window of unconfirmed publishes, and measures from the
// first publish to the last confirm. The queue is deleted afterwards.
// brokerCPU, when not nil, reads RabbitMQ's CPU time, before and after.
func BrokerCeiling(ctx context.Context, amqpURL string, n, size, window int, brokerCPU func() (time.Duration, error)) (Ceiling, error) {
	if n < 1 || size < 1 || window < 1 {
		return Ceiling{}, fmt.Errorf("%w: ceiling needs n, size and window ≥ 1", loadtest.ErrConfig)
	}
	conn, err := amqp091.DialConfig(amqpURL, amqp091.Config{Properties: amqp091.Table{"connection_name": "sluis-bench-ceiling"}})
	if err != nil {
		return Ceiling{}, fmt.Errorf("dial broker: %w", err)
	}
	defer conn.Close()
	ch, err := conn.Channel()
	if err != nil {
		return Ceiling{}, err
	}
	const q = "sluis-bench.ceiling"
	if _, err := ch.QueueDeclare(q, true, false, false, false, amqp091.Table{"x-queue-type": "quorum"}); err != nil {
		return Ceiling{}, fmt.Errorf("declare ceiling queue: %w", err)
	}
	defer func() { _, _ = ch.QueueDelete(q, false, false, false) }()
	if err := ch.Confirm(false); err != nil {
		return Ceiling{}, fmt.Errorf("confirm mode: %w", err)
	}
	body := make([]byte, size)
	for i := range body {
		body[i] = 'a' + byte(i%26)
	}
	pending := make([]*amqp091.DeferredConfirmation, 0, window)
	wait := func(dc *amqp091.DeferredConfirmation) error {
		ok, err := dc.WaitContext(ctx)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("broker nacked a ceiling publish")
		}
		return nil
	}
	var cpu0 time.Duration
	if brokerCPU != nil {
		if cpu0, err = brokerCPU(); err != nil {
			return Ceiling{}, fmt.Errorf("broker cpu: %w", err)
		}
	}
	start := time.Now()
	for i := range n {
		dc, err := ch.PublishWithDeferredConfirmWithContext(ctx, "", q, false, false, amqp091.Publishing{
			DeliveryMode: amqp091.Persistent, MessageId: fmt.Sprint(i), Body: body,
		})
		if err != nil {
			return Ceiling{}, fmt.Errorf("ceiling publish: %w", err)
		}
		pending = append(pending, dc)
		if len(pending) == window {
			if err := wait(pending[0]); err != nil {
				return Ceiling{}, err
			}
			pending = pending[1:]
		}
	}
	for _, dc := range pending {
		if err := wait(dc); err != nil {
			return Ceiling{}, err
		}
	}
	el := time.Since(start)
	c := Ceiling{Messages: n, Size: size, Window: window, Elapsed: el, Rate: float64(n) / el.Seconds()}
	if brokerCPU != nil {
		cpu1, err := brokerCPU()
		if err != nil {
			return Ceiling{}, fmt.Errorf("broker cpu: %w", err)
		}
		c.BrokerCPU = cpu1 - cpu0
	}
	return c, nil
}

// SigningFloor is the PEM signer's floor: crypto/rsa with key, what the
// gateway's PEM source signs with (see SignerFloor).
func SigningFloor(key *rsa.PrivateKey, d time.Duration, workers int) (Floor, error) {
	if key == nil {
		return Floor{}, fmt.Errorf("%w: floor needs a key", loadtest.ErrConfig)
	}
	return SignerFloor(SignerPEM, "crypto/rsa, the key in memory", key.N.BitLen(), key, d, workers)
}
