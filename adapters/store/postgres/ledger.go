package postgres

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sluis-gateway/sluis/adapters/store/internal/storecore"
	"github.com/sluis-gateway/sluis/internal/actor"
	"github.com/sluis-gateway/sluis/internal/ledger"
)

// The ledger on PostgreSQL is written in two steps, so that state changes
// do not queue behind one lock through every commit:
//
//  1. journal: a state change (Register, Move, RecordInvalid) inserts its
//     entry into ledger_pending in its own transaction. No global lock: the
//     transactions of many callers and processes commit in parallel.
//  2. seal: holding the ledger_head row lock (SELECT ... FOR UPDATE), a
//     sealer moves the committed journal rows, in journal order, into the
//     hash chain (Seq, PrevHash, Hash) and deletes them from the journal,
//     in one transaction. Every process runs a sealer (woken after each
//     write and every sealInterval); Append, Entries and EntriesFor seal
//     first, so a reader always sees every committed change chained.
//
// An entry is thus as durable as the change it records (same transaction),
// and the chain never forks (one head lock). Until sealed (normally within
// milliseconds) a journal row is not yet covered by the chain's hashes.
// Per disclosure the chain order follows the order of its changes: a later
// change starts only after the earlier one committed, so its journal id is
// higher.

// sealInterval is how often a process's sealer looks for journal rows left
// by other processes (e.g. one that crashed between commit and seal).
const sealInterval = 250 * time.Millisecond

// sealPage bounds the journal rows chained per statement round.
const sealPage = 1000

