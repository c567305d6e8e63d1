package retour_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/prometheus/client_golang/prometheus"
	amqp091 "github.com/rabbitmq/amqp091-go"

	"github.com/sluis-gateway/sluis/adapters/amqp"
	"github.com/sluis-gateway/sluis/adapters/store/sqlite"
	"github.com/sluis-gateway/sluis/internal/actor"
	"github.com/sluis-gateway/sluis/internal/bus"
	"github.com/sluis-gateway/sluis/internal/provider"
	"github.com/sluis-gateway/sluis/internal/receipts"
	"github.com/sluis-gateway/sluis/internal/retour"
	"github.com/sluis-gateway/sluis/internal/signing"
	"github.com/sluis-gateway/sluis/internal/testenv"
	"github.com/sluis-gateway/sluis/messages"
	"github.com/sluis-gateway/sluis/xsd"
)

const (
	agbA         = "42420001"
	agbB         = "42420002"
	agbC         = "42420003"
	municipality = "0384"
)

// testRetours is the one queue the harness's handler consumes: bound to
// the retour exchange with "#", it takes every provider's retour (the
// gateway consumes one queue per provider, amqp.RetourQueue; the handler
// does not depend on which). testRetourKey reaches it and no provider's
// retour queue.
const (
	testRetours   = "test.retours"
	testRetourKey = "test"
)

// route maps the handler's topics the way the gateway must.
func route(topic string, msg *message.Message) (string, string, error) {
	switch topic {
	case bus.TopicDead:
		return amqp.ExchangeDead, "", nil
	case bus.TopicStatus:
		return amqp.ExchangeStatus, msg.Metadata.Get("routing_key"), nil
	case "retour":
		return amqp.ExchangeRetour, testRetourKey, nil
	}
	return "", "", fmt.Errorf("unknown topic %q", topic)
}

// unroutable is the AMQP publisher as the gateway wires it: a message no
// queue takes fails with an error wrapping bus.ErrUnroutable.
type unroutable struct{ *amqp.Publisher }

type harness struct {
	t       *testing.T
	url     string
	ch      *amqp091.Channel
	events  <-chan amqp091.Delivery
	store   *sqlite.Store
	reg     *provider.Registry
	signers map[string]*signing.Signer
	certs   map[string]string // certificate files by AGB
	val     *xsd.Validator
	pub     *amqp.Publisher
	h       *retour.Handler
	metrics *prometheus.Registry
	now     time.Time
	seq     atomic.Int64
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	ctx := context.Background()
	hs := &harness{t: t, url: testenv.VHost(t), signers: map[string]*signing.Signer{}, certs: map[string]string{},
		now: time.Now().UTC().Truncate(time.Second)}

	_, hs.ch = testenv.Channel(t, hs.url)
	if err := (amqp.Topology{Providers: []string{agbA, agbB}}).Declare(hs.ch); err != nil {
		t.Fatal(err)
	}
	if _, err := hs.ch.QueueDeclare(testRetours, true, false, false, false, amqp091.Table{"x-queue-type": "quorum"}); err != nil {
		t.Fatal(err)
	}
	if err := hs.ch.QueueBind(testRetours, "#", amqp.ExchangeRetour, false, nil); err != nil {
		t.Fatal(err)
	}
	hs.events = testenv.Tap(t, hs.ch, amqp.ExchangeStatus, "#")

	var err error
	if hs.store, err = sqlite.Open(ctx, filepath.Join(t.TempDir(), "s.db")); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = hs.store.Close() })

	var ps []provider.Provider
	for _, agb := range []string{agbA, agbB} {
		keys := testenv.NewKeyPair(t, "provider "+agb)
		hs.signers[agb], hs.certs[agb] = keys.Signer, keys.CertFile
		// Both publish as guest, the user of the test's connections.
		ps = append(ps, provider.Provider{AGB: agb, Name: "test " + agb, RetourCertificate: keys.CertFile,
			BrokerUser: amqp.UserOf(hs.url)})
	}
	// A third provider without a retour certificate (a configured file
	// must exist: the registry reads and checks it at load).
	ps = append(ps, provider.Provider{AGB: agbC, Name: "test " + agbC})
	if hs.reg, err = provider.New(ps); err != nil {
		t.Fatal(err)
	}
	if hs.val, err = xsd.NewValidator(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(hs.val.Close)
	if hs.pub, err = amqp.NewPublisher(amqp.PublisherConfig{URL: hs.url, Route: route, ConnectionName: "retour-test", UserID: amqp.UserOf(hs.url)},
		watermill.NopLogger{}, nil); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = hs.pub.Close() })
	hs.metrics = prometheus.NewRegistry()
	m, err := retour.NewMetrics(hs.metrics)
	if err != nil {
		t.Fatal(err)
	}
	if hs.h, err = retour.New(retour.Config{
		Store: hs.store, Certificates: hs.reg, Validator: hs.val, Publisher: unroutable{hs.pub}, Metrics: m,
		Now:    func() time.Time { return hs.now },
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	}); err != nil {
		t.Fatal(err)
	}
	return hs
}

// delivered registers a disclosure to agb and moves it to delivered.
func (hs *harness) delivered(id, agb string) receipts.Record {
	hs.t.Helper()
	ctx := actor.With(context.Background(), actor.Actor{Kind: "system", ID: "regsys-a", OnBehalfOf: municipality})
	rec, _, err := hs.store.Register(ctx, receipts.Record{
		DisclosureID: id, Municipality: municipality, System: "regsys-a", Recipient: agb,
		Standard: "iWmo", MessageType: "WMO301", Purpose: "toewijzing", Basis: "legal_obligation",
		ClientKey: "key-" + id, RequestHash: "hash-" + id,
	})
	if err != nil {
		hs.t.Fatal(err)
	}
	for _, s := range []receipts.State{receipts.Allowed, receipts.Published, receipts.Delivered} {
		if rec, err = hs.store.Move(ctx, id, receipts.Change{To: s}); err != nil {
			hs.t.Fatal(err)
		}
	}
	return rec
}

