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
	"fmt"
	"os"
	"path/filepath"

	"github.com/sluis-gateway/sluis/adapters/store/postgres"
	"github.com/sluis-gateway/sluis/adapters/store/sqlite"
	"github.com/sluis-gateway/sluis/internal/archive"
	"github.com/sluis-gateway/sluis/internal/config"
	"github.com/sluis-gateway/sluis/internal/consent"
	"github.com/sluis-gateway/sluis/internal/ledger"
	"github.com/sluis-gateway/sluis/internal/minimise"
	"github.com/sluis-gateway/sluis/internal/provider"
	"github.com/sluis-gateway/sluis/internal/receipts"
)

// Store is everything the gateway needs of its store.
type Store interface {
	receipts.Store
	ledger.Reader
	ledger.Appender
	consent.Store
	archive.Store
	Ping(ctx context.Context) error
	Close() error
}

// OpenStore opens the configured store.
func OpenStore(ctx context.Context, cfg config.Config) (Store, error) {
	switch cfg.Store {
	case "postgres":
		return postgres.Open(ctx, cfg.PostgresURL)
	default:
		if err := os.MkdirAll(filepath.Dir(cfg.SQLitePath), 0o700); err != nil {
			return nil, fmt.Errorf("store directory: %w", err)
		}
		return sqlite.Open(ctx, cfg.SQLitePath)
	}
}

// Registry loads the configured provider registry.
func Registry(cfg config.Config) (*provider.Registry, error) {
	if cfg.ProvidersFile == "" {
		return provider.Development(), nil
	}
	return provider.Load(cfg.ProvidersFile)
}

// Profiles loads the purpose profiles: the configured folder, or the
// embedded set.
func Profiles(cfg config.Config) (*minimise.Profiles, error) {
	if cfg.ProfilesDir != "" {
		return minimise.Load(cfg.ProfilesDir)
	}
	return minimise.Embedded()
}
