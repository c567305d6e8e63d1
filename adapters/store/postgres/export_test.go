package postgres

import (
	"context"
	"fmt"

	"github.com/sluis-gateway/sluis/adapters/store/internal/storecore"
)

// TamperLedgerDetail rewrites one ledger entry's detail behind the store's
// back, disabling the append-only trigger first, as an attacker with
// owner rights on the table could. Test builds only (storetest.Tamperer).
func (s *Store) TamperLedgerDetail(ctx context.Context, seq int64, detail map[string]string) error {
	if _, err := s.pool.Exec(ctx, `ALTER TABLE ledger DISABLE TRIGGER ledger_no_change`); err != nil {
		return fmt.Errorf("disable trigger: %w", err)
	}
	tag, err := s.pool.Exec(ctx, `UPDATE ledger SET detail = $1 WHERE seq = $2`, storecore.EncodeDetail(detail), seq)
	if err != nil {
		return fmt.Errorf("update: %w", err)
	}
	if tag.RowsAffected() != 1 {
		return fmt.Errorf("update: %d rows", tag.RowsAffected())
	}
	return nil
}

// ArchiveRaw reads an archive entry's ciphertext and its data key's wrapped
// bytes straight from the tables (storetest.ArchiveRawReader).
func (s *Store) ArchiveRaw(ctx context.Context, disclosureID string) (ciphertext, wrapped []byte, err error) {
	err = s.pool.QueryRow(ctx, `SELECT e.ciphertext, k.wrapped FROM archive_entries e
		JOIN archive_keys k ON k.key_id = e.key_id WHERE e.disclosure_id = $1`, disclosureID).Scan(&ciphertext, &wrapped)
	return ciphertext, wrapped, err
}

// TryLedgerEventUpdate changes an entry's event with the append-only
// trigger in place (storetest.LedgerUpdater): the trigger must refuse it.
func (s *Store) TryLedgerEventUpdate(ctx context.Context, seq int64, event string) error {
	_, err := s.pool.Exec(ctx, `UPDATE ledger SET event = $1, redacted_at = now() WHERE seq = $2`, event, seq)
	return err
}
