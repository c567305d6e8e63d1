package sqlite

import (
	"context"
	"fmt"

	"github.com/sluis-gateway/sluis/adapters/store/internal/storecore"
	"github.com/sluis-gateway/sluis/internal/actor"
	"github.com/sluis-gateway/sluis/internal/ledger"
)

// Counter and CounterKey are the Identificatie counters' (shared with
// package postgres).
type (
	Counter    = storecore.Counter
	CounterKey = storecore.CounterKey
)

// ParseCounterKey parses "0363/WMO301" (ErrBadArgument otherwise).
var ParseCounterKey = storecore.ParseCounterKey

const qCounters = `SELECT municipality, message_type, last FROM identificatie_counters ORDER BY municipality, message_type`

// Counters returns every Identificatie counter: the last number handed out
// per municipality and message type.
func (s *Store) Counters(ctx context.Context) ([]Counter, error) {
	return readCounters(ctx, s.r)
}

func readCounters(ctx context.Context, q queryer) ([]Counter, error) {
	rows, err := q.QueryContext(ctx, qCounters)
	if err != nil {
		return nil, fmt.Errorf("counters: %w", err)
	}
	defer rows.Close()
	var out []Counter
	for rows.Next() {
		var c Counter
		if err := rows.Scan(&c.Municipality, &c.MessageType, &c.Last); err != nil {
			return nil, fmt.Errorf("counters: %w", err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("counters: %w", err)
	}
	return out, nil
}

// RaiseCounters adds by to every counter, creating those of also that do
// not exist yet at by, and records one ledger entry (EventCountersRaised)
// with the counters after the raise; all in one transaction. A counter that
// would pass MaxIdentificatie refuses the whole raise
// (ErrIdentificatieExhausted), nothing changed. It returns every counter
// after the raise.
func (s *Store) RaiseCounters(ctx context.Context, by int64, also []CounterKey) ([]Counter, error) {
	a, err := actor.From(ctx)
	if err != nil {
		return nil, fmt.Errorf("raise counters: %w", err)
	}
	if err := storecore.CheckRaise(by, also); err != nil {
		return nil, fmt.Errorf("raise counters: %w", err)
	}
	var out []Counter
	err = s.wr.do(ctx, func(ctx context.Context, tx *wtx) error {
		for _, k := range also {
			if _, err := tx.ExecContext(ctx, `INSERT INTO identificatie_counters (municipality, message_type, last)
				VALUES (?, ?, 0) ON CONFLICT (municipality, message_type) DO NOTHING`, k.Municipality, k.MessageType); err != nil {
				return fmt.Errorf("raise counters: add %s: %w", k, err)
			}
		}
		var over int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM identificatie_counters WHERE last > ?`,
			storecore.MaxIdentificatie-by).Scan(&over); err != nil {
			return fmt.Errorf("raise counters: %w", err)
		}
		if over > 0 {
			return fmt.Errorf("raise counters: %w: %d counter(s) would pass %d", ErrIdentificatieExhausted, over, int64(storecore.MaxIdentificatie))
		}
		if _, err := tx.ExecContext(ctx, `UPDATE identificatie_counters SET last = last + ?`, by); err != nil {
			return fmt.Errorf("raise counters: %w", err)
		}
		var err error
		if out, err = readCounters(ctx, tx); err != nil {
			return err
		}
		_, err = appendEntry(ctx, tx, storecore.Now(), a.String(), "", ledger.EventCountersRaised, storecore.RaiseDetail(by, out))
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
