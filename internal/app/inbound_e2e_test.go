package app_test

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	amqp091 "github.com/rabbitmq/amqp091-go"

	"github.com/sluis-gateway/sluis/adapters/amqp"
	"github.com/sluis-gateway/sluis/cmd/sluis/cli"
	"github.com/sluis-gateway/sluis/internal/bus"
	"github.com/sluis-gateway/sluis/internal/inbound"
	"github.com/sluis-gateway/sluis/internal/provider"
	"github.com/sluis-gateway/sluis/internal/signing"
	"github.com/sluis-gateway/sluis/internal/testenv"
	"github.com/sluis-gateway/sluis/messages"
	"github.com/sluis-gateway/sluis/xsd"
)

// The development registry's regsys-demo receives for 0363.
const inboundSystem = "regsys-demo"

// TestEndToEndInbound: a provider sends each heenbericht signed (sluis
// provider -send); a valid one reaches the municipality's registration
// system and the provider gets the signed technical retour with 0200; one
// that breaks a technical rule is not forwarded and its retour carries
// 0001. A valid 323 is forwarded without a technical retour (the 325 is
// the municipality's), a broken one gets a header-only 325 with 0001.
func TestEndToEndInbound(t *testing.T) {
	h := start(t)
	verifier, err := signing.LoadVerifier(h.cfg.SigningCert)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		std        messages.Standard
		kind       string
		agb        string
		retourKind string // "" when none
	}{
		{messages.IWmo, "315", "42420001", "316"},
		{messages.IJw, "315", "65656055", "316"},
		{messages.IWmo, "305", "42420001", "306"},
		{messages.IWmo, "307", "42420001", "308"},
		{messages.IJw, "317", "65656055", "318"},
		{messages.IWmo, "323", "42420001", ""},
	}
	for _, tc := range cases {
		for _, broken := range []bool{false, true} {
			name := string(tc.std) + "-" + tc.kind
			if broken {
				name += "-broken"
			}
			t.Run(name, func(t *testing.T) {
				res, err := cli.SendHeen(context.Background(), io.Discard, cli.SendConfig{
					AMQPURL: h.url, AGB: tc.agb, Kind: tc.kind, Standard: string(tc.std), Municipality: "0363",
					Break: broken, DevDir: h.cfg.DevProvidersDir,
				})
				if err != nil {
					t.Fatal(err)
				}
				state := "inbound_accepted"
				if broken {
					state = "inbound_rejected"
				}
				ev := h.waitInbound(res.MessageID, state)
				if ev.Provider != tc.agb || ev.Municipality != "0363" || ev.System != inboundSystem || ev.MessageType != res.MessageType {
					t.Fatalf("status event %+v", ev)
				}
				wantDue := !broken && tc.kind != "305" && tc.kind != "307"
				if ev.Due.IsZero() == wantDue {
					t.Fatalf("due %v, want set: %v", ev.Due, wantDue)
				}
				if broken {
					if n := h.queueMessages(amqp.SystemInboundQueue(inboundSystem)); n != 0 {
						t.Fatalf("a broken %s reached the system: %d message(s)", tc.kind, n)
					}
				} else {
					d := h.takeQueue(amqp.SystemInboundQueue(inboundSystem))
					if d.MessageId != ev.InboundID || d.Headers[inbound.HeaderInboundID] != ev.InboundID ||
						d.Headers[inbound.HeaderProvider] != tc.agb || d.DeliveryMode != amqp091.Persistent {
						t.Fatalf("forwarded message id %s headers %v", d.MessageId, d.Headers)
					}
					m, err := messages.Parse(d.Body)
					if err != nil || m.Kind() != tc.kind || m.Head().BerichtIdentificatie.Identificatie != res.Identificatie {
						t.Fatalf("forwarded Bericht: %v", err)
					}
				}
				retourKind, codes := tc.retourKind, []messages.RetourCode{"0200"}
				if broken {
					codes = []messages.RetourCode{"0001"}
					if tc.kind == "323" {
						retourKind = "325"
					}
				}
				if retourKind == "" {
					time.Sleep(300 * time.Millisecond)
					if n := h.queueLength(tc.agb); n != 0 {
						t.Fatalf("a valid 323 got a technical retour: %d message(s)", n)
					}
					return
				}
				d := h.take(tc.agb)
				opened, err := verifier.Open(d.Body)
				if err != nil {
					t.Fatalf("the technical retour does not verify against the gateway's certificate: %v", err)
				}
				if opened.Meta.InReplyTo != res.MessageID || opened.Meta.Recipient != tc.agb || opened.Meta.Sender != "0363" {
					t.Fatalf("retour envelope %+v", opened.Meta)
				}
				r, err := messages.Parse(opened.Bericht)
				if err != nil {
					t.Fatal(err)
				}
				if r.Kind() != retourKind || !slices.Equal(r.Head().RetourCodes, codes) {
					t.Fatalf("retour %s with codes %v, want %s %v", r.Kind(), r.Head().RetourCodes, retourKind, codes)
				}
			})
		}
	}
	assertNoPersonalData(t, h.logs.String())
}

