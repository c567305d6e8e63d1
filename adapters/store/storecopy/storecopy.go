// Package storecopy moves a sluis store from SQLite to PostgreSQL: every
// table, row for row, in one PostgreSQL transaction, so the copy holds the
// same disclosures (with their Identificatie and MessageID), the same
// identificatie counters (the next number continues where SQLite left
// off, so no MessageID is used twice), the same ledger (entries and hashes
// unchanged: the chain verifies), consents, restrictions, legal
// representatives and archive. It is `sluis store migrate`
// (docs/operations.md).
//
// It refuses rather than guess: the target must be empty (freshly
// migrated, nothing written), and the tables and columns of both databases
// must be exactly the ones it knows, so a table added by a later migration
// and not taught to the copy stops it instead of being left behind.
package storecopy

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/sluis-gateway/sluis/adapters/store/internal/storecore"
	"github.com/sluis-gateway/sluis/adapters/store/postgres"
	"github.com/sluis-gateway/sluis/adapters/store/sqlite"
	"github.com/sluis-gateway/sluis/internal/ledger"
)

// Named errors.
var (
	// ErrNoSource: there is no SQLite file at the source path.
	ErrNoSource = errors.New("no SQLite store at the source path")
	// ErrTargetNotEmpty: the PostgreSQL database already holds sluis data.
	ErrTargetNotEmpty = errors.New("target store is not empty")
	// ErrSchemaMismatch: a database has a table or column the copy does
	// not know, or lacks one it expects.
	ErrSchemaMismatch = errors.New("store schema is not the one this copy knows")
	// ErrCountMismatch: after copying, a table of the target does not hold
	// as many rows as the source's.
	ErrCountMismatch = errors.New("row counts differ after the copy")
)

// kind is how a column is stored in SQLite and becomes in PostgreSQL.
type kind int

const (
	text      kind = iota // TEXT → text
	nullText              // TEXT or NULL → text or NULL
	integer               // INTEGER → bigint/int
	micros                // INTEGER Unix microseconds → timestamptz
	nullMicro             // INTEGER or NULL → timestamptz or NULL
	boolean               // INTEGER 0/1 → boolean
	jsonText              // TEXT holding JSON → jsonb
	blob                  // BLOB → bytea
)

type column struct {
	name string
	kind kind
}

type table struct {
	name    string
	columns []column
	// identity is the column PostgreSQL generates (GENERATED ALWAYS AS
	// IDENTITY); its sequence is moved past the copied values.
	identity string
}

