package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/sluis-gateway/sluis/adapters/store/internal/storecore"
	"github.com/sluis-gateway/sluis/internal/actor"
	"github.com/sluis-gateway/sluis/internal/casework"
)

const itemColumns = `id, kind, disclosure_id, municipality, opened_at, opened_by, due_at, reason, reference,
	closed_at, closed_by, outcome, outcome_reason, outcome_reference`

func scanItem(row scanner) (casework.Item, error) {
	var (
		it          casework.Item
		kind        string
		opened      int64
		due, closed sql.NullInt64
	)
	if err := row.Scan(&it.ID, &kind, &it.DisclosureID, &it.Municipality, &opened, &it.OpenedBy, &due, &it.Reason,
		&it.Reference, &closed, &it.ClosedBy, &it.Outcome, &it.OutcomeReason, &it.OutcomeReference); err != nil {
		return casework.Item{}, err
	}
	it.Kind = casework.Kind(kind)
	it.OpenedAt = storecore.FromMicros(opened)
	if due.Valid {
		t := storecore.FromMicros(due.Int64)
		it.Due = &t
	}
	if closed.Valid {
		t := storecore.FromMicros(closed.Int64)
		it.ClosedAt = &t
	}
	return it, nil
}

func optMicros(t *time.Time) sql.NullInt64 {
	if t == nil {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: storecore.Micros(*t), Valid: true}
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
	err = s.wr.do(ctx, func(ctx context.Context, tx *wtx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO review_items (`+itemColumns+`)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, '', '', '', '') ON CONFLICT (id) DO NOTHING`,
			it.ID, string(it.Kind), it.DisclosureID, it.Municipality, storecore.Micros(it.OpenedAt), it.OpenedBy,
			optMicros(it.Due), it.Reason, it.Reference)
		if err != nil {
			return fmt.Errorf("open item %s: insert: %w", it.ID, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			stored, err = scanItem(tx.QueryRowContext(ctx, `SELECT `+itemColumns+` FROM review_items WHERE id = ?`, it.ID))
			if err != nil {
				return fmt.Errorf("open item %s: %w", it.ID, err)
			}
			return nil
		}
		if _, err := appendEntry(ctx, tx, storecore.Now(), a.String(), it.DisclosureID, casework.OpenedEvent(it.Kind),
			casework.OpenedDetail(it)); err != nil {
			return fmt.Errorf("open item %s: %w", it.ID, err)
		}
		stored, created = it, true
		return nil
	})
	if err != nil {
		return casework.Item{}, false, err
	}
	return stored, created, nil
}

// CloseItem implements casework.Store.
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
	err = s.wr.do(ctx, func(ctx context.Context, tx *wtx) error {
		it, err := scanItem(tx.QueryRowContext(ctx, `SELECT `+itemColumns+` FROM review_items WHERE id = ?`, id))
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("close item %s: %w", id, casework.ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("close item %s: %w", id, err)
		}
		if !it.Open() {
			return fmt.Errorf("close item %s: %w", id, casework.ErrClosed)
		}
		it.ClosedAt, it.ClosedBy = &at, a.String()
		it.Outcome, it.OutcomeReason, it.OutcomeReference = c.Outcome, c.Reason, c.Reference
		if _, err := tx.ExecContext(ctx, `UPDATE review_items SET closed_at = ?, closed_by = ?, outcome = ?,
			outcome_reason = ?, outcome_reference = ? WHERE id = ?`,
			storecore.Micros(at), it.ClosedBy, it.Outcome, it.OutcomeReason, it.OutcomeReference, id); err != nil {
			return fmt.Errorf("close item %s: update: %w", id, err)
		}
		if _, err := appendEntry(ctx, tx, storecore.Now(), a.String(), it.DisclosureID, casework.ClosedEvent(it.Kind),
			casework.ClosedDetail(it)); err != nil {
			return fmt.Errorf("close item %s: %w", id, err)
		}
		out = it
		return nil
	})
	return out, err
}

// GetItem implements casework.Store.
func (s *Store) GetItem(ctx context.Context, id string) (casework.Item, error) {
	it, err := scanItem(s.r.QueryRowContext(ctx, `SELECT `+itemColumns+` FROM review_items WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
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
	rows, err := s.r.QueryContext(ctx, `SELECT `+itemColumns+` FROM review_items
		WHERE municipality = ? AND (? = '' OR kind = ?) AND (? = 0 OR closed_at IS NULL)
		ORDER BY seq LIMIT ?`, municipality, string(kind), string(kind), openOnly, limit)
	if err != nil {
		return nil, fmt.Errorf("list items: %w", err)
	}
	defer rows.Close()
	out := []casework.Item{}
	for rows.Next() {
		it, err := scanItem(rows)
		if err != nil {
			return nil, fmt.Errorf("list items: %w", err)
		}
		out = append(out, it)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list items: %w", err)
	}
	return out, nil
}

// CountOverdue implements casework.Store.
func (s *Store) CountOverdue(ctx context.Context, now time.Time) (map[casework.Kind]int64, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT kind, COUNT(*) FROM review_items
		WHERE closed_at IS NULL AND due_at IS NOT NULL AND due_at < ? GROUP BY kind`, storecore.Micros(now))
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
