// Package amqp connects sluis to RabbitMQ: the broker topology, a confirmed
// watermill publisher, and the watermill-amqp subscriber configuration.
//
// # Topology
//
// Topology.Declare declares durable exchanges and durable quorum queues:
//
//	sluis.intake   (direct)  --disclosure--> sluis.disclosures
//	                         --consent-----> sluis.consents
//	sluis.outbound (direct)  --<AGB>-------> sluis.provider.<AGB>   (one per provider)
//	sluis.retour   (direct)  --retour------> sluis.retours
//	sluis.status   (topic)   <gemeente>.<system>.<state>; registration systems bind their own queues
//	sluis.dead     (fanout)  -------------->  sluis.dead (parking)
//
// The work queues (disclosures, consents, provider, retours) dead-letter to
// sluis.dead (reason in the x-death / x-first-death-* headers) and have
// x-delivery-limit DeliveryLimit. deploy/rabbitmq/definitions.json holds the
// same topology for example providers 42420001 and 65656055; a test keeps
// the two equal.
//
// # Broker users in deploy/rabbitmq/definitions.json
//
// Every user there (sluis, provider-42420001, provider-65656055) has the
// DEVELOPMENT password "sluis-dev-only" (rabbit_password_hashing_sha256).
// Replace the hashes before any real use. A provider user may read only its
// own queue (^sluis\.provider\.<AGB>$), write only to the sluis.retour
// exchange and configure nothing; a test proves this with a real broker
// user. The sluis user may configure and write ^sluis\. and read the
// exchanges and its own queues, not the provider queues.
//
// # Publishing
//
// Route maps the gateway's topics (internal/bus) to exchanges and routing
// keys; Publisher.Enqueue publishes a disclosure request to the intake.
//
// Publisher is a watermill message.Publisher with persistent, mandatory
// publishes and pipelined publisher confirms. Each message ends with nil
// (confirmed and routed to a queue) or one of bus.ErrUnroutable, ErrNacked,
// ErrConfirmTimeout, ErrNotConnected, ErrNoExchange, ErrClosed or a context
// error. Only nil means delivered; ErrNotConnected and ErrConfirmTimeout may
// hide a message that did arrive (its confirm was lost), so a retry must
// carry the same message id (at-least-once; receivers deduplicate on it).
// Every published message carries a header sluis-publish-tag (the channel's
// delivery tag, used to match basic.return to its publish); receivers may
// ignore it and Marshaler drops it.
//
// # Consuming
//
// NewSubscriber / SubscriberConfig consume an existing queue with manual
// acks, one message at a time per Subscribe call; Marshaler turns the
// quorum queue's integer x-delivery-count (and any other non-string
// header) into string metadata instead of rejecting the delivery.
package amqp
