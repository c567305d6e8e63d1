package app

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/message/router/middleware"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/sluis-gateway/sluis/adapters/amqp"
	"github.com/sluis-gateway/sluis/internal/logctx"
)

// handler is one kind of message handler of the router: the queue it
// consumes with how many consumers, and the metric of its retries.
type handler struct {
	name      string // handler names are name-0, name-1, ...
	queue     string
	consumers int
	handle    message.NoPublishHandlerFunc
	// retries is the counter's name and help; every handler has its own.
	retries, help string
}

// newRouter builds the router: the recoverer for every handler, then per
// handler its retry policy, counted in the handler's own metric, and a log
// line for each failed attempt (failures).
func newRouter(amqpURL string, prefetch int, reg prometheus.Registerer, log watermill.LoggerAdapter, slogger *slog.Logger, hs ...handler) (*message.Router, error) {
	r, err := message.NewRouter(message.RouterConfig{CloseTimeout: 15 * time.Second}, log)
	if err != nil {
		return nil, err
	}
	r.AddMiddleware(middleware.Recoverer)
	dead := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "sluis_dead_letters_total",
		Help: "Messages of a queue sluis consumes that it gave up on at their last delivery, so that the broker dead-letters them to sluis.dead with their body, by queue and reason (delivery_limit). Parked retours are sluis_retours_parked_total.",
	}, []string{"queue", "reason"})
	if err := reg.Register(dead); err != nil {
		return nil, fmt.Errorf("dead letter metric: %w", err)
	}
	for _, h := range hs {
		dead.WithLabelValues(h.queue, ReasonDeliveryLimit)
	}
	for _, h := range hs {
		retries := prometheus.NewCounter(prometheus.CounterOpts{Name: h.retries, Help: h.help})
		if err := reg.Register(retries); err != nil {
			return nil, fmt.Errorf("%s retry metric: %w", h.name, err)
		}
		for i := 0; i < h.consumers; i++ {
			sub, err := amqp.NewSubscriber(amqpURL, h.queue, prefetch, log)
			if err != nil {
				return nil, fmt.Errorf("%s subscriber: %w", h.name, err)
			}
			r.AddConsumerHandler(fmt.Sprintf("%s-%d", h.name, i), h.queue, sub, h.handle).
				AddMiddleware(deadLetters(h.queue, dead, slogger), retry(retries), failures(h.name, slogger))
		}
	}
	return r, nil
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

// ReasonDeliveryLimit is the dead-letter reason of a message nacked on its
// last delivery (amqp.LastDelivery): the broker's x-delivery-limit.
const ReasonDeliveryLimit = "delivery_limit"

// deadLetters counts and logs a message that fails on its last delivery,
// after its retries: its nack makes the broker dead-letter it to
// sluis.dead (with its body, docs/receipts.md).
func deadLetters(queue string, dead *prometheus.CounterVec, log *slog.Logger) message.HandlerMiddleware {
	return func(h message.HandlerFunc) message.HandlerFunc {
		return func(msg *message.Message) ([]*message.Message, error) {
			out, err := h(msg)
			if err != nil && amqp.LastDelivery(msg) {
				dead.WithLabelValues(queue, ReasonDeliveryLimit).Inc()
				logctx.From(msg.Context(), log).Error("message dead-lettered to sluis.dead: it failed on its last delivery",
					"queue", queue, "message_id", msg.UUID, "reason", ReasonDeliveryLimit, "deliveries", amqp.DeliveryLimit+1, "err", err)
			}
			return out, err
		}
	}
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
