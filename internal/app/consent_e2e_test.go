package app_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	amqp091 "github.com/rabbitmq/amqp091-go"

	"github.com/sluis-gateway/sluis/adapters/amqp"
	"github.com/sluis-gateway/sluis/adapters/store/sqlite"
	"github.com/sluis-gateway/sluis/internal/app"
	"github.com/sluis-gateway/sluis/internal/consent"
	"github.com/sluis-gateway/sluis/internal/identity"
	"github.com/sluis-gateway/sluis/internal/receipts"
	"github.com/sluis-gateway/sluis/internal/register"
)

// consentRequest is the iWmo example on the basis of consent c.
func consentRequest(t *testing.T, id, consentID string) []byte {
	t.Helper()
	m, _ := readExample(t, "iwmo-301.json")
	m["id"] = id
	m["legal_basis"] = map[string]any{"kind": "consent", "consent_ids": []string{consentID}}
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func consentCommand(id, command string, extra map[string]any) []byte {
	m := map[string]any{
		"version": 1, "id": id, "command": command,
		"sender": map[string]any{"municipality": "0363", "system": "regsys-demo", "employee": "e-7f3a"},
		"client": map[string]any{"bsn": "999900006"},
		"at":     time.Now().Add(-time.Minute).UTC().Format(time.RFC3339),
	}
	for k, v := range extra {
		m[k] = v
	}
	b, _ := json.Marshal(m)
	return b
}

func recordConsent(id, consentID string) []byte {
	return consentCommand(id, register.RecordConsent, map[string]any{"consent": map[string]any{
		"id": consentID, "given_by": []string{"client"}, "recipient": "42420001", "purpose": "care_assignment",
		"categories": []string{"identification", "contact", "care_assignment"},
		"scope":      map[string]any{"from": time.Now().AddDate(0, 0, -1).Format(time.DateOnly), "until": time.Now().AddDate(0, 1, 0).Format(time.DateOnly)},
	}})
}

func (h *harness) postConsent(body []byte) (int, map[string]any) {
	h.t.Helper()
	return h.postTo(h.client, "/v1/consents", "application/json", body)
}

func (h *harness) queueLength(agb string) int {
	h.t.Helper()
	ch, err := h.conn.Channel()
	if err != nil {
		h.t.Fatal(err)
	}
	defer ch.Close()
	q, err := ch.QueueDeclarePassive(amqp.ProviderQueue(agb), true, false, false, false, amqp091.Table{"x-queue-type": "quorum"})
	if err != nil {
		h.t.Fatal(err)
	}
	return q.Messages
}

func TestEndToEndConsent(t *testing.T) {
	h := start(t)

	// Without a consent on record: refused with its reason code, nothing sent.
	h.send(consentRequest(t, "44444444-2222-4333-8444-555555555555", "c-1"))
	ev := h.waitState("44444444-2222-4333-8444-555555555555", "refused")
	if !strings.Contains(strings.Join(ev.ReasonCodes, ","), "CONSENT_MISSING") || ev.Reason == "" {
		t.Fatalf("refusal: %+v", ev)
	}
	if n := h.queueLength("42420001"); n != 0 {
		t.Fatalf("a refused disclosure reached the provider: %d messages", n)
	}

	// After the consent is recorded (over HTTP), the same disclosure (a new id:
	// a refusal is final) is delivered.
	if code, out := h.postConsent(recordConsent("55555555-2222-4333-8444-555555555555", "c-1")); code != 200 {
		t.Fatalf("record consent: %d %v", code, out)
	}
	h.send(consentRequest(t, "66666666-2222-4333-8444-555555555555", "c-1"))
	ev = h.waitState("66666666-2222-4333-8444-555555555555", "delivered")
	if ev.Basis != "consent" {
		t.Fatalf("delivered on basis %q", ev.Basis)
	}
	h.take("42420001")

	// A consent covering fewer categories than are sent is not enough.
	if code, _ := h.postConsent(consentCommand("77777777-2222-4333-8444-555555555555", register.RecordConsent, map[string]any{"consent": map[string]any{
		"id": "c-narrow", "given_by": []string{"client"}, "recipient": "42420001", "purpose": "care_assignment",
		"categories": []string{"identification"}, "scope": map[string]any{"single_share": true},
	}})); code != 200 {
		t.Fatalf("record narrow consent: %d", code)
	}
	h.send(consentRequest(t, "88888888-2222-4333-8444-555555555555", "c-narrow"))
	ev = h.waitState("88888888-2222-4333-8444-555555555555", "refused")
	if !strings.Contains(strings.Join(ev.ReasonCodes, ","), "CONSENT_CATEGORY_NOT_COVERED") {
		t.Fatalf("narrow consent: %+v", ev)
	}

	// Every decision is on record in the ledger, without payload.
	entries, err := h.gw.Store.EntriesFor(context.Background(), "44444444-2222-4333-8444-555555555555")
	if err != nil {
		t.Fatal(err)
	}
	var refused bool
	for _, e := range entries {
		if e.Event == "state:refused" && strings.Contains(e.Detail["reason_codes"]+e.Detail["codes"], "CONSENT_MISSING") {
			refused = true
		}
	}
	if !refused {
		t.Fatalf("refusal not in the ledger: %+v", entries)
	}
	assertNoPersonalData(t, h.logs.String())
}

func TestEndToEndWithdrawalStopsQueuedDisclosure(t *testing.T) {
	h := start(t)
	if code, out := h.postConsent(recordConsent("99999999-2222-4333-8444-555555555555", "c-2")); code != 200 {
		t.Fatalf("record consent: %d %v", code, out)
	}

	// The gateway is down while the disclosure waits in the intake queue...
	h.gw.Stop(context.Background())
	h.send(consentRequest(t, "aaaaaaaa-2222-4333-8444-555555555555", "c-2"))

	// ...and the client withdraws the consent in the meantime.
	st, err := sqlite.Open(context.Background(), h.cfg.SQLitePath)
	if err != nil {
		t.Fatal(err)
	}
	secret, err := app.LoadClientKeySecret(h.cfg)
	if err != nil {
		t.Fatal(err)
	}
	svc, err := register.New(st, func(bsn string) string { return consent.ClientKey(secret, bsn) })
	if err != nil {
		t.Fatal(err)
	}
	dev, err := identity.Development()
	if err != nil {
		t.Fatal(err)
	}
	demo, err := dev.Get("regsys-demo")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Apply(identity.WithSystem(context.Background(), demo), consentCommand("bbbbbbbb-2222-4333-8444-555555555555", register.WithdrawConsent, map[string]any{"consent_id": "c-2"})); err != nil {
		t.Fatalf("withdraw: %v", err)
	}
	st.Close()

	h.startGateway()
	ev := h.waitState("aaaaaaaa-2222-4333-8444-555555555555", "refused")
	if !strings.Contains(strings.Join(ev.ReasonCodes, ","), "CONSENT_WITHDRAWN") {
		t.Fatalf("refusal: %+v", ev)
	}
	rec, err := h.gw.Store.Get(context.Background(), "aaaaaaaa-2222-4333-8444-555555555555")
	if err != nil {
		t.Fatal(err)
	}
	if rec.State != receipts.Refused {
		t.Fatalf("state %s", rec.State)
	}
	if n := h.queueLength("42420001"); n != 0 {
		t.Fatalf("a withdrawn disclosure reached the provider: %d messages", n)
	}
	assertNoPersonalData(t, h.logs.String())
}

func TestEndToEndSafetyOverride(t *testing.T) {
	h := start(t)
	m, _ := readExample(t, "iwmo-301.json")
	override(m, "dddddddd-2222-4333-8444-555555555555")
	body, _ := json.Marshal(m)
	h.send(body)
	allowed := h.waitState("dddddddd-2222-4333-8444-555555555555", "allowed")
	follow := strings.Join(allowed.FollowUps, ",")
	if allowed.Basis != "safety_override" || !strings.Contains(follow, "inform_client") || !strings.Contains(follow, "coordinator_review") {
		t.Fatalf("allowed event: %+v", allowed)
	}
	h.waitState("dddddddd-2222-4333-8444-555555555555", "delivered")

	resp := h.reviews(h.staffToken(identity.RoleCoordinator, "0363"))
	defer resp.Body.Close()
	var reviews []map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&reviews); err != nil {
		t.Fatal(err)
	}
	if len(reviews) != 1 || reviews[0]["disclosure_id"] != "dddddddd-2222-4333-8444-555555555555" || reviews[0]["inform_client_due"] == "" {
		t.Fatalf("review list: %v", reviews)
	}

	// The sender consulting only themselves is refused.
	m["id"] = "eeeeeeee-2222-4333-8444-555555555555"
	m["legal_basis"].(map[string]any)["consultation"].(map[string]any)["consulted"] = "e-7f3a" // the sender
	body, _ = json.Marshal(m)
	h.send(body)
	ev := h.waitState("eeeeeeee-2222-4333-8444-555555555555", "refused")
	if !strings.Contains(strings.Join(ev.ReasonCodes, ","), "OVERRIDE_SELF_CONSULTED") {
		t.Fatalf("self-consulted override: %+v", ev)
	}
	assertNoPersonalData(t, h.logs.String())
}
