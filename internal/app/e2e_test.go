package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	amqp091 "github.com/rabbitmq/amqp091-go"

	"github.com/sluis-gateway/sluis/adapters/amqp"
	"github.com/sluis-gateway/sluis/internal/app"
	"github.com/sluis-gateway/sluis/internal/archive"
	"github.com/sluis-gateway/sluis/internal/bus"
	"github.com/sluis-gateway/sluis/internal/config"
	"github.com/sluis-gateway/sluis/internal/receipts"
	"github.com/sluis-gateway/sluis/internal/signing"
	"github.com/sluis-gateway/sluis/internal/testenv"
)

// syncBuffer collects the gateway's log lines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type harness struct {
	t       *testing.T
	url     string
	cfg     config.Config
	gw      *app.Gateway
	logs    *syncBuffer
	conn    *amqp091.Connection
	events  <-chan amqp091.Delivery
	pub     *amqp.Publisher
	pending map[string][]bus.Event
	// id is the test's development CA; client is regsys-demo's HTTP
	// client (its client certificate).
	id     *testenv.DevID
	client *http.Client
}

// api is the URL of path on the gateway's API listener (TLS).
func (h *harness) api(path string) string { return "https://" + h.gw.HTTPAddr + path }

// admin is the URL of path on the gateway's admin listener.
func (h *harness) admin(path string) string { return "http://" + h.gw.AdminAddr + path }

func start(t *testing.T) *harness {
	t.Helper()
	h := &harness{t: t, url: testenv.VHost(t), logs: &syncBuffer{}, pending: map[string][]bus.Event{}}
	h.configure(t.TempDir())
	h.startGateway()
	h.listen()
	return h
}

func (h *harness) configure(dir string) {
	t := h.t
	h.id = testenv.DevIdentity(t)
	h.client = h.id.Client(t, "regsys-demo")
	vars := testenv.WithSettings(testenv.DevSettings(dir), map[string]string{
		"SLUIS_AMQP_URL":          h.url,
		testenv.DevBroker:         "true",
		"SLUIS_HTTP_ADDR":         "127.0.0.1:0",
		"SLUIS_ADMIN_ADDR":        "127.0.0.1:0",
		"SLUIS_DEV_LOGIN":         "true",
		"SLUIS_SQLITE_PATH":       filepath.Join(dir, "sluis.db"),
		"SLUIS_SIGNING_KEY":       filepath.Join(dir, "keys", "signing-key.pem"),
		"SLUIS_SIGNING_CERT":      filepath.Join(dir, "keys", "signing-cert.pem"),
		"SLUIS_CLIENT_KEY_SECRET": filepath.Join(dir, "keys", "client-key.secret"),
		// Generated there (development keys), not under the package's folder.
		"SLUIS_ARCHIVE_MASTER_KEY": filepath.Join(dir, "keys", "archive-master.key"),
		"SLUIS_WORKERS":            "4",
		"SLUIS_LOG_LEVEL":          "debug",
	})
	for k, v := range h.id.Env() {
		vars[k] = v
	}
	cfg, err := config.Parse(vars)
	if err != nil {
		t.Fatal(err)
	}
	h.cfg = cfg
}

