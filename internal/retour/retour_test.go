package retour_test

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/sluis-gateway/sluis/adapters/amqp"
	"github.com/sluis-gateway/sluis/internal/actor"
	"github.com/sluis-gateway/sluis/internal/receipts"
	"github.com/sluis-gateway/sluis/internal/retour"
	"github.com/sluis-gateway/sluis/messages"
)

func TestGenuineAccepted(t *testing.T) {
	hs := newHarness(t)
	rec := hs.delivered("d-accept", agbA)
	if err := hs.handle(hs.genuine(rec, retour.Verdict{})); err != nil {
		t.Fatalf("Handle: %v", err)
	}
	got := hs.get(rec.DisclosureID)
	if got.State != receipts.Accepted || len(got.RetourCodes) != 0 {
		t.Fatalf("state %s codes %v, want accepted without codes", got.State, got.RetourCodes)
	}
	if at := got.At[receipts.Accepted]; !at.Equal(hs.now) {
		t.Errorf("accepted at %v, want %v", at, hs.now)
	}
	ev := hs.event()
	if ev.DisclosureID != rec.DisclosureID || ev.State != "accepted" || ev.Identificatie != rec.Identificatie {
		t.Fatalf("status event %+v", ev)
	}
	if _, ok := hs.parked(); ok {
		t.Fatal("a genuine retour was parked")
	}
	entries, err := hs.store.EntriesFor(context.Background(), rec.DisclosureID)
	if err != nil {
		t.Fatal(err)
	}
	last := entries[len(entries)-1]
	if last.Actor != "provider:"+agbA || last.Detail["retour_identificatie"] == "" {
		t.Errorf("ledger entry %+v", last)
	}
	if n := hs.metric("sluis_retours_total", "outcome", "accepted"); n != 1 {
		t.Errorf("sluis_retours_total{accepted} = %v", n)
	}

	// The same retour again: acknowledged, counted, nothing changes.
	if err := hs.handle(hs.genuine(rec, retour.Verdict{})); err != nil {
		t.Fatalf("duplicate: %v", err)
	}
	again := hs.get(rec.DisclosureID)
	if again.State != receipts.Accepted || !again.UpdatedAt.Equal(got.UpdatedAt) {
		t.Fatalf("duplicate changed the record: %+v", again)
	}
	if n := hs.metric("sluis_retours_total", "outcome", "duplicate"); n != 1 {
		t.Errorf("sluis_retours_total{duplicate} = %v", n)
	}
	// A replay announces nothing: the answer's event was confirmed.
	hs.noEvent()
}

// TestReplayedRetours: verbatim replays of a recorded retour are acked and
// counted, with no status event each time.
func TestReplayedRetours(t *testing.T) {
	hs := newHarness(t)
	rec := hs.delivered("d-replay", agbA)
	body := hs.genuine(rec, retour.Verdict{})
	if err := hs.handle(body); err != nil {
		t.Fatal(err)
	}
	if ev := hs.event(); ev.State != "accepted" || ev.Sequence != 5 {
		t.Fatalf("first event %+v, want accepted with sequence 5", ev)
	}
	for i := 0; i < 5; i++ {
		if err := hs.handle(body); err != nil {
			t.Fatalf("replay %d: %v", i, err)
		}
	}
	hs.noEvent()
	if n := hs.metric("sluis_retours_total", "outcome", "duplicate"); n != 5 {
		t.Errorf("sluis_retours_total{duplicate} = %v, want 5", n)
	}
	if got := hs.get(rec.DisclosureID); got.Announced != got.Sequence {
		t.Errorf("announced %d, sequence %d", got.Announced, got.Sequence)
	}
}

