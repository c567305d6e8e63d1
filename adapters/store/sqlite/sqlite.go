// Package sqlite is the embedded store of sluis: receipts, the consent
// register and the ledger in one SQLite file (modernc.org/sqlite, pure Go).
// It implements receipts.Store, ledger.Reader, ledger.Appender and
// consent.Store.
//
// Durability: WAL with synchronous=FULL by default, so a method returns only
// after its transaction is on disk. Writes go through one connection, with
// group commit: writes that arrive while a transaction commits share the
// next one, each in its own savepoint (see writer). Transactions start with
// BEGIN IMMEDIATE, so callers queue instead of seeing SQLITE_BUSY, and
// several processes on one file wait for each other up to the busy timeout.
// The ledger is appended in the same transaction as the change it records;
// the single writer keeps the chain from forking. Reads use a separate
// pool and never wait for writers.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/sluis-gateway/sluis/adapters/store/internal/storecore"
	"github.com/sluis-gateway/sluis/internal/actor"
	"github.com/sluis-gateway/sluis/internal/ledger"
	"github.com/sluis-gateway/sluis/internal/receipts"
)

// Compile-time checks that Store implements the ports.
var (
	_ receipts.Store  = (*Store)(nil)
	_ ledger.Reader   = (*Store)(nil)
	_ ledger.Appender = (*Store)(nil)
)

// Named errors, besides those of receipts and actor.
var (
	// ErrBadArgument: a limit, state or text the store cannot work with.
	ErrBadArgument = storecore.ErrBadArgument
	// ErrIdentificatieExhausted: a (municipality, message type) counter
	// would need more than 12 digits.
	ErrIdentificatieExhausted = storecore.ErrIdentificatieExhausted
	// ErrSchemaTooNew: the file was migrated by a newer sluis.
	ErrSchemaTooNew = storecore.ErrSchemaTooNew
	// ErrBadPath: Open was given a path it cannot use.
	ErrBadPath = errors.New("bad database path")
)

// Synchronous is SQLite's synchronous setting for the WAL.
type Synchronous string

const (
	// SynchronousFull syncs the WAL on every commit: a returned write
	// survives power loss. The default.
	SynchronousFull Synchronous = "FULL"
	// SynchronousNormal syncs only at checkpoints: several times the commit
	// rate, and the database stays consistent, but the last transactions
	// before a power loss or OS crash (not a process crash) can be lost
	// after they were acknowledged; sluis would then have acked AMQP
	// messages whose receipts are gone. Use only where that is acceptable.
	SynchronousNormal Synchronous = "NORMAL"
)

// Option configures Open.
type Option func(*options) error

type options struct {
	sync        Synchronous
	busyTimeout time.Duration
}

// WithSynchronous sets the synchronous mode (default SynchronousFull).
func WithSynchronous(s Synchronous) Option {
	return func(o *options) error {
		if s != SynchronousFull && s != SynchronousNormal {
			return fmt.Errorf("%w: synchronous must be FULL or NORMAL", ErrBadArgument)
		}
		o.sync = s
		return nil
	}
}

// WithBusyTimeout sets how long a write waits for another process holding
// the file's write lock (default 10s).
func WithBusyTimeout(d time.Duration) Option {
	return func(o *options) error {
		if d < time.Millisecond {
			return fmt.Errorf("%w: busy timeout below 1ms", ErrBadArgument)
		}
		o.busyTimeout = d
		return nil
	}
}

// Store is the SQLite store. It is safe for concurrent use.
type Store struct {
	w *sql.DB // the single writer connection, used by wr only
	r *sql.DB // readers (query_only)
	// rstmts are the hot read queries (readQueries), prepared once: SQLite
	// parsing them on every call cost more than running them.
	rstmts map[string]*sql.Stmt
	wr     *writer
	closed sync.Once
}