// tables are every table of the store, in an order that satisfies the
// foreign keys (archive_entries after archive_keys). schema_version is
// not copied: both sides are migrated by this program before the copy.
// A migration that adds a table or column must add it here (the copy
// refuses a schema it does not know, and its test fails).
var tables = []table{
	{name: "disclosures", identity: "seq", columns: []column{
		{"seq", integer}, {"disclosure_id", text}, {"municipality", text}, {"system", text},
		{"recipient", text}, {"standard", text}, {"message_type", text}, {"purpose", text},
		{"basis", text}, {"client_key", text}, {"request_hash", text}, {"state", text},
		{"identificatie", text}, {"message_id", text}, {"reason", text}, {"reason_codes", jsonText},
		{"retour_codes", jsonText}, {"state_times", jsonText}, {"state_at", micros},
		{"created_at", micros}, {"updated_at", micros},
		{"status_seq", integer}, {"announced_seq", integer}, {"claimed_by", text}, {"claimed_until", micros},
	}},
	{name: "identificatie_counters", columns: []column{
		{"municipality", text}, {"message_type", text}, {"last", integer},
	}},
	{name: "invalid_requests", identity: "id", columns: []column{
		{"id", integer}, {"disclosure_id", text}, {"municipality", text}, {"system", text},
		{"reason", text}, {"received_at", micros}, {"actor", text},
	}},
	{name: "ledger", columns: []column{
		{"seq", integer}, {"at", micros}, {"actor", text}, {"disclosure_id", text},
		{"event", text}, {"detail", jsonText}, {"prev_hash", text}, {"hash", text},
		{"scheme", integer}, {"salts", jsonText}, {"redacted", jsonText}, {"redacted_at", nullMicro},
	}},
	{name: "ledger_head", columns: []column{{"id", integer}, {"seq", integer}, {"hash", text}}},
	{name: "consents", identity: "seq", columns: []column{
		{"seq", integer}, {"consent_id", text}, {"client_key", text}, {"given_by", jsonText},
		{"given_at", nullMicro}, {"recipient", text}, {"purpose", text}, {"categories", jsonText},
		{"single_share", boolean}, {"valid_from", nullMicro}, {"valid_until", nullMicro},
		{"used_by", nullText}, {"used_at", nullMicro}, {"withdrawn_at", nullMicro}, {"recorded_at", micros},
	}},
	{name: "restrictions", identity: "id", columns: []column{
		{"id", integer}, {"client_key", text}, {"from_at", micros}, {"lifted_at", nullMicro}, {"recorded_at", micros},
	}},
	{name: "legal_representatives", columns: []column{
		{"client_key", text}, {"recorded", boolean}, {"updated_at", micros},
	}},
	{name: "archive_keys", columns: []column{
		{"key_id", text}, {"client_key", text}, {"master_key_id", text}, {"wrapped", blob},
		{"created_at", micros}, {"shredded_at", nullMicro},
	}},
	{name: "archive_entries", columns: []column{
		{"disclosure_id", text}, {"client_key", text}, {"key_id", text}, {"ciphertext", blob},
		{"archived_at", micros}, {"retain_until", micros},
	}},
	{name: "invalid_windows", columns: []column{
		{"principal", text}, {"window_start", micros}, {"count", integer},
	}},
	{name: "breaches", columns: []column{
		{"id", text}, {"municipality", text}, {"state", text}, {"signal_key", nullText},
		{"version", integer}, {"created_at", micros}, {"body", jsonText},
	}},
	{name: "objections", identity: "id", columns: []column{
		{"id", integer}, {"client_key", text}, {"from_at", micros}, {"lifted_at", nullMicro}, {"recorded_at", micros},
	}},
	{name: "review_items", identity: "seq", columns: []column{
		{"seq", integer}, {"id", text}, {"kind", text}, {"disclosure_id", text}, {"municipality", text},
		{"opened_at", micros}, {"opened_by", text}, {"due_at", nullMicro}, {"reason", text}, {"reference", text},
		{"closed_at", nullMicro}, {"closed_by", text}, {"outcome", text}, {"outcome_reason", text}, {"outcome_reference", text},
	}},
	{name: "inbound_messages", columns: []column{
		{"inbound_id", text}, {"provider", text}, {"municipality", text}, {"system", text}, {"standard", text},
		{"message_type", text}, {"identificatie", text}, {"message_id", text}, {"state", text},
		{"retour_codes", jsonText}, {"rules", jsonText}, {"received_at", micros}, {"due", nullMicro},
		{"answered_by", text}, {"answered_at", nullMicro}, {"overdue_at", nullMicro},
	}},
}

// Tables not copied: schema_version on both sides (each is migrated by
// this program); PostgreSQL's ledger_pending journal (must be empty in the
// target; SQLite has none).
var (
	notCopied      = []string{"schema_version"}
	postgresOnly   = []string{"ledger_pending"}
	sqliteInternal = "sqlite_" // sqlite_sequence and the like
)

// TableCount is one copied table and its row count.
type TableCount struct {
	Table string
	Rows  int64
}

// Report is what SQLiteToPostgres copied.
type Report struct {
	Tables []TableCount
	// Head is the ledger's head in the source, and now in the target.
	Head ledger.Checkpoint
}

