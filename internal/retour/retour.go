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
	"crypto/rand"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/sluis-gateway/sluis/internal/actor"
	"github.com/sluis-gateway/sluis/internal/bus"
	"github.com/sluis-gateway/sluis/internal/ledger"
	"github.com/sluis-gateway/sluis/internal/provider"
	"github.com/sluis-gateway/sluis/internal/receipts"
	"github.com/sluis-gateway/sluis/internal/signing"
	"github.com/sluis-gateway/sluis/messages"
)

// Outcomes of a handled retour (metric label "outcome").
const (
	OutcomeAccepted  = "accepted"
	OutcomeRejected  = "rejected"
	OutcomeDuplicate = "duplicate" // the disclosure already has its answer: nothing changed
	OutcomeParked    = "parked"
)

// CreatedSkew is the clock difference allowed between sluis and a provider
// when the signed Created of a retour is checked: it must lie between the
// moment the disclosure was published (minus CreatedSkew) and now (plus
// CreatedSkew).
const CreatedSkew = 5 * time.Minute

// sentAt is when the disclosure's message left: published (else
// delivered), and whether it is known.
func sentAt(rec receipts.Record) (time.Time, bool) {
	if t, ok := rec.At[receipts.Published]; ok {
		return t, true
	}
	t, ok := rec.At[receipts.Delivered]
	return t, ok
}

// ErrNotYetDelivered is returned (nack, redelivery) for a retour that answers
// a disclosure whose broker confirm is not recorded yet: the provider was
// quicker than sluis's own bookkeeping.
var ErrNotYetDelivered = errors.New("retour: disclosure not yet recorded as delivered")

// Store is what the handler needs of the receipts store (see
// receipts.Store for the contract; safe for concurrent use).
type Store interface {
	// Claimer: the retour is recorded under the disclosure's claim, so
	// its event never overtakes the intake pass's events (receipts.Claimer).
	receipts.Claimer
	ByIdentificatie(ctx context.Context, municipality, messageType, identificatie string) (receipts.Record, error)
	Move(ctx context.Context, disclosureID string, c receipts.Change) (receipts.Record, error)
	Get(ctx context.Context, disclosureID string) (receipts.Record, error)
	// Append adds a ledger entry (ledger.Appender): used for a verified
	// retour that is parked although it names a disclosure.
	Append(ctx context.Context, disclosureID, event string, detail map[string]string) (ledger.Entry, error)
}

// Certificates returns the certificates a provider signs its retours with,
// and the broker user it publishes them with. Safe for concurrent use. An
// error wrapping provider.ErrUnknown parks the retour as unknown_provider;
// any other error (provider.ErrNoCertificate, an unreadable file) as
// no_certificate. *provider.Registry implements it.
type Certificates interface {
	RetourCertificates(agb string) ([]*x509.Certificate, error)
	BrokerUser(agb string) (string, error)
}

// Validator validates the envelope and the Bericht against their schemas
// (xsd.Validator). Safe for concurrent use.
type Validator interface {
	ValidateEnvelope(doc []byte) error
	Validate(doc []byte) error
}

// Publisher publishes messages, confirmed by the broker; per message nil, an
// error wrapping bus.ErrUnroutable (no queue took it), or another error
// (retryable). It must route bus.TopicDead to sluis.dead and
// bus.TopicStatus to sluis.status by the bus.RoutingKey metadata. Safe for
// concurrent use.
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
	// Observer, when set, hears of every retour before it is parked (the
	// breach register's signals); its error nacks the retour, so it is
	// heard again on redelivery.
	Observer Observer
}

// Observer hears of parked retours.
type Observer interface {
	RetourParked(ctx context.Context, p ParkedRetour) error
}

