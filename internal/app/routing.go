package app

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/message/router/middleware"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/sluis-gateway/sluis/adapters/amqp"
	"github.com/sluis-gateway/sluis/internal/bus"
	"github.com/sluis-gateway/sluis/internal/logctx"
	"github.com/sluis-gateway/sluis/internal/retour"
)

// handler is one kind of message handler of the router: the queue it
// consumes with how many consumers, and the metric of its retries.
type handler struct {
	name      string // handler names are name-0, name-1, ...
	queue     string
	consumers int
	// prefetch, when set, replaces the configured prefetch (SLUIS_PREFETCH).
	prefetch int
	handle   message.NoPublishHandlerFunc
	// retries names the counter of the handler's retries; handlers with the
	// same name share it.
	retries retryMetric
}

// routed is a handler as the router runs it: chain, with its middlewares,
// and the counter of its retries.
type routed struct {
	chain   message.HandlerFunc
	retries prometheus.Counter
}

// retryMetric is a retry counter's name and help.
type retryMetric struct{ name, help string }

// retourRetries counts the retries of every provider's retour handler.
var retourRetries = retryMetric{"sluis_retour_handler_retries_total", "Retries of a retour message after a transient failure."}

// retourWorkers is how many retours are handled at once, whatever the
// number of providers (each provider's queue has one consumer).
const retourWorkers = 2

// parker publishes a dead-letter summary (the gateway's Publisher).
type parker interface {
	PublishContext(ctx context.Context, topic string, msgs ...*message.Message) []error
}

// newRouter builds the router: the recoverer for every handler, then per
// handler the delivery limit (counted in sluis_dead_letters_total), its
// retry policy, counted in the handler's metric, and a log line for each
// failed attempt (failures). Every consumer is a channel of its own on the
// one shared consumer connection. It also returns, by handler name, each
// handler with those middlewares as the router runs it (a handler with no
// consumers is only that: the batched intake hands it what it does not
// batch, batches.go).
func newRouter(conn *amqp.Consumers, prefetch int, dead parker, reg prometheus.Registerer, log watermill.LoggerAdapter, slogger *slog.Logger, hs ...handler) (*message.Router, map[string]routed, error) {
	r, err := message.NewRouter(message.RouterConfig{CloseTimeout: 15 * time.Second}, log)
	if err != nil {
		return nil, nil, err
	}
	r.AddMiddleware(middleware.Recoverer)
	deadLetters := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "sluis_dead_letters_total",
		Help: "Messages of a queue sluis consumes that it parked on sluis.dead (a summary without the body) because they were delivered too often, by queue and reason (delivery_limit). Parked retours are sluis_retours_parked_total.",
	}, []string{"queue", "reason"})
	if err := reg.Register(deadLetters); err != nil {
		return nil, nil, fmt.Errorf("dead letter metric: %w", err)
	}
	for _, h := range hs {
		deadLetters.WithLabelValues(h.queue, string(ReasonDeliveryLimit))
	}
	counters := map[string]prometheus.Counter{}
	chains := map[string]routed{}
	for _, h := range hs {
		retries, ok := counters[h.retries.name]
		if !ok {
			retries = prometheus.NewCounter(prometheus.CounterOpts{Name: h.retries.name, Help: h.retries.help})
			if err := reg.Register(retries); err != nil {
				return nil, nil, fmt.Errorf("%s retry metric: %w", h.name, err)
			}
			counters[h.retries.name] = retries
		}
		pf := prefetch
		if h.prefetch > 0 {
			pf = h.prefetch
		}
		mws := func() []message.HandlerMiddleware {
			return []message.HandlerMiddleware{deliveryLimit(h.queue, dead, deadLetters, slogger), retry(retries), failures(h.name, slogger)}
		}
		chain := message.HandlerFunc(func(msg *message.Message) ([]*message.Message, error) { return nil, h.handle(msg) })
		for _, mw := range slices.Backward(mws()) {
			chain = mw(chain)
		}
		chains[h.name] = routed{chain: middleware.Recoverer(chain), retries: retries}
		for i := 0; i < h.consumers; i++ {
			sub, err := conn.Subscriber(h.queue, pf, log)
			if err != nil {
				return nil, nil, fmt.Errorf("%s subscriber: %w", h.name, err)
			}
			r.AddConsumerHandler(fmt.Sprintf("%s-%d", h.name, i), h.queue, sub, h.handle).AddMiddleware(mws()...)
		}
	}
	return r, chains, nil
}

// ReasonDeliveryLimit is the park reason of a message the gateway parks
// because it was delivered amqp.DeliveryLimit times before.
const ReasonDeliveryLimit retour.Reason = "delivery_limit"

// deliveryLimit parks, instead of handling, a delivery that the quorum
// queue already delivered amqp.DeliveryLimit times or more (its
// x-delivery-count): a summary without the body goes to sluis.dead and the
// delivery is acknowledged. It holds whether or not the queue's policy
// sets a delivery-limit, so a poison message never loops for ever. When the
// summary cannot be published the delivery is nacked (tried again).
func deliveryLimit(queue string, dead parker, counted *prometheus.CounterVec, log *slog.Logger) message.HandlerMiddleware {
	return func(next message.HandlerFunc) message.HandlerFunc {
		return func(msg *message.Message) ([]*message.Message, error) {
			n, err := strconv.Atoi(msg.Metadata.Get(amqp.MetadataDeliveryCount))
			if err != nil || n < amqp.DeliveryLimit {
				return next(msg)
			}
			out, err := parkedSummary(queue, n, msg)
			if err != nil {
				return nil, err
			}
			if err := dead.PublishContext(msg.Context(), bus.TopicDead, out)[0]; err != nil {
				return nil, fmt.Errorf("park message %s after %d deliveries: %w", msg.UUID, n, err)
			}
			counted.WithLabelValues(queue, string(ReasonDeliveryLimit)).Inc()
			log.Error("message parked: delivered too often", "queue", queue, "message_id", msg.UUID,
				"delivery_count", n, "reason", ReasonDeliveryLimit)
			return nil, nil
		}
	}
}

