package testenv

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	_ "modernc.org/sqlite" // the "sqlite" database/sql driver the SQLite store uses
)

// TamperLedger rewrites the detail of ledger entry seq behind the store's
// back, as someone with write access to the database could: it drops (or
// disables) the append-only trigger first. store is "sqlite" (dsn: the file
// path) or "postgres" (dsn: the database URL). The entry's hash is left as
// it was, so the chain no longer verifies at seq.
func TamperLedger(t testing.TB, store, dsn string, seq int64) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	const detail = `{"tampered":"yes"}`
	switch store {
	case "sqlite":
		db, err := sql.Open("sqlite", "file:"+dsn+"?_pragma=busy_timeout(10000)")
		if err != nil {
			t.Fatalf("tamper ledger: %v", err)
		}
		defer db.Close()
		if _, err := db.ExecContext(ctx, `DROP TRIGGER IF EXISTS ledger_no_update`); err != nil {
			t.Fatalf("tamper ledger: drop trigger: %v", err)
		}
		res, err := db.ExecContext(ctx, `UPDATE ledger SET detail = ? WHERE seq = ?`, detail, seq)
		if err != nil {
			t.Fatalf("tamper ledger: %v", err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			t.Fatalf("tamper ledger: no entry %d", seq)
		}
	case "postgres":
		conn, err := pgx.Connect(ctx, dsn)
		if err != nil {
			t.Fatalf("tamper ledger: %v", err)
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, `ALTER TABLE ledger DISABLE TRIGGER ledger_no_change`); err != nil {
			t.Fatalf("tamper ledger: disable trigger: %v", err)
		}
		tag, err := conn.Exec(ctx, `UPDATE ledger SET detail = $1::jsonb WHERE seq = $2`, detail, seq)
		if err != nil {
			t.Fatalf("tamper ledger: %v", err)
		}
		if tag.RowsAffected() != 1 {
			t.Fatalf("tamper ledger: no entry %d", seq)
		}
	default:
		t.Fatalf("tamper ledger: unknown store %q", store)
	}
}
