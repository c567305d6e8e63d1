package app_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	dto "github.com/prometheus/client_model/go"

	"github.com/sluis-gateway/sluis/adapters/amqp"
	"github.com/sluis-gateway/sluis/internal/bus"
	"github.com/sluis-gateway/sluis/internal/identity"
	"github.com/sluis-gateway/sluis/internal/register"
	"github.com/sluis-gateway/sluis/internal/testenv"
)

// publisherAs is a publisher on the harness's vhost logged in as user
// (userURL from testenv.BrokerUser), setting user_id when withUserID.
func (h *harness) publisherAs(userURL string, withUserID bool) *amqp.Publisher {
	h.t.Helper()
	cfg := amqp.PublisherConfig{URL: userURL, Route: amqp.Route, ConnectionName: "auth-test"}
	if withUserID {
		cfg.UserID = amqp.UserOf(userURL)
	}
	p, err := amqp.NewPublisher(cfg, watermill.NopLogger{}, nil)
	if err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(func() { _ = p.Close() })
	return p
}

func publish(t *testing.T, p *amqp.Publisher, topic string, body []byte) {
	t.Helper()
	if err := p.PublishContext(context.Background(), topic, message.NewMessage(watermill.NewUUID(), body))[0]; err != nil {
		t.Fatalf("publish to %s: %v", topic, err)
	}
}

// counter is the value of the gateway's counter name{label=value} (0 when
// it has not counted yet).
func (h *harness) counter(name, label, value string) float64 {
	h.t.Helper()
	mfs, err := h.gw.Registry.Gather()
	if err != nil {
		h.t.Fatal(err)
	}
	var sum float64
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			if label == "" || hasLabel(m, label, value) {
				sum += m.GetCounter().GetValue()
			}
		}
	}
	return sum
}

func hasLabel(m *dto.Metric, name, value string) bool {
	for _, l := range m.GetLabel() {
		if l.GetName() == name && l.GetValue() == value {
			return true
		}
	}
	return false
}

