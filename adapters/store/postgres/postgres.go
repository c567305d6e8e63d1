// Package postgres is the production store of sluis: receipts, the consent
// register and the ledger in PostgreSQL via pgx/v5 (pgxpool). It implements
// receipts.Store, ledger.Reader, ledger.Appender and consent.Store
// (see consent.go), and is safe for several sluis processes sharing one
// database:
//
//   - Register allocates the Identificatie from a counter row per
//     (municipality, message type), locked by its upsert until commit, and
//     inserts with ON CONFLICT DO NOTHING, so a concurrent Register of the
//     same id (any process) waits for the other and then answers from the
//     stored record; the spent counter value is rolled back.
//   - Move locks the disclosure row (SELECT ... FOR UPDATE).
//   - Each state change journals its ledger entry in its own transaction;
//     a sealer chains journaled entries under the ledger_head row lock (see
//     ledger.go). Lock order is counter row, then disclosure row; the head
//     lock is only taken by sealing and Append, which hold no other lock:
//     no deadlocks.
//
// Throughput: Registers for one (municipality, message type) commit one
// after the other (the counter row lock is held through commit); other
// writes commit in parallel and share WAL flushes. Size the pool with
// pool_max_conns in the DSN. See the benchmarks.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

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
	// ErrSchemaTooNew: the database was migrated by a newer sluis.
	ErrSchemaTooNew = storecore.ErrSchemaTooNew
	// ErrBadDSN: Open was given a connection string it cannot parse.
	ErrBadDSN = errors.New("bad PostgreSQL connection string")
)

// closeSealTimeout bounds the last seal in Close when the database is gone.
const closeSealTimeout = 10 * time.Second

// Store is the PostgreSQL store. It is safe for concurrent use.
type Store struct {
	pool   *pgxpool.Pool
	sealer *sealer
}

// DefaultMaxConns is the pool size when the DSN names no pool_max_conns.
const DefaultMaxConns = 16

// Open connects to the database named by dsn (a URL such as
// "postgres://postgres@127.0.0.1:5432/test?sslmode=disable", or key=value
// pairs; pool_max_conns and search_path are honoured) and migrates it.
func Open(ctx context.Context, dsn string) (*Store, error) {
	if dsn == "" {
		return nil, fmt.Errorf("postgres open: %w: empty", ErrBadDSN)
	}
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		// pgx's message may quote the DSN, password included: do not wrap it.
		return nil, fmt.Errorf("postgres open: %w", ErrBadDSN)
	}
	if !strings.Contains(dsn, "pool_max_conns") {
		// pgx's default (max(4, CPUs)) makes the gateway's workers queue
		// for a connection; a pool the size of a typical worker count
		// does not, and stays well under PostgreSQL's max_connections.
		cfg.MaxConns = DefaultMaxConns
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres open: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres open: ping %s:%d: %w", cfg.ConnConfig.Host, cfg.ConnConfig.Port, err)
	}
	if err := migrate(ctx, pool); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres open: %w", err)
	}
	s := &Store{pool: pool}
	s.sealer = startSealer(s)
	return s, nil
}

// Close stops the sealer, seals what this process journaled, and closes
// the pool, waiting for connections in use to be returned. What cannot be
// sealed now stays journaled and is sealed by the next process (or the
// next Open); Close reports that error.
func (s *Store) Close() error {
	s.sealer.stop()
	ctx, cancel := context.WithTimeout(context.Background(), closeSealTimeout)
	defer cancel()
	err := s.seal(ctx)
	s.pool.Close()
	if err != nil {
		return fmt.Errorf("postgres close: %w", err)
	}
	return nil
}

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.pool.Ping(ctx); err != nil {
		return fmt.Errorf("postgres ping: %w", err)
	}
	return nil
}

// queryer is a *pgxpool.Pool or a pgx.Tx.
type queryer interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}
