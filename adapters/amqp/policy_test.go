package amqp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/sluis-gateway/sluis/internal/bus"
	"github.com/sluis-gateway/sluis/internal/testenv"
)

type policy struct {
	Vhost      string         `json:"vhost"`
	Name       string         `json:"name"`
	Pattern    string         `json:"pattern"`
	ApplyTo    string         `json:"apply-to"`
	Priority   int            `json:"priority"`
	Definition map[string]any `json:"definition"`
}

func loadPolicies(t *testing.T) []policy {
	t.Helper()
	raw, err := os.ReadFile(definitionsPath)
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		Policies []policy `json:"policies"`
	}
	if err := json.Unmarshal(raw, &d); err != nil {
		t.Fatal(err)
	}
	return d.Policies
}

// deadPolicy is the policy of definitions.json that bounds sluis.dead.
func deadPolicy(t *testing.T) policy {
	t.Helper()
	for _, p := range loadPolicies(t) {
		if p.Name == "sluis-dead-retention" {
			return p
		}
	}
	t.Fatal("definitions.json has no sluis-dead-retention policy")
	return policy{}
}

// TestDefinitionsDeadRetention: sluis.dead's retention is a policy (an
// operator can change it without blocking start-up), matching only
// sluis.dead, and not an x-argument of the queue.
func TestDefinitionsDeadRetention(t *testing.T) {
	p := deadPolicy(t)
	re := regexp.MustCompile(p.Pattern)
	for _, q := range []string{QueueDead, QueueDisclosures, QueueConsents, RetourQueue("42420001"), ProviderQueue("42420001"), "sluis.deadx"} {
		if got, want := re.MatchString(q), q == QueueDead; got != want {
			t.Errorf("pattern %q matches %s: %v, want %v", p.Pattern, q, got, want)
		}
	}
	if p.ApplyTo != "queues" || p.Vhost != "/" {
		t.Errorf("apply-to %q vhost %q, want queues on /", p.ApplyTo, p.Vhost)
	}
	for _, k := range []string{"message-ttl", "max-length", "max-length-bytes"} {
		if v, ok := p.Definition[k].(float64); !ok || v <= 0 {
			t.Errorf("definition %s = %v, want a positive number", k, p.Definition[k])
		}
	}
	if p.Definition["overflow"] != "drop-head" {
		t.Errorf("overflow %v, want drop-head (reject-publish would refuse the broker's own dead letters)", p.Definition["overflow"])
	}
	pl, err := Topology{}.plan()
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range pl.Queues {
		for _, k := range []string{"x-message-ttl", "x-max-length", "x-max-length-bytes", "x-overflow", "x-dead-letter-exchange", "x-delivery-limit"} {
			if _, ok := q.Args[k]; ok {
				t.Errorf("queue %s declares %s: a policy could then not change it", q.Name, k)
			}
		}
	}
}

// policyFor returns the one policy of definitions.json whose pattern
// matches queue (RabbitMQ applies one policy per queue: overlapping
// patterns would make one of them silently not apply).
func policyFor(t *testing.T, queue string) policy {
	t.Helper()
	var found []policy
	for _, p := range loadPolicies(t) {
		if p.ApplyTo == "queues" && regexp.MustCompile(p.Pattern).MatchString(queue) {
			found = append(found, p)
		}
	}
	if len(found) != 1 {
		t.Fatalf("queue %s matches %d policies of definitions.json, want exactly 1", queue, len(found))
	}
	return found[0]
}

