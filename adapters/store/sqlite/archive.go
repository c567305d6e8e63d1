package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/sluis-gateway/sluis/adapters/store/internal/storecore"
	"github.com/sluis-gateway/sluis/internal/archive"
)

var _ archive.Store = (*Store)(nil)

const (
	archiveKeyColumns   = `key_id, client_key, master_key_id, wrapped, created_at, shredded_at`
	archiveEntryColumns = `disclosure_id, client_key, key_id, ciphertext, archived_at, retain_until`
	// The queries of every archived disclosure, prepared once on the
	// readers (readQueries) and on the writer (writeQueries).
	qArchiveLiveKey  = `SELECT ` + archiveKeyColumns + ` FROM archive_keys WHERE client_key = ? AND shredded_at IS NULL`
	qArchiveEntry    = `SELECT ` + archiveEntryColumns + ` FROM archive_entries WHERE disclosure_id = ?`
	qArchiveInsKey   = `INSERT INTO archive_keys (` + archiveKeyColumns + `) VALUES (?, ?, ?, ?, ?, NULL) ON CONFLICT DO NOTHING`
	qArchiveInsEntry = `INSERT INTO archive_entries (` + archiveEntryColumns + `)
		VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (disclosure_id) DO NOTHING`
)

// ArchiveCreateKey implements archive.Store: the insert is ignored when the
// client has a live key (the partial unique index), and the live key is
// read back in the same transaction.
func (s *Store) ArchiveCreateKey(ctx context.Context, k archive.DataKey) (archive.DataKey, error) {
	var live archive.DataKey
	err := s.wr.do(ctx, func(ctx context.Context, tx *wtx) error {
		if _, err := tx.ExecContext(ctx, qArchiveInsKey,
			k.ID, k.ClientKey, k.MasterKeyID, k.Wrapped, storecore.Micros(k.CreatedAt)); err != nil {
			return err
		}
		var err error
		live, err = scanArchiveKey(tx.QueryRowContext(ctx, qArchiveLiveKey, k.ClientKey))
		return err
	})
	if err != nil {
		return archive.DataKey{}, fmt.Errorf("archive create key: %w", err)
	}
	return live, nil
}

// ArchiveLiveKey implements archive.Store.
func (s *Store) ArchiveLiveKey(ctx context.Context, clientKey string) (archive.DataKey, error) {
	k, err := scanArchiveKey(s.rstmts[qArchiveLiveKey].QueryRowContext(ctx, clientKey))
	if err != nil {
		return archive.DataKey{}, fmt.Errorf("archive live key: %w", err)
	}
	return k, nil
}

// ArchiveKey implements archive.Store.
func (s *Store) ArchiveKey(ctx context.Context, id string) (archive.DataKey, error) {
	k, err := scanArchiveKey(s.r.QueryRowContext(ctx, `SELECT `+archiveKeyColumns+` FROM archive_keys WHERE key_id = ?`, id))
	if err != nil {
		return archive.DataKey{}, fmt.Errorf("archive key: %w", err)
	}
	return k, nil
}

// ArchivePut implements archive.Store.
func (s *Store) ArchivePut(ctx context.Context, e archive.Sealed) (archive.Sealed, bool, error) {
	var (
		stored  archive.Sealed
		created bool
	)
	err := s.wr.do(ctx, func(ctx context.Context, tx *wtx) error {
		res, err := tx.ExecContext(ctx, qArchiveInsEntry,
			e.DisclosureID, e.ClientKey, e.KeyID, e.Ciphertext, storecore.Micros(e.ArchivedAt), storecore.Micros(e.RetainUntil))
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		created = n == 1
		stored, err = scanArchiveEntry(tx.QueryRowContext(ctx, qArchiveEntry, e.DisclosureID))
		return err
	})
	if err != nil {
		return archive.Sealed{}, false, fmt.Errorf("archive put: %w", err)
	}
	return stored, created, nil
}

// ArchiveGet implements archive.Store.
func (s *Store) ArchiveGet(ctx context.Context, disclosureID string) (archive.Sealed, error) {
	e, err := scanArchiveEntry(s.rstmts[qArchiveEntry].QueryRowContext(ctx, disclosureID))
	if err != nil {
		return archive.Sealed{}, fmt.Errorf("archive get: %w", err)
	}
	return e, nil
}

// ArchiveList implements archive.Store.
func (s *Store) ArchiveList(ctx context.Context, clientKey string) ([]archive.Entry, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT e.disclosure_id, e.archived_at, e.retain_until, k.shredded_at IS NOT NULL
		FROM archive_entries e JOIN archive_keys k ON k.key_id = e.key_id
		WHERE e.client_key = ? ORDER BY e.archived_at, e.disclosure_id`, clientKey)
	if err != nil {
		return nil, fmt.Errorf("archive list: %w", err)
	}
	defer rows.Close()
	var out []archive.Entry
	for rows.Next() {
		var (
			e             archive.Entry
			at, retainEnd int64
		)
		if err := rows.Scan(&e.DisclosureID, &at, &retainEnd, &e.Shredded); err != nil {
			return nil, fmt.Errorf("archive list: %w", err)
		}
		e.ArchivedAt, e.RetainUntil = storecore.FromMicros(at), storecore.FromMicros(retainEnd)
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("archive list: %w", err)
	}
	return out, nil
}

// ArchiveShred implements archive.Store: the wrapped bytes are overwritten
// with an empty value in the same write that marks the key shredded.
func (s *Store) ArchiveShred(ctx context.Context, clientKey string, at time.Time) error {
	err := s.wr.do(ctx, func(ctx context.Context, tx *wtx) error {
		_, err := tx.ExecContext(ctx, `UPDATE archive_keys SET wrapped = X'', shredded_at = ?
			WHERE client_key = ? AND shredded_at IS NULL`, storecore.Micros(at), clientKey)
		return err
	})
	if err != nil {
		return fmt.Errorf("archive shred: %w", err)
	}
	return nil
}

func scanArchiveKey(row scanner) (archive.DataKey, error) {
	var (
		k        archive.DataKey
		created  int64
		shredded sql.NullInt64
	)
	err := row.Scan(&k.ID, &k.ClientKey, &k.MasterKeyID, &k.Wrapped, &created, &shredded)
	if errors.Is(err, sql.ErrNoRows) {
		return archive.DataKey{}, archive.ErrNotFound
	}
	if err != nil {
		return archive.DataKey{}, err
	}
	if shredded.Valid {
		return archive.DataKey{}, archive.ErrShredded
	}
	k.CreatedAt = storecore.FromMicros(created)
	return k, nil
}

func scanArchiveEntry(row scanner) (archive.Sealed, error) {
	var (
		e             archive.Sealed
		at, retainEnd int64
	)
	err := row.Scan(&e.DisclosureID, &e.ClientKey, &e.KeyID, &e.Ciphertext, &at, &retainEnd)
	if errors.Is(err, sql.ErrNoRows) {
		return archive.Sealed{}, archive.ErrNotFound
	}
	if err != nil {
		return archive.Sealed{}, err
	}
	e.ArchivedAt, e.RetainUntil = storecore.FromMicros(at), storecore.FromMicros(retainEnd)
	return e, nil
}
