package testenv

import (
	"context"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// postgresAdmin is the local PostgreSQL as a superuser, database test;
// override with SLUIS_TEST_POSTGRES_ADMIN_URL.
func postgresAdmin() string {
	if v := os.Getenv("SLUIS_TEST_POSTGRES_ADMIN_URL"); v != "" {
		return v
	}
	return "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
}

// PostgresDatabase creates a fresh database named prefix_<random> on the
// local PostgreSQL (user postgres), drops it (with FORCE, ending leftover
// sessions) when the test ends, and returns its postgres:// URL. Use it when
// several processes must share one database; tests of one process can use a
// schema of the test database instead.
func PostgresDatabase(t testing.TB, prefix string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	admin := postgresAdmin()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		t.Fatalf("PostgreSQL unreachable at %s: %v", redactURL(admin), err)
	}
	defer conn.Close(ctx)
	name := uniqueName(prefix + "_")
	ident := pgx.Identifier{name}.Sanitize()
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+ident); err != nil {
		t.Fatalf("create database %s: %v", name, err)
	}
	execOnCleanup(t, admin, "DROP DATABASE IF EXISTS "+ident+" WITH (FORCE)")
	u, err := url.Parse(admin)
	if err != nil {
		t.Fatalf("parse admin URL: %v", err)
	}
	u.Path = "/" + name
	return u.String()
}

// execOnCleanup runs sql on dsn, on a connection of its own, when the test
// ends, and reports (without stopping) when it fails.
func execOnCleanup(t testing.TB, dsn, sql string) {
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		c, err := PostgresConnect(ctx, dsn)
		if err != nil {
			t.Errorf("cleanup %q: %v", sql, err)
			return
		}
		defer c.Close(ctx)
		if _, err := c.Exec(ctx, sql); err != nil {
			t.Errorf("cleanup %q: %v", sql, err)
		}
	})
}

func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(unparseable URL)"
	}
	return u.Redacted()
}

// postgresTest is the local test database; override with
// SLUIS_TEST_POSTGRES_URL (a postgres:// URL or key=value DSN).
func postgresTest() string {
	if v := os.Getenv("SLUIS_TEST_POSTGRES_URL"); v != "" {
		return v
	}
	return "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
}

// PostgresConnect opens one plain connection to dsn (pool settings in the
// DSN are dropped); the caller closes it.
func PostgresConnect(ctx context.Context, dsn string) (*pgx.Conn, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, err
	}
	return pgx.ConnectConfig(ctx, cfg.ConnConfig)
}

// PostgresSchema creates an empty schema sluis_test_<random> in the test
// database, drops it when the test ends, and returns a DSN whose
// search_path points at it: one process's tests each get their own tables.
// PostgreSQL unreachable fails the test unless SLUIS_SKIP_POSTGRES=1.
func PostgresSchema(t testing.TB) string {
	t.Helper()
	ctx := context.Background()
	base := postgresTest()
	conn, err := PostgresConnect(ctx, base)
	if err != nil {
		if os.Getenv("SLUIS_SKIP_POSTGRES") == "1" {
			t.Skipf("PostgreSQL unreachable and SLUIS_SKIP_POSTGRES=1: %v", err)
		}
		t.Fatalf("PostgreSQL unreachable (set SLUIS_TEST_POSTGRES_URL, or SLUIS_SKIP_POSTGRES=1 to skip): %v", err)
	}
	defer conn.Close(ctx)
	schema := uniqueName("sluis_test_")
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	execOnCleanup(t, base, "DROP SCHEMA "+schema+" CASCADE")
	if strings.HasPrefix(base, "postgres://") || strings.HasPrefix(base, "postgresql://") {
		u, err := url.Parse(base)
		if err != nil {
			t.Fatalf("parse SLUIS_TEST_POSTGRES_URL: %v", err)
		}
		q := u.Query()
		q.Set("search_path", schema)
		u.RawQuery = q.Encode()
		return u.String()
	}
	return base + " search_path=" + schema
}
