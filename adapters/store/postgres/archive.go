package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sluis-gateway/sluis/adapters/store/internal/storecore"
	"github.com/sluis-gateway/sluis/internal/archive"
)

var _ archive.Store = (*Store)(nil)

const (
	archiveKeyColumns   = `key_id, client_key, master_key_id, wrapped, created_at, shredded_at`
	archiveEntryColumns = `disclosure_id, client_key, key_id, ciphertext, archived_at, retain_until`
	qArchiveLiveKey     = `SELECT ` + archiveKeyColumns + ` FROM archive_keys WHERE client_key = $1 AND shredded_at IS NULL`
	qArchiveEntry       = `SELECT ` + archiveEntryColumns + ` FROM archive_entries WHERE disclosure_id = $1`
)

// ArchiveCreateKey implements archive.Store. A concurrent insert for the
// same client waits on the partial unique index until the other commits,
// then does nothing; the read after it (a new statement, so a new snapshot
// under READ COMMITTED) sees the winner's key.
func (s *Store) ArchiveCreateKey(ctx context.Context, k archive.DataKey) (archive.DataKey, error) {
	if _, err := s.pool.Exec(ctx, `INSERT INTO archive_keys (`+archiveKeyColumns+`)
		VALUES ($1, $2, $3, $4, $5, NULL) ON CONFLICT DO NOTHING`,
		k.ID, k.ClientKey, k.MasterKeyID, k.Wrapped, storecore.Trunc(k.CreatedAt)); err != nil {
		return archive.DataKey{}, fmt.Errorf("archive create key: %w", err)
	}
	live, err := scanArchiveKey(s.pool.QueryRow(ctx, qArchiveLiveKey, k.ClientKey))
	if err != nil {
		return archive.DataKey{}, fmt.Errorf("archive create key: %w", err)
	}
	return live, nil
}

// ArchiveLiveKey implements archive.Store.
func (s *Store) ArchiveLiveKey(ctx context.Context, clientKey string) (archive.DataKey, error) {
	k, err := scanArchiveKey(s.pool.QueryRow(ctx, qArchiveLiveKey, clientKey))
	if err != nil {
		return archive.DataKey{}, fmt.Errorf("archive live key: %w", err)
	}
	return k, nil
}

// ArchiveKey implements archive.Store.
func (s *Store) ArchiveKey(ctx context.Context, id string) (archive.DataKey, error) {
	k, err := scanArchiveKey(s.pool.QueryRow(ctx, `SELECT `+archiveKeyColumns+` FROM archive_keys WHERE key_id = $1`, id))
	if err != nil {
		return archive.DataKey{}, fmt.Errorf("archive key: %w", err)
	}
	return k, nil
}

// ArchivePut implements archive.Store (a concurrent put of the same id
// waits on the primary key, then reads the winner's entry).
func (s *Store) ArchivePut(ctx context.Context, e archive.Sealed) (archive.Sealed, bool, error) {
	tag, err := s.pool.Exec(ctx, `INSERT INTO archive_entries (`+archiveEntryColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (disclosure_id) DO NOTHING`,
		e.DisclosureID, e.ClientKey, e.KeyID, e.Ciphertext, storecore.Trunc(e.ArchivedAt), storecore.Trunc(e.RetainUntil))
	if err != nil {
		return archive.Sealed{}, false, fmt.Errorf("archive put: %w", err)
	}
	stored, err := scanArchiveEntry(s.pool.QueryRow(ctx, qArchiveEntry, e.DisclosureID))
	if err != nil {
		return archive.Sealed{}, false, fmt.Errorf("archive put: %w", err)
	}
	return stored, tag.RowsAffected() == 1, nil
}

// ArchiveGet implements archive.Store.
func (s *Store) ArchiveGet(ctx context.Context, disclosureID string) (archive.Sealed, error) {
	e, err := scanArchiveEntry(s.pool.QueryRow(ctx, qArchiveEntry, disclosureID))
	if err != nil {
		return archive.Sealed{}, fmt.Errorf("archive get: %w", err)
	}
	return e, nil
}

// ArchiveList implements archive.Store.
func (s *Store) ArchiveList(ctx context.Context, clientKey string) ([]archive.Entry, error) {
	rows, err := s.pool.Query(ctx, `SELECT e.disclosure_id, e.archived_at, e.retain_until, k.shredded_at IS NOT NULL
		FROM archive_entries e JOIN archive_keys k ON k.key_id = e.key_id
		WHERE e.client_key = $1 ORDER BY e.archived_at, e.disclosure_id`, clientKey)
	if err != nil {
		return nil, fmt.Errorf("archive list: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (archive.Entry, error) {
		var e archive.Entry
		if err := r.Scan(&e.DisclosureID, &e.ArchivedAt, &e.RetainUntil, &e.Shredded); err != nil {
			return archive.Entry{}, err
		}
		e.ArchivedAt, e.RetainUntil = storecore.Trunc(e.ArchivedAt), storecore.Trunc(e.RetainUntil)
		return e, nil
	})
	if err != nil {
		return nil, fmt.Errorf("archive list: %w", err)
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}

// ArchiveShred implements archive.Store: the wrapped bytes are overwritten
// with an empty value in the statement that marks the key shredded.
func (s *Store) ArchiveShred(ctx context.Context, clientKey string, at time.Time) error {
	if _, err := s.pool.Exec(ctx, `UPDATE archive_keys SET wrapped = ''::bytea, shredded_at = $1
		WHERE client_key = $2 AND shredded_at IS NULL`, storecore.Trunc(at), clientKey); err != nil {
		return fmt.Errorf("archive shred: %w", err)
	}
	return nil
}

func scanArchiveKey(row pgx.Row) (archive.DataKey, error) {
	var (
		k        archive.DataKey
		shredded *time.Time
	)
	err := row.Scan(&k.ID, &k.ClientKey, &k.MasterKeyID, &k.Wrapped, &k.CreatedAt, &shredded)
	if errors.Is(err, pgx.ErrNoRows) {
		return archive.DataKey{}, archive.ErrNotFound
	}
	if err != nil {
		return archive.DataKey{}, err
	}
	if shredded != nil {
		return archive.DataKey{}, archive.ErrShredded
	}
	k.CreatedAt = storecore.Trunc(k.CreatedAt)
	return k, nil
}

func scanArchiveEntry(row pgx.Row) (archive.Sealed, error) {
	var e archive.Sealed
	err := row.Scan(&e.DisclosureID, &e.ClientKey, &e.KeyID, &e.Ciphertext, &e.ArchivedAt, &e.RetainUntil)
	if errors.Is(err, pgx.ErrNoRows) {
		return archive.Sealed{}, archive.ErrNotFound
	}
	if err != nil {
		return archive.Sealed{}, err
	}
	e.ArchivedAt, e.RetainUntil = storecore.Trunc(e.ArchivedAt), storecore.Trunc(e.RetainUntil)
	return e, nil
}