// TestEndToEndInboundParked: a heenbericht signed with another provider's
// key (forged), one published by another broker user than the signer's,
// a retour sent as a heenbericht and one for a municipality no system
// receives for are parked with their reason: nothing reaches the system or
// goes back to the provider.
func TestEndToEndInboundParked(t *testing.T) {
	h := start(t)
	otherKey, otherCert, err := provider.DevelopmentPair(h.cfg.DevProvidersDir, "65656055")
	if err != nil {
		t.Fatal(err)
	}
	_, otherUserURL := testenv.BrokerUser(t, h.url, "not-the-provider-")
	dead := h.tapDead()
	cases := []struct {
		name, reason string
		c            cli.SendConfig
	}{
		{"forged: another provider's key", "untrusted",
			cli.SendConfig{AMQPURL: h.url, AGB: "42420001", Kind: "315", Key: otherKey, Cert: otherCert}},
		{"published by another broker user", "wrong_publisher",
			cli.SendConfig{AMQPURL: otherUserURL, AGB: "42420001", Kind: "315", DevDir: h.cfg.DevProvidersDir}},
		{"a retour sent as a heenbericht", "not_heenbericht",
			cli.SendConfig{AMQPURL: h.url, AGB: "42420001", File: filepath.Join(testenv.Root(), "testdata", "messages", "examples", "iwmo", "WMO316.xml"),
				DevDir: h.cfg.DevProvidersDir}},
		{"no system receives for the municipality", "no_system",
			cli.SendConfig{AMQPURL: h.url, AGB: "42420001", Kind: "315", Municipality: "0344", DevDir: h.cfg.DevProvidersDir}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res, err := cli.SendHeen(context.Background(), io.Discard, tc.c)
			if err != nil {
				t.Fatal(err)
			}
			select {
			case d := <-dead:
				if d.Headers["x-sluis-park-reason"] != tc.reason || d.MessageId != res.MessageID {
					t.Fatalf("parked %s with %v, want %s", d.MessageId, d.Headers, tc.reason)
				}
				if strings.Contains(string(d.Body), "999900006") {
					t.Fatal("the parked summary holds the BSN")
				}
			case <-time.After(30 * time.Second):
				t.Fatal("not parked")
			}
			if n := h.queueMessages(amqp.SystemInboundQueue(inboundSystem)); n != 0 {
				t.Fatalf("parked message forwarded")
			}
			if n := h.queueLength("42420001"); n != 0 {
				t.Fatalf("parked message answered")
			}
		})
	}
}

