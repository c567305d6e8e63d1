// Package app wires sluis together: configuration in, a running gateway out.
// All wiring is explicit here; nothing registers itself. It is the only
// package outside cmd/ that imports adapters/ (internal/imports_test.go
// checks that).
//
// The files: gateway.go starts and stops the gateway, routing.go adds the
// message handlers with their retry policy, runners.go the background jobs,
// broker.go checks RabbitMQ and declares its topology, devkeys.go loads (or
// in development generates) keys and secrets, archive.go the evidence
// archive's master key; this file opens the store and
// loads the configured registries.
package app

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/sluis-gateway/sluis/adapters/store/postgres"
	"github.com/sluis-gateway/sluis/adapters/store/sqlite"
	"github.com/sluis-gateway/sluis/internal/archive"
	"github.com/sluis-gateway/sluis/internal/breach"
	"github.com/sluis-gateway/sluis/internal/casework"
	"github.com/sluis-gateway/sluis/internal/config"
	"github.com/sluis-gateway/sluis/internal/consent"
	"github.com/sluis-gateway/sluis/internal/inbound"
	"github.com/sluis-gateway/sluis/internal/ledger"
	"github.com/sluis-gateway/sluis/internal/minimise"
	"github.com/sluis-gateway/sluis/internal/provider"
	"github.com/sluis-gateway/sluis/internal/receipts"
	"github.com/sluis-gateway/sluis/internal/retention"
	"github.com/sluis-gateway/sluis/internal/rights"
)

// Store is everything the gateway needs of its store.
type Store interface {
	receipts.Store
	receipts.Batcher
	ledger.Reader
	ledger.Appender
	ledger.Redactor
	consent.Store
	archive.Store
	breach.Store
	rights.Records
	casework.Store
	inbound.Store
	retention.Store
	ledger.Redactor
	Ping(ctx context.Context) error
	Close() error
}

// OpenStore opens the configured store. A SQLite file is created 0600 in a
// folder created 0700 (SQLite gives its -wal and -shm files the database
// file's mode). The error names the store and where it is (never a
// PostgreSQL password).
func OpenStore(ctx context.Context, cfg config.Config) (Store, error) {
	switch cfg.Store {
	case "postgres":
		s, err := postgres.Open(ctx, cfg.PostgresURL)
		if err != nil { // not s: a nil *postgres.Store in a Store is not nil
			return nil, fmt.Errorf("postgres store %s: %w", Redact(cfg.PostgresURL), err)
		}
		return s, nil
	default:
		if err := createPrivate(cfg.SQLitePath); err != nil {
			return nil, fmt.Errorf("sqlite store %s: %w", cfg.SQLitePath, err)
		}
		s, err := sqlite.Open(ctx, cfg.SQLitePath)
		if err != nil {
			return nil, fmt.Errorf("sqlite store %s: %w", cfg.SQLitePath, err)
		}
		return s, nil
	}
}

// createPrivate creates the file (0600) and its folder (0700) when missing;
// an existing file is left as it is.
func createPrivate(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return nil
	}
	if err != nil {
		return err
	}
	return f.Close()
}

// Registry loads the configured provider registry, reading and checking
// every provider's retour certificate: SLUIS_PROVIDERS_FILE, or with
// SLUIS_DEV_PROVIDERS the development registry (generating the development
// providers' key pairs when missing).
func Registry(cfg config.Config) (*provider.Registry, error) {
	if cfg.DevProviders {
		r, err := provider.Development(cfg.DevProvidersDir)
		if err != nil {
			return nil, fmt.Errorf("SLUIS_DEV_PROVIDERS: %w", err)
		}
		return r, nil
	}
	if cfg.ProvidersFile == "" {
		return nil, fmt.Errorf("SLUIS_PROVIDERS_FILE: not configured (SLUIS_DEV=true for development)")
	}
	r, err := provider.Load(cfg.ProvidersFile)
	if err != nil {
		return nil, fmt.Errorf("SLUIS_PROVIDERS_FILE: %w", err)
	}
	return r, nil
}

// Profiles loads the purpose profiles: the configured folder, or the
// embedded set.
func Profiles(cfg config.Config) (*minimise.Profiles, error) {
	if cfg.ProfilesDir != "" {
		return minimise.Load(cfg.ProfilesDir)
	}
	return minimise.Embedded()
}
