package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
)

// ErrClosed is returned by writes after Close.
var ErrClosed = errors.New("store closed")

// maxBatch bounds how many writes share one transaction.
const maxBatch = 256

// writeOp is one caller's write, run inside a shared transaction.
type writeOp struct {
	ctx  context.Context // the caller's: checked before the op runs
	fn   func(ctx context.Context, tx *wtx) error
	done chan error // buffered(1): the op's result, sent after the commit
}

// writer runs all writes on the single writer connection with group
// commit: the writes that queue up while a transaction commits go together
// into the next one, each inside its own SAVEPOINT, and one commit (one
// WAL sync) makes them all durable. A write that fails is rolled back to
// its savepoint and does not affect the others. Every caller gets its
// answer only after the commit, so nothing is acknowledged before it is on
// disk; if the commit fails, every write in the batch fails.
type writer struct {
	db      *sql.DB
	ops     chan *writeOp // unbuffered: a sent op is owned by the loop
	quit    chan struct{}
	stopped chan struct{}
	once    sync.Once
	// base is the context of batch transactions: one caller giving up must
	// not abort the others' transaction.
	base   context.Context
	cancel context.CancelFunc
	// stmts holds the statements prepared at start, by query text
	// (writeQueries); read-only after newWriter.
	stmts map[string]*sql.Stmt
}

// wtx is the batch transaction as the ops see it: statements are prepared
// once on the writer connection and reused (SQLite parsing is a quarter of
// the CPU of a write otherwise).
type wtx struct {
	tx *sql.Tx
	w  *writer
}

// stmt returns the prepared statement for query bound to the transaction,
// or nil for a query that was not prepared at start (it then runs
// unprepared: preparing on the pool now would wait for the one connection
// the transaction holds).
func (t *wtx) stmt(ctx context.Context, query string) *sql.Stmt {
	st, ok := t.w.stmts[query]
	if !ok {
		return nil
	}
	return t.tx.StmtContext(ctx, st)
}

// ExecContext runs a cached prepared statement in the transaction.
func (t *wtx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if st := t.stmt(ctx, query); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return t.tx.ExecContext(ctx, query, args...)
}

// QueryContext runs a cached prepared query in the transaction.
func (t *wtx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if st := t.stmt(ctx, query); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return t.tx.QueryContext(ctx, query, args...)
}

// QueryRowContext runs a cached prepared single-row query in the
// transaction.
func (t *wtx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if st := t.stmt(ctx, query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return t.tx.QueryRowContext(ctx, query, args...)
}

// Savepoint statements of the batch.
const (
	qSavepoint  = `SAVEPOINT op`
	qRollbackTo = `ROLLBACK TO op`
	qRelease    = `RELEASE op`
)

// newWriter prepares the write statements and starts the loop.
func newWriter(ctx context.Context, db *sql.DB) (*writer, error) {
	stmts := make(map[string]*sql.Stmt, len(writeQueries))
	for _, q := range writeQueries {
		st, err := db.PrepareContext(ctx, q)
		if err != nil {
			for _, st := range stmts {
				st.Close()
			}
			return nil, fmt.Errorf("prepare: %w", err)
		}
		stmts[q] = st
	}
	base, cancel := context.WithCancel(context.Background())
	w := &writer{
		db:      db,
		ops:     make(chan *writeOp),
		quit:    make(chan struct{}),
		stopped: make(chan struct{}),
		base:    base,
		cancel:  cancel,
		stmts:   stmts,
	}
	go w.loop()
	return w, nil
}

// do runs fn in a write transaction and returns its error, or the commit's.
// Results fn stores in the caller's variables are valid when do returns nil.
// Once handed over, the write runs to its end even if ctx is cancelled
// meanwhile: it was either done or not, never unknown.
func (w *writer) do(ctx context.Context, fn func(ctx context.Context, tx *wtx) error) error {
	op := &writeOp{ctx: ctx, fn: fn, done: make(chan error, 1)}
	select {
	case w.ops <- op:
	case <-ctx.Done():
		return ctx.Err()
	case <-w.quit:
		return ErrClosed
	}
	return <-op.done
}

func (w *writer) loop() {
	defer close(w.stopped)
	for {
		var first *writeOp
		select {
		case first = <-w.ops:
		case <-w.quit:
			return
		}
		batch := []*writeOp{first}
	drain:
		for len(batch) < maxBatch {
			select {
			case op := <-w.ops:
				batch = append(batch, op)
			default:
				break drain
			}
		}
		w.run(batch)
	}
}

// run executes one batch and answers every op in it.
func (w *writer) run(batch []*writeOp) {
	errs := make([]error, len(batch))
	fail := func(err error) {
		for _, op := range batch {
			op.done <- err
		}
	}
	tx, err := w.db.BeginTx(w.base, nil)
	if err != nil {
		fail(fmt.Errorf("begin: %w", err))
		return
	}
	t := &wtx{tx: tx, w: w}
	for i, op := range batch {
		if err := op.ctx.Err(); err != nil {
			errs[i] = err
			continue
		}
		if _, err := t.ExecContext(w.base, qSavepoint); err != nil {
			tx.Rollback() //nolint:errcheck // already failing
			fail(fmt.Errorf("savepoint: %w", err))
			return
		}
		errs[i] = op.fn(w.base, t)
		if errs[i] != nil {
			if _, err := t.ExecContext(w.base, qRollbackTo); err != nil {
				tx.Rollback() //nolint:errcheck // already failing
				fail(fmt.Errorf("rollback to savepoint: %w", err))
				return
			}
		}
		if _, err := t.ExecContext(w.base, qRelease); err != nil {
			tx.Rollback() //nolint:errcheck // already failing
			fail(fmt.Errorf("release savepoint: %w", err))
			return
		}
	}
	if err := tx.Commit(); err != nil {
		fail(fmt.Errorf("commit: %w", err))
		return
	}
	for i, op := range batch {
		op.done <- errs[i]
	}
}

// close stops the loop after the batch in progress; later writes fail
// with ErrClosed.
func (w *writer) close() {
	w.once.Do(func() {
		close(w.quit)
		<-w.stopped
		w.cancel()
		for _, st := range w.stmts {
			st.Close()
		}
	})
}
