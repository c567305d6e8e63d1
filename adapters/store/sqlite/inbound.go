package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/sluis-gateway/sluis/adapters/store/internal/storecore"
	"github.com/sluis-gateway/sluis/internal/actor"
	"github.com/sluis-gateway/sluis/internal/inbound"
)

const inboundColumns = `inbound_id, provider, municipality, system, standard, message_type,
	identificatie, message_id, state, retour_codes, rules, received_at, due, answered_by,
	answered_at, overdue_at`

func scanInbound(row scanner) (inbound.Record, error) {
	var (
		r                          inbound.Record
		state, codes, rules        string
		received                   int64
		due, answeredAt, overdueAt sql.NullInt64
	)
	if err := row.Scan(&r.ID, &r.Provider, &r.Municipality, &r.System, &r.Standard, &r.MessageType,
		&r.Identificatie, &r.MessageID, &state, &codes, &rules, &received, &due, &r.AnsweredBy,
		&answeredAt, &overdueAt); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
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
	r.ReceivedAt = storecore.FromMicros(received)
	opt := func(n sql.NullInt64) time.Time {
		if !n.Valid {
			return time.Time{}
		}
		return storecore.FromMicros(n.Int64)
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
	var (
		out     inbound.Record
		created bool
	)
	err = s.wr.do(ctx, func(ctx context.Context, tx *wtx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO inbound_messages (`+inboundColumns+`)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '', NULL, NULL)
			ON CONFLICT (provider, message_type, identificatie) DO NOTHING`,
			r.ID, r.Provider, r.Municipality, r.System, r.Standard, r.MessageType, r.Identificatie, r.MessageID,
			string(r.State), storecore.EncodeCodes(r.RetourCodes), storecore.EncodeCodes(r.Rules),
			storecore.Micros(r.ReceivedAt), storecore.MicrosOrNil(r.Due))
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		if n == 0 {
			out, err = scanInbound(tx.QueryRowContext(ctx, `SELECT `+inboundColumns+` FROM inbound_messages
				WHERE provider = ? AND message_type = ? AND identificatie = ?`, r.Provider, r.MessageType, r.Identificatie))
			return err
		}
		if _, err := appendEntry(ctx, tx, r.ReceivedAt, a.String(), r.ID, storecore.InboundEvent(r.State),
			storecore.InboundRecordDetail(r)); err != nil {
			return err
		}
		out, created = r, true
		return nil
	})
	if err != nil {
		return inbound.Record{}, false, fmt.Errorf("record inbound %s: %w", r.ID, err)
	}
	return out, created, nil
}

// GetInbound implements inbound.Store.
func (s *Store) GetInbound(ctx context.Context, id string) (inbound.Record, error) {
	r, err := scanInbound(s.r.QueryRowContext(ctx, `SELECT `+inboundColumns+` FROM inbound_messages WHERE inbound_id = ?`, id))
	if err != nil {
		return inbound.Record{}, fmt.Errorf("inbound %s: %w", id, err)
	}
	return r, nil
}

// MoveInbound implements inbound.Store.
func (s *Store) MoveInbound(ctx context.Context, id string, c inbound.Change) (inbound.Record, error) {
	a, err := actor.From(ctx)
	if err != nil {
		return inbound.Record{}, fmt.Errorf("move inbound: %w", err)
	}
	var out inbound.Record
	err = s.wr.do(ctx, func(ctx context.Context, tx *wtx) error {
		cur, err := scanInbound(tx.QueryRowContext(ctx, `SELECT `+inboundColumns+` FROM inbound_messages WHERE inbound_id = ?`, id))
		if err != nil {
			return err
		}
		next, err := storecore.InboundMove(cur, c)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE inbound_messages SET state = ?, answered_by = ?, answered_at = ?, overdue_at = ?
			WHERE inbound_id = ?`, string(next.State), next.AnsweredBy, storecore.MicrosOrNil(next.AnsweredAt),
			storecore.MicrosOrNil(next.OverdueAt), id); err != nil {
			return err
		}
		if _, err := appendEntry(ctx, tx, c.At, a.String(), id, storecore.InboundEvent(next.State),
			storecore.InboundMoveDetail(next, c)); err != nil {
			return err
		}
		out = next
		return nil
	})
	if err != nil {
		return inbound.Record{}, fmt.Errorf("move inbound %s: %w", id, err)
	}
	return out, nil
}

// InboundDue implements inbound.Store.
func (s *Store) InboundDue(ctx context.Context, before time.Time, limit int) ([]inbound.Record, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+inboundColumns+` FROM inbound_messages
		WHERE state = ? AND due IS NOT NULL AND due < ? ORDER BY due, inbound_id LIMIT ?`,
		string(inbound.Accepted), storecore.Micros(before), limit)
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
