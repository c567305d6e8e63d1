// Package retour takes in the retour messages care providers send back
// (302 on a 301, 320 on a 319): it verifies each one against the certificate
// of the provider it claims to come from, validates it against the envelope
// and official schemas, matches it to the disclosure it answers and records
// the outcome (accepted, or rejected with retour codes). Whatever cannot be
// verified or matched is parked on the dead-letter exchange with a reason,
// never recorded.
package retour

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/sluis-gateway/sluis/internal/actor"
	"github.com/sluis-gateway/sluis/internal/ledger"
	"github.com/sluis-gateway/sluis/internal/pipeline"
	"github.com/sluis-gateway/sluis/internal/provider"
	"github.com/sluis-gateway/sluis/internal/receipts"
	"github.com/sluis-gateway/sluis/internal/signing"
	"github.com/sluis-gateway/sluis/internal/status"
	"github.com/sluis-gateway/sluis/messages"
)

// Topics the handler publishes to; the publisher maps them to exchanges.
const (
	// TopicDead is the parking topic: the publisher must route it to the
	// dead-letter exchange sluis.dead (fanout, any routing key).
	TopicDead = "dead"
	// TopicStatus is the status topic of the pipeline (metadata
	// "routing_key" is the topic key).
	TopicStatus = pipeline.TopicStatus
)

// Headers on a parked message.
const (
	// HeaderParkReason is a Reason code.
	HeaderParkReason = "x-sluis-park-reason"
	// HeaderParkDetail says a little more; never personal data.
	HeaderParkDetail = "x-sluis-park-detail"
	// HeaderParkSource names the queue the message was taken from.
	HeaderParkSource = "x-sluis-park-source"
)

// Reason says why a retour was parked; it is the value of
// HeaderParkReason and of the metric label "reason".
type Reason string

// Park reasons.
const (
	ReasonMalformed        Reason = "malformed"         // not a sluis envelope, or no readable Sender
	ReasonUnknownProvider  Reason = "unknown_provider"  // Sender not in the registry
	ReasonNoCertificate    Reason = "no_certificate"    // provider has no (readable) retour certificate
	ReasonBadSignature     Reason = "bad_signature"     // signature does not verify or breaks the profile
	ReasonUntrusted        Reason = "untrusted"         // signed with a certificate not the provider's
	ReasonSenderMismatch   Reason = "sender_mismatch"   // verified Sender differs from the one looked up
	ReasonInvalid          Reason = "invalid_xsd"       // envelope or Bericht not schema-valid
	ReasonNotRetour        Reason = "not_retour"        // not a 302 / 320 (or envelope type differs from the Bericht)
	ReasonHeaderMismatch   Reason = "header_mismatch"   // Bericht header does not fit the envelope (IV028)
	ReasonUnmatched        Reason = "unmatched"         // no disclosure with this Identificatie
	ReasonProviderMismatch Reason = "provider_mismatch" // the disclosure went to another provider
	ReasonReplyMismatch    Reason = "reply_mismatch"    // InReplyTo is not the disclosure's message id
	ReasonWrongState       Reason = "wrong_state"       // the disclosure is not waiting for a retour
)

// Reasons lists every park reason (for metrics and docs).
var Reasons = []Reason{
	ReasonMalformed, ReasonUnknownProvider, ReasonNoCertificate, ReasonBadSignature,
	ReasonUntrusted, ReasonSenderMismatch, ReasonInvalid, ReasonNotRetour,
	ReasonHeaderMismatch, ReasonUnmatched, ReasonProviderMismatch, ReasonReplyMismatch,
	ReasonWrongState,
}

// Outcomes of a handled retour (metric label "outcome").
const (
	OutcomeAccepted  = "accepted"
	OutcomeRejected  = "rejected"
	OutcomeDuplicate = "duplicate" // the disclosure already has its answer: nothing changed
	OutcomeParked    = "parked"
)

// ErrNotYetDelivered is returned (nack, redelivery) for a retour that answers
// a disclosure whose broker confirm is not recorded yet: the provider was
// quicker than sluis's own bookkeeping.
var ErrNotYetDelivered = errors.New("retour: disclosure not yet recorded as delivered")

