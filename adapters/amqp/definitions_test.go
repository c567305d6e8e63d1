package amqp

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"reflect"
	"regexp"
	"slices"
	"testing"

	amqp "github.com/rabbitmq/amqp091-go"
)

const definitionsPath = "../../deploy/rabbitmq/definitions.json"

// definitionsProviders are the example providers in definitions.json.
var definitionsProviders = []string{"42420001", "65656055"}

type definitions struct {
	Users []struct {
		Name         string `json:"name"`
		PasswordHash string `json:"password_hash"`
		Hashing      string `json:"hashing_algorithm"`
	} `json:"users"`
	Permissions []struct {
		User, Vhost, Configure, Write, Read string
	} `json:"permissions"`
	Queues []struct {
		Name       string         `json:"name"`
		Vhost      string         `json:"vhost"`
		Durable    bool           `json:"durable"`
		AutoDelete bool           `json:"auto_delete"`
		Arguments  map[string]any `json:"arguments"`
	} `json:"queues"`
	Exchanges []struct {
		Name       string `json:"name"`
		Type       string `json:"type"`
		Durable    bool   `json:"durable"`
		AutoDelete bool   `json:"auto_delete"`
	} `json:"exchanges"`
	Bindings []struct {
		Source          string `json:"source"`
		Destination     string `json:"destination"`
		DestinationType string `json:"destination_type"`
		RoutingKey      string `json:"routing_key"`
	} `json:"bindings"`
}

func loadDefinitions(t *testing.T) definitions {
	t.Helper()
	raw, err := os.ReadFile(definitionsPath)
	if err != nil {
		t.Fatal(err)
	}
	var d definitions
	if err := json.Unmarshal(raw, &d); err != nil {
		t.Fatalf("parse %s: %v", definitionsPath, err)
	}
	return d
}

func (d definitions) permission(t *testing.T, user string) (configure, write, read string) {
	t.Helper()
	for _, p := range d.Permissions {
		if p.User == user {
			return p.Configure, p.Write, p.Read
		}
	}
	t.Fatalf("no permissions for %s in definitions.json", user)
	return
}

// jsonArgs normalises AMQP arguments the way encoding/json reads them.
func jsonArgs(t amqp.Table) map[string]any {
	out := map[string]any{}
	for k, v := range t {
		switch x := v.(type) {
		case int64:
			out[k] = float64(x)
		default:
			out[k] = x
		}
	}
	return out
}

func TestDefinitionsMatchTopology(t *testing.T) {
	d := loadDefinitions(t)
	pl, err := Topology{Providers: definitionsProviders}.plan()
	if err != nil {
		t.Fatal(err)
	}

	var exch []string
	for _, e := range pl.Exchanges {
		exch = append(exch, e.Name+" "+e.Kind)
	}
	var gotExch []string
	for _, e := range d.Exchanges {
		if !e.Durable || e.AutoDelete {
			t.Errorf("exchange %s: durable=%v auto_delete=%v", e.Name, e.Durable, e.AutoDelete)
		}
		gotExch = append(gotExch, e.Name+" "+e.Type)
	}
	slices.Sort(exch)
	slices.Sort(gotExch)
	if !slices.Equal(exch, gotExch) {
		t.Errorf("exchanges: definitions %v, topology %v", gotExch, exch)
	}

	wantQ := map[string]map[string]any{}
	for _, q := range pl.Queues {
		wantQ[q.Name] = jsonArgs(q.Args)
	}
	if len(d.Queues) != len(wantQ) {
		t.Errorf("definitions has %d queues, topology %d", len(d.Queues), len(wantQ))
	}
	for _, q := range d.Queues {
		want, ok := wantQ[q.Name]
		if !ok {
			t.Errorf("queue %s not in topology", q.Name)
			continue
		}
		if !q.Durable || q.AutoDelete {
			t.Errorf("queue %s: durable=%v auto_delete=%v", q.Name, q.Durable, q.AutoDelete)
		}
		if !reflect.DeepEqual(q.Arguments, want) {
			t.Errorf("queue %s arguments: definitions %v, topology %v", q.Name, q.Arguments, want)
		}
	}

	var binds, gotBinds []string
	for _, b := range pl.Bindings {
		binds = append(binds, fmt.Sprintf("%s -%s-> %s", b.Exchange, b.Key, b.Queue))
	}
	for _, b := range d.Bindings {
		if b.DestinationType != "queue" {
			t.Errorf("binding to %s: destination type %s", b.Destination, b.DestinationType)
		}
		gotBinds = append(gotBinds, fmt.Sprintf("%s -%s-> %s", b.Source, b.RoutingKey, b.Destination))
	}
	slices.Sort(binds)
	slices.Sort(gotBinds)
	if !slices.Equal(binds, gotBinds) {
		t.Errorf("bindings: definitions %v, topology %v", gotBinds, binds)
	}
}