// startGateway starts (or restarts) the gateway on the harness's config.
func (h *harness) startGateway() {
	t := h.t
	log := app.NewLogger(h.logs, h.cfg) // SLUIS_LOG_LEVEL debug, SLUIS_LOG_FORMAT as configured
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	gw, err := app.Start(ctx, h.cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	h.gw = gw
	t.Cleanup(func() { gw.Stop(context.Background()) })
}

// listen connects the test's own party: a status queue bound to every
// event, and a publisher for the intake.
func (h *harness) listen() {
	t := h.t
	var ch *amqp091.Channel
	h.conn, ch = testenv.Channel(t, h.url)
	h.events = testenv.Tap(t, ch, amqp.ExchangeStatus, "#")
	var err error
	h.pub, err = amqp.NewPublisher(amqp.PublisherConfig{URL: h.url, Route: amqp.Route, UserID: amqp.UserOf(h.url)}, watermill.NopLogger{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.pub.Close() })
}

func (h *harness) send(body []byte) {
	h.t.Helper()
	m := message.NewMessage(watermill.NewUUID(), body)
	if err := h.pub.PublishContext(context.Background(), bus.TopicIntake, m)[0]; err != nil {
		h.t.Fatalf("publish to intake: %v", err)
	}
}

// waitState waits for a status event of disclosure id (or, with id "", of
// an unidentifiable request) reaching state.
func (h *harness) waitState(id, state string) bus.Event {
	h.t.Helper()
	key := id
	for i, ev := range h.pending[key] {
		if ev.State == state {
			h.pending[key] = append(h.pending[key][:i], h.pending[key][i+1:]...)
			return ev
		}
	}
	timeout := time.After(30 * time.Second)
	for {
		select {
		case d := <-h.events:
			ev, err := bus.Parse(d.Body)
			if err != nil {
				h.t.Fatalf("bad status event: %v", err)
			}
			if d.RoutingKey != ev.RoutingKey() {
				h.t.Errorf("routing key %s, event says %s", d.RoutingKey, ev.RoutingKey())
			}
			if ev.DisclosureID == key && ev.State == state {
				return ev
			}
			h.pending[ev.DisclosureID] = append(h.pending[ev.DisclosureID], ev)
		case <-timeout:
			h.t.Fatalf("no status %s for %q; seen: %v", state, id, h.pending)
		}
	}
}

func (h *harness) take(agb string) amqp091.Delivery {
	h.t.Helper()
	ch, err := h.conn.Channel()
	if err != nil {
		h.t.Fatal(err)
	}
	defer ch.Close()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		d, ok, err := ch.Get(amqp.ProviderQueue(agb), true)
		if err != nil {
			h.t.Fatal(err)
		}
		if ok {
			return d
		}
		time.Sleep(50 * time.Millisecond)
	}
	h.t.Fatalf("nothing in %s", amqp.ProviderQueue(agb))
	return amqp091.Delivery{}
}

func readExample(t *testing.T, name string) (map[string]any, []byte) {
	t.Helper()
	b := testenv.ContractExample(t, name)
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m, b
}

func TestEndToEndDelivery(t *testing.T) {
	h := start(t)
	verifier, err := signing.LoadVerifier(h.cfg.SigningCert)
	if err != nil {
		t.Fatal(err)
	}
	ref := testenv.Reference(t)
	cases := []struct {
		example, agb, messageType, xsdPath string
	}{
		{"iwmo-301.json", "42420001", "WMO301", filepath.Join(ref, "iwmo", "3.2", "WMO301.xsd")},
		{"ijw-301.json", "65656055", "JW301", filepath.Join(ref, "ijw", "3.2", "JW301.xsd")},
	}
	for _, tc := range cases {
		t.Run(tc.messageType, func(t *testing.T) {
			m, body := readExample(t, tc.example)
			id := m["id"].(string)
			h.send(body)
			delivered := h.waitState(id, "delivered")
			if delivered.MessageType != tc.messageType || delivered.Recipient != tc.agb || delivered.Identificatie == "" {
				t.Fatalf("delivered event: %+v", delivered)
			}

			d := h.take(tc.agb)
			if d.MessageId != delivered.MessageID || d.DeliveryMode != amqp091.Persistent {
				t.Fatalf("message id %q (want %q), delivery mode %d", d.MessageId, delivered.MessageID, d.DeliveryMode)
			}
			dir := t.TempDir()
			signedFile := filepath.Join(dir, "signed.xml")
			if err := os.WriteFile(signedFile, d.Body, 0o600); err != nil {
				t.Fatal(err)
			}

			// xmlsec1 accepts the signature with the trusted certificate.
			out, err := exec.Command("xmlsec1", "--verify", "--pubkey-cert-pem", h.cfg.SigningCert, signedFile).CombinedOutput()
			if err != nil {
				t.Fatalf("xmlsec1 --verify: %v\n%s", err, out)
			}

			// sluis's own verifier accepts it...
			opened, err := verifier.Open(d.Body)
			if err != nil {
				t.Fatalf("verify: %v", err)
			}
			// ...and rejects it after any byte of the Bericht is changed.
			start := bytes.Index(d.Body, []byte("Bericht "))
			start = bytes.Index(d.Body[start+1:], []byte("<")) + start + 1
			end := bytes.LastIndex(d.Body, []byte("</sluis:Bericht>"))
			if start <= 0 || end <= start {
				t.Fatalf("cannot find the Bericht in the envelope")
			}
			for _, pos := range []int{start + 5, (start + end) / 2, end - 3, start + (end-start)/3, start + 2*(end-start)/3} {
				tampered := bytes.Clone(d.Body)
				tampered[pos] ^= 0x01
				if _, err := verifier.Open(tampered); err == nil {
					t.Errorf("tampered byte %d (of %d..%d) still verifies", pos, start, end)
				}
			}

			// The Bericht taken out validates against the official XSD.
			berichtFile := filepath.Join(dir, "bericht.xml")
			if err := os.WriteFile(berichtFile, opened.Bericht, 0o600); err != nil {
				t.Fatal(err)
			}
			out, err = exec.Command("xmllint", "--noout", "--schema", tc.xsdPath, berichtFile).CombinedOutput()
			if err != nil {
				t.Fatalf("xmllint --schema: %v\n%s", err, out)
			}

			// The store records the receipt as delivered.
			rec, err := h.gw.Store.Get(context.Background(), id)
			if err != nil {
				t.Fatal(err)
			}
			if rec.State != receipts.Delivered || rec.At[receipts.Delivered].IsZero() {
				t.Fatalf("receipt state %s, times %v", rec.State, rec.At)
			}
			// The evidence archive holds the bytes the provider received,
			// readable with the configured master key, until the term.
			master, err := archive.LoadMasterKeyFile(h.cfg.ArchiveMasterKey)
			if err != nil {
				t.Fatal(err)
			}
			evidence, err := archive.New(h.gw.Store, master)
			if err != nil {
				t.Fatal(err)
			}
			if kept, err := evidence.Get(context.Background(), id); err != nil || !bytes.Equal(kept, d.Body) {
				t.Fatalf("archived message: %v; equal to the delivered bytes: %v", err, bytes.Equal(kept, d.Body))
			}
			// And the HTTP API shows it.
			resp, err := h.client.Get(h.api("/v1/disclosures/" + id))
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 || !strings.Contains(string(b), `"state":"delivered"`) {
				t.Fatalf("GET receipt: %d %s", resp.StatusCode, b)
			}
		})
	}
	assertNoPersonalData(t, h.logs.String())
}

