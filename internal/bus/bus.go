// Package bus is the vocabulary of sluis's message bus: the topics work is
// published to, the metadata keys a message carries, the one error for a
// message no queue took, and the status events sent to registration systems
// for every state change (built and published here only). The AMQP adapter
// maps topics to exchanges and routing keys (adapters/amqp.Route).
package bus

import (
	"errors"

	"github.com/ThreeDotsLabs/watermill/message"
)

// Topics of the gateway. A publisher maps each to an exchange and routing
// key; the metadata a topic needs is named with it.
const (
	// TopicIntake takes disclosure requests (JSON) from registration
	// systems: the HTTP intake and `sluis send` publish here.
	TopicIntake = "intake"
	// TopicConsents takes consent register commands (JSON).
	TopicConsents = "consents"
	// TopicOutbound takes signed messages for a provider; metadata AGB is
	// the provider's AGB code.
	TopicOutbound = "outbound"
	// TopicStatus takes status events; metadata RoutingKey is the topic key
	// "<municipality>.<system>.<state>" (Event.RoutingKey).
	TopicStatus = "status"
	// TopicInbound takes a provider's heenbericht for a registration
	// system; metadata Receiver is the system's id (its queue
	// sluis.system.<id>.inbound).
	TopicInbound = "inbound"
	// TopicDead is the parking topic: it must reach the dead-letter
	// exchange (fanout, any routing key).
	TopicDead = "dead"
)

// Key is a metadata key of a message on the bus.
type Key string

// Metadata keys.
const (
	// AGB is the recipient provider's AGB code (TopicOutbound).
	AGB Key = "agb"
	// RoutingKey is a status event's topic key (TopicStatus).
	RoutingKey Key = "routing_key"
	// ContentType becomes the message's content type.
	ContentType Key = "content_type"
	// MessageType is the iWmo / iJw message type, e.g. WMO301.
	MessageType Key = "message_type"
	// UserID is the broker-validated user of the connection that published
	// the message (the AMQP user-id property, which RabbitMQ checks against
	// the publishing connection's user). The AMQP subscriber sets it from
	// the delivery only, never from a header; a publisher that sets it sends
	// it as the user-id property, not as a header.
	UserID Key = "user_id"
	// System is the registration system the gateway itself authenticated
	// (over HTTP) before it published the message with its own broker
	// user. Consumers trust it only on a message whose UserID is the
	// gateway's own broker user.
	System Key = "sluis_system"
	// Receiver is the registration system an inbound message is for
	// (TopicInbound).
	Receiver Key = "sluis_receiver"
)

// Get returns k's value on m ("" when unset).
func (k Key) Get(m *message.Message) string { return m.Metadata.Get(string(k)) }

// Set sets k's value on m.
func (k Key) Set(m *message.Message, v string) { m.Metadata.Set(string(k), v) }

// ErrUnroutable is what a Publisher returns (wrapped) for a message that no
// queue took: the broker returned it. For an outbound message it means the
// recipient is not connected; for a status event that the sender bound no
// status queue.
var ErrUnroutable = errors.New("message unroutable")

// ErrRefused is what a Publisher returns (wrapped) for a message the broker
// refused to take (basic.nack): a queue it is routed to is full (policy
// overflow reject-publish) or could not store it. It may succeed later;
// the HTTP intake answers 503 with Retry-After.
var ErrRefused = errors.New("message refused by the broker (queue full)")
