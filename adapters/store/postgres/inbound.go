package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sluis-gateway/sluis/adapters/store/internal/storecore"
	"github.com/sluis-gateway/sluis/internal/actor"
	"github.com/sluis-gateway/sluis/internal/inbound"
)

const inboundColumns = `inbound_id, provider, municipality, system, standard, message_type,
	identificatie, message_id, state, retour_codes::text, rules::text, received_at, due, answered_by,
	answered_at, overdue_at`

func scanInbound(row pgx.Row) (inbound.Record, error) {
	var (
		r                          inbound.Record
		state, codes, rules        string
		due, answeredAt, overdueAt *time.Time
	)
	if err := row.Scan(&r.ID, &r.Provider, &r.Municipality, &r.System, &r.Standard, &r.MessageType,
		&r.Identificatie, &r.MessageID, &state, &codes, &rules, &r.ReceivedAt, &due, &r.AnsweredBy,
		&answeredAt, &overdueAt); err != nil {
		if errors.Is(err, pgx.ErrNoRows) {
			return inbound.Record{}, inbound.ErrNotFound
		}
		return inbound.Record{}, err
	}
	r.State = inbound.State(state)
	var err error
	if r.RetourCodes, err = storecore.DecodeCodes(codes); err != nil {
		return inbound.Record{}, err
	}
	if r.Rules, err = storecore.DecodeCodes(rules); err != nil {
		return inbound.Record{}, err
	}
	r.ReceivedAt = r.ReceivedAt.UTC()
	opt := func(t *time.Time) time.Time {
		if t == nil {
			return time.Time{}
		}
		return t.UTC()
	}
	r.Due, r.AnsweredAt, r.OverdueAt = opt(due), opt(answeredAt), opt(overdueAt)
	return r, nil
}