// TestEndToEndInboundDuplicateIdentificatie: the same Bericht sent again
// as another message (TR056: its Identificatie already used) is answered
// with 9056 and not forwarded again.
func TestEndToEndInboundDuplicateIdentificatie(t *testing.T) {
	h := start(t)
	m, _, err := inbound.Example(messages.IWmo, "315", "42420001", "0363", "DUP1", messages.DateOf(time.Now()), false)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := messages.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "wmo315.xml")
	if err := os.WriteFile(file, doc, 0o600); err != nil {
		t.Fatal(err)
	}
	c := cli.SendConfig{AMQPURL: h.url, AGB: "42420001", File: file, DevDir: h.cfg.DevProvidersDir}
	first, err := cli.SendHeen(context.Background(), io.Discard, c)
	if err != nil {
		t.Fatal(err)
	}
	h.waitInbound(first.MessageID, "inbound_accepted")
	h.takeQueue(amqp.SystemInboundQueue(inboundSystem))
	h.take("42420001")
	second, err := cli.SendHeen(context.Background(), io.Discard, c)
	if err != nil {
		t.Fatal(err)
	}
	verifier, err := signing.LoadVerifier(h.cfg.SigningCert)
	if err != nil {
		t.Fatal(err)
	}
	opened, err := verifier.Open(h.take("42420001").Body)
	if err != nil {
		t.Fatal(err)
	}
	r, err := messages.Parse(opened.Bericht)
	if err != nil {
		t.Fatal(err)
	}
	if opened.Meta.InReplyTo != second.MessageID || !slices.Equal(r.Head().RetourCodes, []messages.RetourCode{"9056"}) {
		t.Fatalf("second 315 answered %v in reply to %s", r.Head().RetourCodes, opened.Meta.InReplyTo)
	}
	if n := h.queueMessages(amqp.SystemInboundQueue(inboundSystem)); n != 0 {
		t.Fatalf("the duplicate was forwarded")
	}
}

// waitInbound waits for the status event of the inbound message with
// envelope id messageID reaching state.
func (h *harness) waitInbound(messageID, state string) bus.Event {
	h.t.Helper()
	for i, ev := range h.pending[""] {
		if ev.MessageID == messageID && ev.State == state {
			h.pending[""] = slices.Delete(h.pending[""], i, i+1)
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
			if ev.MessageID == messageID && ev.State == state {
				return ev
			}
			h.pending[ev.DisclosureID] = append(h.pending[ev.DisclosureID], ev)
		case <-timeout:
			h.t.Fatalf("no status %s for message %s", state, messageID)
		}
	}
}

func (h *harness) takeQueue(queue string) amqp091.Delivery {
	h.t.Helper()
	ch, err := h.conn.Channel()
	if err != nil {
		h.t.Fatal(err)
	}
	defer ch.Close()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		d, ok, err := ch.Get(queue, true)
		if err != nil {
			h.t.Fatal(err)
		}
		if ok {
			return d
		}
		time.Sleep(50 * time.Millisecond)
	}
	h.t.Fatalf("nothing in %s", queue)
	return amqp091.Delivery{}
}

func (h *harness) queueMessages(queue string) int {
	h.t.Helper()
	ch, err := h.conn.Channel()
	if err != nil {
		h.t.Fatal(err)
	}
	defer ch.Close()
	q, err := ch.QueueInspect(queue)
	if err != nil {
		h.t.Fatal(err)
	}
	return q.Messages
}

// tapDead consumes the parking queue.
func (h *harness) tapDead() <-chan amqp091.Delivery {
	h.t.Helper()
	ch, err := h.conn.Channel()
	if err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(func() { ch.Close() })
	ds, err := ch.Consume(amqp.QueueDead, "", true, false, false, false, nil)
	if err != nil {
		h.t.Fatal(err)
	}
	return ds
}

// TestEndToEndInboundAnswer: the registration system answers a forwarded
// 315 with a 319 naming it in in_reply_to; once the 319 is delivered the
// 315 is answered (status event inbound_answered). An in_reply_to that
// names nothing of the sender is refused.
func TestEndToEndInboundAnswer(t *testing.T) {
	h := start(t)
	res, err := cli.SendHeen(context.Background(), io.Discard, cli.SendConfig{
		AMQPURL: h.url, AGB: "42420001", Kind: "315", DevDir: h.cfg.DevProvidersDir,
	})
	if err != nil {
		t.Fatal(err)
	}
	accepted := h.waitInbound(res.MessageID, "inbound_accepted")
	h.takeQueue(amqp.SystemInboundQueue(inboundSystem))
	h.take("42420001") // the 316

	answer := func(inReplyTo string) string {
		m, _ := readExample(t, "iwmo-319.json")
		id := watermill.NewUUID()
		m["id"], m["in_reply_to"] = id, inReplyTo
		body, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		h.send(body)
		return id
	}
	id := answer(accepted.InboundID)
	h.waitState(id, "delivered")
	answered := h.waitInbound(res.MessageID, "inbound_answered")
	if answered.AnsweredBy != id || answered.InboundID != accepted.InboundID {
		t.Fatalf("answered event %+v", answered)
	}
	rec, err := h.gw.Store.GetInbound(context.Background(), accepted.InboundID)
	if err != nil || rec.State != inbound.Answered || rec.AnsweredBy != id {
		t.Fatalf("inbound record %+v, %v", rec, err)
	}

	unknown := answer("in-" + watermill.NewUUID())
	ev := h.waitState(unknown, "refused")
	if !slices.Equal(ev.ReasonCodes, []string{inbound.ReasonInReplyToUnknown}) {
		t.Fatalf("refused with %v", ev.ReasonCodes)
	}
}

