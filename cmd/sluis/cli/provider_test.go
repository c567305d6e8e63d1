package cli_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/prometheus/client_golang/prometheus"
	amqp091 "github.com/rabbitmq/amqp091-go"

	"github.com/sluis-gateway/sluis/adapters/amqp"
	"github.com/sluis-gateway/sluis/adapters/store/sqlite"
	"github.com/sluis-gateway/sluis/cmd/sluis/cli"
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

func TestParseAnswer(t *testing.T) {
	tests := []struct {
		in     string
		answer bool
		reject bool
		code   string
		err    bool
	}{
		{"", false, false, "", false},
		{"none", false, false, "", false},
		{"accept", true, false, "", false},
		{"reject:9332", true, true, "9332", false},
		{"reject:0200", false, false, "", true},
		{"reject:0233", false, false, "", true},
		{"reject:12", false, false, "", true},
		{"reject:abcd", false, false, "", true},
		{"reject:0000", false, false, "", true}, // not in the code list
		{"maybe", false, false, "", true},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			answer, v, err := cli.ParseAnswer(tc.in)
			if (err != nil) != tc.err {
				t.Fatalf("err = %v", err)
			}
			if err != nil {
				if !errors.Is(err, cli.ErrBadAnswer) {
					t.Fatalf("err %v is not ErrBadAnswer", err)
				}
				return
			}
			if answer != tc.answer || v.Reject != tc.reject || string(v.Code) != tc.code {
				t.Fatalf("got %v %+v", answer, v)
			}
		})
	}
}

const (
	agb          = "42420001"
	municipality = "0384"
)

// TestProviderAnswerCycle is the whole retour cycle: sluis's signed 301 on
// the provider's queue, `sluis provider -answer reject:9332` verifying and
// answering it, and the retour handler recording the rejection.
func TestProviderAnswerCycle(t *testing.T) {
	for _, tc := range []struct {
		answer string
		state  receipts.State
		codes  []string
	}{
		{"accept", receipts.Accepted, nil},
		{"reject:9332", receipts.Rejected, []string{"9332"}},
	} {
		t.Run(tc.answer, func(t *testing.T) {
			cycle(t, tc.answer, tc.state, tc.codes)
		})
	}
}

