package amqp

import (
	"context"
	"fmt"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/sluis-gateway/sluis/internal/bus"
	"github.com/sluis-gateway/sluis/internal/identity"
	"github.com/sluis-gateway/sluis/messages"
)

// Route maps the gateway's topics (package bus) to exchanges and routing
// keys: outbound messages by their bus.AGB metadata to the provider's
// queue, status events by their bus.RoutingKey metadata, disclosure
// requests and consent commands to the intake, parked messages to the
// dead-letter exchange. It is the Route of the gateway's Publisher.
func Route(topic string, msg *message.Message) (string, string, error) {
	switch topic {
	case bus.TopicOutbound:
		agb := bus.AGB.Get(msg)
		if !messages.ValidAGB(agb) {
			return "", "", fmt.Errorf("outbound message without a valid agb")
		}
		return ExchangeOutbound, agb, nil
	case bus.TopicStatus:
		return ExchangeStatus, bus.RoutingKey.Get(msg), nil
	case bus.TopicIntake:
		return ExchangeIntake, KeyDisclosure, nil
	case bus.TopicConsents:
		return ExchangeIntake, KeyConsent, nil
	case bus.TopicInbound:
		sys := bus.Receiver.Get(msg)
		if !systemIDRe.MatchString(sys) {
			return "", "", fmt.Errorf("inbound message without a valid receiving system")
		}
		return ExchangeSystem, sys, nil
	case bus.TopicDead:
		return ExchangeDead, "", nil
	}
	return "", "", fmt.Errorf("unknown topic %q", topic)
}

// Enqueue publishes a disclosure request (JSON) to bus.TopicIntake,
// confirmed by the broker, with message id "intake-<id>" (the HTTP intake
// and `sluis send`). The publisher's Route must be Route. When ctx carries
// an authenticated system (the HTTP intake), the message names it in
// metadata bus.System; the intake trusts that only from the gateway's own
// broker user.
func (p *Publisher) Enqueue(ctx context.Context, id string, body []byte) error {
	m := message.NewMessage("intake-"+id, body)
	bus.ContentType.Set(m, "application/json")
	if s, err := identity.SystemFrom(ctx); err == nil {
		bus.System.Set(m, s.ID)
	}
	return p.PublishContext(ctx, bus.TopicIntake, m)[0]
}
