// Package inbound takes in the heenberichten care providers send the
// municipality (305 start, 307 stop, 315 request for assignment, 317
// request for change, 323 declaration): each is verified like a retour
// (internal/retour.Verify: the provider's pinned certificate, published by
// its own broker user), validated against the envelope and official
// schemas, and checked against the receiving side's technical rules
// (messages.Check). What passes goes to the registration system that
// receives for the addressed municipality; the provider gets the signed
// technical retour at once (306, 308, 316, 318 with 0200, or the rules'
// retour codes; a rejected 323 gets a header-only 325). 315, 317 and 323
// are then tracked until the registration system answers (deadline.go).
// Whatever cannot be verified or addressed is parked, never forwarded.
// docs/inbound.md is the contract.
package inbound

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/sluis-gateway/sluis/internal/actor"
	"github.com/sluis-gateway/sluis/internal/bus"
	"github.com/sluis-gateway/sluis/internal/calendar"
	"github.com/sluis-gateway/sluis/internal/identity"
	"github.com/sluis-gateway/sluis/internal/retour"
	"github.com/sluis-gateway/sluis/internal/signing"
	"github.com/sluis-gateway/sluis/messages"
)

// Outcomes of a handled inbound message (metric label "outcome").
const (
	OutcomeAccepted  = "accepted"
	OutcomeRejected  = "rejected"
	OutcomeDuplicate = "duplicate_identificatie" // another message already used its Identificatie (TR056)
	OutcomeParked    = "parked"
)

// Park reasons of inbound messages besides retour.Verify's.
const (
	// ReasonNotHeen: not a 305, 307, 315, 317 or 323, or the envelope's
	// type differs from the Bericht's.
	ReasonNotHeen retour.Reason = "not_heenbericht"
	// ReasonNoSystem: no registration system receives for the addressed
	// municipality (receives_for in the systems registry).
	ReasonNoSystem retour.Reason = "no_system"
)

// Reasons lists every reason an inbound message can be parked for.
var Reasons = []retour.Reason{
	retour.ReasonMalformed, retour.ReasonUnknownProvider, retour.ReasonNoCertificate, retour.ReasonBadSignature,
	retour.ReasonUntrusted, retour.ReasonSenderMismatch, retour.ReasonWrongPublisher, retour.ReasonInvalid,
	ReasonNotHeen, retour.ReasonHeaderMismatch, retour.ReasonProviderMismatch, ReasonNoSystem,
}

// Heenberichten are the kinds this package takes, with the answer each
// needs from the municipality and its term in working days.
var Heenberichten = map[string]struct {
	Answer string // "" when none
	Days   int
	Rule   string
}{
	"305": {}, "307": {},
	"315": {Answer: "301 or 319", Days: 5, Rule: "OP274"},
	"317": {Answer: "301 or 319", Days: 5, Rule: "OP346"},
	"323": {Answer: "325", Days: 10, Rule: "OP090x4"},
}

// Certificates is what Verify needs of the provider registry
// (retour.Certificates; *provider.Registry implements it).
type Certificates interface {
	RetourCertificates(agb string) ([]*x509.Certificate, error)
	BrokerUser(agb string) (string, error)
}

// Receivers says which registration system receives for a municipality:
// an error wrapping identity.ErrNoReceiver when none. *identity.Registry
// implements it. Safe for concurrent use.
type Receivers interface {
	Receiver(municipality string) (identity.System, error)
}

// Validator validates the envelope and the Bericht (xsd.Validator).
type Validator interface {
	ValidateEnvelope(doc []byte) error
	Validate(doc []byte) error
}

// Sealer signs with the gateway's key (the technical retours).
type Sealer interface {
	Seal(m signing.Meta, bericht []byte) ([]byte, error)
}

// Publisher publishes, broker-confirmed: bus.TopicInbound to the system's
// queue by bus.Receiver, bus.TopicOutbound to the provider by bus.AGB,
// bus.TopicStatus and bus.TopicDead. Per message nil, an error wrapping
// bus.ErrUnroutable, or another (retryable) error. Safe for concurrent use.
type Publisher interface {
	PublishContext(ctx context.Context, topic string, msgs ...*message.Message) []error
}