// Store is what the handler needs of the receipts store (see
// receipts.Store for the contract; safe for concurrent use).
type Store interface {
	ByIdentificatie(ctx context.Context, municipality, messageType, identificatie string) (receipts.Record, error)
	Move(ctx context.Context, disclosureID string, c receipts.Change) (receipts.Record, error)
	Get(ctx context.Context, disclosureID string) (receipts.Record, error)
	// Append adds a ledger entry (ledger.Appender): used for a verified
	// retour that is parked although it names a disclosure.
	Append(ctx context.Context, disclosureID, event string, detail map[string]string) (ledger.Entry, error)
}

// Certificates returns the certificates a provider signs its retours with.
// Safe for concurrent use. An error wrapping provider.ErrUnknown parks the
// retour as unknown_provider; any other error (provider.ErrNoCertificate,
// an unreadable file) as no_certificate. *provider.Registry implements it.
type Certificates interface {
	RetourCertificates(agb string) ([]*x509.Certificate, error)
}

// Validator validates the envelope and the Bericht against their schemas
// (xsd.Validator). Safe for concurrent use.
type Validator interface {
	ValidateEnvelope(doc []byte) error
	Validate(doc []byte) error
}

// Publisher publishes messages, confirmed by the broker; per message nil, an
// error wrapping pipeline.ErrUnroutable (no queue took it), or another error
// (retryable). It must route TopicDead to sluis.dead and TopicStatus to
// sluis.status with the "routing_key" metadata. Safe for concurrent use.
type Publisher interface {
	PublishContext(ctx context.Context, topic string, msgs ...*message.Message) []error
}

// Config holds the handler's parts. Store, Certificates, Validator,
// Publisher and Metrics are required.
type Config struct {
	Store        Store
	Certificates Certificates
	Validator    Validator
	Publisher    Publisher
	Metrics      *Metrics
	// Source is written in HeaderParkSource; default "sluis.retours".
	Source string
	// Now is the clock; default time.Now.
	Now func() time.Time
	// Logger; default slog.Default(). Only ids, codes and reasons are logged.
	Logger *slog.Logger
}

// Handler handles messages from the retour queue. Build it with New.
type Handler struct {
	store   Store
	certs   Certificates
	val     Validator
	pub     Publisher
	metrics *Metrics
	source  string
	now     func() time.Time
	log     *slog.Logger
}

// New checks the configuration and builds the handler.
func New(c Config) (*Handler, error) {
	var missing []string
	if c.Store == nil {
		missing = append(missing, "Store")
	}
	if c.Certificates == nil {
		missing = append(missing, "Certificates")
	}
	if c.Validator == nil {
		missing = append(missing, "Validator")
	}
	if c.Publisher == nil {
		missing = append(missing, "Publisher")
	}
	if c.Metrics == nil {
		missing = append(missing, "Metrics")
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("retour handler: missing %s", strings.Join(missing, ", "))
	}
	h := &Handler{store: c.Store, certs: c.Certificates, val: c.Validator, pub: c.Publisher,
		metrics: c.Metrics, source: c.Source, now: c.Now, log: c.Logger}
	if h.source == "" {
		h.source = "sluis.retours"
	}
	if h.now == nil {
		h.now = time.Now
	}
	if h.log == nil {
		h.log = slog.Default()
	}
	return h, nil
}

// parkError carries a park reason out of the checks.
type parkError struct {
	reason Reason
	detail string
	// disclosureID and signer are set when a verified retour named a
	// disclosure: the attempt is written to that disclosure's ledger.
	disclosureID string
	signer       string
}

func (e *parkError) Error() string { return string(e.reason) + ": " + e.detail }

func park(r Reason, format string, args ...any) error {
	return &parkError{reason: r, detail: fmt.Sprintf(format, args...)}
}

// parkFor parks a verified retour (signed by signer) that names rec.
func parkFor(rec receipts.Record, signer string, r Reason, format string, args ...any) error {
	return &parkError{reason: r, detail: fmt.Sprintf(format, args...), disclosureID: rec.DisclosureID, signer: signer}
}

