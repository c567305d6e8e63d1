package cli_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	amqp091 "github.com/rabbitmq/amqp091-go"

	"github.com/sluis-gateway/sluis/adapters/amqp"
	"github.com/sluis-gateway/sluis/cmd/sluis/cli"
	"github.com/sluis-gateway/sluis/internal/app"
	"github.com/sluis-gateway/sluis/internal/bus"
	"github.com/sluis-gateway/sluis/internal/config"
	"github.com/sluis-gateway/sluis/internal/identity"
	"github.com/sluis-gateway/sluis/internal/ledger"
	"github.com/sluis-gateway/sluis/internal/retour"
	"github.com/sluis-gateway/sluis/internal/testenv"
)

const deadAGB = "42420001"

// deadBroker is a private vhost with the gateway's topology and, on
// sluis.dead, one message of each kind: a disclosure request, a consent
// command and a provider's signed message the broker dead-lettered
// (rejected by a consumer), a retour it dead-lettered, and a parked
// retour's summary.
type deadBroker struct {
	url        string
	ch         *amqp091.Channel
	disclosure []byte // the request's body (it holds a BSN)
}

// message ids of the dead letters deadBroker makes.
const (
	idDisclosure = "dead-disclosure-1"
	idConsent    = "dead-consent-1"
	idAnonymous  = "dead-consent-anonymous"
	idOutbound   = "dead-outbound-1"
	idRetour     = "dead-retour-1"
	idParked     = "dead-parked-1"
)

func newDeadBroker(t *testing.T) *deadBroker {
	t.Helper()
	url := testenv.VHost(t)
	_, ch := testenv.Channel(t, url)
	if err := (amqp.Topology{Providers: []string{deadAGB}}).Declare(ch); err != nil {
		t.Fatal(err)
	}
	body, err := os.ReadFile(filepath.Join(testenv.Root(), "docs/contract/examples/iwmo-301.json"))
	if err != nil {
		t.Fatal(err)
	}
	b := &deadBroker{url: url, ch: ch, disclosure: body}
	// Published as the HTTP intake does: the gateway's user-id (guest) and
	// the system it authenticated.
	b.reject(t, amqp.ExchangeIntake, amqp.KeyDisclosure, amqp.QueueDisclosures, amqp091.Publishing{
		MessageId: idDisclosure, ContentType: "application/json", UserId: "guest", Body: body,
		Headers: amqp091.Table{string(bus.System): "regsys-demo"}})
	// Published by a system's own broker user (guest is regsys-demo's).
	b.reject(t, amqp.ExchangeIntake, amqp.KeyConsent, amqp.QueueConsents, amqp091.Publishing{
		MessageId: idConsent, ContentType: "application/json", UserId: "guest", Body: []byte(`{"version":1}`)})
	// Published without a user-id: the gateway would not take it.
	b.reject(t, amqp.ExchangeIntake, amqp.KeyConsent, amqp.QueueConsents, amqp091.Publishing{
		MessageId: idAnonymous, ContentType: "application/json", Body: []byte(`{"version":1}`)})
	b.reject(t, amqp.ExchangeOutbound, deadAGB, amqp.ProviderQueue(deadAGB), amqp091.Publishing{
		MessageId: idOutbound, ContentType: "application/xml", UserId: "guest", Body: []byte(`<signed/>`),
		Headers: amqp091.Table{"agb": deadAGB, "message_type": "WMO301"}})
	b.reject(t, amqp.ExchangeRetour, deadAGB, amqp.RetourQueue(deadAGB), amqp091.Publishing{
		MessageId: idRetour, ContentType: "application/xml", Body: []byte(`<retour/>`)})
	b.publish(t, amqp.ExchangeDead, "", amqp091.Publishing{
		MessageId: idParked, ContentType: "application/json",
		Headers: amqp091.Table{retour.HeaderParkReason: "unmatched", retour.HeaderParkDetail: "provider 42420001: no WMO301 0363/9",
			retour.HeaderParkSource: amqp.RetourQueue(deadAGB), retour.HeaderParkSHA256: strings.Repeat("ab", 32), retour.HeaderParkSize: "9"},
		Body: []byte(`{"kind":"retour","message_id":"dead-parked-1","reason":"unmatched"}`)})
	b.waitDead(t, 6)
	return b
}