// TestRetourCreatedWindow: a retour signed as made before its disclosure
// was sent, or in the future, is parked with created_out_of_window and
// records nothing.
func TestRetourCreatedWindow(t *testing.T) {
	for _, tc := range []struct {
		name    string
		created time.Time
	}{
		{"made in 2001", time.Date(2001, 1, 1, 12, 0, 0, 0, time.UTC)},
		{"made in 2099", time.Date(2099, 1, 1, 12, 0, 0, 0, time.UTC)},
		{"made an hour before the disclosure was sent", time.Now().Add(-time.Hour)},
		{"made an hour from now", time.Now().Add(time.Hour)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hs := newHarness(t)
			rec := hs.delivered("d-window", agbA)
			body := hs.sealAt(hs.signers[rec.Recipient], rec.Recipient, "WMO302", rec.MessageID,
				bericht(t, rec, retour.Verdict{}), tc.created)
			if err := hs.handle(body); err != nil {
				t.Fatal(err)
			}
			d, ok := hs.parked()
			if !ok {
				t.Fatal("not parked")
			}
			if reason, _ := d.Headers[retour.HeaderParkReason].(string); reason != string(retour.ReasonCreatedWindow) {
				t.Fatalf("parked with %v, want %s", d.Headers, retour.ReasonCreatedWindow)
			}
			if got := hs.get(rec.DisclosureID); got.State != receipts.Delivered {
				t.Fatalf("state %s, want delivered", got.State)
			}
		})
	}
}

func TestGenuineRejected(t *testing.T) {
	hs := newHarness(t)
	rec := hs.delivered("d-reject", agbA)
	if err := hs.handle(hs.genuine(rec, retour.Verdict{Reject: true, Code: "9332"})); err != nil {
		t.Fatalf("Handle: %v", err)
	}
	got := hs.get(rec.DisclosureID)
	if got.State != receipts.Rejected || !slices.Equal(got.RetourCodes, []string{"9332"}) {
		t.Fatalf("state %s codes %v, want rejected with 9332", got.State, got.RetourCodes)
	}
	ev := hs.event()
	if ev.State != "rejected" || !slices.Equal(ev.RetourCodes, []string{"9332"}) {
		t.Fatalf("status event %+v", ev)
	}
	entries, err := hs.store.EntriesFor(context.Background(), rec.DisclosureID)
	if err != nil {
		t.Fatal(err)
	}
	d := entries[len(entries)-1].Detail
	if d["retour_code_9332"] == "" || !strings.Contains(d["rejected_records"], "ToegewezenProduct") {
		t.Errorf("ledger detail lacks the code's meaning or the rejected records: %v", d)
	}
}

func TestLateRetourAfterOverdue(t *testing.T) {
	hs := newHarness(t)
	rec := hs.delivered("d-late", agbA)
	ctx := actor.With(context.Background(), actor.System)
	if _, err := hs.store.Move(ctx, rec.DisclosureID, receipts.Change{To: receipts.Overdue}); err != nil {
		t.Fatal(err)
	}
	if err := hs.handle(hs.genuine(rec, retour.Verdict{})); err != nil {
		t.Fatalf("Handle: %v", err)
	}
	if got := hs.get(rec.DisclosureID); got.State != receipts.Accepted {
		t.Fatalf("state %s, want accepted", got.State)
	}
}

