package retour

import (
	"context"
	"fmt"

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
	ReasonWrongPublisher   Reason = "wrong_publisher"   // published by a broker user that is not the signing provider's
)

// Reasons lists every park reason (for metrics and docs).
var Reasons = []Reason{
	ReasonMalformed, ReasonUnknownProvider, ReasonNoCertificate, ReasonBadSignature,
	ReasonUntrusted, ReasonSenderMismatch, ReasonInvalid, ReasonNotRetour,
	ReasonHeaderMismatch, ReasonUnmatched, ReasonProviderMismatch, ReasonReplyMismatch,
	ReasonWrongState, ReasonWrongPublisher,
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

// park publishes the original body to the dead-letter exchange with the
// reason; an error means it is not parked (the caller nacks).
func (h *Handler) park(ctx context.Context, msg *message.Message, pe *parkError) error {
	id := msg.UUID
	if id == "" {
		id = "retour-parked"
	}
	out := message.NewMessage(id, msg.Payload)
	ct := bus.ContentType.Get(msg)
	if ct == "" {
		ct = "application/xml"
	}
	bus.ContentType.Set(out, ct)
	out.Metadata.Set(HeaderParkReason, string(pe.reason))
	out.Metadata.Set(HeaderParkDetail, pe.detail)
	out.Metadata.Set(HeaderParkSource, h.source)
	if err := h.pub.PublishContext(ctx, bus.TopicDead, out)[0]; err != nil {
		return fmt.Errorf("park retour %s (%s): %w", msg.UUID, pe.reason, err)
	}
	return nil
}