// journal validates and records a ledger entry in the caller's transaction.
func journal(ctx context.Context, tx pgx.Tx, at time.Time, actorName, disclosureID, event string, detail map[string]string) error {
	if _, err := storecore.NewEntry(0, ledger.Genesis, at, actorName, disclosureID, event, detail); err != nil {
		return fmt.Errorf("ledger journal: %w", err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO ledger_pending (at, actor, disclosure_id, event, detail)
		VALUES ($1, $2, $3, $4, $5)`,
		storecore.Trunc(at), actorName, disclosureID, event, storecore.EncodeDetail(detail)); err != nil {
		return fmt.Errorf("ledger journal: %w", err)
	}
	return nil
}

// head is the chain's last entry.
type head struct {
	seq  int64
	hash string
}

func lockHead(ctx context.Context, tx pgx.Tx) (head, error) {
	var h head
	if err := tx.QueryRow(ctx, `SELECT seq, hash FROM ledger_head WHERE id = 1 FOR UPDATE`).Scan(&h.seq, &h.hash); err != nil {
		return head{}, fmt.Errorf("ledger: lock head: %w", err)
	}
	return h, nil
}

func moveHead(ctx context.Context, tx pgx.Tx, h head) error {
	if _, err := tx.Exec(ctx, `UPDATE ledger_head SET seq = $1, hash = $2 WHERE id = 1`, h.seq, h.hash); err != nil {
		return fmt.Errorf("ledger: move head: %w", err)
	}
	return nil
}

// insertEntries writes chained entries in one statement.
func insertEntries(ctx context.Context, tx pgx.Tx, es []ledger.Entry) error {
	n := len(es)
	seqs, ats, schemes := make([]int64, n), make([]time.Time, n), make([]int32, n)
	actors, ids, events, details, prevs, hashes := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	salts := make([]string, n)
	for i, e := range es {
		seqs[i], ats[i], actors[i], ids[i], events[i] = e.Seq, e.At, e.Actor, e.DisclosureID, e.Event
		details[i], prevs[i], hashes[i] = storecore.EncodeDetail(e.Detail), e.PrevHash, e.Hash
		schemes[i], salts[i] = int32(e.Scheme), storecore.EncodeDetail(e.Salts)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO ledger (seq, at, actor, disclosure_id, event, detail, prev_hash, hash, scheme, salts)
		SELECT seq, at, actor, disclosure_id, event, detail::jsonb, prev_hash, hash, scheme, salts::jsonb
		FROM unnest($1::bigint[], $2::timestamptz[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
			$9::smallint[], $10::text[])
			AS u(seq, at, actor, disclosure_id, event, detail, prev_hash, hash, scheme, salts)`,
		seqs, ats, actors, ids, events, details, prevs, hashes, schemes, salts); err != nil {
		return fmt.Errorf("ledger: insert: %w", err)
	}
	return nil
}

// sealLocked chains all committed journal rows after h, in the caller's
// transaction, which holds the head lock. It returns the new head.
func sealLocked(ctx context.Context, tx pgx.Tx, h head) (head, error) {
	for {
		rows, err := tx.Query(ctx, `SELECT id, at, actor, disclosure_id, event, detail::text
			FROM ledger_pending ORDER BY id LIMIT $1`, sealPage)
		if err != nil {
			return head{}, fmt.Errorf("ledger seal: read journal: %w", err)
		}
		var (
			ids     []int64
			entries []ledger.Entry
		)
		for rows.Next() {
			var (
				id                         int64
				at                         time.Time
				actorName, disclosure, evt string
				detailText                 string
			)
			if err := rows.Scan(&id, &at, &actorName, &disclosure, &evt, &detailText); err != nil {
				rows.Close()
				return head{}, fmt.Errorf("ledger seal: read journal: %w", err)
			}
			detail, err := storecore.DecodeDetail(detailText)
			if err != nil {
				rows.Close()
				return head{}, fmt.Errorf("ledger seal: journal row %d: %w", id, err)
			}
			e, err := storecore.NewEntry(h.seq, h.hash, at, actorName, disclosure, evt, detail)
			if err != nil {
				rows.Close()
				return head{}, fmt.Errorf("ledger seal: journal row %d: %w", id, err)
			}
			ids = append(ids, id)
			entries = append(entries, e)
			h = head{seq: e.Seq, hash: e.Hash}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return head{}, fmt.Errorf("ledger seal: read journal: %w", err)
		}
		if len(entries) == 0 {
			return h, nil
		}
		if err := insertEntries(ctx, tx, entries); err != nil {
			return head{}, fmt.Errorf("ledger seal: %w", err)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM ledger_pending WHERE id = ANY($1)`, ids); err != nil {
			return head{}, fmt.Errorf("ledger seal: clear journal: %w", err)
		}
		if len(entries) < sealPage {
			return h, nil
		}
	}
}

// seal chains every committed journal row. It takes the head lock only
// when there is something to seal.
func (s *Store) seal(ctx context.Context) error {
	var pending bool
	if err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM ledger_pending)`).Scan(&pending); err != nil {
		return fmt.Errorf("ledger seal: %w", err)
	}
	if !pending {
		return nil
	}
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{})
	if err != nil {
		return fmt.Errorf("ledger seal: begin: %w", err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // after Commit this is a no-op
	h, err := lockHead(ctx, tx)
	if err != nil {
		return err
	}
	nh, err := sealLocked(ctx, tx, h)
	if err != nil {
		return err
	}
	if nh == h {
		return nil // another process sealed first
	}
	if err := moveHead(ctx, tx, nh); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("ledger seal: commit: %w", err)
	}
	return nil
}

// Append implements ledger.Appender: it seals the journal, then chains its
// own entry, in one transaction.
func (s *Store) Append(ctx context.Context, disclosureID, event string, detail map[string]string) (ledger.Entry, error) {
	a, err := actor.From(ctx)
	if err != nil {
		return ledger.Entry{}, fmt.Errorf("ledger append: %w", err)
	}
	now := storecore.Now()
	// Check before taking the head lock.
	if _, err := storecore.NewEntry(0, ledger.Genesis, now, a.String(), disclosureID, event, detail); err != nil {
		return ledger.Entry{}, fmt.Errorf("ledger append: %w", err)
	}
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{})
	if err != nil {
		return ledger.Entry{}, fmt.Errorf("ledger append: begin: %w", err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // after Commit this is a no-op
	h, err := lockHead(ctx, tx)
	if err != nil {
		return ledger.Entry{}, fmt.Errorf("ledger append: %w", err)
	}
	if h, err = sealLocked(ctx, tx, h); err != nil {
		return ledger.Entry{}, fmt.Errorf("ledger append: %w", err)
	}
	e, err := storecore.NewEntry(h.seq, h.hash, now, a.String(), disclosureID, event, detail)
	if err != nil {
		return ledger.Entry{}, fmt.Errorf("ledger append: %w", err)
	}
	if err := insertEntries(ctx, tx, []ledger.Entry{e}); err != nil {
		return ledger.Entry{}, fmt.Errorf("ledger append: %w", err)
	}
	if err := moveHead(ctx, tx, head{seq: e.Seq, hash: e.Hash}); err != nil {
		return ledger.Entry{}, fmt.Errorf("ledger append: %w", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return ledger.Entry{}, fmt.Errorf("ledger append: commit: %w", err)
	}
	return e, nil
}

const entryColumns = `seq, at, actor, disclosure_id, event, detail::text, prev_hash, hash, scheme, salts::text, redacted::text, redacted_at`

func (s *Store) queryEntries(ctx context.Context, query string, args ...any) ([]ledger.Entry, error) {
	if err := s.seal(ctx); err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	return scanEntries(rows)
}

// scanEntries reads rows of entryColumns and closes them.
func scanEntries(rows pgx.Rows) ([]ledger.Entry, error) {
	defer rows.Close()
	var out []ledger.Entry
	for rows.Next() {
		var (
			e                       ledger.Entry
			detail, salts, redacted string
			scheme                  int16
			redactedAt              *time.Time
		)
		if err := rows.Scan(&e.Seq, &e.At, &e.Actor, &e.DisclosureID, &e.Event, &detail, &e.PrevHash, &e.Hash,
			&scheme, &salts, &redacted, &redactedAt); err != nil {
			return nil, err
		}
		e.At = storecore.Trunc(e.At)
		e.Scheme = int(scheme)
		if redactedAt != nil {
			e.RedactedAt = storecore.Trunc(*redactedAt)
		}
		var err error
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

// Entries implements ledger.Reader. It seals the journal first, so every
// committed change is in the chain.
func (s *Store) Entries(ctx context.Context, from int64, limit int) ([]ledger.Entry, error) {
	if err := storecore.CheckLimit(limit); err != nil {
		return nil, fmt.Errorf("ledger entries: %w", err)
	}
	out, err := s.queryEntries(ctx, `SELECT `+entryColumns+` FROM ledger WHERE seq >= $1 ORDER BY seq LIMIT $2`, from, limit)
	if err != nil {
		return nil, fmt.Errorf("ledger entries from %d: %w", from, err)
	}
	return out, nil
}

// EntriesFor implements ledger.Reader. It seals the journal first.
func (s *Store) EntriesFor(ctx context.Context, disclosureID string) ([]ledger.Entry, error) {
	out, err := s.queryEntries(ctx, `SELECT `+entryColumns+` FROM ledger WHERE disclosure_id = $1 ORDER BY seq`, disclosureID)
	if err != nil {
		return nil, fmt.Errorf("ledger entries for %s: %w", disclosureID, err)
	}
	return out, nil
}

// sealer seals in the background: after writes (wake) and every
// sealInterval. Errors are retried on the next round; readers seal
// synchronously and report them.
type sealer struct {
	kick   chan struct{}
	cancel context.CancelFunc
	done   chan struct{}
	once   sync.Once
}

func startSealer(s *Store) *sealer {
	ctx, cancel := context.WithCancel(context.Background())
	sl := &sealer{kick: make(chan struct{}, 1), cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(sl.done)
		t := time.NewTicker(sealInterval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-sl.kick:
			case <-t.C:
			}
			_ = s.seal(ctx) // retried next round; readers report errors
		}
	}()
	return sl
}

// wake asks for a seal soon; it never blocks.
func (sl *sealer) wake() {
	select {
	case sl.kick <- struct{}{}:
	default:
	}
}

func (sl *sealer) stop() {
	sl.once.Do(func() {
		sl.cancel()
		<-sl.done
	})
}