func TestNotYetDeliveredIsRetried(t *testing.T) {
	hs := newHarness(t)
	ctx := actor.With(context.Background(), actor.System)
	rec, _, err := hs.store.Register(ctx, receipts.Record{
		DisclosureID: "d-early", Municipality: municipality, System: "regsys-a", Recipient: agbA,
		Standard: "iWmo", MessageType: "WMO301", RequestHash: "h",
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []receipts.State{receipts.Allowed, receipts.Published} {
		if rec, err = hs.store.Move(ctx, rec.DisclosureID, receipts.Change{To: s}); err != nil {
			t.Fatal(err)
		}
	}
	err = hs.handle(hs.genuine(rec, retour.Verdict{}))
	if !errors.Is(err, retour.ErrNotYetDelivered) {
		t.Fatalf("Handle = %v, want ErrNotYetDelivered (nack and retry)", err)
	}
	if _, ok := hs.parked(); ok {
		t.Fatal("parked a retour that only came early")
	}
}

// TestForgedParked: nothing but a genuine retour changes a record; each
// forgery lands on the parking queue with its reason.
func TestForgedParked(t *testing.T) {
	hs := newHarness(t)
	tests := []struct {
		name    string
		forge   func(a, b receipts.Record) []byte // a went to provider A, b to provider B
		reasons []retour.Reason
	}{
		{"signed by a certificate that is not the provider's", func(a, _ receipts.Record) []byte {
			return hs.seal(hs.signers[agbB], agbA, "WMO302", a.MessageID, bericht(t, a, retour.Verdict{}))
		}, []retour.Reason{retour.ReasonUntrusted}},
		{"altered after signing: rejection turned into acceptance", func(a, _ receipts.Record) []byte {
			signed := hs.genuine(a, retour.Verdict{Reject: true, Code: "9332"})
			return bytes.Replace(signed, []byte(">9332<"), []byte(">0200<"), 1)
		}, []retour.Reason{retour.ReasonBadSignature}},
		{"altered after signing: envelope Sender changed", func(a, b receipts.Record) []byte {
			signed := hs.seal(hs.signers[agbB], agbB, "WMO302", a.MessageID, bericht(t, a, retour.Verdict{}))
			return bytes.Replace(signed, []byte("<sluis:Sender>"+agbB), []byte("<sluis:Sender>"+agbA), 1)
		}, []retour.Reason{retour.ReasonUntrusted}},
		{"signature wrapping: forged Bericht before the signed one", func(a, _ receipts.Record) []byte {
			signed := hs.genuine(a, retour.Verdict{Reject: true, Code: "9332"})
			forged := berichtElement(t, bericht(t, a, retour.Verdict{}))
			return bytes.Replace(signed, []byte("<sluis:Bericht>"), []byte("<sluis:Bericht>"+forged), 1)
		}, []retour.Reason{retour.ReasonBadSignature, retour.ReasonMalformed}},
		{"signature wrapping: signed envelope moved into ds:Object", func(a, _ receipts.Record) []byte {
			signed := string(hs.genuine(a, retour.Verdict{Reject: true, Code: "9332"}))
			forged := berichtElement(t, bericht(t, a, retour.Verdict{}))
			decl := `<?xml version="1.0" encoding="UTF-8"?>`
			sigStart := strings.Index(signed, "<ds:Signature")
			sigEnd := strings.Index(signed, "</sluis:Envelope>")
			sig := signed[sigStart:sigEnd]
			unsigned := signed[len(decl):sigStart] + signed[sigEnd:]
			head := signed[:strings.Index(signed, "<sluis:Bericht>")]
			return []byte(head + "<sluis:Bericht>" + forged + "</sluis:Bericht>" +
				strings.Replace(sig, "</ds:KeyInfo>", "</ds:KeyInfo><ds:Object>"+unsigned+"</ds:Object>", 1) +
				"</sluis:Envelope>")
		}, []retour.Reason{retour.ReasonBadSignature, retour.ReasonMalformed}},
		{"unknown Identificatie", func(a, _ receipts.Record) []byte {
			other := a
			other.Identificatie = "999999"
			return hs.seal(hs.signers[agbA], agbA, "WMO302", "", bericht(t, other, retour.Verdict{}))
		}, []retour.Reason{retour.ReasonUnmatched}},
		{"provider B answers provider A's message", func(a, _ receipts.Record) []byte {
			other := a
			other.Recipient = agbB // the header names B, as B would write it
			return hs.seal(hs.signers[agbB], agbB, "WMO302", a.MessageID, bericht(t, other, retour.Verdict{}))
		}, []retour.Reason{retour.ReasonProviderMismatch}},
		{"provider B answers with A's header", func(a, _ receipts.Record) []byte {
			return hs.seal(hs.signers[agbB], agbB, "WMO302", a.MessageID, bericht(t, a, retour.Verdict{}))
		}, []retour.Reason{retour.ReasonProviderMismatch}},
		{"a 301 posing as a retour", func(a, _ receipts.Record) []byte {
			doc, err := messages.Marshal(heen(t, a))
			if err != nil {
				t.Fatal(err)
			}
			return hs.seal(hs.signers[agbA], agbA, "WMO301", a.MessageID, doc)
		}, []retour.Reason{retour.ReasonNotRetour}},
		{"a 302 in an envelope saying 320", func(a, _ receipts.Record) []byte {
			return hs.seal(hs.signers[agbA], agbA, "WMO320", a.MessageID, bericht(t, a, retour.Verdict{}))
		}, []retour.Reason{retour.ReasonNotRetour}},
		{"InReplyTo names another message", func(a, b receipts.Record) []byte {
			return hs.seal(hs.signers[agbA], agbA, "WMO302", b.MessageID, bericht(t, a, retour.Verdict{}))
		}, []retour.Reason{retour.ReasonReplyMismatch}},
		{"unknown provider", func(a, _ receipts.Record) []byte {
			signed := hs.genuine(a, retour.Verdict{})
			return bytes.Replace(signed, []byte("<sluis:Sender>"+agbA), []byte("<sluis:Sender>12345678"), 1)
		}, []retour.Reason{retour.ReasonUnknownProvider}},
		{"provider without a certificate file", func(a, _ receipts.Record) []byte {
			signed := hs.genuine(a, retour.Verdict{})
			return bytes.Replace(signed, []byte("<sluis:Sender>"+agbA), []byte("<sluis:Sender>"+agbC), 1)
		}, []retour.Reason{retour.ReasonNoCertificate}},
		{"not XML", func(receipts.Record, receipts.Record) []byte {
			return []byte("not xml at all")
		}, []retour.Reason{retour.ReasonMalformed}},
		{"DOCTYPE", func(a, _ receipts.Record) []byte {
			signed := hs.genuine(a, retour.Verdict{})
			return bytes.Replace(signed, []byte("?>"), []byte("?><!DOCTYPE x [<!ENTITY e \"x\">]>"), 1)
		}, []retour.Reason{retour.ReasonMalformed}},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := hs.delivered("forge-a-"+string(rune('a'+i)), agbA)
			b := hs.delivered("forge-b-"+string(rune('a'+i)), agbB)
			before := hs.metric("sluis_retours_parked_total", "reason", "")
			body := tc.forge(a, b)
			if err := hs.handle(body); err != nil {
				t.Fatalf("Handle = %v, want nil (parked and acked)", err)
			}
			for _, r := range []receipts.Record{a, b} {
				if got := hs.get(r.DisclosureID); got.State != receipts.Delivered || !got.UpdatedAt.Equal(r.UpdatedAt) {
					t.Fatalf("record %s changed to %s", r.DisclosureID, got.State)
				}
			}
			d, ok := hs.parked()
			if !ok {
				t.Fatal("nothing on the parking queue")
			}
			reason, _ := d.Headers[retour.HeaderParkReason].(string)
			if !slices.Contains(tc.reasons, retour.Reason(reason)) {
				t.Fatalf("park reason %q (detail %q), want one of %v", reason, d.Headers[retour.HeaderParkDetail], tc.reasons)
			}
			checkParked(t, d, body, retour.Reason(reason))
			detail, _ := d.Headers[retour.HeaderParkDetail].(string)
			for _, personal := range []string{"999900006", "Wit", "Jansen", "9999XX"} {
				if strings.Contains(detail, personal) {
					t.Fatalf("park detail carries personal data: %q", detail)
				}
			}
			t.Logf("parked: %s: %s", reason, detail)
			if got := hs.metric("sluis_retours_parked_total", "reason", reason); got < 1 ||
				hs.metric("sluis_retours_parked_total", "reason", "") != before+1 {
				t.Fatalf("parked counter not increased")
			}
			hs.noEvent()
			if reason == string(retour.ReasonProviderMismatch) && tc.name == "provider B answers provider A's message" {
				entries, err := hs.store.EntriesFor(context.Background(), a.DisclosureID)
				if err != nil {
					t.Fatal(err)
				}
				last := entries[len(entries)-1]
				if last.Event != "retour:parked" || last.Actor != "provider:"+agbB || last.Detail["reason"] != reason {
					t.Fatalf("no ledger entry for the attempt on %s: %+v", a.DisclosureID, last)
				}
			}
		})
	}
}

