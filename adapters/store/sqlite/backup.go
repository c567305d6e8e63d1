package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"strings"
)

// Named errors of Backup.
var (
	// ErrNoDatabase: the file to back up does not exist (Backup never
	// creates one).
	ErrNoDatabase = errors.New("no SQLite database at that path")
	// ErrBackupExists: the backup file exists already; Backup never
	// overwrites.
	ErrBackupExists = errors.New("backup file exists")
)

// Backup writes a consistent copy of the database at src to the new file
// dst (mode 0600) with VACUUM INTO, and checks the copy with PRAGMA
// integrity_check. It reads one snapshot on a read-only connection of its
// own, so it may run while gateways write to src: they are not blocked,
// and what they commit after the snapshot is not in the copy. The copy is
// a complete database (no -wal file); restore it by putting it in place of
// src while no gateway runs. dst is removed again when anything fails.
func Backup(ctx context.Context, src, dst string) error {
	if err := checkPath(src); err != nil {
		return fmt.Errorf("sqlite backup: source: %w", err)
	}
	if err := checkPath(dst); err != nil {
		return fmt.Errorf("sqlite backup: target: %w", err)
	}
	if _, err := os.Stat(src); errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("sqlite backup: %w", ErrNoDatabase)
	} else if err != nil {
		return fmt.Errorf("sqlite backup: %w", err)
	}
	// VACUUM INTO wants a file that does not exist or is empty; creating
	// it here, exclusively, sets its mode and refuses to overwrite.
	f, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("sqlite backup: %w", ErrBackupExists)
	}
	if err != nil {
		return fmt.Errorf("sqlite backup: create target: %w", err)
	}
	if err := f.Close(); err != nil {
		os.Remove(dst)
		return fmt.Errorf("sqlite backup: create target: %w", err)
	}
	if err := vacuumInto(ctx, src, dst); err != nil {
		os.Remove(dst)
		return fmt.Errorf("sqlite backup: %w", err)
	}
	return nil
}

// checkPath refuses what is not a plain file path (URIs, :memory:,
// query strings), as Open does.
func checkPath(path string) error {
	if path == "" || strings.ContainsAny(path, "?#") || strings.HasPrefix(path, ":memory:") || strings.HasPrefix(path, "file:") {
		return fmt.Errorf("%w: want a plain file path", ErrBadPath)
	}
	return nil
}

func vacuumInto(ctx context.Context, src, dst string) error {
	q := url.Values{}
	q.Set("mode", "ro")
	q.Add("_pragma", "busy_timeout(10000)")
	db, err := sql.Open("sqlite", "file:"+src+"?"+q.Encode())
	if err != nil {
		return fmt.Errorf("open source: %w", err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	var version int
	if err := db.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_version`).Scan(&version); err != nil {
		return fmt.Errorf("not a sluis database (schema_version): %w", err)
	}
	if _, err := db.ExecContext(ctx, `VACUUM INTO ?`, dst); err != nil {
		return fmt.Errorf("vacuum into: %w", err)
	}
	copyDB, err := sql.Open("sqlite", "file:"+dst+"?mode=ro")
	if err != nil {
		return fmt.Errorf("open copy: %w", err)
	}
	defer copyDB.Close()
	var result string
	if err := copyDB.QueryRowContext(ctx, `PRAGMA integrity_check`).Scan(&result); err != nil {
		return fmt.Errorf("check copy: %w", err)
	}
	if result != "ok" {
		return fmt.Errorf("check copy: integrity_check: %s", result)
	}
	return nil
}
