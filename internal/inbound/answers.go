package inbound

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/sluis-gateway/sluis/internal/bus"
	"github.com/sluis-gateway/sluis/internal/disclosure"
	"github.com/sluis-gateway/sluis/internal/receipts"
)

// Reason codes of a disclosure refused for its in_reply_to
// (docs/inbound.md).
const (
	// ReasonInReplyToUnknown: no inbound message with this id was sent to
	// the request's municipality and system (another's is not told apart
	// from none).
	ReasonInReplyToUnknown = "in_reply_to_unknown"
	// ReasonInReplyToProvider: the inbound message came from another
	// provider than recipient.agb.
	ReasonInReplyToProvider = "in_reply_to_provider"
	// ReasonInReplyToType: this message type does not answer that one (301
	// and 319 answer a 315 or 317, 325 a 323), or the standards differ.
	ReasonInReplyToType = "in_reply_to_type"
	// ReasonInReplyToRejected: the inbound message was rejected by the
	// technical rules; it needs no answer.
	ReasonInReplyToRejected = "in_reply_to_rejected"
	// ReasonInReplyToIdentificatie: a 325's declaration.identificatie is
	// not the Identificatie of the 323 it names.
	ReasonInReplyToIdentificatie = "in_reply_to_identificatie"
)

// answerable lists, per answer type, the inbound kinds it answers.
var answerable = map[string][]string{"301": {"315", "317"}, "319": {"315", "317"}, "325": {"323"}}

// Answers checks a disclosure's in_reply_to against the inbound messages
// and, once the answer is delivered, moves the inbound message to answered
// (status event inbound_answered, metric sluis_inbound_answered_total). It
// implements pipeline.Answers.
type Answers struct {
	store   Store
	pub     bus.Publisher
	metrics *Metrics
	log     *slog.Logger
}

// NewAnswers checks its parts.
func NewAnswers(s Store, pub bus.Publisher, m *Metrics, log *slog.Logger) (*Answers, error) {
	if s == nil || pub == nil || m == nil {
		return nil, errors.New("inbound answers: Store, Publisher and Metrics are required")
	}
	if log == nil {
		log = slog.Default()
	}
	return &Answers{store: s, pub: pub, metrics: m, log: log}, nil
}

// Check implements pipeline.Answers: the inbound message must exist, be
// addressed to the request's municipality and received by its system
// (scoped: another's is "unknown"), come from the recipient, be of the
// same standard and a kind this message type answers, and not be
// rejected.
func (a *Answers) Check(ctx context.Context, req disclosure.Request) (string, string, error) {
	if req.InReplyTo == "" {
		return "", "", nil
	}
	rec, err := a.store.GetInbound(ctx, req.InReplyTo)
	if errors.Is(err, ErrNotFound) || (err == nil && (rec.Municipality != req.Sender.Municipality || rec.System != req.Sender.System)) {
		return ReasonInReplyToUnknown, "in_reply_to names no inbound message of this municipality and system", nil
	}
	if err != nil {
		return "", "", err
	}
	kind := rec.MessageType[strings.IndexAny(rec.MessageType, "0123456789"):]
	switch {
	case rec.Provider != req.Recipient.AGB:
		return ReasonInReplyToProvider, "the inbound message named by in_reply_to came from another provider", nil
	case rec.Standard != req.Standard || !contains(answerable[req.MessageType], kind):
		return ReasonInReplyToType, fmt.Sprintf("a %s %s does not answer a %s", req.Standard, req.MessageType, rec.MessageType), nil
	case rec.State == Rejected:
		return ReasonInReplyToRejected, "the inbound message named by in_reply_to was rejected and needs no answer", nil
	case req.Declaration != nil && req.Declaration.Identificatie != rec.Identificatie:
		return ReasonInReplyToIdentificatie, "declaration.identificatie is not the Identificatie of the 323 named by in_reply_to", nil
	}
	return "", "", nil
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// Delivered implements pipeline.Answers: the first delivered answer moves
// the inbound message to answered; a later one (a 301 after a 319 "in
// onderzoek", or a redelivery) changes nothing.
func (a *Answers) Delivered(ctx context.Context, req disclosure.Request, rec receipts.Record) error {
	at := rec.At[receipts.Delivered]
	next, err := a.store.MoveInbound(ctx, req.InReplyTo, Change{To: Answered, At: at, AnsweredBy: rec.DisclosureID,
		Detail: map[string]string{"answer_message_type": rec.MessageType, "answer_identificatie": rec.Identificatie}})
	if errors.Is(err, ErrInvalidTransition) {
		return nil
	}
	if err != nil {
		return err
	}
	late := "false"
	if !next.OverdueAt.IsZero() {
		late = "true"
	}
	a.metrics.answered.WithLabelValues(next.MessageType, late).Inc()
	a.log.Info("inbound message answered", "inbound_id", next.ID, "message_type", next.MessageType,
		"disclosure_id", rec.DisclosureID, "answer_type", rec.MessageType, "late", late)
	if _, err := bus.Publish(ctx, a.pub, Event(next, string(Answered), at)); err != nil {
		return fmt.Errorf("inbound %s: status event answered: %w", next.ID, err)
	}
	return nil
}
