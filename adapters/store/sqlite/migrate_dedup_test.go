package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/sluis-gateway/sluis/adapters/store/internal/storecore"
	"github.com/sluis-gateway/sluis/internal/actor"
	"github.com/sluis-gateway/sluis/internal/ledger"
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
	const before = 6 // the dedup migration is version 7
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

// TestMigrateRedact: a ledger written before hash scheme 2 (version 8)
// keeps its scheme-1 entries; new ones are of scheme 2; a redacted
// scheme-1 entry verifies by its place in the chain, a scheme-2 one in full.
func TestMigrateRedact(t *testing.T) {
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
	for v := 1; v <= 7; v++ {
		for _, q := range migrations[v-1] {
			exec(q)
		}
		exec(`INSERT INTO schema_version (version, applied_at) VALUES (?, 0)`, v)
	}
	prev := ledger.Genesis
	at := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	for i := int64(1); i <= 3; i++ {
		e := ledger.Entry{Seq: i, At: at, Actor: "system:sluis", DisclosureID: fmt.Sprintf("old-%d", i),
			Event: "state:received", Detail: map[string]string{"from": "", "identificatie": "7"}, PrevHash: prev}
		e.Hash = ledger.ComputeHash(e)
		exec(`INSERT INTO ledger (seq, at, actor, disclosure_id, event, detail, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			e.Seq, storecore.Micros(e.At), e.Actor, e.DisclosureID, e.Event, storecore.EncodeDetail(e.Detail), e.PrevHash, e.Hash)
		exec(`UPDATE ledger_head SET seq = ?, hash = ?`, e.Seq, e.Hash)
		prev = e.Hash
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	actx := actor.With(ctx, actor.System)
	if _, err := s.Append(actx, "new-1", "state:received", map[string]string{"identificatie": "8"}); err != nil {
		t.Fatal(err)
	}
	if n, err := s.RedactAbout(ctx, ledger.Ref{DisclosureIDs: []string{"old-2", "new-1"}}, time.Now()); err != nil || n != 2 {
		t.Fatalf("RedactAbout: %d, %v; want 2", n, err)
	}
	es, err := s.Entries(ctx, 1, 10)
	if err != nil {
		t.Fatal(err)
	}
	cp, err := ledger.VerifyFrom(ledger.Start, es)
	if err != nil {
		t.Fatalf("verify: %v", err)
	}
	if cp.Seq != 4 || cp.Scheme1Until != 3 || cp.LinkageOnly != 1 || cp.Redacted != 1 {
		t.Fatalf("checkpoint %+v, want seq 4, scheme 1 up to 3, 1 linkage only, 1 redacted", cp)
	}
	if es[1].DisclosureID != "" || es[1].Detail["identificatie"] != "" || es[1].Detail["from"] != "" || es[3].Scheme != ledger.Scheme2 {
		t.Fatalf("entries after redaction: %+v", es)
	}
}