// SQLiteToPostgres copies the SQLite store at sqlitePath into the empty
// PostgreSQL store at dsn. Both are first opened (and so migrated) the way
// the gateway opens them; the source is then read in one snapshot and the
// target written in one transaction: it is copied whole or not at all.
// Run it with every gateway stopped: what a gateway writes to the source
// after the snapshot is not copied.
func SQLiteToPostgres(ctx context.Context, sqlitePath, dsn string) (Report, error) {
	if _, err := os.Stat(sqlitePath); errors.Is(err, fs.ErrNotExist) {
		return Report{}, ErrNoSource
	} else if err != nil {
		return Report{}, fmt.Errorf("source: %w", err)
	}
	// Open migrates both to this program's schema.
	ss, err := sqlite.Open(ctx, sqlitePath)
	if err != nil {
		return Report{}, fmt.Errorf("open source: %w", err)
	}
	if err := ss.Close(); err != nil {
		return Report{}, fmt.Errorf("close source: %w", err)
	}
	ps, err := postgres.Open(ctx, dsn)
	if err != nil {
		return Report{}, fmt.Errorf("open target: %w", err)
	}
	if err := ps.Close(); err != nil {
		return Report{}, fmt.Errorf("close target: %w", err)
	}

	q := url.Values{}
	q.Set("mode", "ro")
	q.Add("_pragma", "busy_timeout(10000)")
	src, err := sql.Open("sqlite", "file:"+sqlitePath+"?"+q.Encode())
	if err != nil {
		return Report{}, fmt.Errorf("open source: %w", err)
	}
	defer src.Close()
	stx, err := src.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return Report{}, fmt.Errorf("source snapshot: %w", err)
	}
	defer stx.Rollback() //nolint:errcheck // read only

	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return Report{}, fmt.Errorf("target: %w", postgres.ErrBadDSN)
	}
	dst, err := pgx.ConnectConfig(ctx, cfg.ConnConfig)
	if err != nil {
		return Report{}, fmt.Errorf("connect target: %w", err)
	}
	defer dst.Close(context.Background())
	dtx, err := dst.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.Serializable})
	if err != nil {
		return Report{}, fmt.Errorf("target transaction: %w", err)
	}
	defer dtx.Rollback(context.Background()) //nolint:errcheck // after Commit a no-op

	if err := checkSQLiteSchema(ctx, stx); err != nil {
		return Report{}, fmt.Errorf("source: %w", err)
	}
	if err := checkPostgresSchema(ctx, dtx); err != nil {
		return Report{}, fmt.Errorf("target: %w", err)
	}
	if err := checkEmpty(ctx, dtx); err != nil {
		return Report{}, err
	}
	// The target's genesis head row gives way to the source's.
	if _, err := dtx.Exec(ctx, `DELETE FROM ledger_head`); err != nil {
		return Report{}, fmt.Errorf("target ledger_head: %w", err)
	}
	var rep Report
	for _, tb := range tables {
		n, err := copyTable(ctx, stx, dtx, tb)
		if err != nil {
			return Report{}, fmt.Errorf("copy %s: %w", tb.name, err)
		}
		var m int64
		if err := stx.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+tb.name).Scan(&m); err != nil {
			return Report{}, fmt.Errorf("count source %s: %w", tb.name, err)
		}
		if n != m {
			return Report{}, fmt.Errorf("%w: %s: %d copied, %d in the source", ErrCountMismatch, tb.name, n, m)
		}
		if tb.identity != "" {
			if err := moveIdentity(ctx, dtx, tb); err != nil {
				return Report{}, fmt.Errorf("copy %s: %w", tb.name, err)
			}
		}
		rep.Tables = append(rep.Tables, TableCount{Table: tb.name, Rows: n})
	}
	if err := dtx.QueryRow(ctx, `SELECT seq, hash FROM ledger_head WHERE id = 1`).Scan(&rep.Head.Seq, &rep.Head.Hash); err != nil {
		return Report{}, fmt.Errorf("target ledger_head after the copy: %w", err)
	}
	if err := dtx.Commit(ctx); err != nil {
		return Report{}, fmt.Errorf("commit: %w", err)
	}
	return rep, nil
}

// copyTable streams one table from the source snapshot into the target
// with COPY (which writes identity columns as given).
func copyTable(ctx context.Context, stx *sql.Tx, dtx pgx.Tx, tb table) (int64, error) {
	names := make([]string, len(tb.columns))
	for i, c := range tb.columns {
		names[i] = c.name
	}
	order := names[0]
	rows, err := stx.QueryContext(ctx, `SELECT `+strings.Join(names, ", ")+` FROM `+tb.name+` ORDER BY `+order)
	if err != nil {
		return 0, fmt.Errorf("read: %w", err)
	}
	defer rows.Close()
	raw := make([]any, len(names))
	ptrs := make([]any, len(names))
	for i := range raw {
		ptrs[i] = &raw[i]
	}
	var convErr error
	next := func() ([]any, error) {
		if !rows.Next() {
			return nil, nil
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, fmt.Errorf("read: %w", err)
		}
		vals := make([]any, len(raw))
		for i, c := range tb.columns {
			v, err := convert(c, raw[i])
			if err != nil {
				convErr = err
				return nil, err
			}
			vals[i] = v
		}
		return vals, nil
	}
	n, err := dtx.CopyFrom(ctx, pgx.Identifier{tb.name}, names, pgx.CopyFromFunc(next))
	if convErr != nil {
		return 0, convErr
	}
	if err != nil {
		return 0, fmt.Errorf("write: %w", err)
	}
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("read: %w", err)
	}
	return n, nil
}

// convert turns a value read from SQLite into the one PostgreSQL stores.
// Errors name the column, never the value.
func convert(c column, v any) (any, error) {
	if v == nil {
		switch c.kind {
		case nullText, nullMicro:
			return nil, nil
		}
		return nil, fmt.Errorf("column %s: NULL where the schema has NOT NULL", c.name)
	}
	switch c.kind {
	case text, nullText, jsonText:
		switch s := v.(type) {
		case string:
			return s, nil
		case []byte:
			return string(s), nil
		}
	case integer:
		if n, ok := v.(int64); ok {
			return n, nil
		}
	case micros, nullMicro:
		if n, ok := v.(int64); ok {
			return storecore.FromMicros(n), nil
		}
	case boolean:
		if n, ok := v.(int64); ok && (n == 0 || n == 1) {
			return n == 1, nil
		}
	case blob:
		if b, ok := v.([]byte); ok {
			if b == nil {
				b = []byte{} // an empty BLOB (a shredded key's erased bytes), not NULL
			}
			return b, nil
		}
	}
	return nil, fmt.Errorf("column %s: a %T where the schema has another type", c.name, v)
}

