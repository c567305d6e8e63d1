package amqp

import (
	"context"
	"testing"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/sluis-gateway/sluis/internal/bus"
)

// TestUserIDIsTheBrokerValidatedProperty: the publisher sends metadata
// bus.UserID (or its configured UserID) as the AMQP user-id property, the
// broker checks it, and the subscriber's metadata bus.UserID comes only
// from that property: a header of the same name is dropped.
func TestUserIDIsTheBrokerValidatedProperty(t *testing.T) {
	q := uniqueName("userid")
	declareQueue(t, q, nil)
	sub := newTestSubscriber(t, q, 1)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	ch, err := sub.Subscribe(ctx, "x")
	if err != nil {
		t.Fatal(err)
	}
	user := UserOf(testURL())
	for _, tc := range []struct {
		name string
		cfg  PublisherConfig
		meta string // metadata bus.UserID set on the message
		want string
	}{
		{"configured user id", PublisherConfig{UserID: user}, "", user},
		{"metadata user id", PublisherConfig{}, user, user},
		{"none", PublisherConfig{}, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := newTestPublisher(t, tc.cfg, nil)
			msg := newMsg("uid-" + randHex(3))
			if tc.meta != "" {
				bus.UserID.Set(msg, tc.meta)
			}
			if err := p.Publish(q, msg); err != nil {
				t.Fatal(err)
			}
			got := recv(t, ch)
			got.Ack()
			if v := bus.UserID.Get(got); v != tc.want {
				t.Fatalf("user_id %q, want %q", v, tc.want)
			}
		})
	}

	t.Run("a header named user_id is not the user id", func(t *testing.T) {
		_, raw := dial(t)
		if err := raw.Publish("", q, false, false, amqp.Publishing{
			MessageId: "spoof-" + randHex(3), Headers: amqp.Table{string(bus.UserID): "regsys-rotterdam"}, Body: []byte("x"),
		}); err != nil {
			t.Fatal(err)
		}
		got := recv(t, ch)
		got.Ack()
		if v := bus.UserID.Get(got); v != "" {
			t.Fatalf("user_id %q from a header", v)
		}
	})

	t.Run("the broker refuses another user's id", func(t *testing.T) {
		_, raw := dial(t)
		if err := raw.Confirm(false); err != nil {
			t.Fatal(err)
		}
		dc, err := raw.PublishWithDeferredConfirm("", q, false, false, amqp.Publishing{UserId: "regsys-rotterdam", Body: []byte("x")})
		if err == nil {
			ok, werr := dc.WaitContext(ctx)
			if ok && werr == nil {
				t.Fatal("the broker accepted a user-id that is not the connection's user")
			}
		}
	})
}
