package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/sluis-gateway/sluis/adapters/store/postgres"
	"github.com/sluis-gateway/sluis/adapters/store/sqlite"
	"github.com/sluis-gateway/sluis/adapters/store/storecopy"
	"github.com/sluis-gateway/sluis/internal/actor"
	"github.com/sluis-gateway/sluis/internal/app"
	"github.com/sluis-gateway/sluis/internal/config"
	"github.com/sluis-gateway/sluis/internal/ledger"
)

// ErrBackupPostgres: `store backup` was asked for a PostgreSQL store,
// which pg_dump backs up.
var ErrBackupPostgres = errors.New("the PostgreSQL store is backed up with pg_dump (docs/operations.md, \"Backup and restore\")")

// storeSubcommands are store's subcommands and their argument counts.
var storeSubcommands = map[string]int{"backup": 1, "migrate": 0, "counters": 0}

func storeCmd(ctx context.Context, e *env, args []string) error {
	c := self("store")
	fs := c.flags()
	from := fs.String("from", e.cfg.SQLitePath, "migrate: the SQLite store to copy (from SLUIS_SQLITE_PATH)")
	to := fs.String("to", "", "migrate: the PostgreSQL URL to copy into (default SLUIS_POSTGRES_URL; keep it there:\nother users can read a command line)")
	raise := fs.Int64("raise", 0, "counters: add this to every Identificatie counter (after restoring an older backup)")
	also := fs.String("also", "", "counters -raise: comma-separated MUNICIPALITY/TYPE counters to create at the raise when missing,\ne.g. 0363/WMO301,0363/WMO319")
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
		err = errors.New("store needs a subcommand: backup FILE, migrate or counters")
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
	switch sub {
	case "backup":
		return StoreBackup(ctx, e.stdout, cfg, fs.Arg(0))
	case "counters":
		var keys []sqlite.CounterKey
		if *also != "" && *raise == 0 {
			c.help(e.stderr, fs)
			return fmt.Errorf("%w: -also needs -raise", errUsage)
		}
		for _, k := range strings.Split(*also, ",") {
			if k == "" {
				continue
			}
			key, err := sqlite.ParseCounterKey(strings.TrimSpace(k))
			if err != nil {
				c.help(e.stderr, fs)
				return fmt.Errorf("%w: -also %v", errUsage, err)
			}
			keys = append(keys, key)
		}
		return StoreCounters(ctx, e.stdout, cfg, *raise, keys)
	}
	dsn := *to
	if dsn == "" {
		dsn = cfg.PostgresURL
	}
	return StoreMigrate(ctx, e.stdout, *from, dsn)
}

// counterStore is what `store counters` needs of a store; both stores
// implement it (checked below).
type counterStore interface {
	Counters(ctx context.Context) ([]sqlite.Counter, error)
	RaiseCounters(ctx context.Context, by int64, also []sqlite.CounterKey) ([]sqlite.Counter, error)
}

var (
	_ counterStore = (*sqlite.Store)(nil)
	_ counterStore = (*postgres.Store)(nil)
)

// cliActor is who the ledger names for what an operator does with sluis's
// commands (`store counters -raise`).
var cliActor = actor.Actor{Kind: "system", ID: "sluis-cli"}

// StoreCounters prints the configured store's Identificatie counters
// ("MUNICIPALITY/TYPE LAST", one a line) or, with raise > 0, first adds
// raise to each of them (creating those of also that are missing) with a
// ledger entry. An SQLite store that does not exist is an error.
func StoreCounters(ctx context.Context, out io.Writer, cfg config.Config, raise int64, also []sqlite.CounterKey) error {
	if cfg.Store != "postgres" {
		if _, err := os.Stat(cfg.SQLitePath); err != nil {
			return fmt.Errorf("no SQLite store at SLUIS_SQLITE_PATH: %w", err)
		}
	}
	store, err := app.OpenStore(ctx, cfg)
	if err != nil {
		return fmt.Errorf("open %s store: %w", cfg.Store, err)
	}
	defer store.Close()
	cs, ok := store.(counterStore)
	if !ok {
		return fmt.Errorf("the %s store has no counters to raise", cfg.Store)
	}
	var list []sqlite.Counter
	if raise != 0 {
		list, err = cs.RaiseCounters(actor.With(ctx, cliActor), raise, also)
		if err == nil {
			fmt.Fprintf(out, "raised every counter by %d (ledger event %s)\n", raise, ledger.EventCountersRaised)
		}
	} else {
		list, err = cs.Counters(ctx)
	}
	if err != nil {
		return err
	}
	for _, c := range list {
		fmt.Fprintf(out, "%s/%s %d\n", c.Municipality, c.MessageType, c.Last)
	}
	return nil
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

// StoreMigrate verifies the ledger of the SQLite store at from, copies the
// store into the empty PostgreSQL store at dsn (storecopy), prints what it
// copied, then opens the target the way the gateway does and verifies its
// ledger against the source's head.
func StoreMigrate(ctx context.Context, out io.Writer, from, dsn string) error {
	if !strings.HasPrefix(dsn, "postgres://") && !strings.HasPrefix(dsn, "postgresql://") {
		return fmt.Errorf("store migrate needs the target as a postgres:// URL (-to or SLUIS_POSTGRES_URL)")
	}
	// A broken source chain would be copied broken: refuse before writing.
	if _, err := os.Stat(from); err == nil {
		src, err := sqlite.Open(ctx, from)
		if err != nil {
			return fmt.Errorf("open %s: %w", from, err)
		}
		_, verr := ledger.VerifyReader(ctx, src, ledger.Start, 1000)
		src.Close()
		if verr != nil {
			return fmt.Errorf("the source's ledger does not verify (sluis ledger verify; docs/operations.md), nothing copied: %w", verr)
		}
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
