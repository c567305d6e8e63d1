package pipeline_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sluis-gateway/sluis/internal/bus"
	"github.com/sluis-gateway/sluis/internal/calendar"
	"github.com/sluis-gateway/sluis/internal/category"
	"github.com/sluis-gateway/sluis/internal/consent"
	"github.com/sluis-gateway/sluis/internal/disclosure"
	"github.com/sluis-gateway/sluis/internal/minimise"
	"github.com/sluis-gateway/sluis/internal/pipeline"
	"github.com/sluis-gateway/sluis/internal/receipts"
	"github.com/sluis-gateway/sluis/internal/screen"
	"github.com/sluis-gateway/sluis/internal/signing"
	"github.com/sluis-gateway/sluis/internal/testenv"
)

var secret = []byte("0123456789abcdef0123456789abcdef")

const (
	exampleID   = "6f1c2a3e-8b4d-4c1a-9e2f-3a5b7c9d1e01"
	senderActor = "system:regsys-demo@0363 employee:e-7f3a"
)

// parts are the pipeline's ports as fakes; New builds the pipeline on them.
type parts struct {
	store  *receiptStore
	screen pipeline.Screener
	comp   composer
	val    validator
	seal   sealer
	pub    *publisher
	arch   *archiveFake
}

func newParts() *parts {
	return &parts{store: newReceiptStore(), screen: &screener{out: allowed}, pub: &publisher{}, arch: &archiveFake{}}
}

