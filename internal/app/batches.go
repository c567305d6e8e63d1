package app

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/sluis-gateway/sluis/adapters/amqp"
	"github.com/sluis-gateway/sluis/internal/identity"
	"github.com/sluis-gateway/sluis/internal/logctx"
	"github.com/sluis-gateway/sluis/internal/pipeline"
)

// IntakeBatchConsumers is how many batches of the intake are in hand at
// once (each on its own channel): while one waits for the store or the
// broker, the other's messages are screened and signed.
const IntakeBatchConsumers = 2

// intakeBatches is the batched intake (SLUIS_INTAKE_BATCH_SIZE,
// docs/broker.md "Batched intake"). Every rule of the one-message path
// holds, because what is not batched goes through that path itself:
//
//   - a delivery at the delivery limit, and one without the user-id of a
//     registered system, goes to the intake's router chain (alone): parked
//     on sluis.dead, or recorded in the ledger, and acked, as today;
//   - the others go to the pipeline's batched pass (HandleBatch), which
//     hands what it does not batch to Handle itself;
//   - a message whose batched pass failed (transiently) is retried through
//     the router chain: counted in sluis_handler_retries_total, logged,
//     retried with backoff, and nacked (requeued) if that fails too.
//
// A message's outcome is nil only once the pipeline reported it durable.
type intakeBatches struct {
	auth    *principals
	p       *pipeline.Pipeline
	single  message.HandlerFunc // the router's intake chain
	retries prometheus.Counter
	log     *slog.Logger
}

// handle is the amqp.BatchHandler of the intake.
func (b *intakeBatches) handle(ctx context.Context, msgs []*message.Message) []error {
	errs := make([]error, len(msgs))
	var (
		batch []*message.Message
		at    []int
		alone []int
	)
	for i, msg := range msgs {
		if n, err := strconv.Atoi(msg.Metadata.Get(amqp.MetadataDeliveryCount)); err == nil && n >= amqp.DeliveryLimit {
			alone = append(alone, i)
			continue
		}
		s, err := b.auth.principal(msg)
		if err != nil {
			alone = append(alone, i)
			continue
		}
		msg.SetContext(identity.WithSystem(msg.Context(), s))
		batch, at = append(batch, msg), append(at, i)
	}
	if len(batch) > 0 {
		for k, err := range b.pass(ctx, batch) {
			if err != nil {
				logctx.From(batch[k].Context(), b.log).Warn("handler failed; the message is retried", "handler", "intake-batch", "err", err)
				b.retries.Inc()
				alone = append(alone, at[k])
			}
		}
	}
	var wg sync.WaitGroup
	for _, i := range alone {
		wg.Go(func() { _, errs[i] = b.single(msgs[i]) })
	}
	wg.Wait()
	return errs
}

// pass runs the batched pass; a panic fails every message of it (each is
// then retried alone, where the router's recoverer applies).
func (b *intakeBatches) pass(ctx context.Context, batch []*message.Message) (errs []error) {
	defer func() {
		if r := recover(); r != nil {
			b.log.Error("batched intake pass panicked", "messages", len(batch), "panic", fmt.Sprint(r))
			errs = make([]error, len(batch))
			for i := range errs {
				errs[i] = fmt.Errorf("batched pass panicked: %v", r)
			}
		}
	}()
	return b.p.HandleBatch(ctx, batch)
}

// batchRunner runs the intake's batch consumers as a background job.
type batchRunner struct {
	consumers *amqp.Consumers
	cfg       amqp.BatchConfig
	handle    amqp.BatchHandler
	logger    watermill.LoggerAdapter
}

// Run consumes until ctx ends (Runner).
func (r batchRunner) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	errs := make([]error, IntakeBatchConsumers)
	for i := range IntakeBatchConsumers {
		wg.Go(func() { errs[i] = r.consumers.ConsumeBatches(ctx, r.cfg, r.handle, r.logger) })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return fmt.Errorf("intake batches: %w", err)
		}
	}
	return nil
}

// intakeBatchConfig is the batch consumers' configuration.
func intakeBatchConfig(size int, wait time.Duration, prefetch int) amqp.BatchConfig {
	return amqp.BatchConfig{Queue: amqp.QueueDisclosures, Size: size, Wait: wait, Prefetch: max(prefetch, size)}
}
