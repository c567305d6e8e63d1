package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/sluis-gateway/sluis/adapters/store/internal/storecore"
	"github.com/sluis-gateway/sluis/internal/actor"
	"github.com/sluis-gateway/sluis/internal/breach"
)

var _ breach.Store = (*Store)(nil)

const qBreach = `SELECT signal_key, body FROM breaches WHERE id = ?`

// BreachCreate implements breach.Store.
func (s *Store) BreachCreate(ctx context.Context, inc breach.Incident, event string, detail map[string]string) (breach.Incident, bool, error) {
	a, err := actor.From(ctx)
	if err != nil {
		return breach.Incident{}, false, fmt.Errorf("breach create: %w", err)
	}
	body, err := json.Marshal(inc)
	if err != nil {
		return breach.Incident{}, false, fmt.Errorf("breach create: %w", err)
	}
	var (
		stored  breach.Incident
		created bool
	)
	err = s.wr.do(ctx, func(ctx context.Context, tx *wtx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO breaches (id, municipality, state, signal_key, version, created_at, body)
			VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (signal_key) DO NOTHING`,
			inc.ID, inc.Municipality, string(inc.State), nullable(inc.SignalKey), inc.Version,
			storecore.Micros(inc.CreatedAt), string(body))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			stored, err = scanBreach(tx.QueryRowContext(ctx, `SELECT signal_key, body FROM breaches WHERE signal_key = ?`, inc.SignalKey))
			return err
		}
		if _, err := appendEntry(ctx, tx, storecore.Now(), a.String(), "", event, detail); err != nil {
			return err
		}
		stored, created = inc, true
		return nil
	})
	if err != nil {
		return breach.Incident{}, false, fmt.Errorf("breach create: %w", err)
	}
	return stored, created, nil
}

// BreachUpdate implements breach.Store.
func (s *Store) BreachUpdate(ctx context.Context, inc breach.Incident, event string, detail map[string]string) (breach.Incident, error) {
	a, err := actor.From(ctx)
	if err != nil {
		return breach.Incident{}, fmt.Errorf("breach update: %w", err)
	}
	body, err := json.Marshal(inc)
	if err != nil {
		return breach.Incident{}, fmt.Errorf("breach update: %w", err)
	}
	err = s.wr.do(ctx, func(ctx context.Context, tx *wtx) error {
		res, err := tx.ExecContext(ctx, `UPDATE breaches SET state = ?, version = ?, body = ? WHERE id = ? AND version = ?`,
			string(inc.State), inc.Version, string(body), inc.ID, inc.Version-1)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			var v int
			switch err := tx.QueryRowContext(ctx, `SELECT version FROM breaches WHERE id = ?`, inc.ID).Scan(&v); {
			case errors.Is(err, sql.ErrNoRows):
				return breach.ErrNotFound
			case err != nil:
				return err
			}
			return breach.ErrConflict
		}
		_, err = appendEntry(ctx, tx, storecore.Now(), a.String(), "", event, detail)
		return err
	})
	if err != nil {
		return breach.Incident{}, fmt.Errorf("breach update %s: %w", inc.ID, err)
	}
	return inc, nil
}

// BreachGet implements breach.Store.
func (s *Store) BreachGet(ctx context.Context, id string) (breach.Incident, error) {
	inc, err := scanBreach(s.r.QueryRowContext(ctx, qBreach, id))
	if err != nil {
		return breach.Incident{}, fmt.Errorf("breach get %s: %w", id, err)
	}
	return inc, nil
}

// BreachList implements breach.Store.
func (s *Store) BreachList(ctx context.Context) ([]breach.Incident, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT signal_key, body FROM breaches ORDER BY created_at, id`)
	if err != nil {
		return nil, fmt.Errorf("breach list: %w", err)
	}
	defer rows.Close()
	out := []breach.Incident{}
	for rows.Next() {
		inc, err := scanBreach(rows)
		if err != nil {
			return nil, fmt.Errorf("breach list: %w", err)
		}
		out = append(out, inc)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("breach list: %w", err)
	}
	return out, nil
}

func scanBreach(row scanner) (breach.Incident, error) {
	var (
		key  sql.NullString
		body string
		inc  breach.Incident
	)
	err := row.Scan(&key, &body)
	if errors.Is(err, sql.ErrNoRows) {
		return breach.Incident{}, breach.ErrNotFound
	}
	if err != nil {
		return breach.Incident{}, err
	}
	if err := json.Unmarshal([]byte(body), &inc); err != nil {
		return breach.Incident{}, err
	}
	inc.SignalKey = key.String
	return inc, nil
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}
