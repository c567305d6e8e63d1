package sqlite

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/sluis-gateway/sluis/adapters/store/internal/storecore"
	"github.com/sluis-gateway/sluis/internal/ledger"
)

// redactChunk bounds the ids per query (SQLite's bound parameters).
const redactChunk = 500

// RedactAbout implements ledger.Redactor: in one writer transaction it
// reads every unredacted entry that refers to one of ref's ids, redacts it
// (ledger.Redact) and writes back exactly what the trigger allows.
func (s *Store) RedactAbout(ctx context.Context, ref ledger.Ref, at time.Time) (int, error) {
	if ref.Empty() {
		return 0, nil
	}
	at = storecore.Trunc(at)
	n := 0
	err := s.wr.do(ctx, func(ctx context.Context, tx *wtx) error {
		n = 0
		exprs := []string{"disclosure_id"}
		values := [][]string{ref.DisclosureIDs}
		for i, k := range storecore.LedgerRefKeys {
			exprs = append(exprs, `json_extract(detail, '$.`+k+`')`)
			values = append(values, storecore.LedgerRefValues(ref)[i])
		}
		for i, expr := range exprs {
			ids := values[i]
			for len(ids) > 0 {
				chunk := ids[:min(len(ids), redactChunk)]
				ids = ids[len(chunk):]
				args := make([]any, len(chunk))
				for j, id := range chunk {
					args[j] = id
				}
				rows, err := tx.QueryContext(ctx, `SELECT `+entryColumns+` FROM ledger WHERE redacted_at IS NULL AND `+
					expr+` IN (?`+strings.Repeat(", ?", len(chunk)-1)+`) ORDER BY seq`, args...)
				if err != nil {
					return fmt.Errorf("ledger redact: read: %w", err)
				}
				es, err := scanEntries(rows)
				if err != nil {
					return fmt.Errorf("ledger redact: read: %w", err)
				}
				for _, e := range es {
					r, ok, err := ledger.Redact(e, at)
					if err != nil {
						return fmt.Errorf("ledger redact: %w", err)
					}
					if !ok {
						continue
					}
					if _, err := tx.ExecContext(ctx, `UPDATE ledger SET disclosure_id = ?, detail = ?, salts = ?, redacted = ?, redacted_at = ?
						WHERE seq = ?`, r.DisclosureID, storecore.EncodeDetail(r.Detail), storecore.EncodeDetail(r.Salts),
						storecore.EncodeDetail(r.Redacted), storecore.Micros(r.RedactedAt), r.Seq); err != nil {
						return fmt.Errorf("ledger redact: entry %d: %w", r.Seq, err)
					}
					n++
				}
			}
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}