// TestEndToEndDeclaration: a provider's 323 is forwarded to the system
// (no technical retour); the system answers it with a 325 through the
// intake naming the 323 in in_reply_to; the provider receives the signed
// 325, which validates against the official XSD, and the 323 is answered.
func TestEndToEndDeclaration(t *testing.T) {
	h := start(t)
	verifier, err := signing.LoadVerifier(h.cfg.SigningCert)
	if err != nil {
		t.Fatal(err)
	}
	v, err := xsd.NewValidator()
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	for _, tc := range []struct {
		std, example, agb string
	}{
		{"iWmo", "iwmo-325.json", "42420001"},
		{"iJw", "ijw-325.json", "65656055"},
	} {
		t.Run(tc.std, func(t *testing.T) {
			res, err := cli.SendHeen(context.Background(), io.Discard, cli.SendConfig{
				AMQPURL: h.url, AGB: tc.agb, Kind: "323", Standard: tc.std, DevDir: h.cfg.DevProvidersDir,
			})
			if err != nil {
				t.Fatal(err)
			}
			accepted := h.waitInbound(res.MessageID, "inbound_accepted")
			d := h.takeQueue(amqp.SystemInboundQueue(inboundSystem))
			heen, err := messages.Parse(d.Body)
			if err != nil {
				t.Fatal(err)
			}
			decl := heen.(*messages.Declaratie)

			m, _ := readExample(t, tc.example)
			id := watermill.NewUUID()
			m["id"], m["in_reply_to"] = id, accepted.InboundID
			dm := m["declaration"].(map[string]any)
			dm["identificatie"] = decl.Header.BerichtIdentificatie.Identificatie
			dm["date"] = decl.Header.BerichtIdentificatie.Dagtekening.String()
			dm["number"] = decl.Declaratie.DeclaratieNummer
			body, err := json.Marshal(m)
			if err != nil {
				t.Fatal(err)
			}
			h.send(body)
			delivered := h.waitState(id, "delivered")
			if delivered.MessageType != messages.MessageType(messages.Standard(tc.std), "325") {
				t.Fatalf("delivered %+v", delivered)
			}
			out := h.take(tc.agb)
			opened, err := verifier.Open(out.Body)
			if err != nil {
				t.Fatal(err)
			}
			if err := v.Validate(opened.Bericht); err != nil {
				t.Fatalf("325 fails the XSD: %v", err)
			}
			a, err := messages.Parse(opened.Bericht)
			if err != nil {
				t.Fatal(err)
			}
			da := a.(*messages.DeclaratieAntwoord)
			if da.Header.DeclaratieIdentificatie.Identificatie != decl.Header.BerichtIdentificatie.Identificatie ||
				da.DeclaratieAntwoord.DeclaratieNummer != decl.Declaratie.DeclaratieNummer ||
				!slices.Equal(da.DeclaratieAntwoord.RetourCodes, []messages.RetourCode{"8001"}) || len(da.DeclaratieAntwoord.Clienten) != 0 {
				t.Fatalf("325 %+v %+v", da.Header, da.DeclaratieAntwoord)
			}
			answered := h.waitInbound(res.MessageID, "inbound_answered")
			if answered.AnsweredBy != id {
				t.Fatalf("answered %+v", answered)
			}
		})
	}
}
