package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/sluis-gateway/sluis/adapters/store/internal/storecore"
	"github.com/sluis-gateway/sluis/internal/actor"
	"github.com/sluis-gateway/sluis/internal/breach"
)

var _ breach.Store = (*Store)(nil)

// BreachCreate implements breach.Store (a concurrent proposal with the same
// signal key waits on the unique index, then reads the winner's).
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
	err = s.change(ctx, "breach create", func(tx pgx.Tx) (bool, error) {
		tag, err := tx.Exec(ctx, `INSERT INTO breaches (id, municipality, state, signal_key, version, created_at, body)
			VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (signal_key) DO NOTHING`,
			inc.ID, inc.Municipality, string(inc.State), nullable(inc.SignalKey), inc.Version,
			storecore.Trunc(inc.CreatedAt), body)
		if err != nil {
			return false, fmt.Errorf("breach create: %w", err)
		}
		if tag.RowsAffected() == 0 {
			stored, err = scanBreach(tx.QueryRow(ctx, `SELECT signal_key, body FROM breaches WHERE signal_key = $1`, inc.SignalKey))
			if err != nil {
				return false, fmt.Errorf("breach create: %w", err)
			}
			return false, nil
		}
		if err := journal(ctx, tx, storecore.Now(), a.String(), "", event, detail); err != nil {
			return false, fmt.Errorf("breach create: %w", err)
		}
		stored, created = inc, true
		return true, nil
	})
	if err != nil {
		return breach.Incident{}, false, err
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
	err = s.change(ctx, "breach update", func(tx pgx.Tx) (bool, error) {
		tag, err := tx.Exec(ctx, `UPDATE breaches SET state = $1, version = $2, body = $3 WHERE id = $4 AND version = $5`,
			string(inc.State), inc.Version, body, inc.ID, inc.Version-1)
		if err != nil {
			return false, fmt.Errorf("breach update %s: %w", inc.ID, err)
		}
		if tag.RowsAffected() == 0 {
			var v int
			switch err := tx.QueryRow(ctx, `SELECT version FROM breaches WHERE id = $1`, inc.ID).Scan(&v); {
			case errors.Is(err, pgx.ErrNoRows):
				return false, fmt.Errorf("breach update %s: %w", inc.ID, breach.ErrNotFound)
			case err != nil:
				return false, fmt.Errorf("breach update %s: %w", inc.ID, err)
			}
			return false, fmt.Errorf("breach update %s: %w", inc.ID, breach.ErrConflict)
		}
		if err := journal(ctx, tx, storecore.Now(), a.String(), "", event, detail); err != nil {
			return false, fmt.Errorf("breach update %s: %w", inc.ID, err)
		}
		return true, nil
	})
	if err != nil {
		return breach.Incident{}, err
	}
	return inc, nil
}

// BreachGet implements breach.Store.
func (s *Store) BreachGet(ctx context.Context, id string) (breach.Incident, error) {
	inc, err := scanBreach(s.pool.QueryRow(ctx, `SELECT signal_key, body FROM breaches WHERE id = $1`, id))
	if err != nil {
		return breach.Incident{}, fmt.Errorf("breach get %s: %w", id, err)
	}
	return inc, nil
}

// BreachList implements breach.Store.
func (s *Store) BreachList(ctx context.Context) ([]breach.Incident, error) {
	rows, err := s.pool.Query(ctx, `SELECT signal_key, body FROM breaches ORDER BY created_at, id`)
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

func scanBreach(row pgx.Row) (breach.Incident, error) {
	var (
		key  *string
		body []byte
		inc  breach.Incident
	)
	err := row.Scan(&key, &body)
	if errors.Is(err, pgx.ErrNoRows) {
		return breach.Incident{}, breach.ErrNotFound
	}
	if err != nil {
		return breach.Incident{}, err
	}
	if err := json.Unmarshal(body, &inc); err != nil {
		return breach.Incident{}, err
	}
	if key != nil {
		inc.SignalKey = *key
	}
	return inc, nil
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}