func TestParkingFailureIsNotAcked(t *testing.T) {
	hs := newHarness(t)
	// Without the dead-letter exchange, parking cannot be confirmed: the
	// handler must return an error so the broker redelivers.
	if err := hs.ch.ExchangeDelete(amqp.ExchangeDead, false, false); err != nil {
		t.Fatal(err)
	}
	if err := hs.handle([]byte("not xml")); err == nil {
		t.Fatal("Handle = nil although the retour could not be parked")
	}
}

// TestThroughTheQueue runs the handler as the gateway will: a watermill
// router consuming sluis.retours, the retour published by a provider to
// sluis.retour.
func TestThroughTheQueue(t *testing.T) {
	hs := newHarness(t)
	rec := hs.delivered("d-queue", agbA)
	ctx := hs.consume(hs.h)

	m := message.NewMessage("retour-queue-1", hs.genuine(rec, retour.Verdict{Reject: true, Code: "9332"}))
	if err := hs.pub.PublishContext(ctx, "retour", m)[0]; err != nil {
		t.Fatal(err)
	}
	ev := hs.event()
	if ev.DisclosureID != rec.DisclosureID || ev.State != "rejected" {
		t.Fatalf("status event %+v", ev)
	}
	if got := hs.get(rec.DisclosureID); got.State != receipts.Rejected {
		t.Fatalf("state %s", got.State)
	}
}

