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
	// ExchangeRetour (direct) takes retour messages from providers.
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
	// QueueRetours is bound to ExchangeRetour with KeyRetour.
	QueueRetours = "sluis.retours"
	// QueueInbound is bound to ExchangeRetour with KeyInbound: providers'
	// heenberichten (305, 307, 315, 317, 323).
	QueueInbound = "sluis.inbound"
	// QueueDead is the parking queue bound to ExchangeDead.
	QueueDead = "sluis.dead"
	// ProviderQueuePrefix + AGB code is a provider's queue.
	ProviderQueuePrefix = "sluis.provider."

	KeyDisclosure = "disclosure"
	KeyConsent    = "consent"
	KeyRetour     = "retour"
	KeyInbound    = "inbound"

	// DeliveryLimit is the quorum-queue x-delivery-limit of the work queues:
	// a message redelivered more often (a poison message that keeps being
	// nacked or crashes its consumer) is dead-lettered to ExchangeDead
	// instead of looping for ever.
	DeliveryLimit = 20
)

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
// quorum queue, and one queue per provider.
type Topology struct {
	// Providers are the AGB codes that get a queue sluis.provider.<AGB>
	// bound to ExchangeOutbound with the AGB code as routing key.
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

// workQueueArgs are the arguments of queues whose messages may be
// dead-lettered.
func (t Topology) workQueueArgs() amqp.Table {
	return amqp.Table{
		"x-queue-type":           "quorum",
		"x-dead-letter-exchange": t.prefix + ExchangeDead,
		"x-delivery-limit":       int64(DeliveryLimit),
	}
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
			{p + ExchangeRetour, amqp.ExchangeDirect},
			{p + ExchangeStatus, amqp.ExchangeTopic},
			{p + ExchangeSystem, amqp.ExchangeDirect},
		},
		Queues: []queueDecl{
			{p + QueueDead, amqp.Table{"x-queue-type": "quorum"}},
			{p + QueueDisclosures, t.workQueueArgs()},
			{p + QueueConsents, t.workQueueArgs()},
			{p + QueueRetours, t.workQueueArgs()},
			{p + QueueInbound, t.workQueueArgs()},
		},
		Bindings: []bindingDecl{
			{p + ExchangeDead, p + QueueDead, ""},
			{p + ExchangeIntake, p + QueueDisclosures, KeyDisclosure},
			{p + ExchangeIntake, p + QueueConsents, KeyConsent},
			{p + ExchangeRetour, p + QueueRetours, KeyRetour},
			{p + ExchangeRetour, p + QueueInbound, KeyInbound},
		},
	}
	seen := make(map[string]bool, len(t.Providers))
	for _, agb := range t.Providers {
		if seen[agb] {
			continue
		}
		seen[agb] = true
		q := p + ProviderQueue(agb)
		pl.Queues = append(pl.Queues, queueDecl{q, t.workQueueArgs()})
		pl.Bindings = append(pl.Bindings, bindingDecl{p + ExchangeOutbound, q, agb})
	}
	seen = make(map[string]bool, len(t.Systems))
	for _, s := range t.Systems {
		if seen[s] {
			continue
		}
		seen[s] = true
		q := p + SystemInboundQueue(s)
		pl.Queues = append(pl.Queues, queueDecl{q, t.workQueueArgs()})
		pl.Bindings = append(pl.Bindings, bindingDecl{p + ExchangeSystem, q, s})
	}
	return pl, nil
}

// Declare declares every exchange, queue and binding of the topology on ch.
// It is idempotent and safe to run at every start and from several instances
// at once: declarations with identical arguments are no-ops on the broker.
// An existing queue with different arguments makes the broker close ch with
// 406 PRECONDITION_FAILED; the error names the queue.
func (t Topology) Declare(ch *amqp.Channel) error {
	if ch == nil {
		return errors.New("topology: nil channel")
	}
	pl, err := t.plan()
	if err != nil {
		return err
	}
	for _, e := range pl.Exchanges {
		if err := ch.ExchangeDeclare(e.Name, e.Kind, true, false, false, false, nil); err != nil {
			return fmt.Errorf("topology: declare exchange %s: %w", e.Name, err)
		}
	}
	for _, q := range pl.Queues {
		if _, err := ch.QueueDeclare(q.Name, true, false, false, false, q.Args); err != nil {
			return fmt.Errorf("topology: declare queue %s: %w", q.Name, err)
		}
	}
	for _, b := range pl.Bindings {
		if err := ch.QueueBind(b.Queue, b.Key, b.Exchange, false, nil); err != nil {
			return fmt.Errorf("topology: bind queue %s to %s key %q: %w", b.Queue, b.Exchange, b.Key, err)
		}
	}
	return nil
}
