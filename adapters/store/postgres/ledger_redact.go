package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sluis-gateway/sluis/adapters/store/internal/storecore"
	"github.com/sluis-gateway/sluis/internal/ledger"
)

// RedactAbout implements ledger.Redactor. It seals the journal first (an
// entry about the client still in the journal would escape), then, in one
// transaction, reads every unredacted entry that refers to one of ref's ids
// (FOR UPDATE), redacts it (ledger.Redact) and writes back exactly what the
// trigger allows.
func (s *Store) RedactAbout(ctx context.Context, ref ledger.Ref, at time.Time) (int, error) {
	if ref.Empty() {
		return 0, nil
	}
	if err := s.seal(ctx); err != nil {
		return 0, fmt.Errorf("ledger redact: %w", err)
	}
	at = storecore.Trunc(at)
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{})
	if err != nil {
		return 0, fmt.Errorf("ledger redact: begin: %w", err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // after Commit this is a no-op
	exprs := []string{"disclosure_id"}
	values := [][]string{ref.DisclosureIDs}
	for i, k := range storecore.LedgerRefKeys {
		exprs = append(exprs, `(detail->>'`+k+`')`)
		values = append(values, storecore.LedgerRefValues(ref)[i])
	}
	n := 0
	for i, expr := range exprs {
		if len(values[i]) == 0 {
			continue
		}
		rows, err := tx.Query(ctx, `SELECT `+entryColumns+` FROM ledger
			WHERE redacted_at IS NULL AND `+expr+` = ANY($1) ORDER BY seq FOR UPDATE`, values[i])
		if err != nil {
			return 0, fmt.Errorf("ledger redact: read: %w", err)
		}
		es, err := scanEntries(rows)
		if err != nil {
			return 0, fmt.Errorf("ledger redact: read: %w", err)
		}
		for _, e := range es {
			r, ok, err := ledger.Redact(e, at)
			if err != nil {
				return 0, fmt.Errorf("ledger redact: %w", err)
			}
			if !ok {
				continue
			}
			if _, err := tx.Exec(ctx, `UPDATE ledger SET disclosure_id = $1, detail = $2::jsonb, salts = $3::jsonb,
				redacted = $4::jsonb, redacted_at = $5 WHERE seq = $6`, r.DisclosureID, storecore.EncodeDetail(r.Detail),
				storecore.EncodeDetail(r.Salts), storecore.EncodeDetail(r.Redacted), r.RedactedAt, r.Seq); err != nil {
				return 0, fmt.Errorf("ledger redact: entry %d: %w", r.Seq, err)
			}
			n++
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return 0, fmt.Errorf("ledger redact: commit: %w", err)
	}
	return n, nil
}
