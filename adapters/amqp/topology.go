package amqp

import (
	"errors"
	"fmt"
	"regexp"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/sluis-gateway/sluis/messages"
)

// Exchange, queue and routing-key names of the sluis topology. The same
// topology is written out for operators in deploy/rabbitmq/definitions.json;
// a test keeps the two in step.
const (
	// ExchangeIntake (direct) takes work from registration systems.
	ExchangeIntake = "sluis.intake"
	// ExchangeOutbound (direct) routes signed messages by AGB code to
	// ProviderQueue(agb).
	ExchangeOutbound = "sluis.outbound"
	// ExchangeRetour (topic) takes retour messages from providers, each
	// with its own AGB code as routing key (its topic permission allows no
	// other) to its own queue RetourQueue(agb).
	ExchangeRetour = "sluis.retour"
	// ExchangeStatus (topic) carries status events with routing key
	// "<gemeente>.<system>.<state>"; registration systems bind their own queues.
	ExchangeStatus = "sluis.status"
	// ExchangeSystem (direct) routes providers' inbound messages by system
	// id to SystemInboundQueue(id).
	ExchangeSystem = "sluis.system"
	// ExchangeDead (fanout) is the dead-letter exchange of every work queue.
	ExchangeDead = "sluis.dead"

	// QueueDisclosures is bound to ExchangeIntake with KeyDisclosure.
	QueueDisclosures = "sluis.disclosures"
	// QueueConsents is bound to ExchangeIntake with KeyConsent.
	QueueConsents = "sluis.consents"
	// QueueInbound is bound to ExchangeRetour with KeyInbound: providers'
	// heenberichten (305, 307, 315, 317, 323), published with routing key
	// InboundKey(agb).
	QueueInbound = "sluis.inbound"
	// RetourQueuePrefix + AGB code is a provider's retour queue, bound to
	// ExchangeRetour with the AGB code as routing key.
	RetourQueuePrefix = "sluis.retours."
	// QueueDead is the parking queue bound to ExchangeDead.
	QueueDead = "sluis.dead"
	// ProviderQueuePrefix + AGB code is a provider's queue.
	ProviderQueuePrefix = "sluis.provider."

	KeyDisclosure = "disclosure"
	KeyConsent    = "consent"
	// KeyInbound binds QueueInbound: every provider's InboundKey.
	KeyInbound = "*.inbound"

	// DeliveryLimit is how often a work queue's message may be delivered
	// before the gateway parks it (a poison message that keeps being nacked
	// or crashes its consumer): a delivery whose quorum-queue
	// x-delivery-count is DeliveryLimit or more is not handled but parked
	// on ExchangeDead as a summary. It is also the delivery-limit of the
	// work queues' policies in deploy/rabbitmq/definitions.json (the
	// broker's own dead-lettering); a policy may lower it, not raise it.
	DeliveryLimit = 20
)

// queueArgs are the one argument Declare gives a queue. Everything an
// operator may tune (dead-lettering, delivery limit, length limits,
// overflow, TTL) comes from RabbitMQ policies (deploy/rabbitmq/
// definitions.json), so that a policy change never conflicts with a
// declaration.
var queueArgs = amqp.Table{"x-queue-type": "quorum"}

// ErrInvalidAGB is returned for a provider code that is not 8 digits.
var ErrInvalidAGB = errors.New("invalid AGB code: want 8 digits")

// ErrInvalidSystem is returned for a system id that cannot name a queue.
var ErrInvalidSystem = errors.New("invalid system id: want 1-64 letters, digits, '-' or '_'")

