package archive

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// LoadMasterKeyFile reads the master key from file: 64 hex digits (32
// bytes; surrounding white space ignored) or exactly 32 raw bytes. The file
// must be readable by its owner only (mode 0600 or stricter), like the
// signing key. Errors name the file, never its content.
func LoadMasterKeyFile(file string) (MasterKey, error) {
	fi, err := os.Stat(file)
	if err != nil {
		return MasterKey{}, fmt.Errorf("archive master key %s: %w", file, err)
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		return MasterKey{}, fmt.Errorf("archive master key %s: %w: mode %04o, want 0600 or stricter", file, ErrBadMasterKey, perm)
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return MasterKey{}, fmt.Errorf("archive master key %s: %w", file, err)
	}
	key := b
	if len(b) != KeySize {
		key, err = hex.DecodeString(strings.TrimSpace(string(b)))
		if err != nil || len(key) != KeySize {
			return MasterKey{}, fmt.Errorf("archive master key %s: %w: want 64 hex digits or %d raw bytes", file, ErrBadMasterKey, KeySize)
		}
	}
	m, err := NewMasterKey(key)
	if err != nil {
		return MasterKey{}, fmt.Errorf("archive master key %s: %w", file, err)
	}
	return m, nil
}

// ErrExists: GenerateMasterKeyFile found the file already there.
var ErrExists = errors.New("file exists")

// GenerateMasterKeyFile writes a new random master key (64 hex digits) to
// file, mode 0600, creating its folder (0700). It never overwrites: an
// existing file is ErrExists (a lost master key is a shredded archive).
func GenerateMasterKeyFile(file string) error {
	if err := os.MkdirAll(filepath.Dir(file), 0o700); err != nil {
		return fmt.Errorf("archive master key %s: %w", file, err)
	}
	raw := make([]byte, KeySize)
	if _, err := io.ReadFull(rand.Reader, raw); err != nil {
		return fmt.Errorf("archive master key: %w", err)
	}
	f, err := os.OpenFile(file, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("archive master key %s: %w", file, ErrExists)
	}
	if err != nil {
		return fmt.Errorf("archive master key %s: %w", file, err)
	}
	if _, err := f.WriteString(hex.EncodeToString(raw) + "\n"); err != nil {
		f.Close()
		return fmt.Errorf("archive master key %s: %w", file, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("archive master key %s: %w", file, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("archive master key %s: %w", file, err)
	}
	return nil
}
