package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/sluis-gateway/sluis/internal/app"
	"github.com/sluis-gateway/sluis/internal/config"
	"github.com/sluis-gateway/sluis/internal/ledger"
)

// ErrLedgerBroken is returned by Ledger verify when the chain does not hold.
var ErrLedgerBroken = errors.New("ledger does not verify")

const ledgerUsage = `usage:
  sluis ledger verify               verify the whole ledger hash chain of the configured store
                                    (SLUIS_STORE, SLUIS_SQLITE_PATH, SLUIS_POSTGRES_URL); exit 1 when broken
`

// Ledger runs `sluis ledger SUBCOMMAND`: verify (see docs/operations.md,
// "Verifying the ledger").
func Ledger(ctx context.Context, out io.Writer, cfg config.Config, args []string) error {
	if len(args) == 0 || args[0] != "verify" {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
			fmt.Fprint(out, ledgerUsage)
			return nil
		}
		return errors.New("ledger needs a subcommand: verify (see sluis ledger -h)")
	}
	fs := flag.NewFlagSet("ledger verify", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.Usage = func() { fmt.Fprint(out, ledgerUsage) }
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if fs.NArg() != 0 {
		return fmt.Errorf("ledger verify takes no arguments")
	}
	return LedgerVerify(ctx, out, cfg)
}

// LedgerVerify verifies the whole ledger chain of the configured store and
// prints how many entries it checked and the head's hash, and, when the
// ledger holds redacted entries or entries of hash scheme 1, how many of
// each (docs/ledger.md). It writes
// nothing to the ledger (opening the store migrates an older schema, as the
// gateway does); an SQLite store that does not exist is an error (it is not
// created). A broken chain prints the first bad entry's seq, event and
// disclosure id (ids and codes only) and returns ErrLedgerBroken.
func LedgerVerify(ctx context.Context, out io.Writer, cfg config.Config) error {
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
	cp, err := ledger.VerifyReader(ctx, store, ledger.Start, 1000)
	seq, broken := ledger.BrokenAt(err)
	if !broken {
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "ledger verified: %d entries checked, head seq %d hash %s\n", cp.Seq, cp.Seq, cp.Hash)
		if cp.Redacted > 0 || cp.LinkageOnly > 0 || cp.Scheme1Until > 0 {
			fmt.Fprintf(out, "redacted entries: %d verified in full, %d of hash scheme 1 by their place in the chain only; hash scheme 1 up to seq %d\n",
				cp.Redacted, cp.LinkageOnly, cp.Scheme1Until)
		}
		return nil
	}
	event, disclosure := "-", "-"
	if es, rerr := store.Entries(ctx, seq, 1); rerr == nil && len(es) == 1 && es[0].Seq == seq {
		event = es[0].Event
		if es[0].DisclosureID != "" {
			disclosure = es[0].DisclosureID
		}
	}
	fmt.Fprintf(out, "ledger BROKEN at seq %d (event %s, disclosure %s): %v\n", seq, event, disclosure, err)
	fmt.Fprintf(out, "entries 1 to %d verify; the last good hash is %s\n", cp.Seq, cp.Hash)
	return fmt.Errorf("%w: first bad entry seq %d", ErrLedgerBroken, seq)
}
