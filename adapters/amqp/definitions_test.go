package amqp

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/sluis-gateway/sluis/internal/testenv"
)

const definitionsPath = "../../deploy/rabbitmq/definitions.json"

// definitionsProviders are the example providers in definitions.json.
var definitionsProviders = []string{"42420001", "65656055"}

// definitionsReceivers are the receiving systems of deploy/systems.json.
var definitionsReceivers = []string{"regsys-amsterdam", "regsys-wijkteams-zuid"}

type definitions struct {
	Users []struct {
		Name         string `json:"name"`
		PasswordHash string `json:"password_hash"`
		Hashing      string `json:"hashing_algorithm"`
	} `json:"users"`
	Permissions []struct {
		User, Vhost, Configure, Write, Read string
	} `json:"permissions"`
	TopicPermissions []struct {
		User, Vhost, Exchange, Write, Read string
	} `json:"topic_permissions"`
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
	pl, err := Topology{Providers: definitionsProviders, Systems: definitionsReceivers}.plan()
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

// hashIsOf reports whether hash (rabbit_password_hashing_sha256: base64 of
// a 4-byte salt and sha256(salt || password)) is of password.
func hashIsOf(hash, password string) bool {
	raw, err := base64.StdEncoding.DecodeString(hash)
	if err != nil || len(raw) != 4+sha256.Size {
		return false
	}
	sum := sha256.Sum256(append(slices.Clone(raw[:4]), password...))
	return slices.Equal(sum[:], raw[4:])
}

// hashOf is the rabbit_password_hashing_sha256 hash of password.
func hashOf(password string) string {
	salt := make([]byte, 4)
	_, _ = rand.Read(salt)
	sum := sha256.Sum256(append(slices.Clone(salt), password...))
	return base64.StdEncoding.EncodeToString(append(salt, sum[:]...))
}

// importDefinitions loads doc into the broker with rabbitmqctl
// import_definitions.
func importDefinitions(t *testing.T, doc map[string]any) {
	t.Helper()
	raw, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	// rabbitmqctl runs as the rabbitmq user: the file must be readable to it.
	f, err := os.CreateTemp("", "sluis-test-import-*.json")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.Remove(f.Name()) })
	if _, err := f.Write(raw); err != nil {
		t.Fatal(err)
	}
	if err := errors.Join(f.Chmod(0o644), f.Close()); err != nil {
		t.Fatal(err)
	}
	rabbitmqctl(t, "-q", "import_definitions", f.Name())
}

// TestDefinitionsPublishNoPassword: every user in the published definitions
// has an empty password hash (no password login until deploy/rabbitmq/passwords
// gave it one, see docs/broker.md).
func TestDefinitionsPublishNoPassword(t *testing.T) {
	d := loadDefinitions(t)
	for _, u := range d.Users {
		if u.PasswordHash != "" {
			t.Errorf("user %s: a published password hash", u.Name)
		}
		if u.Hashing != "rabbit_password_hashing_sha256" {
			t.Errorf("user %s: hashing algorithm %s", u.Name, u.Hashing)
		}
	}
}

