package sqlite

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
)

// TestMigrateDedup: a disclosure stored before the dedup migration gets a
// sequence equal to the states it entered, and counts as announced.
func TestMigrateDedup(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sluis.db")
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := db.ExecContext(ctx, q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	exec(`CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)`)
	before := 6 // the dedup migration is version 7 (released: its number never changes)
	for v := 1; v <= before; v++ {
		for _, q := range migrations[v-1] {
			exec(q)
		}
		exec(`INSERT INTO schema_version (version, applied_at) VALUES (?, 0)`, v)
	}
	exec(`INSERT INTO disclosures (disclosure_id, municipality, system, recipient, standard, message_type,
		purpose, basis, client_key, request_hash, state, identificatie, message_id, reason, reason_codes,
		retour_codes, state_times, state_at, created_at, updated_at)
		VALUES ('old-1', '0363', 'regsys-a', '42420001', 'iWmo', 'WMO301', 'p', 'legal_obligation', 'k', 'h',
		'delivered', '1', 'WMO301-0363-1', '', '[]', '[]',
		'{"received":1,"allowed":2,"published":2,"delivered":3}', 3, 1, 3)`)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	rec, err := s.Get(ctx, "old-1")
	if err != nil {
		t.Fatal(err)
	}
	if rec.Sequence != 4 || rec.Announced != 4 {
		t.Fatalf("migrated record: sequence %d announced %d, want 4 and 4", rec.Sequence, rec.Announced)
	}
}
