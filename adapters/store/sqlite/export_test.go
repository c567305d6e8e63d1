package sqlite

import (
	"context"
	"fmt"

	"github.com/sluis-gateway/sluis/adapters/store/internal/storecore"
)

// TamperLedgerDetail rewrites one ledger entry's detail behind the store's
// back, dropping the append-only trigger first, as an attacker with write
// access to the file could. Test builds only (storetest.Tamperer).
func (s *Store) TamperLedgerDetail(ctx context.Context, seq int64, detail map[string]string) error {
	if _, err := s.w.ExecContext(ctx, `DROP TRIGGER ledger_no_update`); err != nil {
		return fmt.Errorf("drop trigger: %w", err)
	}
	res, err := s.w.ExecContext(ctx, `UPDATE ledger SET detail = ? WHERE seq = ?`, storecore.EncodeDetail(detail), seq)
	if err != nil {
		return fmt.Errorf("update: %w", err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return fmt.Errorf("update: %d rows", n)
	}
	return nil
}

// ArchiveRaw reads an archive entry's ciphertext and its data key's wrapped
// bytes straight from the tables (storetest.ArchiveRawReader).
func (s *Store) ArchiveRaw(ctx context.Context, disclosureID string) (ciphertext, wrapped []byte, err error) {
	err = s.r.QueryRowContext(ctx, `SELECT e.ciphertext, k.wrapped FROM archive_entries e
		JOIN archive_keys k ON k.key_id = e.key_id WHERE e.disclosure_id = ?`, disclosureID).Scan(&ciphertext, &wrapped)
	return ciphertext, wrapped, err
}

// TryLedgerEventUpdate changes an entry's event with the append-only
// trigger in place (storetest.LedgerUpdater): the trigger must refuse it.
func (s *Store) TryLedgerEventUpdate(ctx context.Context, seq int64, event string) error {
	_, err := s.w.ExecContext(ctx, `UPDATE ledger SET event = ?, redacted_at = 1 WHERE seq = ?`, event, seq)
	return err
}
