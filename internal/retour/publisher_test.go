package retour_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/sluis-gateway/sluis/adapters/amqp"
	"github.com/sluis-gateway/sluis/internal/provider"
	"github.com/sluis-gateway/sluis/internal/receipts"
	"github.com/sluis-gateway/sluis/internal/retour"
	"github.com/sluis-gateway/sluis/internal/testenv"
)

// TestRetourPublishedByAnotherProvidersAccount: each provider publishes
// with its own real broker user; a retour signed by provider B but
// published with A's account is parked as wrong_publisher and nothing is
// recorded; the same retour published with B's account is recorded.
func TestRetourPublishedByAnotherProvidersAccount(t *testing.T) {
	hs := newHarness(t)
	rec := hs.delivered("d-wrong-publisher", agbB)
	userA, urlA := testenv.BrokerUser(t, hs.url, "test-retour-a-")
	userB, urlB := testenv.BrokerUser(t, hs.url, "test-retour-b-")
	reg, err := provider.New([]provider.Provider{
		{AGB: agbA, Name: "A", RetourCertificate: hs.certs[agbA], BrokerUser: userA},
		{AGB: agbB, Name: "B", RetourCertificate: hs.certs[agbB], BrokerUser: userB},
	})
	if err != nil {
		t.Fatal(err)
	}
	m, err := retour.NewMetrics(prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	h, err := retour.New(retour.Config{
		Store: hs.store, Certificates: reg, Validator: hs.val, Publisher: unroutable{hs.pub}, Metrics: m,
		Now: func() time.Time { return hs.now }, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	dead := testenv.Tap(t, hs.ch, amqp.ExchangeDead, "")
	ctx := hs.consume(h)

	body := hs.genuine(rec, retour.Verdict{})
	publishAs := func(user, url string) {
		t.Helper()
		pub, err := amqp.NewPublisher(amqp.PublisherConfig{URL: url, Route: route, ConnectionName: "retour-" + user, UserID: user},
			watermill.NopLogger{}, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer pub.Close()
		if err := pub.PublishContext(ctx, "retour", message.NewMessage(watermill.NewUUID(), body))[0]; err != nil {
			t.Fatalf("publish as %s: %v", user, err)
		}
	}

	publishAs(userA, urlA)
	d := testenv.Next(t, dead, "parked retour")
	if reason, _ := d.Headers[retour.HeaderParkReason].(string); reason != string(retour.ReasonWrongPublisher) {
		t.Fatalf("park reason %q (%v), want %s", reason, d.Headers[retour.HeaderParkDetail], retour.ReasonWrongPublisher)
	}
	hs.noEvent()
	if got := hs.get(rec.DisclosureID); got.State != receipts.Delivered {
		t.Fatalf("state %s after the wrong publisher, want delivered", got.State)
	}
	entries, err := hs.store.EntriesFor(context.Background(), rec.DisclosureID)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.Event == "retour:parked" || e.Actor == "provider:"+agbB {
			t.Fatalf("the wrong publisher's retour was recorded: %+v", e)
		}
	}

	publishAs(userB, urlB)
	if ev := hs.event(); ev.DisclosureID != rec.DisclosureID || ev.State != string(receipts.Accepted) {
		t.Fatalf("status event %+v, want accepted", ev)
	}
}
