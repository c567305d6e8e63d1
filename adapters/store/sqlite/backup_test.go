package sqlite_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"

	"github.com/sluis-gateway/sluis/adapters/store/sqlite"
	"github.com/sluis-gateway/sluis/adapters/store/storetest"
)

// TestBackupRestore: a backup taken while the store is open and written
// to, restored in place of the store, opens, verifies and carries on with
// higher counters.
func TestBackupRestore(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sluis.db")
	s := open(t, path)
	filled := storetest.Fill(t, s)

	// Writers keep going during the backup; the backup is a snapshot of
	// some moment, and what it holds must verify.
	ctx := storetest.Ctx(t)
	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			if _, _, err := s.Register(ctx, storetest.NewRecord("during-"+strconv.Itoa(i), "0363", "WMO301")); err != nil {
				t.Errorf("Register during backup: %v", err)
				return
			}
		}
	}()
	backup := filepath.Join(dir, "backup.db")
	err := sqlite.Backup(context.Background(), path, backup)
	close(stop)
	wg.Wait()
	if err != nil {
		t.Fatalf("Backup: %v", err)
	}
	fi, err := os.Stat(backup)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("backup mode %v, want 0600", fi.Mode().Perm())
	}

	// Restore into a fresh place (the original stays as it is: a restore
	// after losing the disk).
	restored := filepath.Join(t.TempDir(), "sluis.db")
	if err := os.Rename(backup, restored); err != nil {
		t.Fatal(err)
	}
	r := open(t, restored)
	storetest.CheckCopy(t, r, filled)
}

func TestBackupRefuses(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sluis.db")
	open(t, path)
	existing := filepath.Join(dir, "existing.db")
	if err := os.WriteFile(existing, []byte("keep me"), 0o600); err != nil {
		t.Fatal(err)
	}
	notSluis := filepath.Join(dir, "other.db")
	if err := os.WriteFile(notSluis, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		src, dst string
		want     error
	}{
		{"no database at the source", filepath.Join(dir, "missing.db"), filepath.Join(dir, "b1.db"), sqlite.ErrNoDatabase},
		{"the backup file exists", path, existing, sqlite.ErrBackupExists},
		{"a URI as the source", "file:" + path, filepath.Join(dir, "b2.db"), sqlite.ErrBadPath},
		{"a query in the target", path, filepath.Join(dir, "b3.db?mode=rwc"), sqlite.ErrBadPath},
		{"a source that is not a sluis database", notSluis, filepath.Join(dir, "b4.db"), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := sqlite.Backup(context.Background(), tt.src, tt.dst)
			if err == nil || tt.want != nil && !errors.Is(err, tt.want) {
				t.Fatalf("Backup: %v, want %v", err, tt.want)
			}
			if tt.want != sqlite.ErrBackupExists {
				if _, err := os.Stat(tt.dst); !errors.Is(err, os.ErrNotExist) {
					t.Errorf("target left behind after a refused backup: %v", err)
				}
			}
		})
	}
	if b, _ := os.ReadFile(existing); string(b) != "keep me" {
		t.Fatal("an existing file was overwritten")
	}
}