// Open opens (creating if needed) the database file at path, and migrates it.
func Open(ctx context.Context, path string, opts ...Option) (*Store, error) {
	o := options{sync: SynchronousFull, busyTimeout: 10 * time.Second}
	for _, opt := range opts {
		if err := opt(&o); err != nil {
			return nil, fmt.Errorf("sqlite open: %w", err)
		}
	}
	if path == "" || strings.ContainsAny(path, "?#") || strings.HasPrefix(path, ":memory:") || strings.HasPrefix(path, "file:") {
		return nil, fmt.Errorf("sqlite open: %w: want a plain file path", ErrBadPath)
	}
	busy := fmt.Sprintf("busy_timeout(%d)", o.busyTimeout.Milliseconds())

	wq := url.Values{}
	wq.Set("_txlock", "immediate")
	wq.Add("_pragma", busy)
	wq.Add("_pragma", "journal_mode(WAL)")
	wq.Add("_pragma", "synchronous("+string(o.sync)+")")
	wq.Add("_pragma", "foreign_keys(1)")
	w, err := sql.Open("sqlite", "file:"+path+"?"+wq.Encode())
	if err != nil {
		return nil, fmt.Errorf("sqlite open writer: %w", err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	if err := w.PingContext(ctx); err != nil {
		w.Close()
		return nil, fmt.Errorf("sqlite open writer: %w", err)
	}
	if err := migrate(ctx, w); err != nil {
		w.Close()
		return nil, fmt.Errorf("sqlite open: %w", err)
	}

	rq := url.Values{}
	rq.Add("_pragma", busy)
	rq.Add("_pragma", "query_only(1)")
	r, err := sql.Open("sqlite", "file:"+path+"?"+rq.Encode())
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("sqlite open readers: %w", err)
	}
	n := max(4, runtime.GOMAXPROCS(0))
	r.SetMaxOpenConns(n)
	r.SetMaxIdleConns(n)
	if err := r.PingContext(ctx); err != nil {
		w.Close()
		r.Close()
		return nil, fmt.Errorf("sqlite open readers: %w", err)
	}
	rstmts := make(map[string]*sql.Stmt, len(readQueries))
	for _, q := range readQueries {
		st, err := r.PrepareContext(ctx, q)
		if err != nil {
			w.Close()
			r.Close()
			return nil, fmt.Errorf("sqlite open: prepare: %w", err)
		}
		rstmts[q] = st
	}
	wr, err := newWriter(ctx, w)
	if err != nil {
		w.Close()
		r.Close()
		return nil, fmt.Errorf("sqlite open: %w", err)
	}
	return &Store{w: w, r: r, rstmts: rstmts, wr: wr}, nil
}

// readStmt returns the prepared read query bound to tx (database/sql keeps
// one preparation per reader connection and reuses it).
func (s *Store) readStmt(ctx context.Context, tx *sql.Tx, query string) *sql.Stmt {
	return tx.StmtContext(ctx, s.rstmts[query])
}

// Close waits for the write batch in progress, then closes the database.
// Later writes fail with ErrClosed.
func (s *Store) Close() error {
	var err error
	s.closed.Do(func() {
		s.wr.close()
		for _, st := range s.rstmts {
			st.Close()
		}
		err = errors.Join(s.r.Close(), s.w.Close())
	})
	return err
}

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.r.PingContext(ctx); err != nil {
		return fmt.Errorf("sqlite ping: %w", err)
	}
	return nil
}

// queryer is *sql.DB or *sql.Tx.
type queryer interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

const recordColumns = `disclosure_id, municipality, system, recipient, standard, message_type,
	purpose, basis, client_key, request_hash, state, identificatie, message_id, reason,
	reason_codes, retour_codes, state_times, created_at, updated_at`