// devPassword is the documented development password of every user in
// deploy/rabbitmq/definitions.json (see doc.go). Never use it in production.
const devPassword = "sluis-dev-only"

func TestDefinitionsPasswordHashesAreTheDevPassword(t *testing.T) {
	d := loadDefinitions(t)
	for _, u := range d.Users {
		t.Run(u.Name, func(t *testing.T) {
			if u.Hashing != "rabbit_password_hashing_sha256" {
				t.Fatalf("hashing algorithm %s", u.Hashing)
			}
			raw, err := base64.StdEncoding.DecodeString(u.PasswordHash)
			if err != nil || len(raw) != 4+sha256.Size {
				t.Fatalf("hash does not decode to salt+sha256: %v", err)
			}
			sum := sha256.Sum256(append(slices.Clone(raw[:4]), devPassword...))
			if !slices.Equal(sum[:], raw[4:]) {
				t.Fatal("hash is not of the documented dev password")
			}
		})
	}
}

func TestDefinitionsProviderPermissions(t *testing.T) {
	d := loadDefinitions(t)
	for _, agb := range definitionsProviders {
		configure, write, read := d.permission(t, "provider-"+agb)
		tests := []struct {
			name, pattern, resource string
			allowed                 bool
		}{
			{"reads own queue", read, ProviderQueue(agb), true},
			{"reads no other provider", read, ProviderQueue("99999999"), false},
			{"reads no longer name", read, ProviderQueue(agb) + "x", false},
			{"reads no intake", read, QueueDisclosures, false},
			{"writes retour", write, ExchangeRetour, true},
			{"writes no outbound", write, ExchangeOutbound, false},
			{"writes no retours queue", write, QueueRetours, false},
			{"configures nothing", configure, ProviderQueue(agb), false},
		}
		for _, tc := range tests {
			t.Run(agb+"/"+tc.name, func(t *testing.T) {
				if got := regexp.MustCompile(tc.pattern).MatchString(tc.resource); got != tc.allowed {
					t.Errorf("%q matches %q: %v, want %v", tc.pattern, tc.resource, got, tc.allowed)
				}
			})
		}
	}
}

// ensureQueue declares name with args if absent and deletes it at cleanup
// only if this test created it (the real provider queues may be in use).
func ensureQueue(t *testing.T, name string, args amqp.Table) {
	t.Helper()
	conn, ch := dial(t)
	if _, err := ch.QueueDeclarePassive(name, true, false, false, false, nil); err == nil {
		return
	}
	ch, err := conn.Channel() // the failed passive declare closed the channel
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ch.QueueDeclare(name, true, false, false, false, args); err != nil {
		t.Fatalf("declare %s: %v", name, err)
	}
	t.Cleanup(func() { deleteQueue(t, name) })
}

func ensureExchange(t *testing.T, name, kind string) {
	t.Helper()
	conn, ch := dial(t)
	if err := ch.ExchangeDeclarePassive(name, kind, true, false, false, false, nil); err == nil {
		return
	}
	ch, err := conn.Channel()
	if err != nil {
		t.Fatal(err)
	}
	if err := ch.ExchangeDeclare(name, kind, true, false, false, false, nil); err != nil {
		t.Fatalf("declare %s: %v", name, err)
	}
	t.Cleanup(func() { deleteExchange(t, name) })
}

func rabbitmqctl(t *testing.T, args ...string) {
	t.Helper()
	out, err := exec.Command("rabbitmqctl", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("rabbitmqctl %s: %v\n%s", args[0], err, out)
	}
}

