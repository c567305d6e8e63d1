package amqp

import (
	"errors"
	"strings"
	"sync"
	"testing"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/sluis-gateway/sluis/internal/bus"
)

// testAGB returns a random valid AGB code.
func testAGB() string {
	b := []byte(randHex(4))
	for i := range b {
		b[i] = '0' + b[i]%10
	}
	return string(b)
}

// privateTopology returns a topology with its own name prefix, deleted at
// cleanup.
func privateTopology(t *testing.T, providers ...string) Topology {
	t.Helper()
	top := Topology{Providers: providers, prefix: uniqueName("top") + "."}
	pl, err := top.plan()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for _, q := range pl.Queues {
			deleteQueue(t, q.Name)
		}
		for _, e := range pl.Exchanges {
			deleteExchange(t, e.Name)
		}
	})
	return top
}

func TestTopologyDeclareIsIdempotentAcrossInstances(t *testing.T) {
	top := privateTopology(t, testAGB(), testAGB())
	// Several instances starting at once, then a restart.
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, ch := dial(t)
			errs[i] = top.Declare(ch)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("instance %d: %v", i, err)
		}
	}
	_, ch := dial(t)
	if err := top.Declare(ch); err != nil {
		t.Fatalf("second Declare: %v", err)
	}
}

func TestTopologyQueuesAreQuorumWithDeadLettering(t *testing.T) {
	agb := testAGB()
	top := privateTopology(t, agb)
	_, ch := dial(t)
	if err := top.Declare(ch); err != nil {
		t.Fatal(err)
	}
	p := top.prefix
	tests := []struct {
		name  string
		queue string
		args  amqp.Table
	}{
		{"disclosures", p + QueueDisclosures, top.workQueueArgs()},
		{"consents", p + QueueConsents, top.workQueueArgs()},
		{"retours", p + QueueRetours, top.workQueueArgs()},
		{"provider", p + ProviderQueue(agb), top.workQueueArgs()},
		{"dead", p + QueueDead, amqp.Table{"x-queue-type": "quorum"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// Redeclaring with the expected arguments succeeds only if the
			// queue has exactly them; a classic redeclare must be refused.
			_, ch := dial(t)
			if _, err := ch.QueueDeclare(tc.queue, true, false, false, false, tc.args); err != nil {
				t.Fatalf("redeclare with expected args: %v", err)
			}
			_, err := ch.QueueDeclare(tc.queue, true, false, false, false, amqp.Table{"x-queue-type": "classic"})
			var aerr *amqp.Error
			if !errors.As(err, &aerr) || aerr.Code != amqp.PreconditionFailed {
				t.Fatalf("classic redeclare: %v, want 406", err)
			}
		})
	}
}