func TestNewRejectsIncompleteConfig(t *testing.T) {
	if _, err := retour.New(retour.Config{}); err == nil || !strings.Contains(err.Error(), "Store") {
		t.Fatalf("New(empty) = %v", err)
	}
}

// berichtElement is doc without its XML declaration.
func berichtElement(t *testing.T, doc []byte) string {
	t.Helper()
	s := string(doc)
	if i := strings.Index(s, "?>"); i >= 0 {
		s = s[i+2:]
	}
	return strings.TrimSpace(s)
}

func (hs *harness) metric(name, label, value string) float64 {
	hs.t.Helper()
	mfs, err := hs.metrics.Gather()
	if err != nil {
		hs.t.Fatal(err)
	}
	var sum float64
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, lp := range m.GetLabel() {
				if lp.GetName() == label && (value == "" || lp.GetValue() == value) {
					sum += m.GetCounter().GetValue()
				}
			}
		}
	}
	return sum
}

// TestDeliveredToRetourSeconds: a recorded retour observes the time from
// the disclosure's delivery to the retour, by the store's times; a
// duplicate observes nothing.
func TestDeliveredToRetourSeconds(t *testing.T) {
	hs := newHarness(t)
	ctx := actor.With(context.Background(), actor.Actor{Kind: "system", ID: "regsys-a", OnBehalfOf: municipality})
	rec, _, err := hs.store.Register(ctx, receipts.Record{
		DisclosureID: "d-timed", Municipality: municipality, System: "regsys-a", Recipient: agbA,
		Standard: "iWmo", MessageType: "WMO301", Purpose: "toewijzing", Basis: "legal_obligation",
		ClientKey: "key-d-timed", RequestHash: "hash-d-timed",
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []receipts.Change{{To: receipts.Allowed}, {To: receipts.Published}, {To: receipts.Delivered, At: hs.now.Add(-2 * time.Hour)}} {
		if rec, err = hs.store.Move(ctx, rec.DisclosureID, c); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < 2; i++ { // the second is a duplicate
		if err := hs.handle(hs.genuine(rec, retour.Verdict{})); err != nil {
			t.Fatalf("Handle: %v", err)
		}
	}
	mfs, err := hs.metrics.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "sluis_disclosure_delivered_to_retour_seconds" {
			continue
		}
		h := mf.GetMetric()[0].GetHistogram()
		if h.GetSampleCount() != 1 || h.GetSampleSum() != 7200 {
			t.Errorf("%d observations summing to %v s, want 1 of 7200 s", h.GetSampleCount(), h.GetSampleSum())
		}
		return
	}
	t.Fatal("sluis_disclosure_delivered_to_retour_seconds is not exported")
}