// Config holds the handler's parts; all but Source, Now and Logger are
// required.
type Config struct {
	Store        Store
	Certificates Certificates
	Receivers    Receivers
	Validator    Validator
	Sealer       Sealer
	Publisher    Publisher
	Metrics      *Metrics
	// Source is written in the park summaries; default "sluis.inbound".
	Source string
	// Now is the clock; default time.Now.
	Now    func() time.Time
	Logger *slog.Logger
}

// Handler handles messages from the inbound queue. Build it with New.
type Handler struct {
	c Config
}

// New checks the configuration and builds the handler.
func New(c Config) (*Handler, error) {
	var missing []string
	for name, ok := range map[string]bool{
		"Store": c.Store != nil, "Certificates": c.Certificates != nil, "Receivers": c.Receivers != nil,
		"Validator": c.Validator != nil, "Sealer": c.Sealer != nil, "Publisher": c.Publisher != nil, "Metrics": c.Metrics != nil,
	} {
		if !ok {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("inbound handler: missing %s", strings.Join(missing, ", "))
	}
	if c.Source == "" {
		c.Source = "sluis.inbound"
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return &Handler{c: c}, nil
}

// parkError carries a park reason out of the checks.
type parkError struct {
	reason retour.Reason
	detail string
}

func (e *parkError) Error() string { return string(e.reason) + ": " + e.detail }

func park(r retour.Reason, format string, args ...any) error {
	return &parkError{reason: r, detail: fmt.Sprintf(format, args...)}
}

// Handle processes one inbound message. It returns nil (ack) once the
// outcome is durable: recorded, forwarded and answered, or parked. It
// returns an error (nack, redelivery) when something transient failed; a
// redelivered message finds its record and is forwarded and answered again
// with the same message ids (at least once).
func (h *Handler) Handle(msg *message.Message) error {
	ctx := msg.Context()
	_, err := h.handle(ctx, msg)
	var pe *parkError
	if errors.As(err, &pe) {
		if err := retour.Park(ctx, h.c.Publisher, msg, retour.Parked{Kind: "inbound", Reason: pe.reason,
			Detail: pe.detail, Source: h.c.Source, ParkedAt: h.c.Now().UTC()}); err != nil {
			return err
		}
		h.c.Metrics.parked.WithLabelValues(string(pe.reason)).Inc()
		h.c.Metrics.messages.WithLabelValues("unknown", OutcomeParked).Inc()
		h.c.Logger.Warn("inbound message parked", "message_id", msg.UUID, "reason", pe.reason, "detail", pe.detail)
		return nil
	}
	return err
}

// handle returns the outcome, a *parkError, or a transient error.
func (h *Handler) handle(ctx context.Context, msg *message.Message) (string, error) {
	v, err := retour.Verify(h.c.Certificates, msg)
	var rf *retour.Refusal
	if errors.As(err, &rf) {
		return "", park(rf.Reason, "%s", rf.Detail)
	}
	if err != nil {
		return "", err
	}
	provider, meta := v.Provider, v.Opened.Meta
	if err := h.c.Validator.ValidateEnvelope(msg.Payload); err != nil {
		return "", park(retour.ReasonInvalid, "provider %s: envelope not schema-valid", provider)
	}
	// Controleniveau 1: a Bericht the XSD refuses gets no retour (IV028).
	if err := h.c.Validator.Validate(v.Opened.Bericht); err != nil {
		return "", park(retour.ReasonInvalid, "provider %s message %s: Bericht not schema-valid", provider, meta.MessageID)
	}
	m, err := messages.Parse(v.Opened.Bericht)
	if err != nil {
		return "", park(retour.ReasonInvalid, "provider %s message %s: Bericht not readable", provider, meta.MessageID)
	}
	kind := m.Kind()
	mt := messages.MessageType(m.Standard(), kind)
	if _, ok := Heenberichten[kind]; !ok {
		return "", park(ReasonNotHeen, "provider %s message %s: %s is not a 305, 307, 315, 317 or 323", provider, meta.MessageID, mt)
	}
	if meta.MessageType != mt || meta.Standard != string(m.Standard()) {
		return "", park(ReasonNotHeen, "provider %s message %s: envelope type %s, Bericht %s", provider, meta.MessageID, meta.MessageType, mt)
	}
	hd := m.Head()
	if hd.Afzender != provider {
		return "", park(retour.ReasonProviderMismatch, "provider %s message %s: Header/Afzender is another provider", provider, meta.MessageID)
	}
	if hd.Ontvanger != meta.Recipient {
		return "", park(retour.ReasonHeaderMismatch, "provider %s message %s: Header/Ontvanger is not the envelope Recipient", provider, meta.MessageID)
	}
	sys, err := h.c.Receivers.Receiver(hd.Ontvanger)
	if err != nil {
		return "", park(ReasonNoSystem, "provider %s message %s: no registration system receives for %s", provider, meta.MessageID, hd.Ontvanger)
	}

	now := h.c.Now()
	ctx = actor.With(ctx, actor.Actor{Kind: "provider", ID: provider})
	codes, rules := Assess(m, calendar.DateOf(now))
	rec := Record{
		ID: "in-" + watermill.NewUUID(), Provider: provider, Municipality: hd.Ontvanger, System: sys.ID,
		Standard: string(m.Standard()), MessageType: mt, Identificatie: hd.BerichtIdentificatie.Identificatie,
		MessageID: meta.MessageID, State: Accepted, RetourCodes: codeStrings(codes), Rules: rules, ReceivedAt: now,
	}
	if len(rules) > 0 {
		rec.State = Rejected
	} else if t := Heenberichten[kind]; t.Days > 0 {
		rec.Due = calendar.AddWorkingDays(now, t.Days)
	}
	stored, created, err := h.c.Store.RecordInbound(ctx, rec)
	if err != nil {
		return "", fmt.Errorf("inbound %s: record: %w", meta.MessageID, err)
	}
	if !created && stored.MessageID != meta.MessageID {
		// TR056: the provider used this Identificatie before, for another
		// message. Answered with 9056; nothing recorded or forwarded.
		dup := Record{ID: "dup-" + shortID(meta.MessageID), Provider: provider, Municipality: hd.Ontvanger, System: sys.ID,
			Standard: rec.Standard, MessageType: mt, Identificatie: rec.Identificatie, MessageID: meta.MessageID,
			State: Rejected, RetourCodes: []string{"9056"}, Rules: []string{"TR056"}, ReceivedAt: now}
		if err := h.answer(ctx, m, dup, meta); err != nil {
			return "", err
		}
		h.c.Metrics.messages.WithLabelValues(mt, OutcomeDuplicate).Inc()
		h.c.Logger.Warn("inbound message reuses an Identificatie", "message_id", meta.MessageID,
			"provider", provider, "message_type", mt, "inbound_id", stored.ID)
		return OutcomeDuplicate, nil
	}
	rec = stored
	if rec.State != Rejected {
		if err := h.forward(ctx, rec, v.Opened.Bericht); err != nil {
			return "", err
		}
	}
	if err := h.announce(ctx, rec, string(rec.State)); err != nil {
		return "", err
	}
	// An accepted 323 has no technical retour: its answer is the
	// registration system's 325.
	if kind != "323" || rec.State == Rejected {
		if err := h.answer(ctx, m, rec, meta); err != nil {
			return "", err
		}
	}
	outcome := OutcomeAccepted
	if rec.State == Rejected {
		outcome = OutcomeRejected
	}
	if created {
		h.c.Metrics.messages.WithLabelValues(mt, outcome).Inc()
	}
	h.c.Logger.Info("inbound message handled", "inbound_id", rec.ID, "message_type", mt, "provider", provider,
		"municipality", rec.Municipality, "system", rec.System, "state", rec.State,
		"retour_codes", strings.Join(rec.RetourCodes, ","), "rules", strings.Join(rec.Rules, ","))
	return outcome, nil
}

// Headers of a message forwarded to a registration system.
const (
	HeaderInboundID     = "x-sluis-inbound-id"
	HeaderProvider      = "x-sluis-provider"
	HeaderMunicipality  = "x-sluis-municipality"
	HeaderIdentificatie = "x-sluis-identificatie"
	HeaderAnswerDue     = "x-sluis-answer-due"
)

// forward hands the Bericht to the receiving system's queue, confirmed.
func (h *Handler) forward(ctx context.Context, rec Record, bericht []byte) error {
	out := message.NewMessage(rec.ID, bericht)
	bus.Receiver.Set(out, rec.System)
	bus.ContentType.Set(out, "application/xml")
	bus.MessageType.Set(out, rec.MessageType)
	out.Metadata.Set(HeaderInboundID, rec.ID)
	out.Metadata.Set(HeaderProvider, rec.Provider)
	out.Metadata.Set(HeaderMunicipality, rec.Municipality)
	out.Metadata.Set(HeaderIdentificatie, rec.Identificatie)
	if !rec.Due.IsZero() {
		out.Metadata.Set(HeaderAnswerDue, rec.Due.UTC().Format(time.RFC3339))
	}
	if err := h.c.Publisher.PublishContext(ctx, bus.TopicInbound, out)[0]; err != nil {
		return fmt.Errorf("inbound %s: forward to %s: %w", rec.ID, rec.System, err)
	}
	return nil
}

// announce sends the status event of rec's state to its system.
func (h *Handler) announce(ctx context.Context, rec Record, state string) error {
	ev := Event(rec, state, h.c.Now())
	if _, err := bus.Publish(ctx, h.c.Publisher, ev); err != nil {
		return fmt.Errorf("inbound %s: status event %s: %w", rec.ID, state, err)
	}
	return nil
}

// Event is the status event of an inbound message: state
// "inbound_<state>", topic key "<municipality>.<system>.inbound_<state>".
func Event(rec Record, state string, now time.Time) bus.Event {
	at := now
	switch State(state) {
	case Accepted, Rejected:
		at = rec.ReceivedAt
	case Answered:
		at = rec.AnsweredAt
	case Overdue:
		at = rec.OverdueAt
	}
	ev := bus.Event{
		InboundID: rec.ID, State: "inbound_" + state, At: at, Municipality: rec.Municipality, System: rec.System,
		Provider: rec.Provider, MessageType: rec.MessageType, Identificatie: rec.Identificatie, MessageID: rec.MessageID,
		RetourCodes: rec.RetourCodes, ReasonCodes: rec.Rules, AnsweredBy: rec.AnsweredBy,
	}
	if !rec.Due.IsZero() {
		ev.Due = rec.Due.UTC()
	}
	return ev
}

// answer signs the technical retour and publishes it to the provider.
func (h *Handler) answer(ctx context.Context, heen messages.Message, rec Record, meta signing.Meta) error {
	codes := make([]messages.RetourCode, len(rec.RetourCodes))
	for i, c := range rec.RetourCodes {
		codes[i] = messages.RetourCode(c)
	}
	today := calendar.DateOf(h.c.Now())
	ret, err := TechnicalRetour(heen, codes, shortID(rec.ID), today)
	if err != nil {
		return fmt.Errorf("inbound %s: retour: %w", rec.ID, err)
	}
	doc, err := messages.Build(ret, messages.BuildOptions{Today: today})
	if err != nil {
		return fmt.Errorf("inbound %s: build retour: %w", rec.ID, err)
	}
	if err := h.c.Validator.Validate(doc); err != nil {
		return fmt.Errorf("inbound %s: retour fails the XSD: %w", rec.ID, err)
	}
	rt := messages.MessageType(ret.Standard(), ret.Kind())
	id := "retour-" + rec.ID
	signed, err := h.c.Sealer.Seal(signing.Meta{
		MessageID: id, InReplyTo: meta.MessageID, Standard: rec.Standard, MessageType: rt,
		Sender: rec.Municipality, Recipient: rec.Provider, Created: h.c.Now(),
	}, doc)
	if err != nil {
		return fmt.Errorf("inbound %s: seal retour: %w", rec.ID, err)
	}
	out := message.NewMessage(id, signed)
	bus.AGB.Set(out, rec.Provider)
	bus.ContentType.Set(out, "application/xml")
	bus.MessageType.Set(out, rt)
	out.Metadata.Set(HeaderInboundID, rec.ID)
	if err := h.c.Publisher.PublishContext(ctx, bus.TopicOutbound, out)[0]; err != nil {
		return fmt.Errorf("inbound %s: publish %s to %s: %w", rec.ID, rt, rec.Provider, err)
	}
	h.c.Metrics.retours.WithLabelValues(rt).Inc()
	return nil
}

func codeStrings(cs []messages.RetourCode) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = string(c)
	}
	return out
}