// systemIDRe is identity's system id: letters, digits, '-', '_'.
var systemIDRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$`)

// SystemInboundQueue is the queue of a registration system's inbound
// provider messages: "sluis.system.<id>.inbound".
func SystemInboundQueue(system string) string { return "sluis.system." + system + ".inbound" }

// ProviderQueue is the queue name of the provider with the given AGB code.
func ProviderQueue(agb string) string { return ProviderQueuePrefix + agb }

// InboundKey is the routing key a provider publishes its heenberichten
// with on ExchangeRetour: its AGB code and ".inbound" (its topic
// permission allows only its own code, docs/broker.md).
func InboundKey(agb string) string { return agb + ".inbound" }

// RetourQueue is the retour queue of the provider with the given AGB code.
func RetourQueue(agb string) string { return RetourQueuePrefix + agb }

// RetourQueues are the retour queue names of the providers with the given
// AGB codes, in order.
func RetourQueues(agbs []string) []string {
	qs := make([]string, len(agbs))
	for i, agb := range agbs {
		qs[i] = RetourQueue(agb)
	}
	return qs
}

// ProviderQueues are the queue names of the providers with the given AGB
// codes, in order.
func ProviderQueues(agbs []string) []string {
	qs := make([]string, len(agbs))
	for i, agb := range agbs {
		qs[i] = ProviderQueue(agb)
	}
	return qs
}

// Topology is the broker layout sluis needs: every exchange and durable
// quorum queue, and per provider its queue and its retour queue.
type Topology struct {
	// Providers are the AGB codes that get a queue sluis.provider.<AGB>
	// bound to ExchangeOutbound and a retour queue sluis.retours.<AGB>
	// bound to ExchangeRetour, each with the AGB code as routing key.
	Providers []string
	// Systems are the ids of the registration systems that receive inbound
	// messages: each gets SystemInboundQueue(id) bound to ExchangeSystem
	// with its id as routing key.
	Systems []string

	// prefix is prepended to every name; tests use it to get a private
	// topology on the shared broker. Empty in production.
	prefix string
}

type exchangeDecl struct {
	Name string
	Kind string
}

type queueDecl struct {
	Name string
	Args amqp.Table
}

type bindingDecl struct {
	Exchange, Queue, Key string
}

type plan struct {
	Exchanges []exchangeDecl
	Queues    []queueDecl
	Bindings  []bindingDecl
}

// plan lists what Declare declares, in order. It is pure so that tests can
// compare it with deploy/rabbitmq/definitions.json.
func (t Topology) plan() (plan, error) {
	for i, agb := range t.Providers {
		if !messages.ValidAGB(agb) {
			return plan{}, fmt.Errorf("topology: Providers[%d]: %w", i, ErrInvalidAGB)
		}
	}
	for i, s := range t.Systems {
		if !systemIDRe.MatchString(s) {
			return plan{}, fmt.Errorf("topology: Systems[%d]: %w", i, ErrInvalidSystem)
		}
	}
	p := t.prefix
	pl := plan{
		Exchanges: []exchangeDecl{
			{p + ExchangeDead, amqp.ExchangeFanout},
			{p + ExchangeIntake, amqp.ExchangeDirect},
			{p + ExchangeOutbound, amqp.ExchangeDirect},
			{p + ExchangeRetour, amqp.ExchangeTopic},
			{p + ExchangeStatus, amqp.ExchangeTopic},
			{p + ExchangeSystem, amqp.ExchangeDirect},
		},
		Queues: []queueDecl{
			{p + QueueDead, queueArgs},
			{p + QueueDisclosures, queueArgs},
			{p + QueueConsents, queueArgs},
			{p + QueueInbound, queueArgs},
		},
		Bindings: []bindingDecl{
			{p + ExchangeDead, p + QueueDead, ""},
			{p + ExchangeIntake, p + QueueDisclosures, KeyDisclosure},
			{p + ExchangeIntake, p + QueueConsents, KeyConsent},
			{p + ExchangeRetour, p + QueueInbound, KeyInbound},
		},
	}
	seen := make(map[string]bool, len(t.Providers))
	for _, agb := range t.Providers {
		if seen[agb] {
			continue
		}
		seen[agb] = true
		q, rq := p+ProviderQueue(agb), p+RetourQueue(agb)
		pl.Queues = append(pl.Queues, queueDecl{q, queueArgs}, queueDecl{rq, queueArgs})
		pl.Bindings = append(pl.Bindings, bindingDecl{p + ExchangeOutbound, q, agb}, bindingDecl{p + ExchangeRetour, rq, agb})
	}
	seen = make(map[string]bool, len(t.Systems))
	for _, s := range t.Systems {
		if seen[s] {
			continue
		}
		seen[s] = true
		q := p + SystemInboundQueue(s)
		pl.Queues = append(pl.Queues, queueDecl{q, queueArgs})
		pl.Bindings = append(pl.Bindings, bindingDecl{p + ExchangeSystem, q, s})
	}
	return pl, nil
}

// ErrTopologyConflict: the broker holds an exchange or queue of the same
// name that Declare cannot use (another exchange type, or a queue that is
// not a quorum queue); the error names it and what differs.
var ErrTopologyConflict = errors.New("topology: an existing exchange or queue conflicts")

// Kept is an existing queue that carries arguments Declare no longer gives
// (x-dead-letter-exchange, x-delivery-limit, ... set by an earlier sluis or
// an operator). DeclareOn keeps it as it is: the broker applies its own
// arguments where they and a policy overlap (see docs/broker.md).
type Kept struct {
	Queue    string
	Argument string // the first differing argument the broker named
}

// inequivalentArg finds the argument named in RabbitMQ's 406 reply
// "inequivalent arg 'x-…' for queue …".
var inequivalentArg = regexp.MustCompile(`inequivalent arg '([^']+)'`)

