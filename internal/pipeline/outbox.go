package pipeline

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/sluis-gateway/sluis/internal/bus"
	"github.com/sluis-gateway/sluis/internal/receipts"
)

// outbox collects the status events of one Handle pass, and the claim the
// pass holds.
type outbox struct {
	events []bus.Event
	claim  *claimed
}

// flush publishes the collected status events; one no queue takes (the
// sender bound none) is counted, not retried. Once all are confirmed, the
// claimed disclosure's announced mark is raised to the highest sequence
// among them (stored on release).
func (p *Pipeline) flush(ctx context.Context, ob *outbox) error {
	unrouted, err := bus.Publish(ctx, p.pub, ob.events...)
	p.metrics.statusUnrouted.Add(float64(unrouted))
	if err != nil {
		return fmt.Errorf("status events: %w", err)
	}
	if c := ob.claim; c != nil {
		for _, ev := range ob.events {
			if ev.DisclosureID == c.id && ev.Sequence > c.announced {
				c.announced = ev.Sequence
			}
		}
	}
	return nil
}

// announce queues the status event of the record's current state, with the
// decision's profile, stripped paths and follow-ups when detail has them.
func (ob *outbox) announce(rec receipts.Record, detail map[string]string, now time.Time) {
	ev := bus.Of(rec)
	if ev.At.IsZero() {
		ev.At = now
	}
	ev.Profile = detail["profile"]
	ev.Stripped = split(detail["stripped"])
	ev.FollowUps = split(detail["follow_up"])
	ob.events = append(ob.events, ev)
}

func split(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}
