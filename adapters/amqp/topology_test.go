package amqp

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/sluis-gateway/sluis/internal/bus"
	"github.com/sluis-gateway/sluis/internal/testenv"
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

func TestTopologyQueuesAreQuorumWithOnlyTheirType(t *testing.T) {
	agb := testAGB()
	top := privateTopology(t, agb)
	_, ch := dial(t)
	if err := top.Declare(ch); err != nil {
		t.Fatal(err)
	}
	p := top.prefix
	for _, q := range []string{p + QueueDisclosures, p + QueueConsents, p + RetourQueue(agb), p + ProviderQueue(agb), p + QueueDead} {
		t.Run(q, func(t *testing.T) {
			// Redeclaring with only x-queue-type succeeds only if the queue
			// has exactly it (a queue with x-delivery-limit or
			// x-dead-letter-exchange would refuse); a classic redeclare is
			// refused.
			_, ch := dial(t)
			if _, err := ch.QueueDeclare(q, true, false, false, false, amqp.Table{"x-queue-type": "quorum"}); err != nil {
				t.Fatalf("redeclare with only x-queue-type: %v", err)
			}
			_, err := ch.QueueDeclare(q, true, false, false, false, amqp.Table{"x-queue-type": "classic"})
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
		{"retour of a provider", p + ExchangeRetour, agb, p + RetourQueue(agb)},
		{"retour of an unknown provider", p + ExchangeRetour, other, ""},
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

// TestTopologyDeadLettersRejectedMessages: in a vhost with the policies of
// definitions.json (testenv.VHost loads them), a rejected work message is
// dead-lettered to sluis.dead; the queue itself has no such argument.
func TestTopologyDeadLettersRejectedMessages(t *testing.T) {
	agb := testAGB()
	vh := testenv.VHost(t)
	_, ch := testenv.Channel(t, vh)
	if err := (Topology{Providers: []string{agb}}).Declare(ch); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{ProviderQueue(agb), RetourQueue(agb), QueueDisclosures, QueueConsents} {
		t.Run(q, func(t *testing.T) {
			id := "dl-" + randHex(4)
			if err := ch.Publish("", q, false, false, amqp.Publishing{MessageId: id, Body: []byte("x")}); err != nil {
				t.Fatal(err)
			}
			var d amqp.Delivery
			for deadline := time.Now().Add(30 * time.Second); ; {
				var ok bool
				var err error
				if d, ok, err = ch.Get(q, false); err != nil {
					t.Fatal(err)
				} else if ok {
					break
				}
				if time.Now().After(deadline) {
					t.Fatal("the message never arrived")
				}
				time.Sleep(50 * time.Millisecond)
			}
			if err := d.Nack(false, false); err != nil {
				t.Fatal(err)
			}
			for deadline := time.Now().Add(30 * time.Second); ; {
				dd, ok, err := ch.Get(QueueDead, true)
				if err != nil {
					t.Fatal(err)
				}
				if ok {
					if dd.MessageId != id {
						t.Fatalf("dead letter %s, want %s", dd.MessageId, id)
					}
					break
				}
				if time.Now().After(deadline) {
					t.Fatal("rejected message not dead-lettered")
				}
				time.Sleep(50 * time.Millisecond)
			}
		})
	}
}

// TestTopologyDeclareOnKeepsQueuesWithOldArguments: queues an earlier sluis
// declared with x-dead-letter-exchange and x-delivery-limit make Declare
// fail (406) but DeclareOn keep them and name them; an exchange of another
// type stays a conflict.
func TestTopologyDeclareOnKeepsQueuesWithOldArguments(t *testing.T) {
	vh := testenv.VHost(t)
	conn, ch := testenv.Channel(t, vh)
	old := amqp.Table{"x-queue-type": "quorum", "x-dead-letter-exchange": ExchangeDead, "x-delivery-limit": int64(20)}
	if _, err := ch.QueueDeclare(QueueDisclosures, true, false, false, false, old); err != nil {
		t.Fatal(err)
	}
	_, ch2 := testenv.Channel(t, vh)
	if err := (Topology{}).Declare(ch2); !errors.Is(err, ErrTopologyConflict) || !strings.Contains(err.Error(), "inequivalent arg") {
		t.Fatalf("Declare: %v, want ErrTopologyConflict naming the argument", err)
	}
	kept, err := (Topology{}).DeclareOn(conn)
	if err != nil {
		t.Fatalf("DeclareOn: %v", err)
	}
	if len(kept) != 1 || kept[0].Queue != QueueDisclosures || kept[0].Argument == "" {
		t.Fatalf("kept %v, want %s", kept, QueueDisclosures)
	}
	// The rest of the topology was declared after the kept queue.
	_, ch3 := testenv.Channel(t, vh)
	if _, err := ch3.QueueDeclarePassive(QueueDead, true, false, false, false, nil); err != nil {
		t.Fatalf("sluis.dead not declared: %v", err)
	}

	vh2 := testenv.VHost(t)
	conn2, ch4 := testenv.Channel(t, vh2)
	if err := ch4.ExchangeDeclare(ExchangeRetour, amqp.ExchangeDirect, true, false, false, false, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := (Topology{}).DeclareOn(conn2); !errors.Is(err, ErrTopologyConflict) || !strings.Contains(err.Error(), ExchangeRetour) {
		t.Fatalf("DeclareOn over a direct %s: %v, want ErrTopologyConflict naming it", ExchangeRetour, err)
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
	if !errors.As(err, &aerr) || aerr.Code != amqp.PreconditionFailed || !errors.Is(err, ErrTopologyConflict) || !strings.Contains(err.Error(), QueueDisclosures) {
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
		{"no providers", nil, nil, nil, 4},
		{"two providers", []string{"42420001", "65656055"}, nil, nil, 8},
		{"duplicate provider declared once", []string{"42420001", "42420001"}, nil, nil, 6},
		{"short code", []string{"4242"}, nil, ErrInvalidAGB, 0},
		{"letters", []string{"4242000A"}, nil, ErrInvalidAGB, 0},
		{"routing metacharacters", []string{"4242.#01"}, nil, ErrInvalidAGB, 0},
		{"a receiving system", nil, []string{"regsys-a"}, nil, 5},
		{"duplicate system declared once", nil, []string{"regsys-a", "regsys-a"}, nil, 5},
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