// moveIdentity sets the identity sequence so the next generated value is
// above every copied one.
func moveIdentity(ctx context.Context, dtx pgx.Tx, tb table) error {
	_, err := dtx.Exec(ctx, fmt.Sprintf(`SELECT setval(pg_get_serial_sequence('%s', '%s'),
		COALESCE((SELECT MAX(%s) FROM %s), 1), (SELECT COUNT(*) > 0 FROM %s))`,
		tb.name, tb.identity, tb.identity, tb.name, tb.name))
	if err != nil {
		return fmt.Errorf("identity sequence of %s: %w", tb.identity, err)
	}
	return nil
}

// known is the table → column names the copy expects.
func known() map[string][]string {
	m := map[string][]string{}
	for _, tb := range tables {
		for _, c := range tb.columns {
			m[tb.name] = append(m[tb.name], c.name)
		}
	}
	return m
}

func checkSQLiteSchema(ctx context.Context, tx *sql.Tx) error {
	rows, err := tx.QueryContext(ctx, `SELECT m.name, p.name FROM sqlite_master m, pragma_table_info(m.name) p
		WHERE m.type = 'table' ORDER BY m.name, p.cid`)
	if err != nil {
		return fmt.Errorf("read schema: %w", err)
	}
	defer rows.Close()
	got := map[string][]string{}
	for rows.Next() {
		var tb, col string
		if err := rows.Scan(&tb, &col); err != nil {
			return fmt.Errorf("read schema: %w", err)
		}
		if strings.HasPrefix(tb, sqliteInternal) || slices.Contains(notCopied, tb) {
			continue
		}
		got[tb] = append(got[tb], col)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read schema: %w", err)
	}
	return sameSchema(got, known())
}

func checkPostgresSchema(ctx context.Context, tx pgx.Tx) error {
	rows, err := tx.Query(ctx, `SELECT table_name, column_name FROM information_schema.columns
		WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position`)
	if err != nil {
		return fmt.Errorf("read schema: %w", err)
	}
	defer rows.Close()
	got := map[string][]string{}
	for rows.Next() {
		var tb, col string
		if err := rows.Scan(&tb, &col); err != nil {
			return fmt.Errorf("read schema: %w", err)
		}
		if slices.Contains(notCopied, tb) || slices.Contains(postgresOnly, tb) {
			continue
		}
		got[tb] = append(got[tb], col)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read schema: %w", err)
	}
	return sameSchema(got, known())
}

// sameSchema compares table → columns, as sets of columns.
func sameSchema(got, want map[string][]string) error {
	var diffs []string
	for tb, cols := range got {
		w, ok := want[tb]
		if !ok {
			diffs = append(diffs, "unknown table "+tb)
			continue
		}
		for _, c := range cols {
			if !slices.Contains(w, c) {
				diffs = append(diffs, "unknown column "+tb+"."+c)
			}
		}
		for _, c := range w {
			if !slices.Contains(cols, c) {
				diffs = append(diffs, "missing column "+tb+"."+c)
			}
		}
	}
	for tb := range want {
		if _, ok := got[tb]; !ok {
			diffs = append(diffs, "missing table "+tb)
		}
	}
	if len(diffs) > 0 {
		slices.Sort(diffs)
		return fmt.Errorf("%w: %s", ErrSchemaMismatch, strings.Join(diffs, ", "))
	}
	return nil
}

// checkEmpty: no row in any table of the target but the genesis head.
func checkEmpty(ctx context.Context, tx pgx.Tx) error {
	names := slices.Clone(postgresOnly)
	for _, t := range tables {
		if t.name != "ledger_head" {
			names = append(names, t.name)
		}
	}
	for _, tb := range names {
		var n int64
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM `+tb).Scan(&n); err != nil {
			return fmt.Errorf("target %s: %w", tb, err)
		}
		if n > 0 {
			return fmt.Errorf("%w: %s holds %d rows", ErrTargetNotEmpty, tb, n)
		}
	}
	var seq int64
	var hash string
	if err := tx.QueryRow(ctx, `SELECT seq, hash FROM ledger_head WHERE id = 1`).Scan(&seq, &hash); err != nil {
		return fmt.Errorf("target ledger_head: %w", err)
	}
	if seq != 0 || hash != ledger.Genesis {
		return fmt.Errorf("%w: the ledger head is at seq %d", ErrTargetNotEmpty, seq)
	}
	return nil
}