// TestPasswordsScript runs deploy/rabbitmq/passwords and checks what it
// wrote; the broker accepts a generated password with the hash it wrote.
func TestPasswordsScript(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	out, secrets := filepath.Join(dir, "out.json"), filepath.Join(dir, "secrets")
	cmd := exec.Command("bash", "../../deploy/rabbitmq/passwords", out, secrets)
	cmd.Env = append(os.Environ(), "SLUIS_BROKER_PASSWORD_REGSYS_AMSTERDAM=from-the-environment",
		"SLUIS_BROKER_X509_USERS=sluis regsys-batch")
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("passwords: %v\n%s", err, msg)
	}
	raw, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var got definitions
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatal(err)
	}
	want := loadDefinitions(t)
	if len(got.Users) != len(want.Users) || !reflect.DeepEqual(got.Permissions, want.Permissions) ||
		!reflect.DeepEqual(got.TopicPermissions, want.TopicPermissions) || len(got.Queues) != len(want.Queues) {
		t.Fatal("the output differs from definitions.json in more than the password hashes")
	}
	if fi, err := os.Stat(out); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("output mode %v (%v), want 0600", fi.Mode().Perm(), err)
	}
	generated := map[string]string{}
	for _, u := range got.Users {
		t.Run(u.Name, func(t *testing.T) {
			file := filepath.Join(secrets, u.Name+".password")
			switch u.Name {
			case "sluis", "regsys-batch":
				if u.PasswordHash != "" {
					t.Fatal("an x509 user got a password")
				}
				if _, err := os.Stat(file); err == nil {
					t.Fatal("a password file for an x509 user")
				}
			case "regsys-amsterdam":
				if !hashIsOf(u.PasswordHash, "from-the-environment") {
					t.Fatal("not the hash of the password from the environment")
				}
			default:
				pw, err := os.ReadFile(file)
				if err != nil {
					t.Fatal(err)
				}
				if fi, _ := os.Stat(file); fi.Mode().Perm() != 0o600 {
					t.Errorf("password file mode %v", fi.Mode().Perm())
				}
				p := strings.TrimSpace(string(pw))
				if len(p) < 40 || !hashIsOf(u.PasswordHash, p) {
					t.Fatalf("hash is not of the generated password (%d characters)", len(p))
				}
				generated[u.Name] = p
			}
		})
	}

	// The broker takes the hash: import it for a test user and log in.
	requireRabbitmqctl(t)
	user, name := "test-h3-passwords-"+randHex(4), "provider-42420001"
	var hash string
	for _, u := range got.Users {
		if u.Name == name {
			hash = u.PasswordHash
		}
	}
	importDefinitions(t, map[string]any{"users": []map[string]any{{"name": user, "password_hash": hash,
		"hashing_algorithm": "rabbit_password_hashing_sha256", "tags": []string{}, "limits": map[string]any{}}}})
	t.Cleanup(func() { _ = exec.Command("rabbitmqctl", "-q", "delete_user", user).Run() })
	rabbitmqctl(t, "-q", "authenticate_user", user, generated[name])
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
			{"writes no retour queue", write, RetourQueue(agb), false},
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
// permissions and topic permissions definitions.json gives
// provider-42420001, in a private vhost with the gateway's topology, and
// checks what the broker lets it do: read its own queue, publish retours
// with its own AGB code only (into its own retour queue), nothing else.
func TestProviderUserIsConfinedToItsQueue(t *testing.T) {
	t.Parallel()
	requireRabbitmqctl(t)
	own, other := definitionsProviders[0], definitionsProviders[1]
	d := loadDefinitions(t)
	configure, write, read := d.permission(t, "provider-"+own)
	topicWrite, topicRead := d.topicPermission(t, "provider-"+own, ExchangeRetour)

	vhostURL := testenv.VHost(t)
	_, ach := testenv.Channel(t, vhostURL)
	if err := (Topology{Providers: definitionsProviders}).Declare(ach); err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(vhostURL)
	if err != nil {
		t.Fatal(err)
	}
	vhost := strings.TrimPrefix(u.Path, "/")
	user, pass := "test-h3-provider-"+randHex(4), randHex(12)
	importDefinitions(t, map[string]any{
		"users": []map[string]any{{"name": user, "password_hash": hashOf(pass),
			"hashing_algorithm": "rabbit_password_hashing_sha256", "tags": []string{}, "limits": map[string]any{}}},
		"permissions": []map[string]string{{"user": user, "vhost": vhost, "configure": configure, "write": write, "read": read}},
		"topic_permissions": []map[string]string{{"user": user, "vhost": vhost, "exchange": ExchangeRetour,
			"write": topicWrite, "read": topicRead}},
	})
	t.Cleanup(func() { _ = exec.Command("rabbitmqctl", "delete_user", user).Run() })

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
	for _, q := range []string{ProviderQueue(other), RetourQueue(own), RetourQueue(other), QueueDisclosures} {
		t.Run("refused consuming "+q, func(t *testing.T) {
			_, err := channel().Consume(q, "", false, false, false, false, nil)
			if !isAccessRefused(err) {
				t.Fatalf("consume %s: %v, want 403 ACCESS_REFUSED", q, err)
			}
		})
		t.Run("refused basic.get on "+q, func(t *testing.T) {
			_, _, err := channel().Get(q, false)
			if !isAccessRefused(err) {
				t.Fatalf("get %s: %v, want 403", q, err)
			}
		})
	}
	t.Run("refused declaring queues", func(t *testing.T) {
		ch := channel()
		_, err := ch.QueueDeclare("test.h3.rogue."+randHex(3), true, false, false, false, nil)
		if !isAccessRefused(err) {
			t.Fatalf("declare: %v, want 403", err)
		}
	})
	t.Run("publishes a retour with its own AGB code into its own retour queue", func(t *testing.T) {
		ch := channel()
		defer ch.Close()
		if err := ch.Confirm(false); err != nil {
			t.Fatal(err)
		}
		dc, err := ch.PublishWithDeferredConfirm(ExchangeRetour, own, true, false, amqp.Publishing{Body: []byte("x")})
		if err != nil {
			t.Fatal(err)
		}
		if ok := dc.Wait(); !ok {
			t.Fatal("retour publish nacked")
		}
		q, err := ach.QueueDeclarePassive(RetourQueue(own), true, false, false, false, nil)
		if err != nil {
			t.Fatal(err)
		}
		if q.Messages != 1 {
			t.Fatalf("%s holds %d messages, want 1", RetourQueue(own), q.Messages)
		}
	})
	for _, key := range []string{other, "#", own + ".x", "retour"} {
		t.Run("refused publishing a retour with key "+key+" (topic permission)", func(t *testing.T) {
			ch := channel()
			closed := ch.NotifyClose(make(chan *amqp.Error, 1))
			if err := ch.Publish(ExchangeRetour, key, false, false, amqp.Publishing{Body: []byte("x")}); err != nil {
				t.Fatal(err)
			}
			if err := <-closed; err == nil || err.Code != amqp.AccessRefused {
				t.Fatalf("channel closed with %v, want 403", err)
			}
		})
	}
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

// definitionsSystems are the example registration systems in
// definitions.json (as in deploy/systems.json) with their municipalities.
var definitionsSystems = map[string][]string{
	"regsys-amsterdam":      {"0363"},
	"regsys-wijkteams-zuid": {"0597", "0489"},
	"regsys-batch":          {"0599"},
}

// statusQueue is a registration system's own status queue, which it
// declares and binds to ExchangeStatus with its own routing keys.
func statusQueue(system string) string { return ExchangeStatus + "." + system }

func (d definitions) topicPermission(t *testing.T, user, exchange string) (write, read string) {
	t.Helper()
	for _, p := range d.TopicPermissions {
		if p.User == user && p.Exchange == exchange {
			return p.Write, p.Read
		}
	}
	t.Fatalf("no topic permissions for %s on %s in definitions.json", user, exchange)
	return
}

func TestDefinitionsRegistrationSystemPermissions(t *testing.T) {
	d := loadDefinitions(t)
	for system, municipalities := range definitionsSystems {
		configure, write, read := d.permission(t, system)
		topicWrite, topicRead := d.topicPermission(t, system, ExchangeStatus)
		other := "regsys-other"
		m := municipalities[0]
		tests := []struct {
			name, pattern, resource string
			allowed                 bool
		}{
			{"writes the intake", write, ExchangeIntake, true},
			{"writes (binds) its own status queue", write, statusQueue(system), true},
			{"writes no outbound", write, ExchangeOutbound, false},
			{"writes no retour", write, ExchangeRetour, false},
			{"writes no status", write, ExchangeStatus, false},
			{"writes no dead letters", write, ExchangeDead, false},
			{"writes no other status queue", write, statusQueue(other), false},
			{"reads its own status queue", read, statusQueue(system), true},
			{"reads (binds from) the status exchange", read, ExchangeStatus, true},
			{"reads no other status queue", read, statusQueue(other), false},
			{"reads no longer name", read, statusQueue(system) + "x", false},
			{"reads no disclosures", read, QueueDisclosures, false},
			{"reads no consents", read, QueueConsents, false},
			{"reads no intake exchange", read, ExchangeIntake, false},
			{"reads no provider queue", read, ProviderQueue(definitionsProviders[0]), false},
			{"reads no retour queue", read, RetourQueue(definitionsProviders[0]), false},
			{"reads no dead letters", read, QueueDead, false},
			{"configures its own status queue", configure, statusQueue(system), true},
			{"configures nothing else", configure, QueueDisclosures, false},
			{"topic: publishes no status", topicWrite, m + "." + system + ".delivered", false},
			{"topic: binds another system's keys", topicRead, m + "." + other + ".#", false},
			{"topic: binds another municipality's keys", topicRead, "9999." + system + ".#", false},
			{"topic: binds no wildcard system", topicRead, m + ".*.#", false},
			{"topic: binds no #", topicRead, "#", false},
			{"topic: binds no *.*.*", topicRead, "*.*.*", false},
			{"topic: binds no deeper keys", topicRead, m + "." + system + ".delivered.x", false},
		}
		for _, m := range municipalities {
			for _, key := range []string{"#", "*", "delivered", "accepted"} {
				tests = append(tests, struct {
					name, pattern, resource string
					allowed                 bool
				}{"topic: binds its own " + m + " key " + key, topicRead, m + "." + system + "." + key, true})
			}
		}
		for _, tc := range tests {
			t.Run(system+"/"+tc.name, func(t *testing.T) {
				if got := regexp.MustCompile(tc.pattern).MatchString(tc.resource); got != tc.allowed {
					t.Errorf("%q matches %q: %v, want %v", tc.pattern, tc.resource, got, tc.allowed)
				}
			})
		}
	}
}

// TestRegistrationSystemUserIsConfined creates a real broker user with the
// permissions and topic permissions definitions.json gives regsys-amsterdam,
// in a private vhost with the gateway's topology, and checks that the broker
// lets it publish to the intake and read its own status events, and refuses
// (403) everything else it could try.
func TestRegistrationSystemUserIsConfined(t *testing.T) {
	t.Parallel()
	requireRabbitmqctl(t)
	const system, other = "regsys-amsterdam", "regsys-wijkteams-zuid"
	d := loadDefinitions(t)
	configure, write, read := d.permission(t, system)
	topicWrite, topicRead := d.topicPermission(t, system, ExchangeStatus)

	vhostURL := testenv.VHost(t)
	admin, err := amqp.Dial(vhostURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = admin.Close() })
	ach, err := admin.Channel()
	if err != nil {
		t.Fatal(err)
	}
	if err := (Topology{Providers: definitionsProviders}).Declare(ach); err != nil {
		t.Fatal(err)
	}
	if _, err := ach.QueueDeclare(statusQueue(other), true, false, false, false, nil); err != nil {
		t.Fatal(err)
	}

	u, err := url.Parse(vhostURL)
	if err != nil {
		t.Fatal(err)
	}
	vhost := strings.TrimPrefix(u.Path, "/")
	// One import (rabbitmqctl is slow) makes the user with the system's
	// permissions and topic permissions in the vhost.
	user, pass := "test-h3-regsys-"+randHex(4), randHex(12)
	importDefinitions(t, map[string]any{
		"users": []map[string]any{{"name": user, "password_hash": hashOf(pass),
			"hashing_algorithm": "rabbit_password_hashing_sha256", "tags": []string{}, "limits": map[string]any{}}},
		"permissions": []map[string]string{{"user": user, "vhost": vhost, "configure": configure, "write": write, "read": read}},
		"topic_permissions": []map[string]string{{"user": user, "vhost": vhost, "exchange": ExchangeStatus,
			"write": topicWrite, "read": topicRead}},
	})
	t.Cleanup(func() { _ = exec.Command("rabbitmqctl", "delete_user", user).Run() })

	u.User = url.UserPassword(user, pass)
	conn, err := amqp.Dial(u.String())
	if err != nil {
		t.Fatalf("dial as the system's user: %v", err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	channel := func(t *testing.T) *amqp.Channel {
		t.Helper()
		ch, err := conn.Channel()
		if err != nil {
			t.Fatal(err)
		}
		return ch
	}
	refused := func(t *testing.T, what string, err error) {
		t.Helper()
		if !isAccessRefused(err) {
			t.Fatalf("%s: %v, want 403 ACCESS_REFUSED", what, err)
		}
	}
	// publishRefused publishes and waits for the broker to close the
	// channel (a refused publish has no synchronous reply).
	publishRefused := func(t *testing.T, exchange, key string) {
		t.Helper()
		ch := channel(t)
		closed := ch.NotifyClose(make(chan *amqp.Error, 1))
		if err := ch.Publish(exchange, key, false, false, amqp.Publishing{Body: []byte("x")}); err != nil {
			t.Fatal(err)
		}
		if err := <-closed; err == nil || err.Code != amqp.AccessRefused {
			t.Fatalf("publish to %s: channel closed with %v, want 403", exchange, err)
		}
	}

	t.Run("publishes to the intake as itself", func(t *testing.T) {
		ch := channel(t)
		defer ch.Close()
		if err := ch.Confirm(false); err != nil {
			t.Fatal(err)
		}
		dc, err := ch.PublishWithDeferredConfirm(ExchangeIntake, KeyDisclosure, true, false, amqp.Publishing{UserId: user, Body: []byte("{}")})
		if err != nil {
			t.Fatal(err)
		}
		if !dc.Wait() {
			t.Fatal("intake publish nacked")
		}
	})
	t.Run("declares, binds and consumes its own status queue", func(t *testing.T) {
		ch := channel(t)
		defer ch.Close()
		if _, err := ch.QueueDeclare(statusQueue(system), true, false, false, false, nil); err != nil {
			t.Fatalf("declare own status queue: %v", err)
		}
		if err := ch.QueueBind(statusQueue(system), "0363."+system+".#", ExchangeStatus, false, nil); err != nil {
			t.Fatalf("bind own keys: %v", err)
		}
		if _, err := ch.Consume(statusQueue(system), "", false, false, false, false, nil); err != nil {
			t.Fatalf("consume own status queue: %v", err)
		}
	})
	for _, q := range []string{QueueDisclosures, QueueConsents, RetourQueue(definitionsProviders[0]), QueueDead, ProviderQueue(definitionsProviders[0]), statusQueue(other)} {
		t.Run("refused consuming "+q, func(t *testing.T) {
			_, err := channel(t).Consume(q, "", false, false, false, false, nil)
			refused(t, "consume "+q, err)
		})
		t.Run("refused basic.get on "+q, func(t *testing.T) {
			_, _, err := channel(t).Get(q, false)
			refused(t, "get "+q, err)
		})
	}
	bindings := []struct{ name, exchange, key string }{
		{"another system's status events (topic permission)", ExchangeStatus, "0597." + other + ".#"},
		{"every status event (topic permission)", ExchangeStatus, "#"},
		{"every system of its municipality (topic permission)", ExchangeStatus, "0363.*.*"},
		{"the intake", ExchangeIntake, KeyDisclosure},
		{"the outbound", ExchangeOutbound, definitionsProviders[0]},
		{"the dead letters", ExchangeDead, ""},
	}
	for _, b := range bindings {
		t.Run("refused binding its queue to "+b.name, func(t *testing.T) {
			err := channel(t).QueueBind(statusQueue(system), b.key, b.exchange, false, nil)
			refused(t, "bind "+b.exchange+" "+b.key, err)
		})
	}
	t.Run("refused declaring another queue", func(t *testing.T) {
		_, err := channel(t).QueueDeclare("sluis.status.rogue-"+randHex(3), true, false, false, false, nil)
		refused(t, "declare", err)
	})
	for _, ex := range []string{ExchangeStatus, ExchangeOutbound, ExchangeRetour, ExchangeDead} {
		t.Run("refused publishing to "+ex, func(t *testing.T) { publishRefused(t, ex, "0363."+system+".delivered") })
	}
}
