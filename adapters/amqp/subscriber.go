package amqp

import (
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	wamqp "github.com/ThreeDotsLabs/watermill-amqp/v3/pkg/amqp"
	"github.com/ThreeDotsLabs/watermill/message"
	amqp "github.com/rabbitmq/amqp091-go"
)

// MetadataDeliveryCount is the metadata key under which a quorum queue's
// x-delivery-count header (how often the message was delivered before; absent
// on the first delivery) is available as a decimal string.
const MetadataDeliveryCount = "x-delivery-count"

// LastDelivery reports whether msg, taken from a work queue, is on its last
// delivery: nacked now, the broker dead-letters it to sluis.dead instead of
// redelivering it. A quorum queue dead-letters a message returned when its
// x-delivery-count is already DeliveryLimit (deliveries 0 to DeliveryLimit,
// so DeliveryLimit+1 in all).
func LastDelivery(msg *message.Message) bool {
	n, err := strconv.Atoi(msg.Metadata.Get(MetadataDeliveryCount))
	return err == nil && n >= DeliveryLimit
}

// SubscriberConfig returns a watermill-amqp configuration that consumes the
// existing queue (declared by Topology, whatever topic is passed to
// Subscribe) with manual acks and the given prefetch. It declares nothing:
// it only checks passively that the queue exists, so its arguments can never
// clash with the topology's. A nacked message is requeued; the gateway parks
// it once it was delivered DeliveryLimit times (its x-delivery-count), and
// the queue's policy delivery-limit dead-letters it on the broker.
//
// Each Subscribe call opens its own channel and consumer and hands over one
// message at a time (the next comes after Ack/Nack); call Subscribe several
// times on the same queue for parallelism.
func SubscriberConfig(url, queue string, prefetch int) wamqp.Config {
	if prefetch < 1 {
		prefetch = 1
	}
	return wamqp.Config{
		Connection: wamqp.ConnectionConfig{
			AmqpURI:   url,
			Reconnect: wamqp.DefaultReconnectConfig(),
		},
		Marshaler: Marshaler{},
		Exchange: wamqp.ExchangeConfig{
			GenerateName: wamqp.GenerateExchangeNameConstant(""),
		},
		Queue: wamqp.QueueConfig{
			GenerateName: wamqp.GenerateQueueNameConstant(queue),
			Durable:      true,
		},
		QueueBind: wamqp.QueueBindConfig{
			GenerateRoutingKey: func(string) string { return "" },
		},
		Publish: wamqp.PublishConfig{
			GenerateRoutingKey: func(topic string) string { return topic },
		},
		Consume: wamqp.ConsumeConfig{
			Qos: wamqp.QosConfig{PrefetchCount: prefetch},
		},
		TopologyBuilder: passiveTopology{},
	}
}

// NewSubscriber returns a watermill subscriber for queue; see
// SubscriberConfig. It fails when the broker is unreachable or the queue
// does not exist (on Subscribe). logger may be nil.
func NewSubscriber(url, queue string, prefetch int, logger watermill.LoggerAdapter) (message.Subscriber, error) {
	if url == "" {
		return nil, errors.New("subscriber: empty url")
	}
	if queue == "" {
		return nil, errors.New("subscriber: empty queue")
	}
	if prefetch < 0 {
		return nil, errors.New("subscriber: negative prefetch")
	}
	if logger == nil {
		logger = watermill.NopLogger{}
	}
	s, err := wamqp.NewSubscriber(SubscriberConfig(url, queue, prefetch), logger)
	if err != nil {
		return nil, fmt.Errorf("subscriber for queue %s: %w", queue, err)
	}
	return s, nil
}

// passiveTopology checks that the queue exists and declares nothing.
type passiveTopology struct{}

func (passiveTopology) BuildTopology(ch *amqp.Channel, params wamqp.BuildTopologyParams, _ wamqp.Config, _ watermill.LoggerAdapter) error {
	if _, err := ch.QueueDeclarePassive(params.QueueName, true, false, false, false, nil); err != nil {
		return fmt.Errorf("queue %s must exist (declare it with Topology): %w", params.QueueName, err)
	}
	return nil
}

func (passiveTopology) ExchangeDeclare(*amqp.Channel, string, wamqp.Config) error {
	return nil
}

// Marshaler is the watermill-amqp marshaler of sluis. Unmarshal takes the
// watermill UUID from the AMQP message-id property (as Publisher sets it;
// watermill's own UUID header is a fallback), the content type into metadata
// "content_type", and converts every non-string header to a string rather
// than rejecting the message: quorum queues add an integer x-delivery-count
// and dead-lettering adds x-death tables. The broker-validated user-id
// property becomes metadata bus.UserID (a header of that name is dropped).
// Marshal mirrors Publisher.
type Marshaler struct{}

// Marshal implements wamqp.Marshaler (used only if a watermill-amqp
// publisher is built on SubscriberConfig; sluis publishes with Publisher).
func (Marshaler) Marshal(msg *message.Message) (amqp.Publishing, error) {
	return publishing(msg), nil
}

// Unmarshal implements wamqp.Marshaler.
func (Marshaler) Unmarshal(d amqp.Delivery) (*message.Message, error) {
	id := d.MessageId
	if id == "" {
		if v, ok := d.Headers[wamqp.DefaultMessageUUIDHeaderKey].(string); ok {
			id = v
		}
	}
	msg := message.NewMessage(id, d.Body)
	msg.Metadata = make(message.Metadata, len(d.Headers)+1)
	for k, v := range d.Headers {
		if k == publishTagHeader || k == wamqp.DefaultMessageUUIDHeaderKey || k == metadataUserID {
			continue
		}
		msg.Metadata[k] = headerString(v)
	}
	if d.ContentType != "" {
		msg.Metadata[MetadataContentType] = d.ContentType
	}
	// Only the broker-validated property, never a header of that name.
	if d.UserId != "" {
		msg.Metadata[metadataUserID] = d.UserId
	}
	return msg, nil
}

// headerString renders an AMQP header value as a string.
func headerString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case []byte:
		return string(x)
	case int8:
		return strconv.FormatInt(int64(x), 10)
	case int16:
		return strconv.FormatInt(int64(x), 10)
	case int32:
		return strconv.FormatInt(int64(x), 10)
	case int64:
		return strconv.FormatInt(x, 10)
	case int:
		return strconv.Itoa(x)
	case uint8:
		return strconv.FormatUint(uint64(x), 10)
	case uint16:
		return strconv.FormatUint(uint64(x), 10)
	case uint32:
		return strconv.FormatUint(uint64(x), 10)
	case bool:
		return strconv.FormatBool(x)
	case float32:
		return strconv.FormatFloat(float64(x), 'g', -1, 32)
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	case time.Time:
		return x.UTC().Format(time.RFC3339)
	case nil:
		return ""
	default:
		return fmt.Sprintf("%v", x)
	}
}
