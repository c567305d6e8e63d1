package amqp

import (
	"sync"
	"testing"

	"github.com/ThreeDotsLabs/watermill"
	wamqp "github.com/ThreeDotsLabs/watermill-amqp/v3/pkg/amqp"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/pubsub/tests"
	amqp "github.com/rabbitmq/amqp091-go"
)

// suiteTopology declares a durable quorum queue per topic (the suite's
// topics are random) and remembers it for deletion at cleanup.
type suiteTopology struct {
	mu     sync.Mutex
	queues map[string]bool
}

func (s *suiteTopology) BuildTopology(ch *amqp.Channel, params wamqp.BuildTopologyParams, _ wamqp.Config, _ watermill.LoggerAdapter) error {
	if _, err := ch.QueueDeclare(params.QueueName, true, false, false, false, amqp.Table{"x-queue-type": "quorum"}); err != nil {
		return err
	}
	s.mu.Lock()
	s.queues[params.QueueName] = true
	s.mu.Unlock()
	return nil
}

func (s *suiteTopology) ExchangeDeclare(*amqp.Channel, string, wamqp.Config) error { return nil }

// TestUniversalPubSub runs watermill's pub/sub contract suite with our
// Publisher and the watermill-amqp subscriber built from SubscriberConfig.
// Topic = queue name on the default exchange.
func TestUniversalPubSub(t *testing.T) {
	if testing.Short() {
		t.Skip("universal suite is long")
	}
	topo := &suiteTopology{queues: map[string]bool{}}
	t.Cleanup(func() {
		topo.mu.Lock()
		defer topo.mu.Unlock()
		for q := range topo.queues {
			deleteQueue(t, q)
		}
	})
	constructor := func(t *testing.T) (message.Publisher, message.Subscriber) {
		pub, err := NewPublisher(PublisherConfig{URL: testURL(), Route: RouteTo(""), ConnectionName: uniqueName("suite")}, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		cfg := SubscriberConfig(testURL(), "", 1)
		cfg.Queue.GenerateName = wamqp.GenerateQueueNameTopicName
		cfg.TopologyBuilder = topo
		sub, err := wamqp.NewSubscriber(cfg, watermill.NopLogger{})
		if err != nil {
			t.Fatal(err)
		}
		return pub, sub
	}
	tests.TestPubSub(t, tests.Features{
		ConsumerGroups:                      false,
		ExactlyOnceDelivery:                 false,
		GuaranteedOrder:                     true,
		GuaranteedOrderWithSingleSubscriber: true,
		Persistent:                          true,
	}, constructor, nil)
}
