package cli_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sluis-gateway/sluis/cmd/sluis/cli"
	"github.com/sluis-gateway/sluis/internal/actor"
	"github.com/sluis-gateway/sluis/internal/app"
	"github.com/sluis-gateway/sluis/internal/config"
	"github.com/sluis-gateway/sluis/internal/ledger"
	"github.com/sluis-gateway/sluis/internal/testenv"
)

// ledgerStore is a configured store of the kind given (sqlite or postgres)
// holding n ledger entries, closed again so the command opens it itself;
// it returns the configuration and the dsn for testenv.TamperLedger.
func ledgerStore(t *testing.T, kind string, n int) (config.Config, string) {
	t.Helper()
	cfg := config.Config{Store: kind}
	var dsn string
	if kind == "postgres" {
		cfg.PostgresURL = testenv.PostgresDatabase(t, "sluis_ledger_cli")
		dsn = cfg.PostgresURL
	} else {
		cfg.SQLitePath = filepath.Join(t.TempDir(), "sluis.db")
		dsn = cfg.SQLitePath
	}
	ctx := context.Background()
	s, err := app.OpenStore(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx = actor.With(ctx, actor.System)
	for i := 0; i < n; i++ {
		if _, err := s.Append(ctx, "d-"+strconv.Itoa(i+1), "consent:recorded", map[string]string{"consent_id": "c"}); err != nil {
			t.Fatal(err)
		}
	}
	return cfg, dsn
}

func TestLedgerVerify(t *testing.T) {
	cases := []struct {
		name    string
		entries int
		tamper  int64 // 0: none; -1: redact the entries of d-2 and d-4 instead
		want    string
	}{
		{"a fresh chain", 5, 0, `^ledger verified: 5 entries checked, head seq 5 hash [0-9a-f]{64}\n$`},
		{"an empty ledger", 0, 0, `^ledger verified: 0 entries checked, head seq 0 hash 0{64}\n$`},
		{"an entry tampered with", 5, 3, `^ledger BROKEN at seq 3 \(event consent:recorded, disclosure d-3\): .*altered\nentries 1 to 2 verify; the last good hash is [0-9a-f]{64}\n$`},
		{"the last entry tampered with", 5, 5, `^ledger BROKEN at seq 5 .*\nentries 1 to 4 verify`},
		{"two entries redacted", 5, -1, `^ledger verified: 5 entries checked, head seq 5 hash [0-9a-f]{64}\n` +
			`redacted entries: 2 verified in full, 0 of hash scheme 1 by their place in the chain only; hash scheme 1 up to seq 0\n$`},
	}
	for _, kind := range []string{"sqlite", "postgres"} {
		for _, tc := range cases {
			t.Run(kind+"/"+tc.name, func(t *testing.T) {
				cfg, dsn := ledgerStore(t, kind, tc.entries)
				switch {
				case tc.tamper == -1:
					redact(t, cfg, "d-2", "d-4")
				case tc.tamper != 0:
					testenv.TamperLedger(t, kind, dsn, tc.tamper)
				}
				var out bytes.Buffer
				err := cli.Ledger(context.Background(), &out, cfg, []string{"verify"})
				if tc.tamper <= 0 && err != nil {
					t.Fatalf("want ok, got %v", err)
				}
				if tc.tamper > 0 && (!errors.Is(err, cli.ErrLedgerBroken) || !strings.Contains(err.Error(), "seq "+strconv.FormatInt(tc.tamper, 10))) {
					t.Fatalf("want ErrLedgerBroken naming the seq, got %v", err)
				}
				if !regexp.MustCompile(tc.want).MatchString(out.String()) {
					t.Fatalf("output %q does not match %s", out.String(), tc.want)
				}
			})
		}
	}
}

// redact redacts the entries of the disclosures ids in the configured store.
func redact(t *testing.T, cfg config.Config, ids ...string) {
	t.Helper()
	s, err := app.OpenStore(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if n, err := s.RedactAbout(context.Background(), ledger.Ref{DisclosureIDs: ids}, time.Now()); err != nil || n != len(ids) {
		t.Fatalf("RedactAbout: %d, %v", n, err)
	}
}

func TestLedgerCommandLine(t *testing.T) {
	cfg := config.Config{Store: "sqlite", SQLitePath: filepath.Join(t.TempDir(), "none.db")}
	cases := []struct {
		name string
		args []string
		ok   bool
	}{
		{"help", []string{"-h"}, true},
		{"verify help", []string{"verify", "-h"}, true},
		{"no subcommand", nil, false},
		{"unknown subcommand", []string{"repair"}, false},
		{"an argument too many", []string{"verify", "x"}, false},
		{"no store at the configured path", []string{"verify"}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := cli.Ledger(context.Background(), &bytes.Buffer{}, cfg, tc.args)
			if tc.ok != (err == nil) {
				t.Fatalf("ok %v, got %v", tc.ok, err)
			}
		})
	}
	if _, err := os.Stat(cfg.SQLitePath); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("verify created a store at the configured path: %v", err)
	}
}
