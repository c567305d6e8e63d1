package pipeline

import (
	"errors"
	"fmt"

	"github.com/sluis-gateway/sluis/internal/disclosure"
	"github.com/sluis-gateway/sluis/internal/receipts"
	"github.com/sluis-gateway/sluis/internal/signing"
)

// permanentError marks a failure that retrying cannot mend.
type permanentError struct{ msg string }

func (e *permanentError) Error() string { return e.msg }

// build composes, validates and seals. The result is the same bytes every
// time for the same record (the Bericht's dates come from the record, and
// RSA PKCS#1 v1.5 signatures are deterministic), so a republish after a crash
// carries the same message.
func (p *Pipeline) build(req disclosure.Request, rec receipts.Record) ([]byte, error) {
	t0 := p.now()
	bericht, err := p.compose.Compose(req, rec)
	if err != nil {
		return nil, &permanentError{reasonStandard + err.Error()}
	}
	t1 := p.now()
	p.metrics.stage("compose", t0, t1)
	if err := p.validate.Validate(bericht); err != nil {
		return nil, &permanentError{reasonSchema + err.Error()}
	}
	t2 := p.now()
	p.metrics.stage("validate", t1, t2)
	signed, err := p.seal.Seal(signing.Meta{
		MessageID:   rec.MessageID,
		Standard:    rec.Standard,
		MessageType: rec.MessageType,
		Sender:      rec.Municipality,
		Recipient:   rec.Recipient,
		Created:     rec.CreatedAt,
	}, bericht)
	if errors.Is(err, signing.ErrInvalidBericht) {
		// Too large or malformed for the envelope: retrying cannot mend it.
		return nil, &permanentError{reasonEnvelope + err.Error()}
	}
	if err != nil {
		return nil, fmt.Errorf("seal %s: %w", rec.DisclosureID, err)
	}
	p.metrics.stage("sign", t2, p.now())
	return signed, nil
}