// waitCounter waits (bounded) until counter name{label=value} reaches want.
func (h *harness) waitCounter(name, label, value string, want float64) {
	h.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for h.counter(name, label, value) < want {
		if time.Now().After(deadline) {
			h.t.Fatalf("%s{%s=%q} = %v, want %v", name, label, value, h.counter(name, label, value), want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitCommand waits for the status event of consent command id.
func (h *harness) waitCommand(id string) bus.Event {
	h.t.Helper()
	for i, ev := range h.pending[""] {
		if ev.CommandID == id {
			h.pending[""] = append(h.pending[""][:i], h.pending[""][i+1:]...)
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
			if ev.CommandID == id {
				return ev
			}
			h.pending[ev.DisclosureID] = append(h.pending[ev.DisclosureID], ev)
		case <-timeout:
			h.t.Fatalf("no status event for command %q; seen: %v", id, h.pending)
		}
	}
}

// noEventFor checks that no status event of disclosure id and none for
// municipality arrived up to now (events of the control message sent last
// were awaited, so anything the gateway sent before has arrived).
func (h *harness) noEventFor(id, municipality string) {
	h.t.Helper()
	for key, evs := range h.pending {
		for _, ev := range evs {
			if (id != "" && key == id) || ev.Municipality == municipality {
				h.t.Fatalf("unexpected status event %+v", ev)
			}
		}
	}
}

func requestAs(t *testing.T, id, municipality, system string) []byte {
	t.Helper()
	m, _ := readExample(t, "iwmo-301.json")
	m["id"] = id
	m["sender"] = map[string]any{"municipality": municipality, "system": system, "employee": "e-7f3a"}
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestEndToEndIntakeAuthentication: the intake takes only messages with
// the broker-validated user_id of a registered system, which may only send
// as itself for its own municipalities.
func TestEndToEndIntakeAuthentication(t *testing.T) {
	h := start(t)
	_, strangerURL := testenv.BrokerUser(t, h.url, "test-w2-stranger-")
	control := 0
	sendControl := func() {
		t.Helper()
		control++
		id := "c0000000-2222-4333-8444-00000000000" + string(rune('0'+control))
		h.send(requestAs(t, id, "0363", "regsys-demo"))
		h.waitState(id, "delivered")
		h.take("42420001")
	}
	const metric = "sluis_intake_unauthenticated_total"
	for i, tc := range []struct {
		name string
		pub  *amqp.Publisher
	}{
		{"no user_id", h.publisherAs(h.url, false)},
		{"the user_id of an unregistered broker user", h.publisherAs(strangerURL, true)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id := "a0000000-2222-4333-8444-00000000000" + string(rune('1'+i))
			publish(t, tc.pub, bus.TopicIntake, requestAs(t, id, "0599", "regsys-rotterdam"))
			h.waitCounter(metric, "queue", amqp.QueueDisclosures, float64(i+1))
			sendControl()
			h.noEventFor(id, "0599")
			if n := h.queueLength("42420001"); n != 0 {
				t.Fatalf("%d messages on the provider queue", n)
			}
			if _, err := h.gw.Store.Get(context.Background(), id); err == nil {
				t.Fatal("the unauthenticated request was registered")
			}
		})
	}

	t.Run("regsys-demo claiming municipality 0599", func(t *testing.T) {
		id := "a0000000-2222-4333-8444-000000000009"
		h.send(requestAs(t, id, "0599", "regsys-demo"))
		ev := h.waitState(id, "refused")
		if ev.Municipality != "0363" || ev.System != "regsys-demo" || !strings.Contains(ev.Reason, "sender.municipality") {
			t.Fatalf("refusal %+v, want on 0363.regsys-demo naming sender.municipality", ev)
		}
		sendControl()
		h.noEventFor("", "0599")
		if n := h.queueLength("42420001"); n != 0 {
			t.Fatalf("%d messages on the provider queue", n)
		}
		if _, err := h.gw.Store.Get(context.Background(), id); err == nil {
			t.Fatal("the refused request was registered")
		}
	})
	assertNoPersonalData(t, h.logs.String())
}

// TestEndToEndConsentScoping: consent commands over the consent queue, by
// regsys-demo (guest, 0363) and regsys-rotterdam (a real broker user of
// the test, 0599). Each municipality has its own register.
func TestEndToEndConsentScoping(t *testing.T) {
	h := &harness{t: t, url: testenv.VHost(t), logs: &syncBuffer{}, pending: map[string][]bus.Event{}}
	rdamUser, rdamURL := testenv.BrokerUser(t, h.url, "test-w2-rotterdam-")
	dir := t.TempDir()
	systems := filepath.Join(dir, "systems.json")
	b, _ := json.Marshal([]map[string]any{
		{"id": "regsys-demo", "municipalities": []string{"0363"}, "legal_bases": []string{"consent", "legal_obligation", "safety_override"}, "broker_user": "guest"},
		{"id": "regsys-rotterdam", "municipalities": []string{"0599"}, "legal_bases": []string{"consent"}, "broker_user": rdamUser},
	})
	if err := os.WriteFile(systems, b, 0o600); err != nil {
		t.Fatal(err)
	}
	h.configure(dir)
	// This registry instead of the development one: the API then needs TLS
	// material of its own (a development CA made for it; not SLUIS_DEV_CA,
	// which serves the embedded development registry).
	reg, err := identity.Load(systems)
	if err != nil {
		t.Fatal(err)
	}
	tlsFiles, err := identity.DevelopmentCA(filepath.Join(dir, "tls"), reg)
	if err != nil {
		t.Fatal(err)
	}
	h.cfg.Identity.DevCA, h.cfg.Identity.SystemsFile = false, systems
	h.cfg.Identity.TLSClientCA, h.cfg.Identity.TLSCert, h.cfg.Identity.TLSKey = tlsFiles.CACert, tlsFiles.ServerCert, tlsFiles.ServerKey
	h.startGateway()
	h.listen()
	rdam := h.publisherAs(rdamURL, true)

	asRotterdam := func(id, command string, extra map[string]any) []byte {
		m := map[string]any{}
		_ = json.Unmarshal(consentCommand(id, command, extra), &m)
		m["sender"] = map[string]any{"municipality": "0599", "system": "regsys-rotterdam", "employee": "e-r1"}
		out, _ := json.Marshal(m)
		return out
	}
	// 0363 records c-1; 0599 records c-r for the same client.
	publish(t, h.pub, bus.TopicConsents, recordConsent("10000000-2222-4333-8444-000000000001", "c-1"))
	if ev := h.waitCommand("10000000-2222-4333-8444-000000000001"); ev.State != register.StateApplied {
		t.Fatalf("0363's consent: %+v", ev)
	}
	m := map[string]any{}
	_ = json.Unmarshal(recordConsent("10000000-2222-4333-8444-000000000002", "c-r"), &m)
	m["sender"] = map[string]any{"municipality": "0599", "system": "regsys-rotterdam", "employee": "e-r1"}
	rc, _ := json.Marshal(m)
	publish(t, rdam, bus.TopicConsents, rc)
	if ev := h.waitCommand("10000000-2222-4333-8444-000000000002"); ev.State != register.StateApplied || ev.Municipality != "0599" {
		t.Fatalf("0599's consent: %+v", ev)
	}

	t.Run("a command for another municipality: refused on the sender's own key", func(t *testing.T) {
		cmd := recordConsent("10000000-2222-4333-8444-000000000003", "c-x") // sender 0363.regsys-demo
		publish(t, rdam, bus.TopicConsents, cmd)
		ev := h.waitCommand("10000000-2222-4333-8444-000000000003")
		if ev.State != register.StateRefused || ev.Municipality != "0599" || ev.System != "regsys-rotterdam" {
			t.Fatalf("event %+v, want consent_refused on 0599.regsys-rotterdam", ev)
		}
	})

	t.Run("withdrawing another municipality's consent answers as an unknown id", func(t *testing.T) {
		publish(t, rdam, bus.TopicConsents, asRotterdam("10000000-2222-4333-8444-000000000004", register.WithdrawConsent, map[string]any{"consent_id": "c-1"}))
		other := h.waitCommand("10000000-2222-4333-8444-000000000004")
		publish(t, rdam, bus.TopicConsents, asRotterdam("10000000-2222-4333-8444-000000000005", register.WithdrawConsent, map[string]any{"consent_id": "c-nobody"}))
		unknown := h.waitCommand("10000000-2222-4333-8444-000000000005")
		if other.State != register.StateRefused || other.State != unknown.State || other.Reason != unknown.Reason ||
			strings.Join(other.ReasonCodes, ",") != strings.Join(unknown.ReasonCodes, ",") {
			t.Fatalf("another's consent %+v, an unknown id %+v: must answer alike", other, unknown)
		}
	})

	t.Run("the same consent id in another municipality: recorded, no conflict reveals the other", func(t *testing.T) {
		m := map[string]any{}
		_ = json.Unmarshal(recordConsent("10000000-2222-4333-8444-000000000006", "c-1"), &m)
		m["sender"] = map[string]any{"municipality": "0599", "system": "regsys-rotterdam", "employee": "e-r1"}
		m["consent"].(map[string]any)["purpose"] = "care_change" // other content than 0363's c-1
		b, _ := json.Marshal(m)
		publish(t, rdam, bus.TopicConsents, b)
		if ev := h.waitCommand("10000000-2222-4333-8444-000000000006"); ev.State != register.StateApplied {
			t.Fatalf("0599 recording its own c-1: %+v, want consent_applied", ev)
		}
	})

	t.Run("0363's consent is intact, 0599's is not used for a 0363 share", func(t *testing.T) {
		h.send(consentRequest(t, "20000000-2222-4333-8444-000000000001", "c-r"))
		ev := h.waitState("20000000-2222-4333-8444-000000000001", "refused")
		if !strings.Contains(strings.Join(ev.ReasonCodes, ","), "CONSENT_MISSING") {
			t.Fatalf("a 0363 share on 0599's consent: %+v", ev)
		}
		h.send(consentRequest(t, "20000000-2222-4333-8444-000000000002", "c-1"))
		h.waitState("20000000-2222-4333-8444-000000000002", "delivered")
		h.take("42420001")
	})
	assertNoPersonalData(t, h.logs.String())
}

// TestEndToEndLedgerActor: every ledger entry of a disclosure names the
// authenticated system, the municipality and sender.employee; an allowed
// safety override records whom the employee consulted, in which role, when.
func TestEndToEndLedgerActor(t *testing.T) {
	h := start(t)
	consulted := time.Now().Add(-time.Hour).UTC().Truncate(time.Second)
	m, _ := readExample(t, "iwmo-301.json")
	id := "f0000000-2222-4333-8444-000000000001"
	m["id"] = id
	m["legal_basis"] = map[string]any{
		"kind":            "safety_override",
		"consultation":    map[string]any{"consulted": "e-9c1d", "role": "manager", "at": consulted.Format(time.RFC3339), "note": "Acute risk discussed."},
		"reason":          "Acute safety risk at home.",
		"client_informed": map[string]any{"at": time.Now().Add(24 * time.Hour).UTC().Format(time.RFC3339)},
	}
	body, _ := json.Marshal(m)
	h.send(body)
	h.waitState(id, "delivered")
	h.take("42420001")
	entries, err := h.gw.Store.EntriesFor(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	const want = "system:regsys-demo@0363 employee:e-7f3a"
	var override bool
	for _, e := range entries {
		if e.Actor != want {
			t.Errorf("entry %s by %q, want %q", e.Event, e.Actor, want)
		}
		if e.Detail["consulted"] == "e-9c1d" && e.Detail["consulted_role"] == "manager" &&
			e.Detail["consulted_at"] == consulted.Format(time.RFC3339) {
			override = true
		}
	}
	if len(entries) == 0 || !override {
		t.Fatalf("no ledger entry records the consultation: %+v", entries)
	}
}