// Handle processes one retour message. It returns nil (ack) once the
// outcome is durable: recorded in the store, found to be a duplicate, or
// parked with its reason. It returns an error (nack, redelivery) only when
// something transient failed, including parking itself, so nothing is lost.
func (h *Handler) Handle(msg *message.Message) error {
	ctx := msg.Context()
	outcome, err := h.handle(ctx, msg)
	var pe *parkError
	if errors.As(err, &pe) {
		if pe.disclosureID != "" {
			actx := actor.With(ctx, actor.Actor{Kind: "provider", ID: pe.signer})
			if _, err := h.store.Append(actx, pe.disclosureID, "retour:parked", map[string]string{
				"reason": string(pe.reason), "detail": pe.detail, "retour_message_id": msg.UUID,
			}); err != nil {
				return fmt.Errorf("ledger for parked retour %s: %w", msg.UUID, err)
			}
		}
		if err := h.park(ctx, msg, pe); err != nil {
			return err
		}
		h.metrics.parked.WithLabelValues(string(pe.reason)).Inc()
		h.metrics.retours.WithLabelValues(OutcomeParked).Inc()
		h.log.Warn("retour parked", "message_id", msg.UUID, "reason", pe.reason, "detail", pe.detail)
		return nil
	}
	if err != nil {
		return err
	}
	h.metrics.retours.WithLabelValues(outcome).Inc()
	return nil
}

// handle returns the outcome, a *parkError, or a transient error.
func (h *Handler) handle(ctx context.Context, msg *message.Message) (string, error) {
	// 1. Who claims to have sent it; not trusted, only used to pick the
	// one certificate the signature must verify against.
	claimed, err := peekSender(msg.Payload)
	if err != nil {
		return "", park(ReasonMalformed, "%v", err)
	}
	if !messages.ValidAGB(claimed) {
		return "", park(ReasonUnknownProvider, "envelope Sender is not an AGB code")
	}
	certs, err := h.certs.RetourCertificates(claimed)
	switch {
	case errors.Is(err, provider.ErrUnknown):
		return "", park(ReasonUnknownProvider, "provider %s not in registry", claimed)
	case err != nil:
		return "", park(ReasonNoCertificate, "provider %s has no usable retour certificate", claimed)
	}
	v, err := signing.NewVerifier(certs...)
	if err != nil {
		return "", park(ReasonNoCertificate, "provider %s retour certificate not usable: %v", claimed, err)
	}

	// 2. Verify: from here on only what the signature covers is read.
	opened, err := v.Open(msg.Payload)
	switch {
	case errors.Is(err, signing.ErrUntrusted):
		return "", park(ReasonUntrusted, "provider %s: signer is not the provider's certificate", claimed)
	case errors.Is(err, signing.ErrBadSignature):
		return "", park(ReasonBadSignature, "provider %s: signature does not verify", claimed)
	case err != nil:
		return "", park(ReasonMalformed, "provider %s: %v", claimed, err)
	}
	meta := opened.Meta
	if meta.Sender != claimed {
		return "", park(ReasonSenderMismatch, "provider %s: signed Sender differs", claimed)
	}

	// 3. Schemas.
	if err := h.val.ValidateEnvelope(msg.Payload); err != nil {
		return "", park(ReasonInvalid, "provider %s: envelope not schema-valid", claimed)
	}
	if err := h.val.Validate(opened.Bericht); err != nil {
		return "", park(ReasonInvalid, "provider %s message %s: Bericht not schema-valid", claimed, meta.MessageID)
	}

	// 4. A retour we take: 302 or 320, and the envelope says the same.
	m, err := messages.Parse(opened.Bericht)
	if err != nil {
		return "", park(ReasonInvalid, "provider %s message %s: Bericht not readable", claimed, meta.MessageID)
	}
	kind := m.Kind()
	if kind != "302" && kind != "320" {
		return "", park(ReasonNotRetour, "provider %s message %s: %s is not a 302 or 320",
			claimed, meta.MessageID, messages.MessageType(m.Standard(), kind))
	}
	if mt := messages.MessageType(m.Standard(), kind); meta.MessageType != mt || meta.Standard != string(m.Standard()) {
		return "", park(ReasonNotRetour, "provider %s message %s: envelope type %s, Bericht %s",
			claimed, meta.MessageID, meta.MessageType, mt)
	}
	res, err := messages.ReadRetour(m)
	if err != nil {
		return "", park(ReasonNotRetour, "provider %s message %s: not a retour", claimed, meta.MessageID)
	}

	// 5. The header is the heenbericht's (IV028): gemeente → this provider.
	hd := m.Head()
	if hd.Afzender != meta.Recipient {
		return "", park(ReasonHeaderMismatch, "provider %s message %s: Header/Afzender is not the envelope Recipient",
			claimed, meta.MessageID)
	}
	if hd.Ontvanger != claimed {
		return "", park(ReasonProviderMismatch, "provider %s message %s: Header/Ontvanger is another provider",
			claimed, meta.MessageID)
	}

	// 6. The disclosure it answers.
	heenType := messages.MessageType(m.Standard(), res.AnswersTo)
	rec, err := h.store.ByIdentificatie(ctx, hd.Afzender, heenType, res.Identificatie)
	if errors.Is(err, receipts.ErrNotFound) {
		return "", park(ReasonUnmatched, "provider %s message %s: no %s %s/%s",
			claimed, meta.MessageID, heenType, hd.Afzender, res.Identificatie)
	}
	if err != nil {
		return "", fmt.Errorf("retour %s: find original: %w", meta.MessageID, err)
	}
	if rec.Recipient != claimed {
		return "", parkFor(rec, claimed, ReasonProviderMismatch, "provider %s message %s: disclosure %s went to another provider",
			claimed, meta.MessageID, rec.DisclosureID)
	}
	if meta.InReplyTo != "" && rec.MessageID != "" && meta.InReplyTo != rec.MessageID {
		return "", parkFor(rec, claimed, ReasonReplyMismatch, "provider %s message %s: InReplyTo is not disclosure %s's message",
			claimed, meta.MessageID, rec.DisclosureID)
	}

	// 7. Record.
	ctx = actor.With(ctx, actor.Actor{Kind: "provider", ID: claimed})
	return h.record(ctx, rec, meta, res)
}

