package app

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/sluis-gateway/sluis/internal/config"
)

// ErrSecretFileMode: the client-key secret file can be read or written by
// others than its owner (mode & 0o077 != 0); sluis refuses to start, as it
// does for a signing key (signing.ErrKeyFileMode).
var ErrSecretFileMode = errors.New("client key secret accessible to others")

// LoadClientKeySecret reads the secret that keys the BSN hash
// (SLUIS_CLIENT_KEY_SECRET): a file only its owner may access, of at least
// 32 bytes. With development keys (SLUIS_DEV_KEYS) a missing file is
// generated, 0600 in a folder created 0700; an existing one is never
// overwritten. Every error names the file.
func LoadClientKeySecret(cfg config.Config) ([]byte, error) {
	path := cfg.ClientKeySecret
	if cfg.DevKeys && missing(path) {
		if err := generateSecret(path); err != nil {
			return nil, fmt.Errorf("client key secret %s: %w", path, err)
		}
	}
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("client key secret %s: %w", path, err)
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		return nil, fmt.Errorf("client key secret %s: %w: mode %04o, want 0600 or stricter", path, ErrSecretFileMode, perm)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("client key secret %s: %w", path, err)
	}
	secret := []byte(strings.TrimSpace(string(b)))
	if len(secret) < 32 {
		return nil, fmt.Errorf("client key secret %s: must be at least 32 bytes", path)
	}
	return secret, nil
}

// generateSecret writes 32 random bytes (hex) to a new file, 0600.
func generateSecret(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	buf := make([]byte, 32)
	if _, err := rand.Read(buf); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err // fs.ErrExist included: never overwrite
	}
	if _, err := f.WriteString(hex.EncodeToString(buf) + "\n"); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func missing(path string) bool {
	_, err := os.Stat(path)
	return errors.Is(err, fs.ErrNotExist)
}
