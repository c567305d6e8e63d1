package storecopy_test

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"testing"

	_ "modernc.org/sqlite"

	"github.com/sluis-gateway/sluis/adapters/store/postgres"
	"github.com/sluis-gateway/sluis/adapters/store/sqlite"
	"github.com/sluis-gateway/sluis/adapters/store/storecopy"
	"github.com/sluis-gateway/sluis/adapters/store/storetest"
	"github.com/sluis-gateway/sluis/internal/testenv"
)

func openSQLite(t *testing.T, path string) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatalf("sqlite.Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func openPostgres(t *testing.T, dsn string) *postgres.Store {
	t.Helper()
	s, err := postgres.Open(context.Background(), dsn)
	if err != nil {
		t.Fatalf("postgres.Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// filledSQLite is an SQLite store with everything in it, closed again.
func filledSQLite(t *testing.T) (string, storetest.Filled) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "sluis.db")
	s := openSQLite(t, path)
	f := storetest.Fill(t, s)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	return path, f
}

// TestSQLiteToPostgres: the copy holds everything, its ledger verifies
// with the same head, and the counters continue, so no MessageID or
// Identificatie is used twice after the move.
func TestSQLiteToPostgres(t *testing.T) {
	path, filled := filledSQLite(t)
	dsn := testenv.PostgresSchema(t)
	rep, err := storecopy.SQLiteToPostgres(context.Background(), path, dsn)
	if err != nil {
		t.Fatalf("SQLiteToPostgres: %v", err)
	}
	last := filled.Ledger[len(filled.Ledger)-1]
	if rep.Head.Seq != last.Seq || rep.Head.Hash != last.Hash {
		t.Fatalf("report head %d %s, want %d %s", rep.Head.Seq, rep.Head.Hash, last.Seq, last.Hash)
	}
	rows := map[string]int64{}
	for _, tc := range rep.Tables {
		rows[tc.Table] = tc.Rows
	}
	for tb, want := range map[string]int64{
		"disclosures": int64(len(filled.Records)), "ledger": last.Seq, "ledger_head": 1,
		"invalid_requests": 1, "consents": 3, "restrictions": 2, "legal_representatives": 1,
		"identificatie_counters": int64(len(filled.Counters)), "archive_keys": 2, "archive_entries": 4,
	} {
		if rows[tb] != want {
			t.Errorf("report: %s %d rows, want %d", tb, rows[tb], want)
		}
	}
	storetest.CheckCopy(t, openPostgres(t, dsn), filled)
}

func TestSQLiteToPostgresRefuses(t *testing.T) {
	t.Run("no source file", func(t *testing.T) {
		_, err := storecopy.SQLiteToPostgres(context.Background(), filepath.Join(t.TempDir(), "none.db"), testenv.PostgresSchema(t))
		if !errors.Is(err, storecopy.ErrNoSource) {
			t.Fatalf("got %v, want ErrNoSource", err)
		}
	})
	t.Run("a target that is not empty", func(t *testing.T) {
		path, _ := filledSQLite(t)
		dsn := testenv.PostgresSchema(t)
		if _, err := storecopy.SQLiteToPostgres(context.Background(), path, dsn); err != nil {
			t.Fatal(err)
		}
		// Copying twice (or onto a store a gateway already used) would mix
		// two histories.
		_, err := storecopy.SQLiteToPostgres(context.Background(), path, dsn)
		if !errors.Is(err, storecopy.ErrTargetNotEmpty) {
			t.Fatalf("got %v, want ErrTargetNotEmpty", err)
		}
	})
	t.Run("a target with only a ledger entry", func(t *testing.T) {
		path, _ := filledSQLite(t)
		dsn := testenv.PostgresSchema(t)
		p := openPostgres(t, dsn)
		if _, err := p.Append(storetest.Ctx(t), "", "consent:recorded", nil); err != nil {
			t.Fatal(err)
		}
		p.Close()
		_, err := storecopy.SQLiteToPostgres(context.Background(), path, dsn)
		if !errors.Is(err, storecopy.ErrTargetNotEmpty) {
			t.Fatalf("got %v, want ErrTargetNotEmpty", err)
		}
	})
	t.Run("a source table the copy does not know", func(t *testing.T) {
		path, _ := filledSQLite(t)
		db, err := sql.Open("sqlite", path)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec(`CREATE TABLE dedup_keys (k TEXT)`); err != nil {
			t.Fatal(err)
		}
		db.Close()
		dsn := testenv.PostgresSchema(t)
		_, err = storecopy.SQLiteToPostgres(context.Background(), path, dsn)
		if !errors.Is(err, storecopy.ErrSchemaMismatch) {
			t.Fatalf("got %v, want ErrSchemaMismatch", err)
		}
		// Nothing was written.
		p := openPostgres(t, dsn)
		if es, err := p.Entries(context.Background(), 1, 1); err != nil || len(es) != 0 {
			t.Fatalf("target ledger after a refused copy: %d entries, %v", len(es), err)
		}
	})
	t.Run("a bad DSN", func(t *testing.T) {
		path, _ := filledSQLite(t)
		_, err := storecopy.SQLiteToPostgres(context.Background(), path, "postgres://x:pw@[bad")
		if !errors.Is(err, postgres.ErrBadDSN) {
			t.Fatalf("got %v, want ErrBadDSN", err)
		}
	})
}
