package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/sluis-gateway/sluis/adapters/store/postgres"
	"github.com/sluis-gateway/sluis/adapters/store/sqlite"
	"github.com/sluis-gateway/sluis/adapters/store/storecopy"
	"github.com/sluis-gateway/sluis/internal/app"
	"github.com/sluis-gateway/sluis/internal/config"
	"github.com/sluis-gateway/sluis/internal/ledger"
)

// ErrBackupPostgres: `store backup` was asked for a PostgreSQL store,
// which pg_dump backs up.
var ErrBackupPostgres = errors.New("the PostgreSQL store is backed up with pg_dump (docs/operations.md, \"Backup and restore\")")

// storeSubcommands are store's subcommands and their argument counts.
var storeSubcommands = map[string]int{"backup": 1, "migrate": 0}

func storeCmd(ctx context.Context, e *env, args []string) error {
	c := self("store")
	fs := c.flags()
	from := fs.String("from", e.cfg.SQLitePath, "migrate: the SQLite store to copy (from SLUIS_SQLITE_PATH)")
	to := fs.String("to", "", "migrate: the PostgreSQL URL to copy into (default SLUIS_POSTGRES_URL; keep it there:\nother users can read a command line)")
	sub, rest := "", args
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		sub, rest = args[0], args[1:]
	}
	n, known := storeSubcommands[sub]
	err := fs.Parse(rest)
	switch {
	case errors.Is(err, flag.ErrHelp):
		c.help(e.stdout, fs)
		return flag.ErrHelp
	case err == nil && sub == "":
		err = errors.New("store needs a subcommand: backup FILE or migrate")
	case err == nil && !known:
		err = fmt.Errorf("unknown store subcommand %q", sub)
	case err == nil && fs.NArg() != n:
		err = fmt.Errorf("store %s wants %d argument(s), got %d", sub, n, fs.NArg())
	}
	if err != nil {
		c.help(e.stderr, fs)
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	cfg, err := e.config()
	if err != nil {
		return err
	}
	if sub == "backup" {
		return StoreBackup(ctx, e.stdout, cfg, fs.Arg(0))
	}
	dsn := *to
	if dsn == "" {
		dsn = cfg.PostgresURL
	}
	return StoreMigrate(ctx, e.stdout, *from, dsn)
}

// StoreBackup writes a consistent copy of the configured SQLite store to
// the new file dst while gateways may keep running (sqlite.Backup), then
// opens the copy and verifies its ledger.
func StoreBackup(ctx context.Context, out io.Writer, cfg config.Config, dst string) error {
	if cfg.Store == "postgres" {
		return ErrBackupPostgres
	}
	if err := sqlite.Backup(ctx, cfg.SQLitePath, dst); err != nil {
		return err
	}
	s, err := sqlite.Open(ctx, dst)
	if err != nil {
		return fmt.Errorf("open the backup: %w", err)
	}
	defer s.Close()
	cp, err := ledger.VerifyReader(ctx, s, ledger.Start, 1000)
	if err != nil {
		return fmt.Errorf("the backup's ledger: %w", err)
	}
	fmt.Fprintf(out, "backup written to %s: ledger verified, head seq %d hash %s\n", dst, cp.Seq, cp.Hash)
	return nil
}

// StoreMigrate copies the SQLite store at from into the empty PostgreSQL
// store at dsn (storecopy), prints what it copied, then opens the target
// the way the gateway does and verifies its ledger against the source's
// head.
func StoreMigrate(ctx context.Context, out io.Writer, from, dsn string) error {
	if !strings.HasPrefix(dsn, "postgres://") && !strings.HasPrefix(dsn, "postgresql://") {
		return fmt.Errorf("store migrate needs the target as a postgres:// URL (-to or SLUIS_POSTGRES_URL)")
	}
	rep, err := storecopy.SQLiteToPostgres(ctx, from, dsn)
	if err != nil {
		return fmt.Errorf("copy %s to %s: %w", from, app.Redact(dsn), err)
	}
	for _, tc := range rep.Tables {
		fmt.Fprintf(out, "copied %-22s %d rows\n", tc.Table, tc.Rows)
	}
	s, err := postgres.Open(ctx, dsn)
	if err != nil {
		return fmt.Errorf("open the copy: %w", err)
	}
	defer s.Close()
	cp, err := ledger.VerifyReader(ctx, s, ledger.Start, 1000)
	if err != nil {
		return fmt.Errorf("the copy's ledger: %w", err)
	}
	if cp != rep.Head {
		return fmt.Errorf("the copy's ledger head is seq %d, the source's seq %d", cp.Seq, rep.Head.Seq)
	}
	fmt.Fprintf(out, "ledger verified in %s: head seq %d hash %s\n", app.Redact(dsn), cp.Seq, cp.Hash)
	fmt.Fprintln(out, "next: set SLUIS_STORE=postgres and SLUIS_POSTGRES_URL, start the gateways; keep the SQLite file, do not start a gateway on it again")
	return nil
}