// record moves the disclosure to accepted or rejected and announces it.
func (h *Handler) record(ctx context.Context, rec receipts.Record, meta signing.Meta, res messages.RetourResult) (string, error) {
	switch rec.State {
	case receipts.Accepted, receipts.Rejected:
		return h.duplicate(ctx, rec, meta)
	case receipts.Published:
		return "", fmt.Errorf("retour %s for %s: %w", meta.MessageID, rec.DisclosureID, ErrNotYetDelivered)
	case receipts.Delivered, receipts.Overdue:
	default:
		return "", parkFor(rec, meta.Sender, ReasonWrongState, "provider %s message %s: disclosure %s is %s",
			meta.Sender, meta.MessageID, rec.DisclosureID, rec.State)
	}
	c := Change(res, h.now())
	c.Detail["retour_message_id"] = meta.MessageID
	if meta.InReplyTo != "" {
		c.Detail["in_reply_to"] = meta.InReplyTo
	}
	next, err := h.store.Move(ctx, rec.DisclosureID, c)
	if errors.Is(err, receipts.ErrInvalidTransition) {
		// Another instance recorded an answer in the meantime.
		cur, gerr := h.store.Get(ctx, rec.DisclosureID)
		if gerr != nil {
			return "", fmt.Errorf("retour %s: %w", meta.MessageID, gerr)
		}
		if cur.State == receipts.Accepted || cur.State == receipts.Rejected {
			return h.duplicate(ctx, cur, meta)
		}
		return "", parkFor(cur, meta.Sender, ReasonWrongState, "provider %s message %s: disclosure %s is %s",
			meta.Sender, meta.MessageID, cur.DisclosureID, cur.State)
	}
	if err != nil {
		return "", fmt.Errorf("retour %s: record: %w", meta.MessageID, err)
	}
	h.log.Info("retour recorded", "disclosure_id", next.DisclosureID, "state", next.State,
		"message_type", meta.MessageType, "recipient", next.Recipient, "retour_codes", strings.Join(next.RetourCodes, ","))
	if err := Announce(ctx, h.pub, next, h.now()); err != nil {
		return "", err
	}
	return string(next.State), nil
}