// ParkedRetour is what an Observer hears: ids and the reason, never content.
type ParkedRetour struct {
	Reason    Reason
	MessageID string
	// DisclosureID and Signer are set when a verified retour named a
	// disclosure (Signer is the AGB code whose certificate verified it).
	DisclosureID string
	Signer       string
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
	obs     Observer
	owner   string        // this handler's claim owner prefix
	claims  atomic.Uint64 // numbers each claim of this handler
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
		metrics: c.Metrics, source: c.Source, now: c.Now, log: c.Logger, obs: c.Observer}
	if h.source == "" {
		h.source = "sluis.retours"
	}
	if h.now == nil {
		h.now = time.Now
	}
	if h.log == nil {
		h.log = slog.Default()
	}
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		return nil, fmt.Errorf("retour handler: claim owner id: %w", err)
	}
	h.owner = "retour-" + hex.EncodeToString(b)
	return h, nil
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
		if h.obs != nil {
			if err := h.obs.RetourParked(ctx, ParkedRetour{Reason: pe.reason, MessageID: msg.UUID,
				DisclosureID: pe.disclosureID, Signer: pe.signer}); err != nil {
				return fmt.Errorf("observer of parked retour %s: %w", msg.UUID, err)
			}
		}
		if err := h.park(ctx, msg, pe); err != nil {
			return err
		}
		h.metrics.parked.WithLabelValues(string(pe.reason)).Inc()
		h.metrics.retours.WithLabelValues(OutcomeParked).Inc()
		args := []any{"message_id", msg.UUID, "reason", pe.reason, "detail", pe.detail}
		if pe.disclosureID != "" {
			args = append(args, "disclosure_id", pe.disclosureID)
		}
		h.log.Warn("retour parked", args...)
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
	// 1-2. Verified against the claimed provider's certificate, published
	// by its broker user.
	verified, err := Verify(h.certs, msg)
	var rf *Refusal
	if errors.As(err, &rf) {
		return "", park(rf.Reason, "%s", rf.Detail)
	}
	if err != nil {
		return "", err
	}
	claimed, opened := verified.Provider, verified.Opened
	meta := opened.Meta

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

	// 7. A retour is made after the message it answers and not in the
	// future: a replay of an old one, or a forged date, is parked.
	if sent, ok := sentAt(rec); ok && (meta.Created.Before(sent.Add(-CreatedSkew)) || meta.Created.After(h.now().Add(CreatedSkew))) {
		return "", parkFor(rec, claimed, ReasonCreatedWindow, "provider %s message %s: Created %s is outside %s .. now (±%s)",
			claimed, meta.MessageID, meta.Created.UTC().Format(time.RFC3339), sent.UTC().Format(time.RFC3339), CreatedSkew)
	}

	// 8. Record.
	ctx = actor.With(ctx, actor.Actor{Kind: "provider", ID: claimed})
	return h.record(ctx, rec, meta, res)
}

// Refusal is why Verify would not take a message: a park reason and a
// detail without personal data.
type Refusal struct {
	Reason Reason
	Detail string
}

func (r *Refusal) Error() string { return string(r.Reason) + ": " + r.Detail }

func refuse(r Reason, format string, args ...any) error {
	return &Refusal{Reason: r, Detail: fmt.Sprintf(format, args...)}
}

// Verified is a provider's signed envelope that passed Verify.
type Verified struct {
	// Provider is the AGB code of the signer, who also published it.
	Provider string
	Opened   signing.Opened
}

// Verify checks a provider's signed envelope as every message from a
// provider is checked (retours here, heenberichten in internal/inbound):
// the envelope's Sender, read without trusting it, picks the one provider
// whose retour certificate the signature must verify against; the signed
// Sender must be that provider; and the broker-validated publisher must be
// that provider's broker user, so no one hands in another's signed
// message. Every failure is a *Refusal with its park reason.
func Verify(certs Certificates, msg *message.Message) (Verified, error) {
	claimed, err := peekSender(msg.Payload)
	if err != nil {
		return Verified{}, refuse(ReasonMalformed, "%v", err)
	}
	if !messages.ValidAGB(claimed) {
		return Verified{}, refuse(ReasonUnknownProvider, "envelope Sender is not an AGB code")
	}
	cs, err := certs.RetourCertificates(claimed)
	switch {
	case errors.Is(err, provider.ErrUnknown):
		return Verified{}, refuse(ReasonUnknownProvider, "provider %s not in registry", claimed)
	case err != nil:
		return Verified{}, refuse(ReasonNoCertificate, "provider %s has no usable retour certificate", claimed)
	}
	v, err := signing.NewVerifier(cs...)
	if err != nil {
		return Verified{}, refuse(ReasonNoCertificate, "provider %s retour certificate not usable: %v", claimed, err)
	}
	// From here on only what the signature covers is read.
	opened, err := v.Open(msg.Payload)
	switch {
	case errors.Is(err, signing.ErrUntrusted):
		return Verified{}, refuse(ReasonUntrusted, "provider %s: signer is not the provider's certificate", claimed)
	case errors.Is(err, signing.ErrBadSignature):
		return Verified{}, refuse(ReasonBadSignature, "provider %s: signature does not verify", claimed)
	case err != nil:
		return Verified{}, refuse(ReasonMalformed, "provider %s: %v", claimed, err)
	}
	if opened.Meta.Sender != claimed {
		return Verified{}, refuse(ReasonSenderMismatch, "provider %s: signed Sender differs", claimed)
	}
	if want, err := certs.BrokerUser(claimed); err != nil || want == "" || bus.UserID.Get(msg) != want {
		return Verified{}, refuse(ReasonWrongPublisher, "provider %s: published by broker user %q, not the provider's",
			claimed, bus.UserID.Get(msg))
	}
	return Verified{Provider: claimed, Opened: opened}, nil
}
