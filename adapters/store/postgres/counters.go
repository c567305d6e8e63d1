package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/sluis-gateway/sluis/adapters/store/internal/storecore"
	"github.com/sluis-gateway/sluis/internal/actor"
	"github.com/sluis-gateway/sluis/internal/ledger"
)

// Counter and CounterKey are the Identificatie counters' (shared with
// package sqlite).
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
	return readCounters(ctx, s.pool, qCounters)
}

func readCounters(ctx context.Context, q queryer, query string) ([]Counter, error) {
	rows, err := q.Query(ctx, query)
	if err != nil {
		return nil, fmt.Errorf("counters: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Counter, error) {
		var c Counter
		err := r.Scan(&c.Municipality, &c.MessageType, &c.Last)
		return c, err
	})
	if err != nil {
		return nil, fmt.Errorf("counters: %w", err)
	}
	return out, nil
}

// RaiseCounters adds by to every counter, creating those of also that do
// not exist yet at by, and journals one ledger entry (EventCountersRaised)
// with the counters after the raise; all in one transaction. It locks every
// counter row in key order first, so it waits for Registers in flight (in
// any process) and they wait for it: no number is handed out twice. A
// counter that would pass MaxIdentificatie refuses the whole raise
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
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{})
	if err != nil {
		return nil, fmt.Errorf("raise counters: begin: %w", err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // after Commit this is a no-op
	for _, k := range also {
		if _, err := tx.Exec(ctx, `INSERT INTO identificatie_counters (municipality, message_type, last)
			VALUES ($1, $2, 0) ON CONFLICT (municipality, message_type) DO NOTHING`, k.Municipality, k.MessageType); err != nil {
			return nil, fmt.Errorf("raise counters: add %s: %w", k, err)
		}
	}
	before, err := readCounters(ctx, tx, qCounters+` FOR UPDATE`)
	if err != nil {
		return nil, fmt.Errorf("raise counters: lock: %w", err)
	}
	over := 0
	for _, c := range before {
		if c.Last > storecore.MaxIdentificatie-by {
			over++
		}
	}
	if over > 0 {
		return nil, fmt.Errorf("raise counters: %w: %d counter(s) would pass %d", ErrIdentificatieExhausted, over, int64(storecore.MaxIdentificatie))
	}
	if _, err := tx.Exec(ctx, `UPDATE identificatie_counters SET last = last + $1`, by); err != nil {
		return nil, fmt.Errorf("raise counters: %w", err)
	}
	out, err := readCounters(ctx, tx, qCounters)
	if err != nil {
		return nil, err
	}
	if err := journal(ctx, tx, storecore.Now(), a.String(), "", ledger.EventCountersRaised, storecore.RaiseDetail(by, out)); err != nil {
		return nil, fmt.Errorf("raise counters: %w", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, fmt.Errorf("raise counters: commit: %w", err)
	}
	s.sealer.wake()
	return out, nil
}
