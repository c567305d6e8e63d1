package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sluis-gateway/sluis/adapters/store/internal/storecore"
	"github.com/sluis-gateway/sluis/internal/actor"
	"github.com/sluis-gateway/sluis/internal/casework"
)

const itemColumns = `id, kind, disclosure_id, municipality, opened_at, opened_by, due_at, reason, reference,
	closed_at, closed_by, outcome, outcome_reason, outcome_reference`

func scanItem(row pgx.Row) (casework.Item, error) {
	var (
		it          casework.Item
		kind        string
		due, closed *time.Time
	)
	if err := row.Scan(&it.ID, &kind, &it.DisclosureID, &it.Municipality, &it.OpenedAt, &it.OpenedBy, &due, &it.Reason,
		&it.Reference, &closed, &it.ClosedBy, &it.Outcome, &it.OutcomeReason, &it.OutcomeReference); err != nil {
		return casework.Item{}, err
	}
	it.Kind = casework.Kind(kind)
	it.OpenedAt = storecore.Trunc(it.OpenedAt)
	if due != nil {
		t := storecore.Trunc(*due)
		it.Due = &t
	}
	if closed != nil {
		t := storecore.Trunc(*closed)
		it.ClosedAt = &t
	}
	return it, nil
}

// OpenItem implements casework.Store.
func (s *Store) OpenItem(ctx context.Context, it casework.Item) (casework.Item, bool, error) {
	a, err := actor.From(ctx)
	if err != nil {
		return casework.Item{}, false, fmt.Errorf("open item: %w", err)
	}
	if err := storecore.CheckItem(it); err != nil {
		return casework.Item{}, false, fmt.Errorf("open item: %w", err)
	}
	it = storecore.NormalizeItem(it)
	it.OpenedBy = a.String()
	var (
		stored  casework.Item
		created bool
	)
	err = s.change(ctx, "open item", func(tx pgx.Tx) (bool, error) {
		tag, err := tx.Exec(ctx, `INSERT INTO review_items (`+itemColumns+`)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, NULL, '', '', '', '') ON CONFLICT (id) DO NOTHING`,
			it.ID, string(it.Kind), it.DisclosureID, it.Municipality, it.OpenedAt, it.OpenedBy, it.Due, it.Reason, it.Reference)
		if err != nil {
			return false, fmt.Errorf("open item %s: insert: %w", it.ID, err)
		}
		if tag.RowsAffected() == 0 {
			if stored, err = scanItem(tx.QueryRow(ctx, `SELECT `+itemColumns+` FROM review_items WHERE id = $1`, it.ID)); err != nil {
				return false, fmt.Errorf("open item %s: %w", it.ID, err)
			}
			return false, nil
		}
		if err := journal(ctx, tx, storecore.Now(), a.String(), it.DisclosureID, casework.OpenedEvent(it.Kind),
			casework.OpenedDetail(it)); err != nil {
			return false, fmt.Errorf("open item %s: %w", it.ID, err)
		}
		stored, created = it, true
		return true, nil
	})
	if err != nil {
		return casework.Item{}, false, err
	}
	return stored, created, nil
}

// CloseItem implements casework.Store. The row is locked, so of two
// concurrent closes one wins and the other gets ErrClosed.
func (s *Store) CloseItem(ctx context.Context, id string, c casework.Closing) (casework.Item, error) {
	a, err := actor.From(ctx)
	if err != nil {
		return casework.Item{}, fmt.Errorf("close item: %w", err)
	}
	if err := storecore.CheckClosing(id, c); err != nil {
		return casework.Item{}, fmt.Errorf("close item: %w", err)
	}
	at := storecore.Trunc(c.At)
	var out casework.Item
	err = s.change(ctx, "close item", func(tx pgx.Tx) (bool, error) {
		it, err := scanItem(tx.QueryRow(ctx, `SELECT `+itemColumns+` FROM review_items WHERE id = $1 FOR UPDATE`, id))
		if errors.Is(err, pgx.ErrNoRows) {
			return false, fmt.Errorf("close item %s: %w", id, casework.ErrNotFound)
		}
		if err != nil {
			return false, fmt.Errorf("close item %s: %w", id, err)
		}
		if !it.Open() {
			return false, fmt.Errorf("close item %s: %w", id, casework.ErrClosed)
		}
		it.ClosedAt, it.ClosedBy = &at, a.String()
		it.Outcome, it.OutcomeReason, it.OutcomeReference = c.Outcome, c.Reason, c.Reference
		if _, err := tx.Exec(ctx, `UPDATE review_items SET closed_at = $1, closed_by = $2, outcome = $3,
			outcome_reason = $4, outcome_reference = $5 WHERE id = $6`,
			at, it.ClosedBy, it.Outcome, it.OutcomeReason, it.OutcomeReference, id); err != nil {
			return false, fmt.Errorf("close item %s: update: %w", id, err)
		}
		if err := journal(ctx, tx, storecore.Now(), a.String(), it.DisclosureID, casework.ClosedEvent(it.Kind),
			casework.ClosedDetail(it)); err != nil {
			return false, fmt.Errorf("close item %s: %w", id, err)
		}
		out = it
		return true, nil
	})
	return out, err
}

// GetItem implements casework.Store.
func (s *Store) GetItem(ctx context.Context, id string) (casework.Item, error) {
	it, err := scanItem(s.pool.QueryRow(ctx, `SELECT `+itemColumns+` FROM review_items WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return casework.Item{}, fmt.Errorf("item %s: %w", id, casework.ErrNotFound)
	}
	if err != nil {
		return casework.Item{}, fmt.Errorf("item %s: %w", id, err)
	}
	return it, nil
}

// ListItems implements casework.Store.
func (s *Store) ListItems(ctx context.Context, municipality string, kind casework.Kind, openOnly bool, limit int) ([]casework.Item, error) {
	if err := storecore.CheckLimit(limit); err != nil {
		return nil, fmt.Errorf("list items: %w", err)
	}
	rows, err := s.pool.Query(ctx, `SELECT `+itemColumns+` FROM review_items
		WHERE municipality = $1 AND ($2 = '' OR kind = $2) AND (NOT $3 OR closed_at IS NULL)
		ORDER BY seq LIMIT $4`, municipality, string(kind), openOnly, limit)
	if err != nil {
		return nil, fmt.Errorf("list items: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (casework.Item, error) { return scanItem(r) })
	if err != nil {
		return nil, fmt.Errorf("list items: %w", err)
	}
	if out == nil {
		out = []casework.Item{}
	}
	return out, nil
}

// CountOverdue implements casework.Store.
func (s *Store) CountOverdue(ctx context.Context, now time.Time) (map[casework.Kind]int64, error) {
	rows, err := s.pool.Query(ctx, `SELECT kind, COUNT(*) FROM review_items
		WHERE closed_at IS NULL AND due_at IS NOT NULL AND due_at < $1 GROUP BY kind`, now)
	if err != nil {
		return nil, fmt.Errorf("count overdue: %w", err)
	}
	defer rows.Close()
	out := map[casework.Kind]int64{}
	for rows.Next() {
		var (
			k string
			n int64
		)
		if err := rows.Scan(&k, &n); err != nil {
			return nil, fmt.Errorf("count overdue: %w", err)
		}
		out[casework.Kind(k)] = n
	}
	return out, rows.Err()
}
