package app_test

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/beevik/etree"
	amqp091 "github.com/rabbitmq/amqp091-go"

	"github.com/sluis-gateway/sluis/internal/receipts"
	"github.com/sluis-gateway/sluis/internal/signing"
	"github.com/sluis-gateway/sluis/internal/testenv"
)

// TestEndToEndAnswer: a 319 (antwoordbericht) goes the whole way like a
// 301: intake, screening on a legal obligation without any client, the
// 319 purpose profile, compose, sign, the provider's queue. The provider
// verifies it, and the Bericht taken out validates against the official
// reference XSD with its own root element.
func TestEndToEndAnswer(t *testing.T) {
	h := start(t)
	verifier, err := signing.LoadVerifier(h.cfg.SigningCert)
	if err != nil {
		t.Fatal(err)
	}
	ref := testenv.Reference(t)
	cases := []struct {
		example, agb, messageType, profile, xsdPath, prefix, namespace string
		want                                                           []string // element texts in the Bericht
	}{
		{"iwmo-319.json", "42420001", "WMO319", "iwmo-319-care_assignment@1", filepath.Join(ref, "iwmo", "3.2", "WMO319.xsd"),
			"wmo319", "http://www.istandaarden.nl/iwmo/3_2/wmo319/schema", []string{"VOT-2026-0917", "482"}},
		{"ijw-319.json", "65656055", "JW319", "ijw-319-care_assignment@1", filepath.Join(ref, "ijw", "3.2", "JW319.xsd"),
			"jw319", "http://www.istandaarden.nl/ijw/3_2/jw319/schema", []string{"VOT-2026-9003", "488", "1916"}},
	}
	for _, tc := range cases {
		t.Run(tc.messageType, func(t *testing.T) {
			m, body := readExample(t, tc.example)
			id := m["id"].(string)
			h.send(body)
			allowed := h.waitState(id, "allowed")
			if allowed.Basis != "legal_obligation" || allowed.Profile != tc.profile || len(allowed.Stripped) != 0 {
				t.Fatalf("allowed event: %+v", allowed)
			}
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
			// The provider verifies: xmlsec1 with the trusted certificate,
			// and sluis's own verifier.
			if out, err := exec.Command("xmlsec1", "--verify", "--pubkey-cert-pem", h.cfg.SigningCert, signedFile).CombinedOutput(); err != nil {
				t.Fatalf("xmlsec1 --verify: %v\n%s", err, out)
			}
			opened, err := verifier.Open(d.Body)
			if err != nil {
				t.Fatalf("verify: %v", err)
			}
			if opened.Meta.MessageType != tc.messageType || opened.Meta.Recipient != tc.agb {
				t.Errorf("envelope meta %+v", opened.Meta)
			}

			// The Bericht taken out validates against the official XSD...
			berichtFile := filepath.Join(dir, "bericht.xml")
			if err := os.WriteFile(berichtFile, opened.Bericht, 0o600); err != nil {
				t.Fatal(err)
			}
			if out, err := exec.Command("xmllint", "--noout", "--nonet", "--schema", tc.xsdPath, berichtFile).CombinedOutput(); err != nil {
				t.Fatalf("xmllint --schema: %v\n%s", err, out)
			}
			// ...its root is the 319's Bericht...
			x := etree.NewDocument()
			if err := x.ReadFromBytes(opened.Bericht); err != nil {
				t.Fatal(err)
			}
			root := x.Root()
			if root.Space != tc.prefix || root.Tag != "Bericht" || root.NamespaceURI() != tc.namespace {
				t.Fatalf("root %s:%s in %s, want %s:Bericht in %s", root.Space, root.Tag, root.NamespaceURI(), tc.prefix, tc.namespace)
			}
			// ...and it carries the answer and no client.
			if root.SelectElement("Client") != nil || root.SelectElement("Antwoord") == nil {
				t.Fatalf("a 319 without Antwoord or with a Client:\n%s", opened.Bericht)
			}
			var texts []string
			for _, el := range root.FindElements("//*") {
				texts = append(texts, strings.TrimSpace(el.Text()))
			}
			for _, w := range tc.want {
				if !slices.Contains(texts, w) {
					t.Errorf("the Bericht lacks %q", w)
				}
			}

			// The receipt is delivered and keeps no client key: there is no
			// client.
			rec, err := h.gw.Store.Get(context.Background(), id)
			if err != nil {
				t.Fatal(err)
			}
			if rec.State != receipts.Delivered || rec.ClientKey != "" || rec.MessageType != tc.messageType {
				t.Fatalf("receipt state %s, message type %s, client key set: %v", rec.State, rec.MessageType, rec.ClientKey != "")
			}

			// Sent again (a retry with the same id): every state was
			// announced once already, so the sender hears nothing more, and
			// the provider gets no second 319.
			delete(h.pending, id)
			h.send(body)
			if evs := h.eventsOf(id); len(evs) != 0 {
				t.Fatalf("the retry was announced again: %+v", evs)
			}
			if n := h.queueLength(tc.agb); n != 0 {
				t.Fatalf("the retry reached the provider: %d message(s)", n)
			}
		})
	}
	assertNoPersonalData(t, h.logs.String())
}

// TestEndToEndAnswerRefused: a 319 needs the basis of a legal obligation (a
// consent is a client's, and a 319 has none), and a 319 carrying client
// data is not a valid request. Neither reaches the provider.
func TestEndToEndAnswerRefused(t *testing.T) {
	h := start(t)
	build := func(id string, mutate func(m map[string]any)) []byte {
		m, _ := readExample(t, "iwmo-319.json")
		m["id"] = id
		mutate(m)
		b, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}

	const onConsent = "d3190001-2222-4333-8444-555555555555"
	h.send(build(onConsent, func(m map[string]any) {
		m["legal_basis"] = map[string]any{"kind": "consent", "consent_ids": []any{"c-319"}}
	}))
	ev := h.waitState(onConsent, "refused")
	if codes := strings.Join(ev.ReasonCodes, ","); !strings.Contains(codes, "CLIENT_KEY_MISSING") || !strings.Contains(codes, "CONSENT_MISSING") {
		t.Fatalf("consent refusal: %+v", ev)
	}

	const withClient = "d3190002-2222-4333-8444-555555555555"
	h.send(build(withClient, func(m map[string]any) {
		c, _ := readExample(t, "iwmo-301.json")
		m["client"] = c["client"]
	}))
	ev = h.waitState(withClient, "invalid")
	found := false
	for _, p := range ev.Problems {
		found = found || p.Path == "/client"
	}
	if !found || strings.Contains(ev.Reason, "999900006") {
		t.Fatalf("invalid event: %+v", ev)
	}

	if n := h.queueLength("42420001"); n != 0 {
		t.Fatalf("a refused or invalid 319 reached the provider: %d", n)
	}
	assertNoPersonalData(t, h.logs.String())
}
