package retour

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/sluis-gateway/sluis/internal/bus"
	"github.com/sluis-gateway/sluis/internal/receipts"
)

// Headers on a parked message.
const (
	// HeaderParkReason is a Reason code.
	HeaderParkReason = "x-sluis-park-reason"
	// HeaderParkDetail says a little more; never personal data.
	HeaderParkDetail = "x-sluis-park-detail"
	// HeaderParkSource names the queue the message was taken from.
	HeaderParkSource = "x-sluis-park-source"
	// HeaderParkSHA256 is the lower-case hex SHA-256 of the parked
	// message's body, which is not kept.
	HeaderParkSHA256 = "x-sluis-park-sha256"
	// HeaderParkSize is the parked message's body size in bytes (decimal).
	HeaderParkSize = "x-sluis-park-size"
)

// ParkContentType is the content type of what park publishes: a Parked
// summary, never the retour itself.
const ParkContentType = "application/json"

// Parked is the body park publishes to the dead-letter exchange in place of
// the retour (documented in docs/receipts.md): ids, the reason, the size
// and a hash of the body, never its content.
type Parked struct {
	// Kind is "retour" (internal/retour) or "inbound" (internal/inbound).
	Kind string `json:"kind"`
	// MessageID is the parked message's AMQP message id (or
	// "retour-parked" when it had none).
	MessageID string `json:"message_id"`
	Reason    Reason `json:"reason"`
	Detail    string `json:"detail"`
	Source    string `json:"source"`
	// DisclosureID is set when a verified retour named a disclosure.
	DisclosureID string `json:"disclosure_id,omitempty"`
	// ContentType is the parked message's content type.
	ContentType string `json:"content_type"`
	// Size is the body's length in bytes, SHA256 its lower-case hex SHA-256.
	Size     int       `json:"size"`
	SHA256   string    `json:"sha256"`
	ParkedAt time.Time `json:"parked_at"`
}

// Reason says why a retour was parked; it is the value of
// HeaderParkReason and of the metric label "reason".
type Reason string

// Park reasons.
const (
	ReasonMalformed        Reason = "malformed"             // not a sluis envelope, or no readable Sender
	ReasonUnknownProvider  Reason = "unknown_provider"      // Sender not in the registry
	ReasonNoCertificate    Reason = "no_certificate"        // provider has no (readable) retour certificate
	ReasonBadSignature     Reason = "bad_signature"         // signature does not verify or breaks the profile
	ReasonUntrusted        Reason = "untrusted"             // signed with a certificate not the provider's
	ReasonSenderMismatch   Reason = "sender_mismatch"       // verified Sender differs from the one looked up
	ReasonInvalid          Reason = "invalid_xsd"           // envelope or Bericht not schema-valid
	ReasonNotRetour        Reason = "not_retour"            // not a 302 / 320 (or envelope type differs from the Bericht)
	ReasonHeaderMismatch   Reason = "header_mismatch"       // Bericht header does not fit the envelope (IV028)
	ReasonUnmatched        Reason = "unmatched"             // no disclosure with this Identificatie
	ReasonProviderMismatch Reason = "provider_mismatch"     // the disclosure went to another provider
	ReasonReplyMismatch    Reason = "reply_mismatch"        // InReplyTo is not the disclosure's message id
	ReasonWrongState       Reason = "wrong_state"           // the disclosure is not waiting for a retour
	ReasonWrongPublisher   Reason = "wrong_publisher"       // published by a broker user that is not the signing provider's
	ReasonCreatedWindow    Reason = "created_out_of_window" // signed Created before the disclosure was sent or in the future (CreatedSkew)
)

// Reasons lists every park reason (for metrics and docs).
var Reasons = []Reason{
	ReasonMalformed, ReasonUnknownProvider, ReasonNoCertificate, ReasonBadSignature,
	ReasonUntrusted, ReasonSenderMismatch, ReasonInvalid, ReasonNotRetour,
	ReasonHeaderMismatch, ReasonUnmatched, ReasonProviderMismatch, ReasonReplyMismatch,
	ReasonWrongState, ReasonWrongPublisher, ReasonCreatedWindow,
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

// park publishes a Parked summary of the retour (never its body) to the
// dead-letter exchange with the reason; an error means it is not parked
// (the caller nacks).
func (h *Handler) park(ctx context.Context, msg *message.Message, pe *parkError) error {
	return Park(ctx, h.pub, msg, Parked{Kind: "retour", Reason: pe.reason, Detail: pe.detail, Source: h.source,
		DisclosureID: pe.disclosureID, ParkedAt: h.now().UTC()})
}

// Park publishes p, completed from msg (its id, content type, size and
// SHA-256; never its body), to the dead-letter exchange with the park
// headers. An error means it is not parked: the caller nacks.
func Park(ctx context.Context, pub Publisher, msg *message.Message, p Parked) error {
	id := msg.UUID
	if id == "" {
		id = p.Kind + "-parked"
	}
	ct := bus.ContentType.Get(msg)
	if ct == "" {
		ct = "application/xml"
	}
	sum := sha256.Sum256(msg.Payload)
	p.MessageID, p.ContentType, p.Size, p.SHA256 = id, ct, len(msg.Payload), hex.EncodeToString(sum[:])
	body, err := json.Marshal(p)
	if err != nil {
		return fmt.Errorf("park %s %s: %w", p.Kind, msg.UUID, err)
	}
	out := message.NewMessage(id, body)
	bus.ContentType.Set(out, ParkContentType)
	out.Metadata.Set(HeaderParkReason, string(p.Reason))
	out.Metadata.Set(HeaderParkDetail, p.Detail)
	out.Metadata.Set(HeaderParkSource, p.Source)
	out.Metadata.Set(HeaderParkSHA256, p.SHA256)
	out.Metadata.Set(HeaderParkSize, strconv.Itoa(p.Size))
	if err := pub.PublishContext(ctx, bus.TopicDead, out)[0]; err != nil {
		return fmt.Errorf("park %s %s (%s): %w", p.Kind, msg.UUID, p.Reason, err)
	}
	return nil
}