// Declare declares every exchange, queue and binding of the topology on ch.
// It is idempotent and safe to run at every start and from several instances
// at once: declarations with identical arguments are no-ops on the broker.
// Queues get only x-queue-type quorum (their tunable settings come from
// policies). An existing exchange or queue with other arguments makes the
// broker close ch with 406 PRECONDITION_FAILED; the error (ErrTopologyConflict)
// names it. DeclareOn tolerates queues with extra arguments.
func (t Topology) Declare(ch *amqp.Channel) error {
	if ch == nil {
		return errors.New("topology: nil channel")
	}
	_, err := t.declare(func() (*amqp.Channel, error) { return ch, nil }, false)
	return err
}

// DeclareOn declares the topology on channels of conn, as Declare, except
// that an existing quorum queue whose other arguments differ (a queue
// declared by an earlier sluis with x-dead-letter-exchange and
// x-delivery-limit, or by an operator) is kept as it is and reported,
// instead of stopping start-up. An exchange of another type, or a queue the
// broker says differs in x-queue-type, is still ErrTopologyConflict.
func (t Topology) DeclareOn(conn *amqp.Connection) ([]Kept, error) {
	if conn == nil {
		return nil, errors.New("topology: nil connection")
	}
	var open []*amqp.Channel
	defer func() {
		for _, ch := range open {
			_ = ch.Close()
		}
	}()
	return t.declare(func() (*amqp.Channel, error) {
		ch, err := conn.Channel()
		if err != nil {
			return nil, fmt.Errorf("topology: open channel: %w", err)
		}
		open = append(open, ch)
		return ch, nil
	}, true)
}

// declare runs the plan; newChannel gives the channel to use (a new one
// after the broker closed the last, when tolerant).
func (t Topology) declare(newChannel func() (*amqp.Channel, error), tolerant bool) ([]Kept, error) {
	pl, err := t.plan()
	if err != nil {
		return nil, err
	}
	ch, err := newChannel()
	if err != nil {
		return nil, err
	}
	for _, e := range pl.Exchanges {
		if err := ch.ExchangeDeclare(e.Name, e.Kind, true, false, false, false, nil); err != nil {
			return nil, conflict(fmt.Errorf("topology: declare exchange %s (%s): %w", e.Name, e.Kind, err))
		}
	}
	var kept []Kept
	for _, q := range pl.Queues {
		_, err := ch.QueueDeclare(q.Name, true, false, false, false, q.Args)
		if err == nil {
			continue
		}
		arg := ""
		var aerr *amqp.Error
		if errors.As(err, &aerr) && aerr.Code == amqp.PreconditionFailed {
			if m := inequivalentArg.FindStringSubmatch(aerr.Reason); m != nil {
				arg = m[1]
			}
		}
		if !tolerant || arg == "" || arg == "x-queue-type" {
			return nil, conflict(fmt.Errorf("topology: declare queue %s: %w", q.Name, err))
		}
		// The broker closed the channel; the queue exists (a 406 says so)
		// with arguments of its own: keep it.
		if ch, err = newChannel(); err != nil {
			return nil, err
		}
		if _, err := ch.QueueDeclarePassive(q.Name, true, false, false, false, nil); err != nil {
			return nil, fmt.Errorf("topology: queue %s: %w", q.Name, err)
		}
		kept = append(kept, Kept{Queue: q.Name, Argument: arg})
	}
	for _, b := range pl.Bindings {
		if err := ch.QueueBind(b.Queue, b.Key, b.Exchange, false, nil); err != nil {
			return nil, fmt.Errorf("topology: bind queue %s to %s key %q: %w", b.Queue, b.Exchange, b.Key, err)
		}
	}
	return kept, nil
}

// conflict marks a 406 PRECONDITION_FAILED as ErrTopologyConflict.
func conflict(err error) error {
	var aerr *amqp.Error
	if errors.As(err, &aerr) && aerr.Code == amqp.PreconditionFailed {
		return fmt.Errorf("%w: %w (see docs/broker.md#upgrading)", ErrTopologyConflict, err)
	}
	return err
}