// TestDefinitionsWorkQueuePolicies: every queue of the topology has exactly
// one policy; every work queue's dead-letters to sluis.dead with the
// delivery limit sluis enforces itself; the intake, consent and retour
// queues are bounded and refuse (nack) publishes when full.
func TestDefinitionsWorkQueuePolicies(t *testing.T) {
	pl, err := Topology{Providers: definitionsProviders}.plan()
	if err != nil {
		t.Fatal(err)
	}
	bounded := map[string]bool{QueueDisclosures: true, QueueConsents: true}
	for _, agb := range definitionsProviders {
		bounded[RetourQueue(agb)] = true
	}
	for _, q := range pl.Queues {
		t.Run(q.Name, func(t *testing.T) {
			p := policyFor(t, q.Name)
			if p.Vhost != "/" || p.Priority < 1 {
				t.Errorf("policy %s: vhost %q priority %d", p.Name, p.Vhost, p.Priority)
			}
			if q.Name == QueueDead {
				return // TestDefinitionsDeadRetention
			}
			if p.Definition["dead-letter-exchange"] != ExchangeDead {
				t.Errorf("policy %s: dead-letter-exchange %v, want %s", p.Name, p.Definition["dead-letter-exchange"], ExchangeDead)
			}
			if v, _ := p.Definition["delivery-limit"].(float64); int(v) != DeliveryLimit {
				t.Errorf("policy %s: delivery-limit %v, want %d", p.Name, p.Definition["delivery-limit"], DeliveryLimit)
			}
			if !bounded[q.Name] {
				return
			}
			for _, k := range []string{"max-length", "max-length-bytes"} {
				if v, ok := p.Definition[k].(float64); !ok || v <= 0 {
					t.Errorf("policy %s: %s = %v, want a positive number", p.Name, k, p.Definition[k])
				}
			}
			if p.Definition["overflow"] != "reject-publish" {
				t.Errorf("policy %s: overflow %v, want reject-publish (the publisher is told)", p.Name, p.Definition["overflow"])
			}
		})
	}
}

// TestOperatorPoliciesNeverBlockStartUp: with every policy of
// definitions.json changed to other values (and an operator policy on top),
// a gateway starting declares its topology as before.
func TestOperatorPoliciesNeverBlockStartUp(t *testing.T) {
	requireRabbitmqctl(t)
	vh := testenv.VHost(t)
	conn, ch := testenv.Channel(t, vh)
	top := Topology{Providers: definitionsProviders}
	if err := top.Declare(ch); err != nil {
		t.Fatal(err)
	}
	for _, p := range loadPolicies(t) {
		setPolicy(t, vh, p, map[string]any{"delivery-limit": 3, "max-length": 7, "dead-letter-exchange": "elsewhere", "message-ttl": 60000})
	}
	u, err := url.Parse(vh)
	if err != nil {
		t.Fatal(err)
	}
	rabbitmqctl(t, "-q", "set_operator_policy", "-p", strings.TrimPrefix(u.Path, "/"), "--apply-to", "queues",
		"operator-cap", "^sluis\\.", `{"max-length":5}`)
	if err := top.Declare(ch); err != nil {
		t.Fatalf("Declare under other policies: %v", err)
	}
	if kept, err := top.DeclareOn(conn); err != nil || len(kept) != 0 {
		t.Fatalf("DeclareOn under other policies: kept %v, %v", kept, err)
	}
}

// TestFullIntakeQueueNacksThePublisher: the intake policy's max-length with
// overflow reject-publish (lowered for the test) makes the broker nack a
// publish to a full sluis.disclosures; Enqueue reports bus.ErrRefused. A
// quorum queue takes one message beyond max-length before it refuses.
func TestFullIntakeQueueNacksThePublisher(t *testing.T) {
	requireRabbitmqctl(t)
	vh := testenv.VHost(t)
	_, ch := testenv.Channel(t, vh)
	if err := (Topology{}).Declare(ch); err != nil {
		t.Fatal(err)
	}
	setPolicy(t, vh, policyFor(t, QueueDisclosures), map[string]any{"max-length": 2})
	pub := newTestPublisher(t, PublisherConfig{URL: vh, Route: Route}, nil)
	var accepted, refused int
	for i := range 6 {
		err := pub.Enqueue(context.Background(), fmt.Sprintf("full-%d-%s", i, randHex(3)), []byte(`{}`))
		switch {
		case err == nil:
			accepted++
		case errors.Is(err, bus.ErrRefused) && errors.Is(err, ErrNacked):
			refused++
		default:
			t.Fatalf("publish %d: %v, want nil or ErrNacked", i, err)
		}
	}
	if accepted > 3 || refused < 3 {
		t.Fatalf("%d accepted, %d refused; want at most max-length+1 = 3 accepted and the rest refused", accepted, refused)
	}
	// The other intake queue is not affected.
	m := newMsg("consent-" + randHex(3))
	if err := pub.PublishContext(context.Background(), bus.TopicConsents, m)[0]; err != nil {
		t.Fatalf("consent publish beside a full disclosures queue: %v", err)
	}
}

