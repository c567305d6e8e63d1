package app_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sluis-gateway/sluis/internal/actor"
	"github.com/sluis-gateway/sluis/internal/app"
	"github.com/sluis-gateway/sluis/internal/config"
	"github.com/sluis-gateway/sluis/internal/testenv"
)

// mode returns the permission bits of path.
func mode(t *testing.T, path string) os.FileMode {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Mode().Perm()
}

// TestStoreFilesArePrivate: a new SQLite store is created 0600 in a folder
// created 0700, and SQLite gives its -wal and -shm files the same mode.
func TestStoreFilesArePrivate(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "new", "store")
	cfg, err := config.Parse(testenv.WithSettings(testenv.DevSettings(t.TempDir()), map[string]string{
		"SLUIS_SQLITE_PATH": filepath.Join(dir, "sluis.db"),
	}))
	if err != nil {
		t.Fatal(err)
	}
	st, err := app.OpenStore(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := st.Append(actor.With(context.Background(), actor.System), "", "test.event", map[string]string{"k": "v"}); err != nil {
		t.Fatal(err)
	}
	if got := mode(t, dir); got != 0o700 {
		t.Errorf("store folder mode %04o, want 0700", got)
	}
	for _, f := range []string{"sluis.db", "sluis.db-wal", "sluis.db-shm"} {
		if got := mode(t, filepath.Join(dir, f)); got != 0o600 {
			t.Errorf("%s mode %04o, want 0600", f, got)
		}
	}
}

// TestClientKeySecret: generated 0600 (folder 0700) with development keys,
// never overwritten, refused when others may read it or when missing
// without development keys; every error names the file.
func TestClientKeySecret(t *testing.T) {
	tests := []struct {
		name    string
		devKeys string
		prepare func(t *testing.T, path string) // nil: the file does not exist
		want    error                           // nil: loads
	}{
		{"generated with development keys", "true", nil, nil},
		{"missing without development keys", "false", nil, os.ErrNotExist},
		{"existing 0600 is kept", "true", func(t *testing.T, p string) { write(t, p, strings.Repeat("ab", 32), 0o600) }, nil},
		{"readable by the group", "false", func(t *testing.T, p string) { write(t, p, strings.Repeat("ab", 32), 0o640) }, app.ErrSecretFileMode},
		{"readable by all, even with development keys", "true", func(t *testing.T, p string) { write(t, p, strings.Repeat("ab", 32), 0o644) }, app.ErrSecretFileMode},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "secrets", "client-key.secret")
			if tc.prepare != nil {
				tc.prepare(t, path)
			}
			before, _ := os.ReadFile(path)
			cfg, err := config.Parse(map[string]string{"SLUIS_CLIENT_KEY_SECRET": path, "SLUIS_DEV_KEYS": tc.devKeys})
			if err != nil {
				t.Fatal(err)
			}
			secret, err := app.LoadClientKeySecret(cfg)
			if tc.want != nil {
				if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), path) {
					t.Fatalf("err = %v, want %v naming %s", err, tc.want, path)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(secret) < 32 || mode(t, path) != 0o600 {
				t.Fatalf("secret of %d bytes, mode %04o", len(secret), mode(t, path))
			}
			if tc.prepare == nil && mode(t, filepath.Dir(path)) != 0o700 {
				t.Errorf("secret folder mode %04o, want 0700", mode(t, filepath.Dir(path)))
			}
			if after, _ := os.ReadFile(path); before != nil && string(after) != string(before) {
				t.Error("an existing secret was overwritten")
			}
		})
	}
}

func write(t *testing.T, path, content string, perm os.FileMode) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, perm); err != nil {
		t.Fatal(err)
	}
}