func isAccessRefused(err error) bool {
	var aerr *amqp.Error
	return errors.As(err, &aerr) && aerr.Code == amqp.AccessRefused
}

// TestProviderUserIsConfinedToItsQueue creates a real broker user with the
// permissions definitions.json gives provider-42420001 and checks what the
// broker lets it do.
func TestProviderUserIsConfinedToItsQueue(t *testing.T) {
	requireRabbitmqctl(t)
	own, other := definitionsProviders[0], definitionsProviders[1]
	configure, write, read := loadDefinitions(t).permission(t, "provider-"+own)

	args := Topology{}.workQueueArgs()
	ensureQueue(t, ProviderQueue(own), args)
	ensureQueue(t, ProviderQueue(other), args)
	ensureExchange(t, ExchangeRetour, amqp.ExchangeDirect)
	ensureExchange(t, ExchangeOutbound, amqp.ExchangeDirect)

	user, pass := "test-h3-provider-"+randHex(4), randHex(12)
	rabbitmqctl(t, "add_user", user, pass)
	t.Cleanup(func() { _ = exec.Command("rabbitmqctl", "delete_user", user).Run() })
	rabbitmqctl(t, "set_permissions", "-p", "/", user, configure, write, read)

	u, err := url.Parse(testURL())
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.UserPassword(user, pass)
	conn, err := amqp.Dial(u.String())
	if err != nil {
		t.Fatalf("dial as provider user: %v", err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	channel := func() *amqp.Channel {
		ch, err := conn.Channel()
		if err != nil {
			t.Fatal(err)
		}
		return ch
	}

	t.Run("consumes its own queue", func(t *testing.T) {
		ch := channel()
		defer ch.Close()
		if _, err := ch.Consume(ProviderQueue(own), "", false, false, false, false, nil); err != nil {
			t.Fatalf("consume own queue: %v", err)
		}
	})
	t.Run("checks its own queue passively (watermill subscriber start-up)", func(t *testing.T) {
		ch := channel()
		defer ch.Close()
		if _, err := ch.QueueDeclarePassive(ProviderQueue(own), true, false, false, false, nil); err != nil {
			t.Fatalf("passive declare own queue: %v", err)
		}
	})
	t.Run("refused another provider's queue", func(t *testing.T) {
		ch := channel()
		_, err := ch.Consume(ProviderQueue(other), "", false, false, false, false, nil)
		if !isAccessRefused(err) {
			t.Fatalf("consume other queue: %v, want 403 ACCESS_REFUSED", err)
		}
	})
	t.Run("refused basic.get on another provider's queue", func(t *testing.T) {
		ch := channel()
		_, _, err := ch.Get(ProviderQueue(other), false)
		if !isAccessRefused(err) {
			t.Fatalf("get other queue: %v, want 403", err)
		}
	})
	t.Run("refused declaring queues", func(t *testing.T) {
		ch := channel()
		_, err := ch.QueueDeclare("test.h3.rogue."+randHex(3), true, false, false, false, nil)
		if !isAccessRefused(err) {
			t.Fatalf("declare: %v, want 403", err)
		}
	})
	t.Run("publishes to retour", func(t *testing.T) {
		ch := channel()
		defer ch.Close()
		if err := ch.Confirm(false); err != nil {
			t.Fatal(err)
		}
		dc, err := ch.PublishWithDeferredConfirm(ExchangeRetour, "test-h3-no-binding-"+randHex(3), false, false, amqp.Publishing{Body: []byte("x")})
		if err != nil {
			t.Fatal(err)
		}
		if ok := dc.Wait(); !ok {
			t.Fatal("retour publish nacked")
		}
	})
	t.Run("refused publishing to outbound", func(t *testing.T) {
		ch := channel()
		closed := ch.NotifyClose(make(chan *amqp.Error, 1))
		if err := ch.Publish(ExchangeOutbound, other, false, false, amqp.Publishing{Body: []byte("x")}); err != nil {
			t.Fatal(err)
		}
		if err := <-closed; err == nil || err.Code != amqp.AccessRefused {
			t.Fatalf("channel closed with %v, want 403", err)
		}
	})
}