func cycle(t *testing.T, answer string, want receipts.State, codes []string) {
	ctx := context.Background()
	url := testenv.VHost(t)
	_, ch := testenv.Channel(t, url)
	if err := (amqp.Topology{Providers: []string{agb}}).Declare(ch); err != nil {
		t.Fatal(err)
	}
	if err := ch.Confirm(false); err != nil {
		t.Fatal(err)
	}
	confirms := ch.NotifyPublish(make(chan amqp091.Confirmation, 1))

	// The gateway's side: a delivered disclosure and its signed 301.
	store, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Close() })
	sctx := actor.With(ctx, actor.System)
	rec, _, err := store.Register(sctx, receipts.Record{
		DisclosureID: "cycle-1", Municipality: municipality, System: "regsys-a", Recipient: agb,
		Standard: "iWmo", MessageType: "WMO301", RequestHash: "h",
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []receipts.State{receipts.Allowed, receipts.Published, receipts.Delivered} {
		if rec, err = store.Move(sctx, rec.DisclosureID, receipts.Change{To: s}); err != nil {
			t.Fatal(err)
		}
	}
	gwKeys := testenv.NewKeyPair(t, "sluis")
	gw, gwCert := gwKeys.Signer, gwKeys.CertFile
	b, err := os.ReadFile(filepath.Join(testenv.Reference(t), "iwmo", "3.2", "examples", "WMO301.xml"))
	if err != nil {
		t.Fatal(err)
	}
	heen, err := messages.Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	heen.Head().Afzender, heen.Head().Ontvanger = municipality, agb
	heen.Head().BerichtIdentificatie.Identificatie = rec.Identificatie
	doc, err := messages.Marshal(heen)
	if err != nil {
		t.Fatal(err)
	}
	signed, err := gw.Seal(signing.Meta{MessageID: rec.MessageID, Standard: "iWmo", MessageType: "WMO301",
		Sender: municipality, Recipient: agb, Created: time.Now()}, doc)
	if err != nil {
		t.Fatal(err)
	}
	if err := ch.PublishWithContext(ctx, amqp.ExchangeOutbound, agb, true, false, amqp091.Publishing{
		MessageId: rec.MessageID, Body: signed, DeliveryMode: amqp091.Persistent}); err != nil {
		t.Fatal(err)
	}
	if c := <-confirms; !c.Ack {
		t.Fatal("301 not confirmed")
	}

	// The provider.
	pdir := t.TempDir()
	pKey, pCert, err := signing.GenerateDevelopment(pdir, "provider")
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := cli.RunProvider(ctx, &out, cli.ProviderConfig{
		AMQPURL: url, AGB: agb, Trusted: []string{gwCert}, Count: 1, Timeout: time.Minute,
		Answer: answer, Key: pKey, Cert: pCert,
	}); err != nil {
		t.Fatalf("RunProvider: %v\n%s", err, out.String())
	}
	t.Log(out.String())
	if !strings.Contains(out.String(), "answered WMO302") {
		t.Fatalf("provider output: %s", out.String())
	}
	for _, personal := range []string{"999900006", "Wit", "Jansen"} {
		if strings.Contains(out.String(), personal) {
			t.Fatalf("provider printed personal data")
		}
	}

	// The retour is on the provider's own retour queue (the provider
	// waited for the confirm).
	d, ok, err := ch.Get(amqp.RetourQueue(agb), true)
	if err != nil || !ok {
		t.Fatalf("no retour on %s: %v", amqp.RetourQueue(agb), err)
	}
	reg, err := provider.New([]provider.Provider{{AGB: agb, RetourCertificate: pCert, BrokerUser: amqp.UserOf(url)}})
	if err != nil {
		t.Fatal(err)
	}
	val, err := xsd.NewValidator()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(val.Close)
	pub, err := amqp.NewPublisher(amqp.PublisherConfig{URL: url, Route: func(topic string, m *message.Message) (string, string, error) {
		switch topic {
		case bus.TopicDead:
			return amqp.ExchangeDead, "", nil
		case bus.TopicStatus:
			return amqp.ExchangeStatus, m.Metadata.Get("routing_key"), nil
		}
		return "", "", fmt.Errorf("topic %q", topic)
	}}, watermill.NopLogger{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = pub.Close() })
	metrics, err := retour.NewMetrics(prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	h, err := retour.New(retour.Config{Store: store, Certificates: reg, Validator: val, Publisher: statusTolerant{pub},
		Metrics: metrics, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	// As the gateway's subscriber reads it: with the broker-validated
	// user_id `sluis provider` set.
	m, err := amqp.Marshaler{}.Unmarshal(d)
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Handle(m); err != nil {
		t.Fatalf("retour handler: %v", err)
	}
	if _, parked, _ := ch.Get(amqp.QueueDead, true); parked {
		t.Fatal("the provider's retour was parked")
	}
	got, err := store.Get(ctx, rec.DisclosureID)
	if err != nil {
		t.Fatal(err)
	}
	if got.State != want || !slices.Equal(got.RetourCodes, codes) {
		t.Fatalf("record %s %v, want %s %v", got.State, got.RetourCodes, want, codes)
	}
}

// statusTolerant treats an unroutable status event (no registration system
// bound a queue in this test) as the gateway's publisher does.
type statusTolerant struct{ *amqp.Publisher }

func (p statusTolerant) PublishContext(ctx context.Context, topic string, msgs ...*message.Message) []error {
	errs := p.Publisher.PublishContext(ctx, topic, msgs...)
	for i, err := range errs {
		if topic == bus.TopicStatus && errors.Is(err, bus.ErrUnroutable) {
			errs[i] = nil
		}
	}
	return errs
}