func TestEndToEndRecipientNotConnected(t *testing.T) {
	h := start(t)
	m, _ := readExample(t, "iwmo-301.json")
	m["id"] = "11111111-2222-4333-8444-555555555555"
	m["recipient"] = map[string]any{"agb": "12345678"} // no queue for this provider
	body, _ := json.Marshal(m)
	h.send(body)
	ev := h.waitState("11111111-2222-4333-8444-555555555555", "failed")
	if ev.Reason != "recipient not connected" {
		t.Fatalf("reason %q", ev.Reason)
	}
	rec, err := h.gw.Store.Get(context.Background(), "11111111-2222-4333-8444-555555555555")
	if err != nil {
		t.Fatal(err)
	}
	if rec.State != receipts.Failed || !rec.At[receipts.Delivered].IsZero() {
		t.Fatalf("state %s, times %v: must never be delivered", rec.State, rec.At)
	}
}

func TestEndToEndMalformedRequests(t *testing.T) {
	h := start(t)
	good, _ := readExample(t, "iwmo-301.json")
	mutate := func(f func(m map[string]any)) []byte {
		b, _ := json.Marshal(good)
		var m map[string]any
		_ = json.Unmarshal(b, &m)
		f(m)
		out, _ := json.Marshal(m)
		return out
	}
	cases := []struct {
		name, id, wantRule, wantPath string
		body                         []byte
	}{
		{"bad JSON", "", "json", "", []byte(`{"version": 1, "id": "9b0c`)},
		{"bad BSN", "22222222-2222-4333-8444-555555555555", "CS002", "/client/bsn", mutate(func(m map[string]any) {
			m["id"] = "22222222-2222-4333-8444-555555555555"
			m["client"].(map[string]any)["bsn"] = "123456789"
		})},
		{"missing field", "33333333-2222-4333-8444-555555555555", "schema:required", "", mutate(func(m map[string]any) {
			m["id"] = "33333333-2222-4333-8444-555555555555"
			delete(m, "recipient")
		})},
		{"a receiving side's rule (TR101)", "44444444-2222-4333-8444-555555555555", "TR101", "/assignment/products/1/number", mutate(func(m map[string]any) {
			m["id"] = "44444444-2222-4333-8444-555555555555"
			ps := m["assignment"].(map[string]any)["products"].([]any)
			second := map[string]any{}
			for k, v := range ps[0].(map[string]any) {
				second[k] = v
			}
			second["product"] = map[string]any{"category": "01", "code": "01A02"}
			m["assignment"].(map[string]any)["products"] = append(ps, second)
		})},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h.send(tc.body)
			ev := h.waitState(tc.id, "invalid")
			found := false
			for _, p := range ev.Problems {
				if p.Rule == tc.wantRule && (tc.wantPath == "" || p.Path == tc.wantPath) {
					found = true
				}
			}
			if !found || ev.Reason == "" {
				t.Fatalf("status event does not name the problem: %+v", ev)
			}
			if tc.id != "" && ev.RoutingKey() != "0363.regsys-demo.invalid" {
				t.Fatalf("routing key %s", ev.RoutingKey())
			}
		})
	}
	// Recorded: each invalid request has a ledger entry.
	entries, err := h.gw.Store.Entries(context.Background(), 1, 1000)
	if err != nil {
		t.Fatal(err)
	}
	invalid := 0
	for _, e := range entries {
		if e.Event == "intake:invalid" {
			invalid++
		}
	}
	if invalid != len(cases) {
		t.Fatalf("%d invalid requests recorded, want %d", invalid, len(cases))
	}
	// The gateway keeps running: a good request still goes through.
	_, body := readExample(t, "iwmo-301.json")
	h.send(body)
	h.waitState(good["id"].(string), "delivered")
	assertNoPersonalData(t, h.logs.String())
}

