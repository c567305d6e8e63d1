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
	"sync"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/sluis-gateway/sluis/adapters/store/internal/storecore"
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

// readQueries are the hot read queries, prepared on the readers at Open:
// the consent register's (consent_use.go) and the archive's (archive.go),
// which every disclosure runs.
var readQueries = []string{
	qRegisterConsents, qRegisterRestrictions, qRegisterRepresentative, qRegisterObjections,
	qArchiveLiveKey, qArchiveEntry,
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
	if err := checkPath(path); err != nil {
		return nil, fmt.Errorf("sqlite open: %w", err)
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
