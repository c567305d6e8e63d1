package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/sluis-gateway/sluis/adapters/store/internal/storecore"
	"github.com/sluis-gateway/sluis/internal/ledger"
)

// migrations are applied in order; migrations[i] brings the schema to
// version i+1. Never edit a released migration: append a new one.
var migrations = [][]string{
	{ // 1: receipts, identificatie counters, invalid requests, ledger
		`CREATE TABLE disclosures (
			seq           INTEGER PRIMARY KEY AUTOINCREMENT,
			disclosure_id TEXT    NOT NULL UNIQUE,
			municipality  TEXT    NOT NULL,
			system        TEXT    NOT NULL,
			recipient     TEXT    NOT NULL,
			standard      TEXT    NOT NULL,
			message_type  TEXT    NOT NULL,
			purpose       TEXT    NOT NULL,
			basis         TEXT    NOT NULL,
			client_key    TEXT    NOT NULL,
			request_hash  TEXT    NOT NULL,
			state         TEXT    NOT NULL,
			identificatie TEXT    NOT NULL,
			message_id    TEXT    NOT NULL,
			reason        TEXT    NOT NULL,
			reason_codes  TEXT    NOT NULL,
			retour_codes  TEXT    NOT NULL,
			state_times   TEXT    NOT NULL,
			state_at      INTEGER NOT NULL,
			created_at    INTEGER NOT NULL,
			updated_at    INTEGER NOT NULL,
			UNIQUE (municipality, message_type, identificatie)
		)`,
		`CREATE INDEX disclosures_state_at ON disclosures (state, state_at, seq)`,
		`CREATE INDEX disclosures_client_key ON disclosures (client_key)`,
		`CREATE TABLE identificatie_counters (
			municipality TEXT    NOT NULL,
			message_type TEXT    NOT NULL,
			last         INTEGER NOT NULL,
			PRIMARY KEY (municipality, message_type)
		)`,
		`CREATE TABLE invalid_requests (
			id            INTEGER PRIMARY KEY AUTOINCREMENT,
			disclosure_id TEXT    NOT NULL,
			municipality  TEXT    NOT NULL,
			system        TEXT    NOT NULL,
			reason        TEXT    NOT NULL,
			received_at   INTEGER NOT NULL,
			actor         TEXT    NOT NULL
		)`,
		`CREATE TABLE ledger (
			seq           INTEGER PRIMARY KEY,
			at            INTEGER NOT NULL,
			actor         TEXT    NOT NULL,
			disclosure_id TEXT    NOT NULL,
			event         TEXT    NOT NULL,
			detail        TEXT    NOT NULL,
			prev_hash     TEXT    NOT NULL,
			hash          TEXT    NOT NULL
		)`,
		`CREATE INDEX ledger_disclosure ON ledger (disclosure_id, seq)`,
		// The ledger is append-only; these triggers stop accidents, the hash
		// chain detects the rest.
		`CREATE TRIGGER ledger_no_update BEFORE UPDATE ON ledger
			BEGIN SELECT RAISE(ABORT, 'ledger is append-only'); END`,
		`CREATE TRIGGER ledger_no_delete BEFORE DELETE ON ledger
			BEGIN SELECT RAISE(ABORT, 'ledger is append-only'); END`,
		// One row holding the chain's head, so an append reads one row.
		`CREATE TABLE ledger_head (
			id   INTEGER PRIMARY KEY CHECK (id = 1),
			seq  INTEGER NOT NULL,
			hash TEXT    NOT NULL
		)`,
		`INSERT INTO ledger_head (id, seq, hash) VALUES (1, 0, '` + ledger.Genesis + `')`,
	},
	{ // 2: the consent register: consents, restrictions of processing,
		// legal representatives. Times are Unix microseconds (UTC); NULL
		// is "none" (no period, not used, not withdrawn, not lifted).
		`CREATE TABLE consents (
			seq          INTEGER PRIMARY KEY AUTOINCREMENT,
			consent_id   TEXT    NOT NULL UNIQUE,
			client_key   TEXT    NOT NULL,
			given_by     TEXT    NOT NULL,
			given_at     INTEGER,
			recipient    TEXT    NOT NULL,
			purpose      TEXT    NOT NULL,
			categories   TEXT    NOT NULL,
			single_share INTEGER NOT NULL,
			valid_from   INTEGER,
			valid_until  INTEGER,
			used_by      TEXT,
			used_at      INTEGER,
			withdrawn_at INTEGER,
			recorded_at  INTEGER NOT NULL
		)`,
		`CREATE INDEX consents_client_key ON consents (client_key, seq)`,
		`CREATE TABLE restrictions (
			id          INTEGER PRIMARY KEY AUTOINCREMENT,
			client_key  TEXT    NOT NULL,
			from_at     INTEGER NOT NULL,
			lifted_at   INTEGER,
			recorded_at INTEGER NOT NULL,
			UNIQUE (client_key, from_at)
		)`,
		`CREATE TABLE legal_representatives (
			client_key TEXT    PRIMARY KEY,
			recorded   INTEGER NOT NULL,
			updated_at INTEGER NOT NULL
		)`,
	},
	{ // 3: the evidence archive (internal/archive): data keys per client,
		// wrapped by a master key, and the encrypted signed messages. A
		// shredded key has its wrapped bytes erased and shredded_at set.
		`CREATE TABLE archive_keys (
			key_id        TEXT    PRIMARY KEY,
			client_key    TEXT    NOT NULL,
			master_key_id TEXT    NOT NULL,
			wrapped       BLOB    NOT NULL,
			created_at    INTEGER NOT NULL,
			shredded_at   INTEGER
		)`,
		// At most one live data key per client.
		`CREATE UNIQUE INDEX archive_keys_live ON archive_keys (client_key) WHERE shredded_at IS NULL`,
		`CREATE INDEX archive_keys_client ON archive_keys (client_key)`,
		`CREATE TABLE archive_entries (
			disclosure_id TEXT    PRIMARY KEY,
			client_key    TEXT    NOT NULL,
			key_id        TEXT    NOT NULL REFERENCES archive_keys (key_id),
			ciphertext    BLOB    NOT NULL,
			archived_at   INTEGER NOT NULL,
			retain_until  INTEGER NOT NULL
		)`,
		`CREATE INDEX archive_entries_client ON archive_entries (client_key, archived_at, disclosure_id)`,
	},
	{ // 4 (breach): the breach register (internal/breach): one row per
		// incident, its facts as JSON, the columns the store queries by.
		// signal_key makes sluis's own proposals unique (NULL for a record).
		`CREATE TABLE breaches (
			id           TEXT PRIMARY KEY,
			municipality TEXT NOT NULL,
			state        TEXT NOT NULL,
			signal_key   TEXT UNIQUE,
			version      INTEGER NOT NULL,
			created_at   INTEGER NOT NULL,
			body         TEXT NOT NULL
		)`,
		`CREATE INDEX breaches_created ON breaches (created_at, id)`,
	},
	// v5 (rights): objections (art. 21), kept like restrictions; and the
	// review items (internal/casework): break-glass reads, human reviews
	// and the follow-ups of a safety override, open until closed.
	{
		`CREATE TABLE objections (
			id          INTEGER PRIMARY KEY AUTOINCREMENT,
			client_key  TEXT    NOT NULL,
			from_at     INTEGER NOT NULL,
			lifted_at   INTEGER,
			recorded_at INTEGER NOT NULL,
			UNIQUE (client_key, from_at)
		)`,
		`CREATE TABLE review_items (
			seq               INTEGER PRIMARY KEY AUTOINCREMENT,
			id                TEXT    NOT NULL UNIQUE,
			kind              TEXT    NOT NULL,
			disclosure_id     TEXT    NOT NULL,
			municipality      TEXT    NOT NULL,
			opened_at         INTEGER NOT NULL,
			opened_by         TEXT    NOT NULL,
			due_at            INTEGER,
			reason            TEXT    NOT NULL,
			reference         TEXT    NOT NULL,
			closed_at         INTEGER,
			closed_by         TEXT    NOT NULL,
			outcome           TEXT    NOT NULL,
			outcome_reason    TEXT    NOT NULL,
			outcome_reference TEXT    NOT NULL
		)`,
		`CREATE INDEX review_items_list ON review_items (municipality, kind, seq)`,
		`CREATE INDEX review_items_due ON review_items (due_at) WHERE closed_at IS NULL`,
	},
	{ // v6 (inbound): providers' heenberichten (internal/inbound): ids,
		// codes and dates only, unique per provider, type and Identificatie
		// (TR056); the open answers by due time.
		`CREATE TABLE inbound_messages (
			inbound_id    TEXT    PRIMARY KEY,
			provider      TEXT    NOT NULL,
			municipality  TEXT    NOT NULL,
			system        TEXT    NOT NULL,
			standard      TEXT    NOT NULL,
			message_type  TEXT    NOT NULL,
			identificatie TEXT    NOT NULL,
			message_id    TEXT    NOT NULL,
			state         TEXT    NOT NULL,
			retour_codes  TEXT    NOT NULL,
			rules         TEXT    NOT NULL,
			received_at   INTEGER NOT NULL,
			due           INTEGER,
			answered_by   TEXT    NOT NULL,
			answered_at   INTEGER,
			overdue_at    INTEGER,
			UNIQUE (provider, message_type, identificatie)
		)`,
		`CREATE INDEX inbound_messages_due ON inbound_messages (state, due)`,
	},
	{ // v7 (dedup): status sequence numbers, the announced mark, the
		// processing claim (receipts.Claimer), invalid requests counted per
		// principal and window. A disclosure stored before has entered one
		// state per key of state_times, and its events are taken as sent.
		`ALTER TABLE disclosures ADD COLUMN status_seq INTEGER NOT NULL DEFAULT 0`,
		`UPDATE disclosures SET status_seq = (SELECT COUNT(*) FROM json_each(disclosures.state_times))`,
		`ALTER TABLE disclosures ADD COLUMN announced_seq INTEGER NOT NULL DEFAULT 0`,
		`UPDATE disclosures SET announced_seq = status_seq`,
		`ALTER TABLE disclosures ADD COLUMN claimed_by TEXT NOT NULL DEFAULT ''`,
		`ALTER TABLE disclosures ADD COLUMN claimed_until INTEGER NOT NULL DEFAULT 0`,
		`CREATE TABLE invalid_windows (
			principal    TEXT    NOT NULL,
			window_start INTEGER NOT NULL,
			count        INTEGER NOT NULL,
			PRIMARY KEY (principal, window_start)
		)`,
	},
	{ // v8 (redact): the ledger's hash scheme 2 (docs/ledger.md): the salts
		// of an entry's redactable values, the digests of redacted ones, when
		// it was redacted. Entries before this version are scheme 1. The
		// triggers allow exactly one change of an entry: its redaction.
		`ALTER TABLE ledger ADD COLUMN scheme INTEGER NOT NULL DEFAULT 1`,
		`ALTER TABLE ledger ADD COLUMN salts TEXT NOT NULL DEFAULT '{}'`,
		`ALTER TABLE ledger ADD COLUMN redacted TEXT NOT NULL DEFAULT '{}'`,
		`ALTER TABLE ledger ADD COLUMN redacted_at INTEGER`,
		`DROP TRIGGER ledger_no_update`,
		`CREATE TRIGGER ledger_no_update BEFORE UPDATE ON ledger
			WHEN OLD.redacted_at IS NOT NULL OR NEW.redacted_at IS NULL
				OR NEW.seq IS NOT OLD.seq OR NEW.at IS NOT OLD.at OR NEW.actor IS NOT OLD.actor
				OR NEW.event IS NOT OLD.event OR NEW.prev_hash IS NOT OLD.prev_hash
				OR NEW.hash IS NOT OLD.hash OR NEW.scheme IS NOT OLD.scheme
			BEGIN SELECT RAISE(ABORT, 'ledger is append-only: an entry may only be redacted, once'); END`,
		`CREATE INDEX ledger_consent_ref ON ledger (json_extract(detail, '$.consent_id')) WHERE json_extract(detail, '$.consent_id') IS NOT NULL`,
		`CREATE INDEX ledger_restriction_ref ON ledger (json_extract(detail, '$.restriction_id')) WHERE json_extract(detail, '$.restriction_id') IS NOT NULL`,
		`CREATE INDEX ledger_objection_ref ON ledger (json_extract(detail, '$.objection_id')) WHERE json_extract(detail, '$.objection_id') IS NOT NULL`,
	},
	// v9 (retention): what the retention job looks for (internal/retention,
	// docs/retention.md): disclosures and providers' inbound messages by
	// standard and the moment they were made, review items by disclosure
	// (destroyed with it).
	{
		`CREATE INDEX disclosures_retention ON disclosures (standard, created_at, seq)`,
		`CREATE INDEX inbound_messages_retention ON inbound_messages (standard, received_at)`,
		`CREATE INDEX review_items_disclosure ON review_items (disclosure_id)`,
	},
}

// migrate brings the schema to the newest version, in one transaction on the
// writer (BEGIN IMMEDIATE, so two processes opening one file take turns).
func migrate(ctx context.Context, db *sql.DB) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("migrate: begin: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // after Commit this is a no-op
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_version (
		version    INTEGER PRIMARY KEY,
		applied_at INTEGER NOT NULL
	)`); err != nil {
		return fmt.Errorf("migrate: schema_version: %w", err)
	}
	var current int
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_version`).Scan(&current); err != nil {
		return fmt.Errorf("migrate: read version: %w", err)
	}
	if current > len(migrations) {
		return fmt.Errorf("migrate: database at version %d, program knows %d: %w", current, len(migrations), storecore.ErrSchemaTooNew)
	}
	for v := current + 1; v <= len(migrations); v++ {
		for i, stmt := range migrations[v-1] {
			if _, err := tx.ExecContext(ctx, stmt); err != nil {
				return fmt.Errorf("migrate: version %d statement %d: %w", v, i+1, err)
			}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_version (version, applied_at) VALUES (?, ?)`,
			v, storecore.Micros(storecore.Now())); err != nil {
			return fmt.Errorf("migrate: record version %d: %w", v, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("migrate: commit: %w", err)
	}
	return nil
}
