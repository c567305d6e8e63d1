package retour

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/sluis-gateway/sluis/internal/bus"
	"github.com/sluis-gateway/sluis/internal/receipts"
	"github.com/sluis-gateway/sluis/internal/signing"
	"github.com/sluis-gateway/sluis/messages"
)

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
	// Under the disclosure's claim: an intake pass still announcing its
	// delivery goes first (the retour is redelivered).
	owner := fmt.Sprintf("%s-%d", h.owner, h.claims.Add(1))
	if _, err := h.store.Claim(ctx, rec.DisclosureID, owner, h.now().Add(time.Minute)); err != nil {
		return "", fmt.Errorf("retour %s for %s: %w", meta.MessageID, rec.DisclosureID, err)
	}
	announced := rec.Announced
	defer func() {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		if err := h.store.Release(rctx, rec.DisclosureID, owner, announced); err != nil {
			h.log.Warn("release claim", "disclosure_id", rec.DisclosureID, "err", err)
		}
	}()
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
	h.metrics.answered(next)
	h.log.Info("retour recorded", "disclosure_id", next.DisclosureID, "state", next.State,
		"message_type", meta.MessageType, "recipient", next.Recipient, "retour_codes", strings.Join(next.RetourCodes, ","))
	if err := bus.Announce(ctx, h.pub, next, h.now()); err != nil {
		return "", err
	}
	announced = next.Sequence
	return string(next.State), nil
}

// duplicate handles a retour for a disclosure that already has its answer
// (a replay, or a redelivery): nothing changes, and nothing is announced,
// unless the answer's status event was never confirmed (a failure after
// recording it): then it is announced now, once.
func (h *Handler) duplicate(ctx context.Context, rec receipts.Record, meta signing.Meta) (string, error) {
	h.log.Info("retour for a disclosure already answered", "disclosure_id", rec.DisclosureID,
		"state", rec.State, "message_id", meta.MessageID)
	if rec.Sequence <= rec.Announced {
		return OutcomeDuplicate, nil
	}
	if err := bus.Announce(ctx, h.pub, rec, h.now()); err != nil {
		return "", err
	}
	if err := h.store.MarkAnnounced(ctx, rec.DisclosureID, rec.Sequence); err != nil {
		return "", fmt.Errorf("retour %s: %w", meta.MessageID, err)
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