func (hs *harness) get(id string) receipts.Record {
	hs.t.Helper()
	rec, err := hs.store.Get(context.Background(), id)
	if err != nil {
		hs.t.Fatal(err)
	}
	return rec
}

// heen is the official WMO301 example, addressed as rec's Bericht was.
func heen(t *testing.T, rec receipts.Record) *messages.Toewijzing {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(testenv.Reference(t), "iwmo", "3.2", "examples", "WMO301.xml"))
	if err != nil {
		t.Fatal(err)
	}
	m, err := messages.Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	w := m.(*messages.Toewijzing)
	w.Header.Afzender = rec.Municipality
	w.Header.Ontvanger = rec.Recipient
	w.Header.BerichtIdentificatie.Identificatie = rec.Identificatie
	return w
}

// bericht builds the retour on rec's 301 as a provider would.
func bericht(t *testing.T, rec receipts.Record, v retour.Verdict) []byte {
	t.Helper()
	if v.IdentificatieRetour == "" {
		v.IdentificatieRetour = "R" + rec.Identificatie
		if len(v.IdentificatieRetour) > 12 {
			v.IdentificatieRetour = v.IdentificatieRetour[:12]
		}
	}
	if v.Today.IsZero() {
		v.Today = messages.NewDate(2026, 11, 23)
	}
	m, err := retour.Answer(heen(t, rec), v)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := messages.Build(m, messages.BuildOptions{Today: messages.NewDate(2026, 11, 23)})
	if err != nil {
		t.Fatalf("build retour: %v", err)
	}
	return doc
}

// seal signs doc as signer, claiming to be sender.
func (hs *harness) seal(signer *signing.Signer, sender, messageType, inReplyTo string, doc []byte) []byte {
	hs.t.Helper()
	return hs.sealAt(signer, sender, messageType, inReplyTo, doc, time.Now())
}

// sealAt is seal with the envelope's Created.
func (hs *harness) sealAt(signer *signing.Signer, sender, messageType, inReplyTo string, doc []byte, created time.Time) []byte {
	hs.t.Helper()
	n := hs.seq.Add(1)
	std := "iWmo"
	if messageType[:2] == "JW" {
		std = "iJw"
	}
	signed, err := signer.Seal(signing.Meta{
		MessageID: fmt.Sprintf("retour-%s-%d", sender, n), InReplyTo: inReplyTo, Standard: std,
		MessageType: messageType, Sender: sender, Recipient: municipality, Created: created,
	}, doc)
	if err != nil {
		hs.t.Fatal(err)
	}
	return signed
}

// genuine is rec's provider's correctly signed retour.
func (hs *harness) genuine(rec receipts.Record, v retour.Verdict) []byte {
	hs.t.Helper()
	return hs.seal(hs.signers[rec.Recipient], rec.Recipient, "WMO302", rec.MessageID, bericht(hs.t, rec, v))
}

func (hs *harness) handle(body []byte) error {
	hs.t.Helper()
	msg := message.NewMessage(watermill.NewUUID(), body)
	msg.Metadata.Set("content_type", "application/xml")
	bus.UserID.Set(msg, amqp.UserOf(hs.url)) // as the subscriber sets it
	return hs.h.Handle(msg)
}

// parked takes the next message from the parking queue.
func (hs *harness) parked() (amqp091.Delivery, bool) {
	hs.t.Helper()
	d, ok, err := hs.ch.Get(amqp.QueueDead, true)
	if err != nil {
		hs.t.Fatal(err)
	}
	return d, ok
}

// event waits for the next status event (the broker has confirmed it, so
// it is on its way; the wait only guards against a hang).
func (hs *harness) event() bus.Event {
	hs.t.Helper()
	ev, err := bus.Parse(testenv.Next(hs.t, hs.events, "status event").Body)
	if err != nil {
		hs.t.Fatal(err)
	}
	return ev
}

// noEvent checks that no status event was published: it sends a sentinel
// event through the same exchange and queue, which must come first.
func (hs *harness) noEvent() {
	hs.t.Helper()
	sentinel := bus.Event{DisclosureID: "sentinel", State: "none", Municipality: "0000", System: "test"}
	if err := hs.ch.Publish(amqp.ExchangeStatus, sentinel.RoutingKey(), false, false,
		amqp091.Publishing{Body: sentinel.Marshal()}); err != nil {
		hs.t.Fatal(err)
	}
	if ev := hs.event(); ev.DisclosureID != "sentinel" {
		hs.t.Fatalf("unexpected status event %+v", ev)
	}
}

// consume runs h as the gateway does: a watermill router consuming
// testRetours, until the test ends. It returns the router's context.
func (hs *harness) consume(h *retour.Handler) context.Context {
	hs.t.Helper()
	sub, err := amqp.NewSubscriber(hs.url, testRetours, 1, watermill.NopLogger{})
	if err != nil {
		hs.t.Fatal(err)
	}
	router, err := message.NewRouter(message.RouterConfig{}, watermill.NopLogger{})
	if err != nil {
		hs.t.Fatal(err)
	}
	router.AddConsumerHandler("retours", testRetours, sub, h.Handle)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- router.Run(ctx) }()
	hs.t.Cleanup(func() {
		cancel()
		<-done
	})
	<-router.Running()
	return ctx
}
