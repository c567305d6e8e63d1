package bus

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/sluis-gateway/sluis/internal/receipts"
)

// Publisher publishes messages and reports, per message, whether the broker
// confirmed it into a queue (nil), returned it (an error wrapping
// ErrUnroutable) or failed otherwise (retryable). It must route TopicStatus
// by the RoutingKey metadata. Safe for concurrent use.
type Publisher interface {
	PublishContext(ctx context.Context, topic string, msgs ...*message.Message) []error
}

// Publish sends status events together (one round of confirms). An event no
// queue takes (the sender bound none) is not an error: the state is in the
// store and the HTTP API; unrouted counts the events the broker returned
// (not those a StatusSkipper skipped, ErrSkipped, which it counts itself).
// err joins the other failures, which are worth a retry.
func Publish(ctx context.Context, pub Publisher, evs ...Event) (unrouted int, err error) {
	if len(evs) == 0 {
		return 0, nil
	}
	msgs := make([]*message.Message, len(evs))
	for i, ev := range evs {
		msgs[i] = ev.Message()
	}
	var errs []error
	for _, err := range pub.PublishContext(ctx, TopicStatus, msgs...) {
		switch {
		case err == nil, errors.Is(err, ErrSkipped):
		case errors.Is(err, ErrUnroutable):
			unrouted++
		default:
			errs = append(errs, err)
		}
	}
	return unrouted, errors.Join(errs...)
}

// Announce publishes the status event of rec's current state (At defaults
// to now). An event no queue takes is not an error.
func Announce(ctx context.Context, pub Publisher, rec receipts.Record, now time.Time) error {
	ev := Of(rec)
	if ev.At.IsZero() {
		ev.At = now
	}
	if _, err := Publish(ctx, pub, ev); err != nil {
		return fmt.Errorf("status event %s %s: %w", rec.DisclosureID, rec.State, err)
	}
	return nil
}
