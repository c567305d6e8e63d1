package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/sluis-gateway/sluis/adapters/store/internal/storecore"
	"github.com/sluis-gateway/sluis/internal/ledger"
)

// migrations are applied in order; migrations[i] brings the schema to
// version i+1. Never edit a released migration: append a new one. Tables
// are created unqualified, in the first schema of the search_path.
var migrations = [][]string{
	{ // 1: receipts, identificatie counters, invalid requests, ledger
		`CREATE TABLE disclosures (
			seq           bigint GENERATED ALWAYS AS IDENTITY,
			disclosure_id text        PRIMARY KEY,
			municipality  text        NOT NULL,
			system        text        NOT NULL,
			recipient     text        NOT NULL,
			standard      text        NOT NULL,
			message_type  text        NOT NULL,
			purpose       text        NOT NULL,
			basis         text        NOT NULL,
			client_key    text        NOT NULL,
			request_hash  text        NOT NULL,
			state         text        NOT NULL,
			identificatie text        NOT NULL,
			message_id    text        NOT NULL,
			reason        text        NOT NULL,
			reason_codes  jsonb       NOT NULL,
			retour_codes  jsonb       NOT NULL,
			state_times   jsonb       NOT NULL,
			state_at      timestamptz NOT NULL,
			created_at    timestamptz NOT NULL,
			updated_at    timestamptz NOT NULL,
			UNIQUE (municipality, message_type, identificatie)
		)`,
		`CREATE INDEX disclosures_state_at ON disclosures (state, state_at, seq)`,
		`CREATE INDEX disclosures_client_key ON disclosures (client_key)`,
		`CREATE TABLE identificatie_counters (
			municipality text   NOT NULL,
			message_type text   NOT NULL,
			last         bigint NOT NULL,
			PRIMARY KEY (municipality, message_type)
		)`,
		`CREATE TABLE invalid_requests (
			id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
			disclosure_id text        NOT NULL,
			municipality  text        NOT NULL,
			system        text        NOT NULL,
			reason        text        NOT NULL,
			received_at   timestamptz NOT NULL,
			actor         text        NOT NULL
		)`,
		`CREATE TABLE ledger (
			seq           bigint      PRIMARY KEY,
			at            timestamptz NOT NULL,
			actor         text        NOT NULL,
			disclosure_id text        NOT NULL,
			event         text        NOT NULL,
			detail        jsonb       NOT NULL,
			prev_hash     text        NOT NULL,
			hash          text        NOT NULL
		)`,
		`CREATE INDEX ledger_disclosure ON ledger (disclosure_id, seq)`,
		// The ledger is append-only; the trigger stops accidents, the hash
		// chain detects the rest.
		`CREATE FUNCTION ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN
			RAISE EXCEPTION 'ledger is append-only';
		END $$`,
		`CREATE TRIGGER ledger_no_change BEFORE UPDATE OR DELETE ON ledger
			FOR EACH ROW EXECUTE FUNCTION ledger_append_only()`,
		`CREATE TRIGGER ledger_no_truncate BEFORE TRUNCATE ON ledger
			FOR EACH STATEMENT EXECUTE FUNCTION ledger_append_only()`,
		// State changes journal their ledger entry here, in their own
		// transaction; the sealer chains journaled entries into the ledger
		// (see seal), so state changes do not queue on the chain's head.
		`CREATE TABLE ledger_pending (
			id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
			at            timestamptz NOT NULL,
			actor         text        NOT NULL,
			disclosure_id text        NOT NULL,
			event         text        NOT NULL,
			detail        jsonb       NOT NULL
		)`,
		// One row holding the chain's head: sealing and appends lock it
		// (FOR UPDATE), so the chain never forks, also across processes.
		`CREATE TABLE ledger_head (
			id   int    PRIMARY KEY CHECK (id = 1),
			seq  bigint NOT NULL,
			hash text   NOT NULL
		)`,
		`INSERT INTO ledger_head (id, seq, hash) VALUES (1, 0, '` + ledger.Genesis + `')`,
	},
	{ // 2: the consent register: consents, restrictions of processing,
		// legal representatives. NULL is "none" (no period, not used, not
		// withdrawn, not lifted).
		`CREATE TABLE consents (
			seq          bigint GENERATED ALWAYS AS IDENTITY,
			consent_id   text        PRIMARY KEY,
			client_key   text        NOT NULL,
			given_by     jsonb       NOT NULL,
			given_at     timestamptz,
			recipient    text        NOT NULL,
			purpose      text        NOT NULL,
			categories   jsonb       NOT NULL,
			single_share boolean     NOT NULL,
			valid_from   timestamptz,
			valid_until  timestamptz,
			used_by      text,
			used_at      timestamptz,
			withdrawn_at timestamptz,
			recorded_at  timestamptz NOT NULL
		)`,
		`CREATE INDEX consents_client_key ON consents (client_key, seq)`,
		`CREATE TABLE restrictions (
			id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
			client_key  text        NOT NULL,
			from_at     timestamptz NOT NULL,
			lifted_at   timestamptz,
			recorded_at timestamptz NOT NULL,
			UNIQUE (client_key, from_at)
		)`,
		`CREATE TABLE legal_representatives (
			client_key text        PRIMARY KEY,
			recorded   boolean     NOT NULL,
			updated_at timestamptz NOT NULL
		)`,
	},
	{ // 3: the evidence archive (internal/archive): data keys per client,
		// wrapped by a master key, and the encrypted signed messages. A
		// shredded key has its wrapped bytes erased and shredded_at set.
		`CREATE TABLE archive_keys (
			key_id        text        PRIMARY KEY,
			client_key    text        NOT NULL,
			master_key_id text        NOT NULL,
			wrapped       bytea       NOT NULL,
			created_at    timestamptz NOT NULL,
			shredded_at   timestamptz
		)`,
		// At most one live data key per client.
		`CREATE UNIQUE INDEX archive_keys_live ON archive_keys (client_key) WHERE shredded_at IS NULL`,
		`CREATE INDEX archive_keys_client ON archive_keys (client_key)`,
		`CREATE TABLE archive_entries (
			disclosure_id text        PRIMARY KEY,
			client_key    text        NOT NULL,
			key_id        text        NOT NULL REFERENCES archive_keys (key_id),
			ciphertext    bytea       NOT NULL,
			archived_at   timestamptz NOT NULL,
			retain_until  timestamptz NOT NULL
		)`,
		`CREATE INDEX archive_entries_client ON archive_entries (client_key, archived_at, disclosure_id)`,
	},
	{ // 4 (breach): the breach register (internal/breach): one row per
		// incident, its facts as JSON, the columns the store queries by.
		// signal_key makes sluis's own proposals unique (NULL for a record).
		`CREATE TABLE breaches (
			id           text PRIMARY KEY,
			municipality text NOT NULL,
			state        text NOT NULL,
			signal_key   text UNIQUE,
			version      bigint NOT NULL,
			created_at   timestamptz NOT NULL,
			body         jsonb NOT NULL
		)`,
		`CREATE INDEX breaches_created ON breaches (created_at, id)`,
	},
	// v5 (rights): objections (art. 21), kept like restrictions; and the
	// review items (internal/casework): break-glass reads, human reviews
	// and the follow-ups of a safety override, open until closed.
	{
		`CREATE TABLE objections (
			id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
			client_key  text        NOT NULL,
			from_at     timestamptz NOT NULL,
			lifted_at   timestamptz,
			recorded_at timestamptz NOT NULL,
			UNIQUE (client_key, from_at)
		)`,
		`CREATE TABLE review_items (
			seq               bigint GENERATED ALWAYS AS IDENTITY,
			id                text        PRIMARY KEY,
			kind              text        NOT NULL,
			disclosure_id     text        NOT NULL,
			municipality      text        NOT NULL,
			opened_at         timestamptz NOT NULL,
			opened_by         text        NOT NULL,
			due_at            timestamptz,
			reason            text        NOT NULL,
			reference         text        NOT NULL,
			closed_at         timestamptz,
			closed_by         text        NOT NULL,
			outcome           text        NOT NULL,
			outcome_reason    text        NOT NULL,
			outcome_reference text        NOT NULL
		)`,
		`CREATE INDEX review_items_open ON review_items (municipality, kind, seq) WHERE closed_at IS NULL`,
		`CREATE INDEX review_items_list ON review_items (municipality, kind, seq)`,
		`CREATE INDEX review_items_due ON review_items (due_at) WHERE closed_at IS NULL`,
	},
	{ // v6 (inbound): providers' heenberichten (internal/inbound): ids,
		// codes and dates only, unique per provider, type and Identificatie
		// (TR056); the open answers by due time.
		`CREATE TABLE inbound_messages (
			inbound_id    text        PRIMARY KEY,
			provider      text        NOT NULL,
			municipality  text        NOT NULL,
			system        text        NOT NULL,
			standard      text        NOT NULL,
			message_type  text        NOT NULL,
			identificatie text        NOT NULL,
			message_id    text        NOT NULL,
			state         text        NOT NULL,
			retour_codes  jsonb       NOT NULL,
			rules         jsonb       NOT NULL,
			received_at   timestamptz NOT NULL,
			due           timestamptz,
			answered_by   text        NOT NULL,
			answered_at   timestamptz,
			overdue_at    timestamptz,
			UNIQUE (provider, message_type, identificatie)
		)`,
		`CREATE INDEX inbound_messages_due ON inbound_messages (state, due)`,
	},
	{ // v7 (dedup): status sequence numbers, the announced mark, the
		// processing claim (receipts.Claimer), invalid requests counted per
		// principal and window. A disclosure stored before has entered one
		// state per key of state_times, and its events are taken as sent.
		`ALTER TABLE disclosures ADD COLUMN status_seq bigint NOT NULL DEFAULT 0`,
		`UPDATE disclosures SET status_seq = (SELECT COUNT(*) FROM jsonb_object_keys(disclosures.state_times))`,
		`ALTER TABLE disclosures ADD COLUMN announced_seq bigint NOT NULL DEFAULT 0`,
		`UPDATE disclosures SET announced_seq = status_seq`,
		`ALTER TABLE disclosures ADD COLUMN claimed_by text NOT NULL DEFAULT ''`,
		`ALTER TABLE disclosures ADD COLUMN claimed_until timestamptz`,
		`CREATE TABLE invalid_windows (
			principal    text        NOT NULL,
			window_start timestamptz NOT NULL,
			count        bigint      NOT NULL,
			PRIMARY KEY (principal, window_start)
		)`,
	},
	{ // v8 (redact): the ledger's hash scheme 2 (docs/ledger.md): the salts
		// of an entry's redactable values, the digests of redacted ones, when
		// it was redacted. Entries before this version are scheme 1. The
		// trigger allows exactly one change of an entry: its redaction.
		`ALTER TABLE ledger ADD COLUMN scheme smallint NOT NULL DEFAULT 1`,
		`ALTER TABLE ledger ADD COLUMN salts jsonb NOT NULL DEFAULT '{}'`,
		`ALTER TABLE ledger ADD COLUMN redacted jsonb NOT NULL DEFAULT '{}'`,
		`ALTER TABLE ledger ADD COLUMN redacted_at timestamptz`,
		`CREATE OR REPLACE FUNCTION ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN
			IF TG_OP = 'UPDATE' THEN
				IF OLD.redacted_at IS NULL AND NEW.redacted_at IS NOT NULL
					AND NEW.seq = OLD.seq AND NEW.at = OLD.at AND NEW.actor = OLD.actor
					AND NEW.event = OLD.event AND NEW.prev_hash = OLD.prev_hash
					AND NEW.hash = OLD.hash AND NEW.scheme = OLD.scheme THEN
					RETURN NEW;
				END IF;
				RAISE EXCEPTION 'ledger is append-only: an entry may only be redacted, once';
			END IF;
			RAISE EXCEPTION 'ledger is append-only';
		END $$`,
		`CREATE INDEX ledger_consent_ref ON ledger ((detail->>'consent_id')) WHERE detail ? 'consent_id'`,
		`CREATE INDEX ledger_restriction_ref ON ledger ((detail->>'restriction_id')) WHERE detail ? 'restriction_id'`,
		`CREATE INDEX ledger_objection_ref ON ledger ((detail->>'objection_id')) WHERE detail ? 'objection_id'`,
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

// migrationLock is the first key of the advisory lock that serialises
// migrations; the second is a hash of the schema name.
const migrationLock = 0x51_75_15

// migrate brings the schema to the newest version in one transaction,
// holding an advisory lock so processes starting together take turns.
func migrate(ctx context.Context, pool *pgxpool.Pool) error {
	tx, err := pool.BeginTx(ctx, pgx.TxOptions{})
	if err != nil {
		return fmt.Errorf("migrate: begin: %w", err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // after Commit this is a no-op
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1, hashtext(current_schema()))`, migrationLock); err != nil {
		return fmt.Errorf("migrate: lock: %w", err)
	}
	if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_version (
		version    int         PRIMARY KEY,
		applied_at timestamptz NOT NULL
	)`); err != nil {
		return fmt.Errorf("migrate: schema_version: %w", err)
	}
	var current int
	if err := tx.QueryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_version`).Scan(&current); err != nil {
		return fmt.Errorf("migrate: read version: %w", err)
	}
	if current > len(migrations) {
		return fmt.Errorf("migrate: database at version %d, program knows %d: %w", current, len(migrations), storecore.ErrSchemaTooNew)
	}
	for v := current + 1; v <= len(migrations); v++ {
		for i, stmt := range migrations[v-1] {
			if _, err := tx.Exec(ctx, stmt); err != nil {
				return fmt.Errorf("migrate: version %d statement %d: %w", v, i+1, err)
			}
		}
		if _, err := tx.Exec(ctx, `INSERT INTO schema_version (version, applied_at) VALUES ($1, $2)`,
			v, storecore.Now()); err != nil {
			return fmt.Errorf("migrate: record version %d: %w", v, err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("migrate: commit: %w", err)
	}
	return nil
}
