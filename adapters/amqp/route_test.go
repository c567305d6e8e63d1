package amqp

import (
	"testing"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/sluis-gateway/sluis/internal/bus"
)

func TestRoute(t *testing.T) {
	msg := func(k bus.Key, v string) *message.Message {
		m := message.NewMessage("m", nil)
		if k != "" {
			k.Set(m, v)
		}
		return m
	}
	for _, tc := range []struct {
		name, topic   string
		msg           *message.Message
		exchange, key string
		fails         bool
	}{
		{"outbound by AGB", bus.TopicOutbound, msg(bus.AGB, "42420001"), ExchangeOutbound, "42420001", false},
		{"outbound without a valid AGB", bus.TopicOutbound, msg(bus.AGB, "4242"), "", "", true},
		{"status by its topic key", bus.TopicStatus, msg(bus.RoutingKey, "0363.regsys.delivered"), ExchangeStatus, "0363.regsys.delivered", false},
		{"disclosure request", bus.TopicIntake, msg("", ""), ExchangeIntake, KeyDisclosure, false},
		{"consent command", bus.TopicConsents, msg("", ""), ExchangeIntake, KeyConsent, false},
		{"parked", bus.TopicDead, msg("", ""), ExchangeDead, "", false},
		{"unknown topic", "elsewhere", msg("", ""), "", "", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ex, key, err := Route(tc.topic, tc.msg)
			if (err != nil) != tc.fails || ex != tc.exchange || key != tc.key {
				t.Fatalf("Route = %q, %q, %v; want %q, %q, fails %v", ex, key, err, tc.exchange, tc.key, tc.fails)
			}
		})
	}
}
