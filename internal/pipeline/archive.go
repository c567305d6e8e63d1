package pipeline

import (
	"context"
	"fmt"

	"github.com/sluis-gateway/sluis/internal/receipts"
	"github.com/sluis-gateway/sluis/internal/retention"
)

// archiveSigned keeps the signed message of a disclosure whose publish the
// broker confirmed, before it is marked delivered (docs/archive.md). A
// failure is returned as a transient error: the intake message is nacked
// and retried, the disclosure stays published, and the retry republishes
// the same bytes (as after a crash between confirm and recording it) and
// archives them; a Put already done is a no-op. So a delivered disclosure
// always has its message archived, and no archive failure loses one.
//
// A disclosure without a client (no BSN, so no client key) has no data key
// to be kept under and is not archived. The message is kept as long as its
// disclosure: the term of its standard from the disclosure's registration
// (retention.Until, docs/retention.md).
func (p *Pipeline) archiveSigned(ctx context.Context, rec receipts.Record, signed []byte) error {
	if p.archive == nil || rec.ClientKey == "" {
		return nil
	}
	if rec.CreatedAt.IsZero() { // a term from year 1 would end at once
		return fmt.Errorf("archive %s: the record has no registration time", rec.DisclosureID)
	}
	until, err := retention.Until(rec.Standard, rec.CreatedAt)
	if err != nil {
		return fmt.Errorf("archive %s: %w", rec.DisclosureID, err)
	}
	if err := p.archive.Put(ctx, rec.DisclosureID, rec.ClientKey, signed, until); err != nil {
		return fmt.Errorf("archive %s: %w", rec.DisclosureID, err)
	}
	return nil
}