func TestHTTPIntake(t *testing.T) {
	h := start(t)
	m, body := readExample(t, "ijw-301.json")
	post := func(b []byte) (int, map[string]any) {
		t.Helper()
		resp, err := h.client.Post(h.api("/v1/disclosures"), "application/json", bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&out)
		return resp.StatusCode, out
	}
	code, out := post(body)
	if code != http.StatusAccepted {
		t.Fatalf("POST: %d %v", code, out)
	}
	h.waitState(m["id"].(string), "delivered")
	// The same request again is harmless: no second message.
	if code, _ := post(body); code != http.StatusAccepted {
		t.Fatalf("repeat POST: %d", code)
	}
	h.take("65656055")
	time.Sleep(500 * time.Millisecond)
	ch, _ := h.conn.Channel()
	q, err := ch.QueueDeclarePassive(amqp.ProviderQueue("65656055"), true, false, false, false, amqp091.Table{"x-queue-type": "quorum"})
	if err != nil {
		t.Fatal(err)
	}
	if q.Messages != 0 {
		t.Fatalf("a repeated request produced %d more messages", q.Messages)
	}

	code, out = post([]byte(`{"version":1}`))
	if code != http.StatusBadRequest || out["problems"] == nil {
		t.Fatalf("malformed POST: %d %v", code, out)
	}
	resp, err := http.Get(h.admin("/metrics"))
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, name := range []string{"sluis_disclosure_transitions_total", "sluis_stage_seconds", "sluis_publish_confirm_seconds"} {
		if !strings.Contains(string(metrics), name) {
			t.Errorf("/metrics lacks %s", name)
		}
	}
	resp, err = http.Get(h.admin("/healthz"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("/healthz: %d", resp.StatusCode)
	}
}

func TestStartWithoutBrokerSaysHow(t *testing.T) {
	cfg, err := config.Parse(testenv.WithSettings(testenv.DevSettings(t.TempDir()),
		map[string]string{"SLUIS_AMQP_URL": "amqp://guest:guest@127.0.0.1:1/", testenv.DevBroker: "true"}))
	if err != nil {
		t.Fatal(err)
	}
	_, err = app.Start(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if !errors.Is(err, app.ErrBrokerUnreachable) || !strings.Contains(err.Error(), "rabbitmq-server -detached") {
		t.Fatalf("want a hint to start the broker, got %v", err)
	}
}

// assertNoPersonalData checks the captured log for the examples' personal data.
func assertNoPersonalData(t *testing.T, logs string) {
	t.Helper()
	for _, secret := range []string{"999900006", "999900018", "Bakker", "1967-08-13", "2014-02-14", "Kerklaan", "9999XX", "0612345678", "Galen", "tom@example.org", "0201234567"} {
		if strings.Contains(logs, secret) {
			t.Errorf("log contains personal data %q", secret)
		}
	}
	if testing.Verbose() {
		fmt.Println(logs)
	}
}