func (ps *parts) pipeline(t *testing.T) *pipeline.Pipeline {
	t.Helper()
	dec, err := disclosure.NewDecoder()
	if err != nil {
		t.Fatal(err)
	}
	m, err := pipeline.NewMetrics(prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	p, err := pipeline.New(pipeline.Config{
		Decoder: dec, Store: ps.store, Screener: ps.screen, Composer: ps.comp, Validator: ps.val,
		Sealer: ps.seal, Publisher: ps.pub, Archive: ps.arch, ClientKeySecret: secret, Metrics: m,
		Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// exampleBody is the contract's iWmo 301, changed by mod when given.
func exampleBody(t *testing.T, mod func(map[string]any)) []byte {
	t.Helper()
	b := testenv.ContractExample(t, "iwmo-301.json")
	if mod == nil {
		return b
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	mod(m)
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// found is the record an earlier pass (before a crash) left in state s.
func found(t *testing.T, body []byte, s receipts.State) receipts.Record {
	t.Helper()
	dec, err := disclosure.NewDecoder()
	if err != nil {
		t.Fatal(err)
	}
	req, err := dec.Decode(body)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Now().Add(-time.Minute).UTC()
	return receipts.Record{
		DisclosureID: req.ID, Municipality: req.Sender.Municipality, System: req.Sender.System,
		Recipient: req.Recipient.AGB, Standard: req.Standard, MessageType: "WMO301", Purpose: req.Purpose,
		Basis: req.LegalBasis.Kind, ClientKey: consent.ClientKey(secret, req.Client.BSN),
		RequestHash: disclosure.Hash(req), State: s, Identificatie: "7", MessageID: "WMO301-0363-7",
		At: map[receipts.State]time.Time{receipts.Received: at, s: at}, CreatedAt: at, UpdatedAt: at,
		// Its states so far were announced (the events of a crash's
		// last state are the unannounced cases: foundUnannounced).
		Sequence: 3, Announced: 3,
	}
}

// foundUnannounced is found, but the event of its current state was never
// confirmed (a crash between storing the state and the flush).
func foundUnannounced(t *testing.T, body []byte, s receipts.State) receipts.Record {
	rec := found(t, body, s)
	rec.Announced = rec.Sequence - 1
	return rec
}

var (
	allowed = pipeline.Screening{
		Allowed: true, Basis: disclosure.BasisLegalObligation,
		ReasonCodes: []string{string(consent.CodeNoticeMinimisationRequired)},
		Sentence:    "Allowed: legal obligation.", Detail: map[string]string{"profile": "iwmo-301-care_assignment@1"},
	}
	refused = pipeline.Screening{
		Basis: disclosure.BasisConsent, ReasonCodes: []string{string(consent.CodeConsentWithdrawn)},
		Sentence: "Refused: the consent was withdrawn.", Detail: map[string]string{"profile": "iwmo-301-care_assignment@1"},
	}
	errBroker = errors.New("broker connection lost")
)

type outcome struct {
	err      bool // Handle returns an error (nack, retried)
	state    receipts.State
	reason   string // the record's reason starts with this
	codes    []string
	ledger   []string // events of the ledger entries this pass added
	events   []string // states of the status events published
	outbound int      // signed messages confirmed into the provider's queue
	screened bool
}

// check asserts the outcome of one Handle pass: the stored state, the
// ledger entries (all accounted to the sender), the status events and what
// went to the provider.
func (ps *parts) check(t *testing.T, err error, want outcome) {
	t.Helper()
	if (err != nil) != want.err {
		t.Fatalf("Handle: %v, want error %v", err, want.err)
	}
	rec := ps.store.get(exampleID)
	if rec.State != want.state {
		t.Errorf("state %s (%s), want %s", rec.State, rec.Reason, want.state)
	}
	if !strings.HasPrefix(rec.Reason, want.reason) {
		t.Errorf("reason %q, want it to start with %q", rec.Reason, want.reason)
	}
	if want.codes != nil && !slices.Equal(rec.ReasonCodes, want.codes) {
		t.Errorf("reason codes %v, want %v", rec.ReasonCodes, want.codes)
	}
	var ledger []string
	for _, e := range ps.store.entries() {
		ledger = append(ledger, e.Event)
		if e.Actor != senderActor || e.DisclosureID != exampleID {
			t.Errorf("ledger entry %s by %s for %q, want by %s for %s", e.Event, e.Actor, e.DisclosureID, senderActor, exampleID)
		}
		if e.Event == "state:allowed" && (e.Detail["basis"] != rec.Basis || e.Detail["profile"] == "") {
			t.Errorf("allowed without its basis (%s) and profile in the ledger: %v", rec.Basis, e.Detail)
		}
	}
	if !slices.Equal(ledger, want.ledger) {
		t.Errorf("ledger %v, want %v", ledger, want.ledger)
	}
	var events []string
	for _, m := range ps.pub.on(bus.TopicStatus) {
		ev, err := bus.Parse(m.Payload)
		if err != nil {
			t.Fatal(err)
		}
		events = append(events, ev.State)
		if key := m.Metadata.Get("routing_key"); key != "0363.regsys-demo."+ev.State {
			t.Errorf("status event routing key %q", key)
		}
		if ev.DisclosureID != exampleID || ev.MessageID != rec.MessageID {
			t.Errorf("status event %s for %s (message %s), want %s (%s)", ev.State, ev.DisclosureID, ev.MessageID, exampleID, rec.MessageID)
		}
		if ev.State == string(rec.State) && ev.Reason != rec.Reason {
			t.Errorf("status event %s says reason %q, the record %q", ev.State, ev.Reason, rec.Reason)
		}
	}
	if !slices.Equal(events, want.events) {
		t.Errorf("status events %v, want %v", events, want.events)
	}
	out := ps.pub.on(bus.TopicOutbound)
	if len(out) != want.outbound {
		t.Errorf("%d messages to the provider, want %d", len(out), want.outbound)
	}
	for _, m := range out {
		if m.UUID != rec.MessageID || m.Metadata.Get("agb") != "42420001" || !strings.Contains(string(m.Payload), `message_id="`+rec.MessageID+`"`) {
			t.Errorf("outbound message %s to %s: %s; want %s to 42420001", m.UUID, m.Metadata.Get("agb"), m.Payload, rec.MessageID)
		}
	}
	if s, ok := ps.screen.(*screener); ok && (s.calls > 0) != want.screened {
		t.Errorf("screened %d times, want screened %v", s.calls, want.screened)
	}
}

// TestResume covers every row of the resume table (docs/receipts.md): the
// state a redelivery finds, crossed with what screening says now; and the
// final and waiting states, which are only announced again.
func TestResume(t *testing.T) {
	cases := []struct {
		name      string
		found     receipts.State // "" = a new disclosure
		screening pipeline.Screening
		want      outcome
	}{
		{"new, allowed: allowed and published in one write, then delivered", "", allowed, outcome{
			state: receipts.Delivered, outbound: 1, screened: true,
			ledger: []string{"state:received", "state:allowed", "state:published", "state:delivered"},
			events: []string{"received", "allowed", "published", "delivered"},
		}},
		{"new, refused: refused, nothing composed or sent", "", refused, outcome{
			state: receipts.Refused, reason: refused.Sentence, codes: refused.ReasonCodes, screened: true,
			ledger: []string{"state:received", "state:refused"}, events: []string{"received", "refused"},
		}},
		{"found received (crash before the decision was stored), allowed", receipts.Received, allowed, outcome{
			state: receipts.Delivered, outbound: 1, screened: true,
			ledger: []string{"state:allowed", "state:published", "state:delivered"},
			events: []string{"allowed", "published", "delivered"},
		}},
		{"found received, refused now", receipts.Received, refused, outcome{
			state: receipts.Refused, reason: refused.Sentence, codes: refused.ReasonCodes, screened: true,
			ledger: []string{"state:refused"}, events: []string{"refused"},
		}},
		{"found allowed, still allowed: published (not allowed twice), then delivered", receipts.Allowed, allowed, outcome{
			state: receipts.Delivered, outbound: 1, screened: true,
			ledger: []string{"state:published", "state:delivered"}, events: []string{"published", "delivered"},
		}},
		{"found allowed, refused now (withdrawn meanwhile): refused, never sent", receipts.Allowed, refused, outcome{
			state: receipts.Refused, reason: refused.Sentence, codes: refused.ReasonCodes, screened: true,
			ledger: []string{"state:refused"}, events: []string{"refused"},
		}},
		{"found published (crash before the confirm was stored), still allowed: the same message again, delivered", receipts.Published, allowed, outcome{
			state: receipts.Delivered, outbound: 1, screened: true,
			ledger: []string{"state:delivered"}, events: []string{"delivered"},
		}},
		{"found published, refused now: failed (it may have been received), not refused", receipts.Published, refused, outcome{
			state: receipts.Failed, reason: pipeline.ReasonStoppedWhileSending + " " + refused.Sentence, codes: refused.ReasonCodes, screened: true,
			ledger: []string{"state:failed"}, events: []string{"failed"},
		}},
		{"found delivered (waiting) and announced: silent, not screened or sent", receipts.Delivered, allowed, outcome{
			state: receipts.Delivered,
		}},
		{"found refused (final) and announced: silent, not screened again", receipts.Refused, allowed, outcome{
			state: receipts.Refused,
		}},
		{"found failed (final) and announced: silent", receipts.Failed, allowed, outcome{
			state: receipts.Failed,
		}},
		{"found delivered, its event never confirmed (crash): announced now, not sent again", receipts.Delivered + "!", allowed, outcome{
			state: receipts.Delivered, events: []string{"delivered"},
		}},
		{"found refused, its event never confirmed: announced now", receipts.Refused + "!", allowed, outcome{
			state: receipts.Refused, events: []string{"refused"},
		}},
		{"found published, its event never confirmed: announced, then delivered", receipts.Published + "!", allowed, outcome{
			state: receipts.Delivered, outbound: 1, screened: true,
			ledger: []string{"state:delivered"}, events: []string{"published", "delivered"},
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ps := newParts()
			ps.screen = &screener{out: tc.screening}
			body := exampleBody(t, nil)
			switch st, unannounced := strings.CutSuffix(string(tc.found), "!"); {
			case unannounced:
				ps.store.seed(foundUnannounced(t, body, receipts.State(st)))
			case st != "":
				ps.store.seed(found(t, body, receipts.State(st)))
			}
			err := handle(ps.pipeline(t), intake("intake-1", body))
			ps.check(t, err, tc.want)
			if got := ps.store.get(found(t, body, receipts.Received).DisclosureID); tc.want.events != nil && got.Announced != got.Sequence {
				t.Errorf("announced %d after the pass, want the sequence %d", got.Announced, got.Sequence)
			}
		})
	}
}

// TestBuildAndPublishFailures: a message that cannot be composed or fails
// the official XSD is the request's fault and ends failed at once (acked,
// not retried); a failure of sluis or the broker is retried and leaves the
// stored state where the next try resumes.
func TestBuildAndPublishFailures(t *testing.T) {
	cases := []struct {
		name  string
		found receipts.State
		set   func(*parts)
		want  outcome
	}{
		{"compose refuses (a rule of the standard): allowed and failed in one write", receipts.Received,
			func(ps *parts) { ps.comp.err = errors.New("TR301: end before start") }, outcome{
				state: receipts.Failed, reason: "does not meet the standard: TR301", screened: true,
				ledger: []string{"state:allowed", "state:failed"}, events: []string{"allowed", "failed"},
			}},
		{"the composed message fails the official XSD: failed, not retried", receipts.Received,
			func(ps *parts) { ps.val.err = errors.New("element Bsn: not a valid value") }, outcome{
				state: receipts.Failed, reason: "composed message fails the official XSD: element Bsn", screened: true,
				ledger: []string{"state:allowed", "state:failed"}, events: []string{"allowed", "failed"},
			}},
		{"found published and can no longer be composed: failed", receipts.Published,
			func(ps *parts) { ps.comp.err = errors.New("TR301: end before start") }, outcome{
				state: receipts.Failed, reason: "does not meet the standard", screened: true,
				ledger: []string{"state:failed"}, events: []string{"failed"},
			}},
		{"sealing fails (sluis's key): retried, nothing stored", receipts.Received,
			func(ps *parts) { ps.seal.err = errors.New("signer unavailable") }, outcome{
				err: true, state: receipts.Received, screened: true,
			}},
		{"the envelope cannot carry the Bericht (too many elements): failed, not retried", receipts.Received,
			func(ps *parts) {
				ps.seal.err = fmt.Errorf("seal m-1: %w: more than %d elements", signing.ErrInvalidBericht, signing.MaxBerichtElements)
			}, outcome{
				state: receipts.Failed, reason: "the signed envelope cannot carry this message", screened: true,
				ledger: []string{"state:allowed", "state:failed"}, events: []string{"allowed", "failed"},
			}},
		{"no queue takes it (recipient not connected): failed", receipts.Received,
			func(ps *parts) { ps.pub.outboundErrs = []error{fmt.Errorf("%w: 312 NO_ROUTE", bus.ErrUnroutable)} }, outcome{
				state: receipts.Failed, reason: pipeline.ReasonNotConnected, screened: true,
				ledger: []string{"state:allowed", "state:published", "state:failed"}, events: []string{"allowed", "published", "failed"},
			}},
		{"the broker fails the publish: retried, left published, its events still sent", receipts.Received,
			func(ps *parts) { ps.pub.outboundErrs = []error{errBroker} }, outcome{
				err: true, state: receipts.Published, screened: true,
				ledger: []string{"state:allowed", "state:published"}, events: []string{"allowed", "published"},
			}},
		{"the store is down: retried, nothing published", receipts.Received,
			func(ps *parts) { ps.store.moveErr = errors.New("database is locked") }, outcome{
				err: true, state: receipts.Received, screened: true,
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ps := newParts()
			body := exampleBody(t, nil)
			ps.store.seed(found(t, body, tc.found))
			tc.set(ps)
			err := handle(ps.pipeline(t), intake("intake-1", body))
			ps.check(t, err, tc.want)
		})
	}
}

// TestRedeliveryAfterFailedPublish: the retry of a publish the broker
// failed sends the same message (same id, same bytes) and is delivered.
func TestRedeliveryAfterFailedPublish(t *testing.T) {
	ps := newParts()
	ps.pub.outboundErrs = []error{errBroker}
	p := ps.pipeline(t)
	body := exampleBody(t, nil)
	if err := handle(p, intake("intake-1", body)); !errors.Is(err, errBroker) {
		t.Fatalf("first pass: %v, want the broker's error", err)
	}
	if err := handle(p, intake("intake-1", body)); err != nil {
		t.Fatalf("redelivery: %v", err)
	}
	ps.check(t, nil, outcome{
		state: receipts.Delivered, outbound: 1, screened: true,
		ledger: []string{"state:received", "state:allowed", "state:published", "state:delivered"},
		events: []string{"received", "allowed", "published", "delivered"},
	})
}

// TestHandleWithScreen runs the real screener on an in-memory consent store:
// a purpose without a profile, and a single-share consent another
// disclosure used between screening and storing the use, are refused with
// their codes and never sent.
func TestHandleWithScreen(t *testing.T) {
	now := time.Now()
	day := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, calendar.Location())
	single := consent.Consent{
		ID: consent.StoredConsentID("0363", "c-1"), ClientKey: consent.RegisterKey("0363", consent.ClientKey(secret, "999900006")), GivenBy: []consent.Giver{consent.GiverClient},
		GivenAt: now.AddDate(0, -1, 0), Recipient: "42420001", Purpose: "care_assignment", SingleShare: true,
		Categories: []category.Category{category.Identification, category.Contact, category.CareAssignment},
		ValidFrom:  day.AddDate(0, -1, 0), ValidUntil: day.AddDate(1, 0, 0),
	}
	onConsent := func(m map[string]any) {
		m["legal_basis"] = map[string]any{"kind": "consent", "consent_ids": []string{"c-1"}}
	}
	cases := []struct {
		name     string
		store    *consents
		mod      func(map[string]any)
		want     outcome
		wantUsed string
	}{
		{"a single-share consent, unused: delivered, the consent used by it",
			&consents{reg: consent.Register{Consents: []consent.Consent{single}}}, onConsent, outcome{
				state: receipts.Delivered, outbound: 1,
				ledger: []string{"state:received", "state:allowed", "state:published", "state:delivered"},
				events: []string{"received", "allowed", "published", "delivered"},
			}, exampleID},
		{"NO_PROFILE: no purpose profile for the purpose", &consents{},
			func(m map[string]any) { m["purpose"] = "research" }, outcome{
				state: receipts.Refused, reason: "Refused: no purpose profile", codes: []string{"NO_PROFILE"},
				ledger: []string{"state:received", "state:refused"}, events: []string{"received", "refused"},
			}, ""},
		{"a single-share consent used by another disclosure meanwhile: refused",
			&consents{reg: consent.Register{Consents: []consent.Consent{single}}, usedMeanwhile: map[string]string{consent.StoredConsentID("0363", "c-1"): "other"}},
			onConsent, outcome{
				state: receipts.Refused, codes: []string{string(consent.CodeConsentAlreadyUsed)},
				ledger: []string{"state:received", "state:refused"}, events: []string{"received", "refused"},
			}, "other"},
	}
	profiles, err := minimise.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ps := newParts()
			scr, err := screen.New(tc.store, profiles)
			if err != nil {
				t.Fatal(err)
			}
			ps.screen = scr
			err = handle(ps.pipeline(t), intake("intake-1", exampleBody(t, tc.mod)))
			ps.check(t, err, tc.want)
			if got := tc.store.reg.Consents; len(got) > 0 && got[0].UsedBy != tc.wantUsed {
				t.Errorf("c-1 used by %q, want %q", got[0].UsedBy, tc.wantUsed)
			}
		})
	}
}
