package testenv

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

func TestRootAndReference(t *testing.T) {
	if _, err := os.Stat(filepath.Join(Root(), "go.mod")); err != nil {
		t.Fatalf("Root %s holds no go.mod: %v", Root(), err)
	}
	ref := Reference(t)
	if want := filepath.Join(Root(), "..", "shared", "reference", "istandaarden"); ref != filepath.Clean(want) {
		t.Fatalf("Reference %s, want %s", ref, want)
	}
	if _, err := os.Stat(filepath.Join(ref, "iwmo", "3.2", "WMO301.xsd")); err != nil {
		t.Fatal(err)
	}
}

func TestPostgresDatabaseAndSchema(t *testing.T) {
	cases := []struct {
		name string
		dsn  func(t *testing.T) string
	}{
		{"a database of its own", func(t *testing.T) string { return PostgresDatabase(t, "testenv") }},
		{"a schema of its own", func(t *testing.T) string { return PostgresSchema(t) }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			conn, err := PostgresConnect(ctx, tc.dsn(t))
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close(ctx)
			if _, err := conn.Exec(ctx, "CREATE TABLE t (x int)"); err != nil {
				t.Fatal(err)
			}
			if _, err := conn.Exec(ctx, "INSERT INTO t VALUES (1)"); err != nil {
				t.Fatal(err)
			}
		})
	}
}
