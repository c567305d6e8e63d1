package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	amqp091 "github.com/rabbitmq/amqp091-go"

	"github.com/sluis-gateway/sluis/adapters/amqp"
	"github.com/sluis-gateway/sluis/internal/app"
	"github.com/sluis-gateway/sluis/internal/bus"
	"github.com/sluis-gateway/sluis/internal/disclosure"
)

// waiting states end `send --wait`: nothing more happens without the provider.
var settled = map[string]bool{
	"invalid": true, "refused": true, "failed": true, "delivered": true,
	"accepted": true, "rejected": true, "overdue": true,
}

// Send acts as a registration system: it binds a status queue for the
// request's sender, publishes the request to the intake (broker-confirmed),
// and prints status events for it until it settles or timeout passes. It
// returns ErrEndedInvalid, ErrEndedRefused or ErrEndedFailed when the
// request settles so.
func Send(ctx context.Context, out io.Writer, amqpURL, file string, wait bool, timeout time.Duration) error {
	body, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	env := disclosure.Peek(body)
	if env.ID == "" || env.Municipality == "" || env.System == "" {
		fmt.Fprintln(out, "note: the request has no readable id or sender; sluis will refuse it, and its status event goes to unknown.unknown.invalid")
	}
	if err := app.CheckBroker(amqpURL); err != nil {
		return err
	}
	var events <-chan amqp091.Delivery
	if wait {
		conn, ch, err := dial(amqpURL)
		if err != nil {
			return err
		}
		defer conn.Close()
		q, err := ch.QueueDeclare("", false, true, true, false, nil)
		if err != nil {
			return err
		}
		key := bus.OrUnknown(env.Municipality) + "." + bus.OrUnknown(env.System) + ".#"
		if err := ch.QueueBind(q.Name, key, amqp.ExchangeStatus, false, nil); err != nil {
			return fmt.Errorf("bind status queue (is the gateway's topology declared? start `sluis serve` once): %w", err)
		}
		if events, err = ch.Consume(q.Name, "", true, true, false, false, nil); err != nil {
			return err
		}
	}
	pub, err := amqp.NewPublisher(amqp.PublisherConfig{URL: amqpURL, Route: amqp.Route, ConnectionName: "sluis-send", UserID: amqp.UserOf(amqpURL)},
		watermill.NopLogger{}, nil)
	if err != nil {
		return err
	}
	defer pub.Close()
	id := env.ID
	if id == "" {
		id = watermill.NewUUID()
	}
	if err := pub.Enqueue(ctx, id, body); err != nil {
		return fmt.Errorf("publish to intake: %w", err)
	}
	fmt.Fprintf(out, "sent disclosure %s to the intake (broker confirmed)\n", bus.OrUnknown(env.ID))
	if !wait {
		return nil
	}
	deadline := time.After(timeout)
	for {
		select {
		case d, ok := <-events:
			if !ok {
				return errors.New("status queue closed")
			}
			ev, err := bus.Parse(d.Body)
			if err != nil || (env.ID != "" && ev.DisclosureID != env.ID) {
				continue
			}
			fmt.Fprintln(out, "status:", describe(ev))
			if settled[ev.State] {
				return ended(ev.State) // invalid, refused, failed: a non-zero exit
			}
		case <-deadline:
			return fmt.Errorf("no settled status within %s", timeout)
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func describe(ev bus.Event) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%-9s %s", ev.State, ev.At.Format(time.RFC3339))
	if ev.MessageType != "" {
		fmt.Fprintf(&b, " %s", ev.MessageType)
	}
	if ev.Identificatie != "" {
		fmt.Fprintf(&b, " identificatie=%s", ev.Identificatie)
	}
	if ev.Recipient != "" {
		fmt.Fprintf(&b, " recipient=%s", ev.Recipient)
	}
	if ev.Reason != "" {
		fmt.Fprintf(&b, " reason=%q", ev.Reason)
	}
	if len(ev.ReasonCodes) > 0 {
		fmt.Fprintf(&b, " codes=%s", strings.Join(ev.ReasonCodes, ","))
	}
	if len(ev.RetourCodes) > 0 {
		fmt.Fprintf(&b, " retour_codes=%s", strings.Join(ev.RetourCodes, ","))
	}
	return b.String()
}

// dial connects to the broker and opens a channel; closing the connection
// closes both.
func dial(amqpURL string) (*amqp091.Connection, *amqp091.Channel, error) {
	conn, err := amqp091.Dial(amqpURL)
	if err != nil {
		return nil, nil, err
	}
	ch, err := conn.Channel()
	if err != nil {
		conn.Close()
		return nil, nil, err
	}
	return conn, ch, nil
}