// RecordInbound implements inbound.Store.
func (s *Store) RecordInbound(ctx context.Context, r inbound.Record) (inbound.Record, bool, error) {
	a, err := actor.From(ctx)
	if err != nil {
		return inbound.Record{}, false, fmt.Errorf("record inbound: %w", err)
	}
	if err := storecore.CheckInbound(r); err != nil {
		return inbound.Record{}, false, fmt.Errorf("record inbound: %w", err)
	}
	r.ReceivedAt = storecore.Trunc(r.ReceivedAt)
	if !r.Due.IsZero() {
		r.Due = storecore.Trunc(r.Due)
	}
	r.AnsweredBy, r.AnsweredAt, r.OverdueAt = "", time.Time{}, time.Time{}
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{})
	if err != nil {
		return inbound.Record{}, false, fmt.Errorf("record inbound %s: begin: %w", r.ID, err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // after Commit this is a no-op
	tag, err := tx.Exec(ctx, `INSERT INTO inbound_messages (`+inboundColumnsPlain+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, '', NULL, NULL)
		ON CONFLICT (provider, message_type, identificatie) DO NOTHING`,
		r.ID, r.Provider, r.Municipality, r.System, r.Standard, r.MessageType, r.Identificatie, r.MessageID,
		string(r.State), storecore.EncodeCodes(r.RetourCodes), storecore.EncodeCodes(r.Rules),
		r.ReceivedAt, storecore.TimeOrNil(r.Due))
	if err != nil {
		return inbound.Record{}, false, fmt.Errorf("record inbound %s: insert: %w", r.ID, err)
	}
	if tag.RowsAffected() == 0 {
		// The unique key was taken, possibly by a transaction that
		// committed while this insert waited: it is visible now.
		_ = tx.Rollback(ctx)
		stored, err := scanInbound(s.pool.QueryRow(ctx, `SELECT `+inboundColumns+` FROM inbound_messages
			WHERE provider = $1 AND message_type = $2 AND identificatie = $3`, r.Provider, r.MessageType, r.Identificatie))
		if err != nil {
			return inbound.Record{}, false, fmt.Errorf("record inbound %s: %w", r.ID, err)
		}
		return stored, false, nil
	}
	if err := journal(ctx, tx, r.ReceivedAt, a.String(), r.ID, storecore.InboundEvent(r.State),
		storecore.InboundRecordDetail(r)); err != nil {
		return inbound.Record{}, false, fmt.Errorf("record inbound %s: %w", r.ID, err)
	}
	if err := tx.Commit(ctx); err != nil {
		return inbound.Record{}, false, fmt.Errorf("record inbound %s: commit: %w", r.ID, err)
	}
	s.sealer.wake()
	return r, true, nil
}

// inboundColumnsPlain are the columns for INSERT (no casts).
const inboundColumnsPlain = `inbound_id, provider, municipality, system, standard, message_type,
	identificatie, message_id, state, retour_codes, rules, received_at, due, answered_by,
	answered_at, overdue_at`

// GetInbound implements inbound.Store.
func (s *Store) GetInbound(ctx context.Context, id string) (inbound.Record, error) {
	r, err := scanInbound(s.pool.QueryRow(ctx, `SELECT `+inboundColumns+` FROM inbound_messages WHERE inbound_id = $1`, id))
	if err != nil {
		return inbound.Record{}, fmt.Errorf("inbound %s: %w", id, err)
	}
	return r, nil
}

// MoveInbound implements inbound.Store: one transaction, one row lock.
func (s *Store) MoveInbound(ctx context.Context, id string, c inbound.Change) (inbound.Record, error) {
	a, err := actor.From(ctx)
	if err != nil {
		return inbound.Record{}, fmt.Errorf("move inbound: %w", err)
	}
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{})
	if err != nil {
		return inbound.Record{}, fmt.Errorf("move inbound %s: begin: %w", id, err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // after Commit this is a no-op
	cur, err := scanInbound(tx.QueryRow(ctx, `SELECT `+inboundColumns+` FROM inbound_messages WHERE inbound_id = $1 FOR UPDATE`, id))
	if err != nil {
		return inbound.Record{}, fmt.Errorf("move inbound %s: %w", id, err)
	}
	next, err := storecore.InboundMove(cur, c)
	if err != nil {
		return inbound.Record{}, fmt.Errorf("move inbound %s: %w", id, err)
	}
	if _, err := tx.Exec(ctx, `UPDATE inbound_messages SET state = $1, answered_by = $2, answered_at = $3, overdue_at = $4
		WHERE inbound_id = $5`, string(next.State), next.AnsweredBy, storecore.TimeOrNil(next.AnsweredAt),
		storecore.TimeOrNil(next.OverdueAt), id); err != nil {
		return inbound.Record{}, fmt.Errorf("move inbound %s: %w", id, err)
	}
	if err := journal(ctx, tx, c.At, a.String(), id, storecore.InboundEvent(next.State),
		storecore.InboundMoveDetail(next, c)); err != nil {
		return inbound.Record{}, fmt.Errorf("move inbound %s: %w", id, err)
	}
	if err := tx.Commit(ctx); err != nil {
		return inbound.Record{}, fmt.Errorf("move inbound %s: commit: %w", id, err)
	}
	s.sealer.wake()
	return next, nil
}

// InboundDue implements inbound.Store.
func (s *Store) InboundDue(ctx context.Context, before time.Time, limit int) ([]inbound.Record, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+inboundColumns+` FROM inbound_messages
		WHERE state = $1 AND due IS NOT NULL AND due < $2 ORDER BY due, inbound_id LIMIT $3`,
		string(inbound.Accepted), storecore.Trunc(before), limit)
	if err != nil {
		return nil, fmt.Errorf("inbound due: %w", err)
	}
	defer rows.Close()
	var out []inbound.Record
	for rows.Next() {
		r, err := scanInbound(rows)
		if err != nil {
			return nil, fmt.Errorf("inbound due: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}
