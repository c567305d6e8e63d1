package amqp

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/sluis-gateway/sluis/internal/bus"
)

// MetadataContentType is the watermill metadata key whose value becomes the
// AMQP content-type property (and is not copied to the headers).
const MetadataContentType = string(bus.ContentType)

// metadataUserID is the metadata key of the AMQP user-id property.
const metadataUserID = string(bus.UserID)

// DefaultContentType is used when a message has no content_type metadata.
const DefaultContentType = "application/octet-stream"

// publishTagHeader carries the channel delivery tag of each publish, so that
// a basic.return (which carries the message, not its tag) can be matched to
// the pending publish exactly. Consumers can ignore it; the subscriber
// marshaler drops it.
const publishTagHeader = "sluis-publish-tag"

// Backoff bounds the delay between reconnect attempts; it doubles from
// Initial up to Max.
type Backoff struct {
	Initial time.Duration // default 100ms
	Max     time.Duration // default 5s
}

// PublisherConfig configures a Publisher. Zero durations and counts take
// their defaults.
type PublisherConfig struct {
	// URL is the AMQP URL, e.g. amqp://user:pass@host:5672/vhost. Required.
	URL string
	// ConfirmTimeout bounds the wait for a publisher confirm; a message not
	// confirmed in time fails with ErrConfirmTimeout. Default 10s.
	ConfirmTimeout time.Duration
	// MaxInFlight is the window of unconfirmed messages; Publish blocks
	// (back-pressure) while it is full. Default 1024.
	MaxInFlight int
	// ReconnectBackoff bounds the delay between connection attempts.
	ReconnectBackoff Backoff
	// ConnectWait bounds how long Publish waits for a connection before a
	// message fails with ErrNotConnected. Default: ConfirmTimeout.
	ConnectWait time.Duration
	// Route maps a watermill topic and message to exchange and routing key.
	// Required. A message routed to an exchange that does not exist fails
	// with ErrNoExchange (see Topology for the exchanges).
	Route func(topic string, msg *message.Message) (exchange, key string, err error)
	// ConnectionName is shown in the broker's connection list.
	// Default "sluis-publisher".
	ConnectionName string
	// UserID, when set, is the AMQP user-id property of every message that
	// has no bus.UserID metadata: it must be the connection's user (RabbitMQ
	// refuses the publish otherwise and closes the channel). Consumers of
	// the intake, the consent queue and the retour exchange require it.
	// UserOf gives the user of a URL.
	UserID string

	// beforeConfirm, when set (tests only), runs in the confirm-reading
	// goroutine before each confirm is processed.
	beforeConfirm func()
}

// UserOf returns the user name of an AMQP URL (the RabbitMQ default
// "guest" when the URL names none), the user-id its connection may set. It
// is "" for a URL that does not parse.
func UserOf(url string) string {
	u, err := amqp.ParseURI(url)
	if err != nil {
		return ""
	}
	return u.Username
}

// RouteTo returns a Route that publishes every topic to exchange with the
// topic as routing key (e.g. RouteTo(ExchangeOutbound) with the AGB code as
// topic, or RouteTo("") to address a queue by name on the default exchange).
func RouteTo(exchange string) func(string, *message.Message) (string, string, error) {
	return func(topic string, _ *message.Message) (string, string, error) {
		if topic == "" {
			return "", "", errors.New("empty topic")
		}
		return exchange, topic, nil
	}
}

func (c PublisherConfig) withDefaults() (PublisherConfig, error) {
	var bad []string
	if c.URL == "" {
		bad = append(bad, "URL is empty")
	} else if _, err := amqp.ParseURI(c.URL); err != nil {
		bad = append(bad, "URL does not parse") // the error would echo the password
	}
	if c.Route == nil {
		bad = append(bad, "Route is nil")
	}
	if c.ConfirmTimeout < 0 {
		bad = append(bad, "ConfirmTimeout is negative")
	}
	if c.MaxInFlight < 0 {
		bad = append(bad, "MaxInFlight is negative")
	}
	if c.ConnectWait < 0 {
		bad = append(bad, "ConnectWait is negative")
	}
	if c.ReconnectBackoff.Initial < 0 || c.ReconnectBackoff.Max < 0 {
		bad = append(bad, "ReconnectBackoff is negative")
	}
	if c.ReconnectBackoff.Max > 0 && c.ReconnectBackoff.Initial > c.ReconnectBackoff.Max {
		bad = append(bad, "ReconnectBackoff.Initial exceeds ReconnectBackoff.Max")
	}
	if len(bad) > 0 {
		return c, fmt.Errorf("%w: %s", ErrInvalidConfig, strings.Join(bad, "; "))
	}
	if c.ConfirmTimeout == 0 {
		c.ConfirmTimeout = 10 * time.Second
	}
	if c.MaxInFlight == 0 {
		c.MaxInFlight = 1024
	}
	if c.ConnectWait == 0 {
		c.ConnectWait = c.ConfirmTimeout
	}
	if c.ReconnectBackoff.Initial == 0 {
		c.ReconnectBackoff.Initial = 100 * time.Millisecond
	}
	if c.ReconnectBackoff.Max == 0 {
		c.ReconnectBackoff.Max = 5 * time.Second
	}
	if c.ReconnectBackoff.Initial > c.ReconnectBackoff.Max {
		c.ReconnectBackoff.Initial = c.ReconnectBackoff.Max
	}
	if c.ConnectionName == "" {
		c.ConnectionName = "sluis-publisher"
	}
	return c, nil
}