// setPolicy applies p, with the definition keys in override replaced, to
// the vhost of url.
func setPolicy(t *testing.T, vhostURL string, p policy, override map[string]any) {
	t.Helper()
	u, err := url.Parse(vhostURL)
	if err != nil {
		t.Fatal(err)
	}
	def := map[string]any{}
	for k, v := range p.Definition {
		def[k] = v
	}
	for k, v := range override {
		def[k] = v
	}
	raw, err := json.Marshal(def)
	if err != nil {
		t.Fatal(err)
	}
	rabbitmqctl(t, "-q", "set_policy", "-p", strings.TrimPrefix(u.Path, "/"), "--apply-to", p.ApplyTo,
		"--priority", fmt.Sprint(p.Priority), p.Name, p.Pattern, string(raw))
}

// deadQueueLength returns how many messages are on sluis.dead.
func deadQueueLength(t *testing.T, ch *amqp.Channel) int {
	t.Helper()
	q, err := ch.QueueDeclarePassive(QueueDead, true, false, false, false, amqp.Table{"x-queue-type": "quorum"})
	if err != nil {
		t.Fatal(err)
	}
	return q.Messages
}

// TestDeadRetentionPolicyOnBroker applies the policy of definitions.json
// to the topology on the real broker: start-up (Declare) still succeeds
// under it, and the quorum queue sluis.dead honours its max-length
// (dropping the oldest) and its message TTL. Length and TTL are lowered
// for the test; the keys are the ones in definitions.json.
func TestDeadRetentionPolicyOnBroker(t *testing.T) {
	requireRabbitmqctl(t)
	p := deadPolicy(t)
	tests := []struct {
		name     string
		override map[string]any
		check    func(t *testing.T, ch *amqp.Channel)
	}{
		{"max-length drops the oldest", map[string]any{"max-length": 2}, func(t *testing.T, ch *amqp.Channel) {
			if n := deadQueueLength(t, ch); n != 2 {
				t.Fatalf("sluis.dead holds %d messages, want 2", n)
			}
			d, ok, err := ch.Get(QueueDead, true)
			if err != nil || !ok {
				t.Fatalf("get: %v %v", ok, err)
			}
			if string(d.Body) != "dead 1" {
				t.Fatalf("oldest kept is %q, want %q", d.Body, "dead 1")
			}
		}},
		{"message-ttl expires dead letters", map[string]any{"message-ttl": 1}, func(t *testing.T, ch *amqp.Channel) {
			// The broker expires them on its own schedule: wait for it, the
			// deadline only guards against a hang.
			deadline := time.Now().Add(60 * time.Second)
			for deadQueueLength(t, ch) != 0 {
				if time.Now().After(deadline) {
					t.Fatal("dead letters did not expire")
				}
				time.Sleep(100 * time.Millisecond)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			vh := testenv.VHost(t)
			_, ch := testenv.Channel(t, vh)
			if err := (Topology{}).Declare(ch); err != nil {
				t.Fatal(err)
			}
			setPolicy(t, vh, p, tc.override)
			// A gateway starting under the policy declares as before.
			if err := (Topology{}).Declare(ch); err != nil {
				t.Fatalf("Declare under the policy: %v", err)
			}
			if err := ch.Confirm(false); err != nil {
				t.Fatal(err)
			}
			for i := range 3 {
				c, err := ch.PublishWithDeferredConfirmWithContext(context.Background(), ExchangeDead, "", false, false,
					amqp.Publishing{Body: []byte(fmt.Sprintf("dead %d", i))})
				if err != nil {
					t.Fatal(err)
				}
				if ok, err := c.WaitContext(context.Background()); err != nil || !ok {
					t.Fatalf("publish %d not confirmed: %v %v", i, ok, err)
				}
			}
			tc.check(t, ch)
		})
	}
}
