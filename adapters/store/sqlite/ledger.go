package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/sluis-gateway/sluis/adapters/store/internal/storecore"
	"github.com/sluis-gateway/sluis/internal/actor"
	"github.com/sluis-gateway/sluis/internal/ledger"
)

// Append implements ledger.Appender.
func (s *Store) Append(ctx context.Context, disclosureID, event string, detail map[string]string) (ledger.Entry, error) {
	a, err := actor.From(ctx)
	if err != nil {
		return ledger.Entry{}, fmt.Errorf("ledger append: %w", err)
	}
	var e ledger.Entry
	err = s.wr.do(ctx, func(ctx context.Context, tx *wtx) error {
		var err error
		e, err = appendEntry(ctx, tx, storecore.Now(), a.String(), disclosureID, event, detail)
		return err
	})
	if err != nil {
		return ledger.Entry{}, err
	}
	return e, nil
}

// appendEntry adds one entry after the chain's head. The caller's
// transaction is the writer's (BEGIN IMMEDIATE, one connection), so no
// other append can interleave.
func appendEntry(ctx context.Context, tx *wtx, at time.Time, actorName, disclosureID, event string, detail map[string]string) (ledger.Entry, error) {
	var (
		seq  int64
		hash string
	)
	if err := tx.QueryRowContext(ctx, qLedgerHead).Scan(&seq, &hash); err != nil {
		return ledger.Entry{}, fmt.Errorf("ledger append: read head: %w", err)
	}
	e, err := storecore.NewEntry(seq, hash, at, actorName, disclosureID, event, detail)
	if err != nil {
		return ledger.Entry{}, fmt.Errorf("ledger append: %w", err)
	}
	if _, err := tx.ExecContext(ctx, qInsertEntry,
		e.Seq, storecore.Micros(e.At), e.Actor, e.DisclosureID, e.Event,
		storecore.EncodeDetail(e.Detail), e.PrevHash, e.Hash, e.Scheme, storecore.EncodeDetail(e.Salts)); err != nil {
		return ledger.Entry{}, fmt.Errorf("ledger append: insert: %w", err)
	}
	if _, err := tx.ExecContext(ctx, qMoveHead, e.Seq, e.Hash); err != nil {
		return ledger.Entry{}, fmt.Errorf("ledger append: move head: %w", err)
	}
	return e, nil
}

const entryColumns = `seq, at, actor, disclosure_id, event, detail, prev_hash, hash, scheme, salts, redacted, redacted_at`

func (s *Store) queryEntries(ctx context.Context, query string, args ...any) ([]ledger.Entry, error) {
	rows, err := s.r.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	return scanEntries(rows)
}

// scanEntries reads rows of entryColumns and closes them.
func scanEntries(rows *sql.Rows) ([]ledger.Entry, error) {
	defer rows.Close()
	var (
		out []ledger.Entry
		err error
	)
	for rows.Next() {
		var (
			e                       ledger.Entry
			at                      int64
			detail, salts, redacted string
			redactedAt              sql.NullInt64
		)
		if err := rows.Scan(&e.Seq, &at, &e.Actor, &e.DisclosureID, &e.Event, &detail, &e.PrevHash, &e.Hash,
			&e.Scheme, &salts, &redacted, &redactedAt); err != nil {
			return nil, err
		}
		e.At = storecore.FromMicros(at)
		if redactedAt.Valid {
			e.RedactedAt = storecore.FromMicros(redactedAt.Int64)
		}
		if e.Detail, err = storecore.DecodeDetail(detail); err != nil {
			return nil, fmt.Errorf("entry %d: %w", e.Seq, err)
		}
		if e.Salts, err = storecore.DecodeDetail(salts); err != nil {
			return nil, fmt.Errorf("entry %d salts: %w", e.Seq, err)
		}
		if e.Redacted, err = storecore.DecodeDetail(redacted); err != nil {
			return nil, fmt.Errorf("entry %d redacted: %w", e.Seq, err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// Entries implements ledger.Reader.
func (s *Store) Entries(ctx context.Context, from int64, limit int) ([]ledger.Entry, error) {
	if err := storecore.CheckLimit(limit); err != nil {
		return nil, fmt.Errorf("ledger entries: %w", err)
	}
	out, err := s.queryEntries(ctx, `SELECT `+entryColumns+` FROM ledger WHERE seq >= ? ORDER BY seq LIMIT ?`, from, limit)
	if err != nil {
		return nil, fmt.Errorf("ledger entries from %d: %w", from, err)
	}
	return out, nil
}

// EntriesFor implements ledger.Reader.
func (s *Store) EntriesFor(ctx context.Context, disclosureID string) ([]ledger.Entry, error) {
	out, err := s.queryEntries(ctx, `SELECT `+entryColumns+` FROM ledger WHERE disclosure_id = ? ORDER BY seq`, disclosureID)
	if err != nil {
		return nil, fmt.Errorf("ledger entries for %s: %w", disclosureID, err)
	}
	return out, nil
}