func (b *deadBroker) publish(t *testing.T, exchange, key string, p amqp091.Publishing) {
	t.Helper()
	p.DeliveryMode = amqp091.Persistent
	if err := b.ch.PublishWithContext(context.Background(), exchange, key, true, false, p); err != nil {
		t.Fatal(err)
	}
}

// reject publishes p and has a consumer reject it without requeue, so the
// broker dead-letters it to sluis.dead.
func (b *deadBroker) reject(t *testing.T, exchange, key, queue string, p amqp091.Publishing) {
	t.Helper()
	b.publish(t, exchange, key, p)
	deadline := time.Now().Add(10 * time.Second)
	for {
		d, ok, err := b.ch.Get(queue, false)
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			if err := d.Reject(false); err != nil {
				t.Fatal(err)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s never reached %s", p.MessageId, queue)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitDead waits until sluis.dead holds n ready messages.
func (b *deadBroker) waitDead(t *testing.T, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		q, err := b.ch.QueueDeclarePassive(amqp.QueueDead, true, false, false, false, amqp091.Table{"x-queue-type": "quorum"})
		if err != nil {
			t.Fatal(err)
		}
		if q.Messages == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("sluis.dead holds %d ready messages, want %d", q.Messages, n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// deadLedger is an SQLite store for the replays' ledger entries.
func deadLedger(t *testing.T) app.Store {
	t.Helper()
	s, err := app.OpenStore(context.Background(), config.Config{Store: "sqlite", SQLitePath: filepath.Join(t.TempDir(), "sluis.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func (b *deadBroker) letters(t *testing.T, store app.Store) cli.DeadLetters {
	t.Helper()
	reg, err := identity.Development()
	if err != nil {
		t.Fatal(err)
	}
	return cli.DeadLetters{URL: b.url, GatewayUser: "guest", Systems: reg, Ledger: store}
}

// TestDeadListAndShow: list names every message with its kind, reason and
// source queue, show one's headers, and neither takes any message nor
// prints a dead-lettered body.
func TestDeadListAndShow(t *testing.T) {
	b := newDeadBroker(t)
	dl := b.letters(t, deadLedger(t))
	var out bytes.Buffer
	if err := dl.List(context.Background(), &out); err != nil {
		t.Fatal(err)
	}
	rows := map[string]string{}
	for _, line := range strings.Split(out.String(), "\n") {
		if f := strings.Fields(line); len(f) == 5 {
			rows[f[0]] = strings.Join(f[1:4], " ")
		}
	}
	for id, want := range map[string]string{
		idDisclosure: "dead-lettered rejected sluis.disclosures",
		idConsent:    "dead-lettered rejected sluis.consents",
		idAnonymous:  "dead-lettered rejected sluis.consents",
		idOutbound:   "dead-lettered rejected " + amqp.ProviderQueue(deadAGB),
		idRetour:     "dead-lettered rejected " + amqp.RetourQueue(deadAGB),
		idParked:     "parked unmatched " + amqp.RetourQueue(deadAGB),
	} {
		if rows[id] != want {
			t.Errorf("list: %s is %q, want %q:\n%s", id, rows[id], want, out.String())
		}
	}
	if !strings.HasSuffix(out.String(), "6 message(s) on sluis.dead\n") {
		t.Errorf("list does not count:\n%s", out.String())
	}
	b.waitDead(t, 6)

	limited := dl
	limited.Max = 2
	out.Reset()
	if err := limited.List(context.Background(), &out); err != nil || !strings.Contains(out.String(), "6 message(s) on sluis.dead; 2 listed (-max 2)") {
		t.Errorf("-max 2: %v\n%s", err, out.String())
	}
	b.waitDead(t, 6)

	cases := []struct {
		name, id string
		want     []string
		not      []string
	}{
		{"a disclosure request: headers and its id, never the body", idDisclosure,
			[]string{`(?m)^kind +dead-lettered$`, `(?m)^from +sluis.disclosures$`, `(?m)^disclosure_id +[0-9a-f-]{36}$`, `(?m)^user_id +guest$`,
				`(?m)^  sluis_system +regsys-demo$`, "body: kept, not shown", "replay: possible"},
			[]string{"999900006", "bsn", "client"}},
		{"a parked retour: its summary, not replayable", idParked,
			[]string{`(?m)^kind +parked$`, `(?m)^reason +unmatched$`, `summary: \{"kind":"retour"`, "replay: not possible"}, nil},
		{"a retour the broker dead-lettered: not replayable", idRetour,
			[]string{`(?m)^from +sluis.retours.42420001$`, `(?m)^  x-first-death-reason +rejected$`, "replay: not possible: a retour counts only as published by its provider"}, []string{"<retour/>"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var out bytes.Buffer
			if err := dl.Show(context.Background(), &out, c.id); err != nil {
				t.Fatal(err)
			}
			for _, w := range c.want {
				if !regexp.MustCompile(w).MatchString(out.String()) {
					t.Errorf("show lacks %q:\n%s", w, out.String())
				}
			}
			for _, w := range c.not {
				if strings.Contains(out.String(), w) {
					t.Errorf("show prints %q:\n%s", w, out.String())
				}
			}
		})
	}
	if err := dl.Show(context.Background(), &out, "no-such-id"); !errors.Is(err, cli.ErrDeadNotFound) {
		t.Errorf("unknown id: %v", err)
	}
	b.waitDead(t, 6)
}

// TestDeadReplay: a dead-lettered intake request goes back to the intake
// with its body, for the system that sent it, and a provider's message to
// the provider's queue, each after a ledger entry naming the operator;
// what only a summary or a provider's user-id vouches for is refused, with
// nothing published or recorded.
func TestDeadReplay(t *testing.T) {
	b := newDeadBroker(t)
	store := deadLedger(t)
	dl := b.letters(t, store)
	ctx := context.Background()

	refusals := []struct {
		name, id, operator string
		want               error
	}{
		{"a parked summary", idParked, "op-7", cli.ErrSummaryOnly},
		{"a retour", idRetour, "op-7", cli.ErrReplayRetour},
		{"a command of no registered system", idAnonymous, "op-7", cli.ErrReplayPublisher},
		{"an unknown id", "no-such-id", "op-7", cli.ErrDeadNotFound},
		{"no operator", idDisclosure, "", cli.ErrNoOperator},
		{"an operator that is not an id", idDisclosure, "Jan de Vries", cli.ErrNoOperator},
	}
	for _, c := range refusals {
		t.Run("refused: "+c.name, func(t *testing.T) {
			err := dl.Replay(ctx, &bytes.Buffer{}, c.id, c.operator)
			if !errors.Is(err, c.want) {
				t.Fatalf("%v, want %v", err, c.want)
			}
		})
	}
	b.waitDead(t, 6)
	if es := replayEntries(t, store); len(es) != 0 {
		t.Fatalf("refusals recorded %+v", es)
	}

	replays := []struct {
		name, id, queue string
		check           func(t *testing.T, d amqp091.Delivery)
	}{
		{"a disclosure request back to the intake", idDisclosure, amqp.QueueDisclosures, func(t *testing.T, d amqp091.Delivery) {
			if !bytes.Equal(d.Body, b.disclosure) || d.Headers[string(bus.System)] != "regsys-demo" || d.UserId != "guest" {
				t.Errorf("replayed %+v", d.Headers)
			}
		}},
		{"a consent command of a system's broker user", idConsent, amqp.QueueConsents, func(t *testing.T, d amqp091.Delivery) {
			if d.Headers[string(bus.System)] != "regsys-demo" || d.UserId != "guest" {
				t.Errorf("replayed %+v user %q", d.Headers, d.UserId)
			}
		}},
		{"a signed message back to its provider", idOutbound, amqp.ProviderQueue(deadAGB), func(t *testing.T, d amqp091.Delivery) {
			if string(d.Body) != "<signed/>" || d.ContentType != "application/xml" || d.Headers["agb"] != deadAGB {
				t.Errorf("replayed %+v", d)
			}
		}},
	}
	for i, c := range replays {
		t.Run("replayed: "+c.name, func(t *testing.T) {
			var out bytes.Buffer
			if err := dl.Replay(ctx, &out, c.id, "op-7"); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(out.String(), "replayed "+c.id+" from "+c.queue) {
				t.Errorf("%s", out.String())
			}
			d, ok, err := b.ch.Get(c.queue, true)
			if err != nil || !ok {
				t.Fatalf("nothing on %s: %v", c.queue, err)
			}
			if d.MessageId != c.id {
				t.Fatalf("message id %q", d.MessageId)
			}
			for k := range d.Headers {
				if k == "x-death" || strings.HasPrefix(k, "x-first-death") {
					t.Errorf("replayed with the broker's header %s", k)
				}
			}
			c.check(t, d)
			b.waitDead(t, 6-(i+1))
		})
	}
	es := replayEntries(t, store)
	if len(es) != 3 {
		t.Fatalf("%d replay entries, want 3: %+v", len(es), es)
	}
	if es[0].Actor != "staff:op-7 role:operator" || es[0].DisclosureID == "" || es[0].Detail["from_queue"] != amqp.QueueDisclosures ||
		es[0].Detail["to_exchange"] != amqp.ExchangeIntake || es[0].Detail["system"] != "regsys-demo" {
		t.Errorf("first entry %+v", es[0])
	}
	if es[2].Detail["routing_key"] != deadAGB || es[2].Detail["to_exchange"] != amqp.ExchangeOutbound {
		t.Errorf("outbound entry %+v", es[2])
	}
}

func replayEntries(t *testing.T, store app.Store) []ledger.Entry {
	t.Helper()
	all, err := store.Entries(context.Background(), 1, 1000)
	if err != nil {
		t.Fatal(err)
	}
	var out []ledger.Entry
	for _, e := range all {
		if strings.HasPrefix(e.Event, "dead:") {
			out = append(out, e)
		}
	}
	return out
}

// TestDeadCommand runs `sluis dead` as its own process against a private
// vhost: list exits 0 and lists every message; show of an unknown id and
// replay of a retour exit 1 naming why; replay of a request exits 0 with
// its ledger entry in the configured store.
func TestDeadCommand(t *testing.T) {
	b := newDeadBroker(t)
	env := []string{"SLUIS_AMQP_URL=" + b.url, "SLUIS_AMQP_ALLOW_PLAINTEXT=true"}
	r := sluis(t, env, "dead", "list")
	if r.code != 0 || !strings.Contains(r.stdout, idParked) || !strings.Contains(r.stdout, "6 message(s) on sluis.dead") {
		t.Fatalf("list: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	r = sluis(t, env, "dead", "show", "no-such-id")
	if r.code != 1 || !strings.Contains(r.stderr, "no message with this id on sluis.dead: no-such-id") {
		t.Fatalf("show: exit %d\n%s", r.code, r.stderr)
	}
	b.waitDead(t, 6)

	// replay, with the development registry and an SQLite ledger.
	db := filepath.Join(t.TempDir(), "sluis.db")
	st, err := app.OpenStore(context.Background(), config.Config{Store: "sqlite", SQLitePath: db})
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	env = append(env, "SLUIS_DEV_CA=true", "SLUIS_STORE=sqlite", "SLUIS_SQLITE_PATH="+db)
	r = sluis(t, env, "dead", "-operator", "op-7", "replay", idRetour)
	if r.code != 1 || !strings.Contains(r.stderr, "ask the provider to send it again") {
		t.Fatalf("replay of a retour: exit %d\n%s", r.code, r.stderr)
	}
	r = sluis(t, env, "dead", "-operator", "op-7", "replay", idDisclosure)
	if r.code != 0 || !strings.Contains(r.stdout, "replayed "+idDisclosure+" from sluis.disclosures to sluis.intake") {
		t.Fatalf("replay: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	b.waitDead(t, 5)
	st, err = app.OpenStore(context.Background(), config.Config{Store: "sqlite", SQLitePath: db})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if es := replayEntries(t, st); len(es) != 1 || es[0].Event != cli.EventDeadReplayed || es[0].Actor != "staff:op-7 role:operator" {
		t.Fatalf("ledger %+v", es)
	}
}
