package bus_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/sluis-gateway/sluis/internal/bus"
	"github.com/sluis-gateway/sluis/internal/receipts"
)

func TestEventMessage(t *testing.T) {
	at := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name   string
		ev     bus.Event
		id, rk string
	}{
		{"disclosure", bus.Event{DisclosureID: "d-1", State: "delivered", Municipality: "0363", System: "regsys"},
			"status-d-1-delivered", "0363.regsys.delivered"},
		{"request without a readable id or sender", bus.Event{State: "invalid", At: at},
			fmt.Sprintf("status-invalid-%d", at.UnixNano()), "unknown.unknown.invalid"},
		{"consent command", bus.Event{CommandID: "c-1", State: "consent_applied", Municipality: "0363", System: "regsys"},
			"status-c-1-consent_applied", "0363.regsys.consent_applied"},
		{"consent command without a readable id", bus.Event{State: "consent_invalid", Municipality: "0363"},
			"status-unknown-consent_invalid", "0363.unknown.consent_invalid"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := tc.ev.Message()
			if m.UUID != tc.id {
				t.Errorf("id %q, want %q", m.UUID, tc.id)
			}
			if got := bus.RoutingKey.Get(m); got != tc.rk {
				t.Errorf("routing key %q, want %q", got, tc.rk)
			}
			if got := bus.ContentType.Get(m); got != "application/json" {
				t.Errorf("content type %q", got)
			}
			ev, err := bus.Parse(m.Payload)
			if err != nil || ev.Version != 1 || ev.State != tc.ev.State {
				t.Errorf("parsed %+v, %v", ev, err)
			}
		})
	}
}

// recorder is an in-memory Publisher that fails the messages of the ids
// in fail with their error.
type recorder struct {
	topics []string
	ids    []string
	fail   map[string]error
}

func (r *recorder) PublishContext(_ context.Context, topic string, msgs ...*message.Message) []error {
	errs := make([]error, len(msgs))
	for i, m := range msgs {
		r.topics = append(r.topics, topic)
		r.ids = append(r.ids, m.UUID)
		errs[i] = r.fail[m.UUID]
	}
	return errs
}

var errBroker = errors.New("broker gone")

func TestPublish(t *testing.T) {
	a := bus.Event{DisclosureID: "a", State: "received"}
	b := bus.Event{DisclosureID: "b", State: "received"}
	for _, tc := range []struct {
		name     string
		fail     map[string]error
		unrouted int
		err      error
	}{
		{"all confirmed", nil, 0, nil},
		{"one unroutable is counted, not an error", map[string]error{"status-a-received": fmt.Errorf("x: %w", bus.ErrUnroutable)}, 1, nil},
		{"another failure is an error", map[string]error{"status-b-received": errBroker}, 0, errBroker},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := &recorder{fail: tc.fail}
			unrouted, err := bus.Publish(context.Background(), r, a, b)
			if unrouted != tc.unrouted || !errors.Is(err, tc.err) || (tc.err == nil && err != nil) {
				t.Fatalf("Publish = %d, %v; want %d, %v", unrouted, err, tc.unrouted, tc.err)
			}
			if len(r.ids) != 2 || r.topics[0] != bus.TopicStatus || r.topics[1] != bus.TopicStatus {
				t.Fatalf("published %v to %v", r.ids, r.topics)
			}
		})
	}
}

func TestAnnounce(t *testing.T) {
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	rec := receipts.Record{DisclosureID: "d-1", State: receipts.Delivered, Municipality: "0363", System: "regsys"}
	for _, tc := range []struct {
		name string
		fail error
		want error
	}{
		{"confirmed", nil, nil},
		{"no status queue bound", fmt.Errorf("x: %w", bus.ErrUnroutable), nil},
		{"broker failure", errBroker, errBroker},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := &recorder{fail: map[string]error{"status-d-1-delivered": tc.fail}}
			err := bus.Announce(context.Background(), r, rec, now)
			if !errors.Is(err, tc.want) || (tc.want == nil && err != nil) {
				t.Fatalf("Announce = %v, want %v", err, tc.want)
			}
			if len(r.ids) != 1 || r.ids[0] != "status-d-1-delivered" {
				t.Fatalf("published %v", r.ids)
			}
		})
	}
}