// The writer's statements, prepared once (see writeQueries).
const (
	qGetRecord         = `SELECT ` + recordColumns + ` FROM disclosures WHERE disclosure_id = ?`
	qNextIdentificatie = `INSERT INTO identificatie_counters (municipality, message_type, last)
		VALUES (?, ?, 1)
		ON CONFLICT (municipality, message_type) DO UPDATE SET last = last + 1
		RETURNING last`
	qInsertDisclosure = `INSERT INTO disclosures (` + recordColumns + `, state_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	qUpdateDisclosure = `UPDATE disclosures SET state = ?, reason = ?, reason_codes = ?,
		retour_codes = ?, state_times = ?, state_at = ?, updated_at = ? WHERE disclosure_id = ?`
	qInsertInvalid = `INSERT INTO invalid_requests
		(disclosure_id, municipality, system, reason, received_at, actor) VALUES (?, ?, ?, ?, ?, ?)`
	qLedgerHead  = `SELECT seq, hash FROM ledger_head WHERE id = 1`
	qInsertEntry = `INSERT INTO ledger
		(seq, at, actor, disclosure_id, event, detail, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`
	qMoveHead = `UPDATE ledger_head SET seq = ?, hash = ? WHERE id = 1`
)

var writeQueries = []string{
	qGetRecord, qNextIdentificatie, qInsertDisclosure, qUpdateDisclosure, qInsertInvalid,
	qLedgerHead, qInsertEntry, qMoveHead, qSavepoint, qRollbackTo, qRelease,
}

type scanner interface{ Scan(dest ...any) error }

func scanRecord(row scanner) (receipts.Record, error) {
	var (
		r                            receipts.Record
		state, reasonCodes, retCodes string
		stateTimes                   string
		created, updated             int64
	)
	err := row.Scan(&r.DisclosureID, &r.Municipality, &r.System, &r.Recipient, &r.Standard,
		&r.MessageType, &r.Purpose, &r.Basis, &r.ClientKey, &r.RequestHash, &state,
		&r.Identificatie, &r.MessageID, &r.Reason, &reasonCodes, &retCodes, &stateTimes,
		&created, &updated)
	if err != nil {
		return receipts.Record{}, err
	}
	r.State = receipts.State(state)
	if r.ReasonCodes, err = storecore.DecodeCodes(reasonCodes); err != nil {
		return receipts.Record{}, err
	}
	if r.RetourCodes, err = storecore.DecodeCodes(retCodes); err != nil {
		return receipts.Record{}, err
	}
	if r.At, err = storecore.DecodeAt(stateTimes); err != nil {
		return receipts.Record{}, err
	}
	r.CreatedAt = storecore.FromMicros(created)
	r.UpdatedAt = storecore.FromMicros(updated)
	return r, nil
}

func getRecord(ctx context.Context, q queryer, disclosureID string) (receipts.Record, error) {
	rec, err := scanRecord(q.QueryRowContext(ctx, qGetRecord, disclosureID))
	if errors.Is(err, sql.ErrNoRows) {
		return receipts.Record{}, fmt.Errorf("disclosure %s: %w", disclosureID, receipts.ErrNotFound)
	}
	if err != nil {
		return receipts.Record{}, fmt.Errorf("get disclosure %s: %w", disclosureID, err)
	}
	return rec, nil
}

// Register implements receipts.Store.
func (s *Store) Register(ctx context.Context, r receipts.Record) (receipts.Record, bool, error) {
	a, err := actor.From(ctx)
	if err != nil {
		return receipts.Record{}, false, fmt.Errorf("register: %w", err)
	}
	if err := storecore.CheckRecord(r); err != nil {
		return receipts.Record{}, false, fmt.Errorf("register: %w", err)
	}
	var (
		out     receipts.Record
		created bool
	)
	err = s.wr.do(ctx, func(ctx context.Context, tx *wtx) error {
		existing, err := getRecord(ctx, tx, r.DisclosureID)
		switch {
		case err == nil:
			if existing.RequestHash != r.RequestHash {
				return fmt.Errorf("register %s: %w", r.DisclosureID, receipts.ErrConflict)
			}
			out = existing
			return nil
		case !errors.Is(err, receipts.ErrNotFound):
			return fmt.Errorf("register: %w", err)
		}

		var n int64
		if err := tx.QueryRowContext(ctx, qNextIdentificatie, r.Municipality, r.MessageType).Scan(&n); err != nil {
			return fmt.Errorf("register %s: allocate identificatie: %w", r.DisclosureID, err)
		}
		ident, err := storecore.Identificatie(n)
		if err != nil {
			return fmt.Errorf("register %s: %w", r.DisclosureID, err)
		}

		now := storecore.Now()
		rec := r
		rec.State = receipts.Received
		rec.Identificatie = ident
		rec.MessageID = receipts.MessageID(r.MessageType, r.Municipality, ident)
		rec.Reason, rec.ReasonCodes, rec.RetourCodes = "", nil, nil
		rec.At = map[receipts.State]time.Time{receipts.Received: now}
		rec.CreatedAt, rec.UpdatedAt = now, now

		if _, err := tx.ExecContext(ctx, qInsertDisclosure,
			rec.DisclosureID, rec.Municipality, rec.System, rec.Recipient, rec.Standard, rec.MessageType,
			rec.Purpose, rec.Basis, rec.ClientKey, rec.RequestHash, string(rec.State), rec.Identificatie,
			rec.MessageID, rec.Reason, storecore.EncodeCodes(nil), storecore.EncodeCodes(nil),
			storecore.EncodeAt(rec.At), storecore.Micros(now), storecore.Micros(now), storecore.Micros(now)); err != nil {
			return fmt.Errorf("register %s: insert: %w", r.DisclosureID, err)
		}
		if _, err := appendEntry(ctx, tx, now, a.String(), rec.DisclosureID,
			ledger.StateEvent(string(receipts.Received)), storecore.RegisterDetail(rec)); err != nil {
			return fmt.Errorf("register %s: %w", r.DisclosureID, err)
		}
		out, created = rec, true
		return nil
	})
	if err != nil {
		return receipts.Record{}, false, err
	}
	return out, created, nil
}

// Move implements receipts.Store.
func (s *Store) Move(ctx context.Context, disclosureID string, c receipts.Change) (receipts.Record, error) {
	recs, err := s.MoveAll(ctx, disclosureID, c)
	if err != nil {
		return receipts.Record{}, err
	}
	return recs[0], nil
}

// MoveAll implements receipts.Store: the changes are one write, so they
// cost the writer one record read and one savepoint however many there are.
func (s *Store) MoveAll(ctx context.Context, disclosureID string, cs ...receipts.Change) ([]receipts.Record, error) {
	a, err := actor.From(ctx)
	if err != nil {
		return nil, fmt.Errorf("move %s: %w", disclosureID, err)
	}
	if err := storecore.CheckChanges(cs); err != nil {
		return nil, fmt.Errorf("move %s: %w", disclosureID, err)
	}
	var out []receipts.Record
	err = s.wr.do(ctx, func(ctx context.Context, tx *wtx) error {
		rec, err := getRecord(ctx, tx, disclosureID)
		if err != nil {
			return fmt.Errorf("move: %w", err)
		}
		now := storecore.Now()
		recs, err := receipts.ApplyAll(disclosureID, rec, storecore.TruncChanges(cs), now)
		if err != nil {
			return err
		}
		last := recs[len(recs)-1]
		if _, err := tx.ExecContext(ctx, qUpdateDisclosure,
			string(last.State), last.Reason, storecore.EncodeCodes(last.ReasonCodes),
			storecore.EncodeCodes(last.RetourCodes), storecore.EncodeAt(last.At), storecore.Micros(last.At[last.State]),
			storecore.Micros(now), disclosureID); err != nil {
			return fmt.Errorf("move %s: update: %w", disclosureID, err)
		}
		from := rec.State
		for i, c := range cs {
			if _, err := appendEntry(ctx, tx, now, a.String(), disclosureID, ledger.StateEvent(string(c.To)),
				storecore.MoveDetail(from, c)); err != nil {
				return fmt.Errorf("move %s: %w", disclosureID, err)
			}
			from = recs[i].State
		}
		out = recs
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Get implements receipts.Store.
func (s *Store) Get(ctx context.Context, disclosureID string) (receipts.Record, error) {
	return getRecord(ctx, s.r, disclosureID)
}

// ByIdentificatie implements receipts.Store.
func (s *Store) ByIdentificatie(ctx context.Context, municipality, messageType, identificatie string) (receipts.Record, error) {
	rec, err := scanRecord(s.r.QueryRowContext(ctx, `SELECT `+recordColumns+` FROM disclosures
		WHERE municipality = ? AND message_type = ? AND identificatie = ?`,
		municipality, messageType, identificatie))
	if errors.Is(err, sql.ErrNoRows) {
		return receipts.Record{}, fmt.Errorf("identificatie %s/%s/%s: %w", municipality, messageType, identificatie, receipts.ErrNotFound)
	}
	if err != nil {
		return receipts.Record{}, fmt.Errorf("by identificatie: %w", err)
	}
	return rec, nil
}

// InState implements receipts.Store. Ties in time are broken by
// registration order.
func (s *Store) InState(ctx context.Context, st receipts.State, before time.Time, limit int) ([]receipts.Record, error) {
	if err := storecore.CheckLimit(limit); err != nil {
		return nil, fmt.Errorf("in state: %w", err)
	}
	rows, err := s.r.QueryContext(ctx, `SELECT `+recordColumns+` FROM disclosures
		WHERE state = ? AND state_at < ? ORDER BY state_at, seq LIMIT ?`,
		string(st), storecore.Micros(before), limit)
	if err != nil {
		return nil, fmt.Errorf("in state %s: %w", st, err)
	}
	defer rows.Close()
	var out []receipts.Record
	for rows.Next() {
		rec, err := scanRecord(rows)
		if err != nil {
			return nil, fmt.Errorf("in state %s: %w", st, err)
		}
		out = append(out, rec)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("in state %s: %w", st, err)
	}
	return out, nil
}

// RecordInvalid implements receipts.Store. A zero ReceivedAt means now.
func (s *Store) RecordInvalid(ctx context.Context, r receipts.InvalidRequest) error {
	a, err := actor.From(ctx)
	if err != nil {
		return fmt.Errorf("record invalid: %w", err)
	}
	if err := storecore.CheckInvalid(r); err != nil {
		return fmt.Errorf("record invalid: %w", err)
	}
	now := storecore.Now()
	received := now
	if !r.ReceivedAt.IsZero() {
		received = storecore.Trunc(r.ReceivedAt)
	}
	return s.wr.do(ctx, func(ctx context.Context, tx *wtx) error {
		if _, err := tx.ExecContext(ctx, qInsertInvalid,
			r.DisclosureID, r.Municipality, r.System, r.Reason, storecore.Micros(received), a.String()); err != nil {
			return fmt.Errorf("record invalid: insert: %w", err)
		}
		if _, err := appendEntry(ctx, tx, now, a.String(), r.DisclosureID, ledger.EventIntakeInvalid,
			storecore.InvalidDetail(r)); err != nil {
			return fmt.Errorf("record invalid: %w", err)
		}
		return nil
	})
}

// CountByState implements receipts.Store. Every known state is present,
// with 0 when no disclosure is in it.
func (s *Store) CountByState(ctx context.Context) (map[receipts.State]int64, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT state, COUNT(*) FROM disclosures GROUP BY state`)
	if err != nil {
		return nil, fmt.Errorf("count by state: %w", err)
	}
	defer rows.Close()
	out := make(map[receipts.State]int64, len(storecore.States))
	for _, st := range storecore.States {
		out[st] = 0
	}
	for rows.Next() {
		var (
			st string
			n  int64
		)
		if err := rows.Scan(&st, &n); err != nil {
			return nil, fmt.Errorf("count by state: %w", err)
		}
		out[receipts.State(st)] = n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("count by state: %w", err)
	}
	return out, nil
}

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
		storecore.EncodeDetail(e.Detail), e.PrevHash, e.Hash); err != nil {
		return ledger.Entry{}, fmt.Errorf("ledger append: insert: %w", err)
	}
	if _, err := tx.ExecContext(ctx, qMoveHead, e.Seq, e.Hash); err != nil {
		return ledger.Entry{}, fmt.Errorf("ledger append: move head: %w", err)
	}
	return e, nil
}

const entryColumns = `seq, at, actor, disclosure_id, event, detail, prev_hash, hash`

func (s *Store) queryEntries(ctx context.Context, query string, args ...any) ([]ledger.Entry, error) {
	rows, err := s.r.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []ledger.Entry
	for rows.Next() {
		var (
			e      ledger.Entry
			at     int64
			detail string
		)
		if err := rows.Scan(&e.Seq, &at, &e.Actor, &e.DisclosureID, &e.Event, &detail, &e.PrevHash, &e.Hash); err != nil {
			return nil, err
		}
		e.At = storecore.FromMicros(at)
		if e.Detail, err = storecore.DecodeDetail(detail); err != nil {
			return nil, fmt.Errorf("entry %d: %w", e.Seq, err)
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