// parkedSummary is the dead letter of a message parked at the delivery
// limit: the retour package's Parked summary (docs/receipts.md), ids,
// size and SHA-256, never the body.
func parkedSummary(queue string, count int, msg *message.Message) (*message.Message, error) {
	id := msg.UUID
	if id == "" {
		id = "parked"
	}
	sum := sha256.Sum256(msg.Payload)
	detail := fmt.Sprintf("delivered %d times before (limit %d)", count, amqp.DeliveryLimit)
	p := retour.Parked{
		Kind: kindOf(queue), MessageID: id, Reason: ReasonDeliveryLimit, Detail: detail, Source: queue,
		ContentType: bus.ContentType.Get(msg), Size: len(msg.Payload), SHA256: hex.EncodeToString(sum[:]),
		ParkedAt: time.Now().UTC(),
	}
	body, err := json.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("park message %s: %w", msg.UUID, err)
	}
	out := message.NewMessage(id, body)
	bus.ContentType.Set(out, retour.ParkContentType)
	out.Metadata.Set(retour.HeaderParkReason, string(ReasonDeliveryLimit))
	out.Metadata.Set(retour.HeaderParkDetail, detail)
	out.Metadata.Set(retour.HeaderParkSource, queue)
	out.Metadata.Set(retour.HeaderParkSHA256, p.SHA256)
	out.Metadata.Set(retour.HeaderParkSize, strconv.Itoa(p.Size))
	return out, nil
}

// kindOf is what a queue carries: "disclosure", "consent" or "retour".
func kindOf(queue string) string {
	switch queue {
	case amqp.QueueDisclosures:
		return "disclosure"
	case amqp.QueueConsents:
		return "consent"
	}
	return "retour"
}

// retourHandlers are the retour handlers: per provider one consumer
// (prefetch 1) on its own queue amqp.RetourQueue(agb), handle(agb)
// handling it, all of them sharing retourWorkers turns.
func retourHandlers(agbs []string, handle func(agb string) (message.NoPublishHandlerFunc, error)) ([]handler, error) {
	t := newTurns(retourWorkers)
	hs := make([]handler, 0, len(agbs))
	for _, agb := range agbs {
		h, err := handle(agb)
		if err != nil {
			return nil, fmt.Errorf("retour handler %s: %w", agb, err)
		}
		hs = append(hs, handler{name: "retours-" + agb, queue: amqp.RetourQueue(agb), consumers: 1, prefetch: 1,
			handle: t.wrap(h), retries: retourRetries})
	}
	return hs, nil
}

// turns lets at most n handlers run at once; waiting handlers get their
// turn in the order they asked (a Go channel's waiters are served first in,
// first out), so each provider's one consumer takes its turn between
// another's retours instead of waiting behind all of them.
type turns chan struct{}

func newTurns(n int) turns { return make(turns, n) }

func (t turns) wrap(h message.NoPublishHandlerFunc) message.NoPublishHandlerFunc {
	return func(msg *message.Message) error {
		select {
		case t <- struct{}{}:
		case <-msg.Context().Done():
			return msg.Context().Err()
		}
		defer func() { <-t }()
		return h(msg)
	}
}

// retry retries a handler after a transient failure (broker nack, confirm
// timeout, lost connection, store errors) with backoff, counting each retry.
// It logs nothing itself: failures logs each failed attempt.
func retry(retries prometheus.Counter) message.HandlerMiddleware {
	return middleware.Retry{
		MaxRetries:      5,
		InitialInterval: 200 * time.Millisecond,
		MaxInterval:     5 * time.Second,
		Multiplier:      2,
		OnRetryHook:     func(int, time.Duration) { retries.Inc() },
	}.Middleware
}

// failures logs each failed attempt of a handler with the logger the
// handler left in the message's context (logctx: the pipeline's carries
// the disclosure_id of the pass), else with log.
func failures(name string, log *slog.Logger) message.HandlerMiddleware {
	return func(h message.HandlerFunc) message.HandlerFunc {
		return func(msg *message.Message) ([]*message.Message, error) {
			out, err := h(msg)
			if err != nil {
				logctx.From(msg.Context(), log).Warn("handler failed; the message is retried", "handler", name, "err", err)
			}
			return out, err
		}
	}
}

// quietLogger turns watermill's per-handler Info lines (dozens at start)
// into Debug; errors and warnings stay.
type quietLogger struct{ watermill.LoggerAdapter }

func (l quietLogger) Info(msg string, fields watermill.LogFields) { l.LoggerAdapter.Debug(msg, fields) }

func (l quietLogger) With(fields watermill.LogFields) watermill.LoggerAdapter {
	return quietLogger{l.LoggerAdapter.With(fields)}
}
