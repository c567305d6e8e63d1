package app

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/sluis-gateway/sluis/internal/config"
)

// LoadClientKeySecret reads (or, with development keys, creates) the secret
// that keys the BSN hash.
func LoadClientKeySecret(cfg config.Config) ([]byte, error) {
	if cfg.DevKeys && missing(cfg.ClientKeySecret) {
		if err := os.MkdirAll(filepath.Dir(cfg.ClientKeySecret), 0o700); err != nil {
			return nil, err
		}
		buf := make([]byte, 32)
		if _, err := io.ReadFull(rand.Reader, buf); err != nil {
			return nil, err
		}
		if err := os.WriteFile(cfg.ClientKeySecret, []byte(hex.EncodeToString(buf)+"\n"), 0o600); err != nil {
			return nil, err
		}
	}
	b, err := os.ReadFile(cfg.ClientKeySecret)
	if err != nil {
		return nil, fmt.Errorf("client key secret: %w", err)
	}
	secret := []byte(strings.TrimSpace(string(b)))
	if len(secret) < 32 {
		return nil, fmt.Errorf("client key secret %s: must be at least 32 bytes", cfg.ClientKeySecret)
	}
	return secret, nil
}

func missing(path string) bool {
	_, err := os.Stat(path)
	return errors.Is(err, os.ErrNotExist)
}