func TestTopologyRoutes(t *testing.T) {
	agb, other := testAGB(), testAGB()
	top := privateTopology(t, agb)
	_, ch := dial(t)
	if err := top.Declare(ch); err != nil {
		t.Fatal(err)
	}
	p := top.prefix
	pub := newTestPublisher(t, PublisherConfig{Route: routeByMetadata}, nil)
	tests := []struct {
		name     string
		exchange string
		key      string
		queue    string // "" = unroutable
	}{
		{"disclosure to intake", p + ExchangeIntake, KeyDisclosure, p + QueueDisclosures},
		{"consent to intake", p + ExchangeIntake, KeyConsent, p + QueueConsents},
		{"outbound to provider", p + ExchangeOutbound, agb, p + ProviderQueue(agb)},
		{"outbound to unknown provider", p + ExchangeOutbound, other, ""},
		{"retour", p + ExchangeRetour, KeyRetour, p + QueueRetours},
		{"status without subscribers", p + ExchangeStatus, "0363.wijkteam.delivered", ""},
		{"dead letter", p + ExchangeDead, "anything", p + QueueDead},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			msg := newMsg("route-" + randHex(4))
			msg.Metadata.Set("exchange", tc.exchange)
			msg.Metadata.Set("to", tc.key)
			err := pub.Publish("any", msg)
			if tc.queue == "" {
				if !errors.Is(err, bus.ErrUnroutable) {
					t.Fatalf("got %v, want ErrUnroutable", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := queueIDs(t, tc.queue, map[string]bool{msg.UUID: true})
			if got[msg.UUID] != 1 {
				t.Fatalf("%s not in %s: %v", msg.UUID, tc.queue, got)
			}
		})
	}
}

func TestTopologyDeadLettersRejectedMessages(t *testing.T) {
	agb := testAGB()
	top := privateTopology(t, agb)
	_, ch := dial(t)
	if err := top.Declare(ch); err != nil {
		t.Fatal(err)
	}
	p := top.prefix
	pub := newTestPublisher(t, PublisherConfig{Route: RouteTo(p + ExchangeOutbound)}, nil)
	msg := newMsg("dl-" + randHex(4))
	if err := pub.Publish(agb, msg); err != nil {
		t.Fatal(err)
	}
	_, cch := dial(t)
	d, ok, err := cch.Get(p+ProviderQueue(agb), false)
	if err != nil || !ok {
		t.Fatalf("get: ok=%v err=%v", ok, err)
	}
	if err := d.Nack(false, false); err != nil {
		t.Fatal(err)
	}
	got := queueIDs(t, p+QueueDead, map[string]bool{msg.UUID: true})
	if got[msg.UUID] != 1 {
		t.Fatalf("rejected message not dead-lettered: %v", got)
	}
}

func TestTopologyDeclareNamesConflictingQueue(t *testing.T) {
	top := privateTopology(t)
	_, ch := dial(t)
	// An operator created the disclosures queue by hand as a classic queue.
	if _, err := ch.QueueDeclare(top.prefix+QueueDisclosures, true, false, false, false, nil); err != nil {
		t.Fatal(err)
	}
	_, ch2 := dial(t)
	err := top.Declare(ch2)
	var aerr *amqp.Error
	if !errors.As(err, &aerr) || aerr.Code != amqp.PreconditionFailed || !strings.Contains(err.Error(), QueueDisclosures) {
		t.Fatalf("Declare over a conflicting queue: %v, want 406 naming the queue", err)
	}
}

func TestTopologyPlan(t *testing.T) {
	tests := []struct {
		name      string
		providers []string
		systems   []string
		wantErr   error
		queues    int
	}{
		{"no providers", nil, nil, nil, 5},
		{"two providers", []string{"42420001", "65656055"}, nil, nil, 7},
		{"duplicate provider declared once", []string{"42420001", "42420001"}, nil, nil, 6},
		{"short code", []string{"4242"}, nil, ErrInvalidAGB, 0},
		{"letters", []string{"4242000A"}, nil, ErrInvalidAGB, 0},
		{"routing metacharacters", []string{"4242.#01"}, nil, ErrInvalidAGB, 0},
		{"a receiving system", nil, []string{"regsys-a"}, nil, 6},
		{"duplicate system declared once", nil, []string{"regsys-a", "regsys-a"}, nil, 6},
		{"system id with a dot", nil, []string{"regsys.a"}, ErrInvalidSystem, 0},
		{"system id with routing metacharacters", nil, []string{"regsys#"}, ErrInvalidSystem, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			pl, err := Topology{Providers: tc.providers, Systems: tc.systems}.plan()
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("err %v, want %v", err, tc.wantErr)
			}
			if len(pl.Queues) != tc.queues {
				t.Fatalf("%d queues, want %d", len(pl.Queues), tc.queues)
			}
		})
	}
	if err := (Topology{}).Declare(nil); err == nil {
		t.Error("Declare(nil) succeeded")
	}
	if got := ProviderQueue("42420001"); got != "sluis.provider.42420001" {
		t.Errorf("ProviderQueue = %q", got)
	}
}