// duplicate handles a retour for a disclosure that already has its answer:
// nothing changes, but the status event is sent again (same id), so an
// event lost when the first delivery failed after recording is not lost for
// good. Status events are at-least-once.
func (h *Handler) duplicate(ctx context.Context, rec receipts.Record, meta signing.Meta) (string, error) {
	h.log.Info("retour for a disclosure already answered", "disclosure_id", rec.DisclosureID,
		"state", rec.State, "message_id", meta.MessageID)
	if err := Announce(ctx, h.pub, rec, h.now()); err != nil {
		return "", err
	}
	return OutcomeDuplicate, nil
}

// Change turns a retour's result into the state change it records:
// accepted when the retour accepts the heenbericht, rejected otherwise with
// every code other than 0200 / 0233 (header first, then records in document
// order, each once) as RetourCodes. The ledger detail carries each code's
// meaning, the paths of rejected records (element paths, no values) and
// the retour's own Identificatie.
func Change(res messages.RetourResult, at time.Time) receipts.Change {
	c := receipts.Change{To: receipts.Accepted, At: at, Detail: map[string]string{
		"retour_identificatie": res.IdentificatieRetour,
		"retour_outcome":       string(res.Outcome),
	}}
	if res.Outcome == messages.Accepted {
		return c
	}
	c.To = receipts.Rejected
	seen := map[messages.RetourCode]bool{}
	add := func(cr messages.CodeResult) {
		switch cr.Code {
		case messages.RetourGeenOpmerking, messages.RetourNietBeoordeeld:
			return
		}
		if seen[cr.Code] {
			return
		}
		seen[cr.Code] = true
		c.RetourCodes = append(c.RetourCodes, string(cr.Code))
		meaning := cr.Meaning
		if meaning == "" {
			meaning = "(not in the standard's code list)"
		}
		c.Detail["retour_code_"+string(cr.Code)] = meaning
	}
	for _, cr := range res.HeaderCode {
		add(cr)
	}
	var paths []string
	for _, r := range res.Records {
		if r.Outcome != messages.Rejected {
			continue
		}
		paths = append(paths, r.Path)
		for _, cr := range r.Codes {
			add(cr)
		}
	}
	if len(paths) > 0 {
		c.Detail["rejected_records"] = strings.Join(paths, " ")
	}
	if len(c.RetourCodes) == 0 {
		// Rejected without a code of its own (should not happen): keep the
		// outcome visible.
		c.Reason = "retour " + string(res.Outcome)
	}
	return c
}

// Announce publishes the status event of rec's current state. A status event
// no queue takes (the sender bound none) is not an error: the state is in
// the store and the HTTP API.
func Announce(ctx context.Context, pub Publisher, rec receipts.Record, now time.Time) error {
	ev := status.Of(rec)
	if ev.At.IsZero() {
		ev.At = now
	}
	err := pub.PublishContext(ctx, TopicStatus, pipeline.StatusMessage(ev))[0]
	if err != nil && !errors.Is(err, pipeline.ErrUnroutable) {
		return fmt.Errorf("status event %s %s: %w", rec.DisclosureID, rec.State, err)
	}
	return nil
}

// park publishes the original body to the dead-letter exchange with the
// reason; an error means it is not parked (the caller nacks).
func (h *Handler) park(ctx context.Context, msg *message.Message, pe *parkError) error {
	id := msg.UUID
	if id == "" {
		id = "retour-parked"
	}
	out := message.NewMessage(id, msg.Payload)
	ct := msg.Metadata.Get("content_type")
	if ct == "" {
		ct = "application/xml"
	}
	out.Metadata.Set("content_type", ct)
	out.Metadata.Set(HeaderParkReason, string(pe.reason))
	out.Metadata.Set(HeaderParkDetail, pe.detail)
	out.Metadata.Set(HeaderParkSource, h.source)
	if err := h.pub.PublishContext(ctx, TopicDead, out)[0]; err != nil {
		return fmt.Errorf("park retour %s (%s): %w", msg.UUID, pe.reason, err)
	}
	return nil
}
