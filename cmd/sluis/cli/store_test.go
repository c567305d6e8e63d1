package cli_test

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/sluis-gateway/sluis/adapters/store/postgres"
	"github.com/sluis-gateway/sluis/adapters/store/sqlite"
	"github.com/sluis-gateway/sluis/adapters/store/storetest"
	"github.com/sluis-gateway/sluis/internal/testenv"
)

// filledStore is an SQLite store with a bit of everything, closed again.
func filledStore(t *testing.T) (string, storetest.Filled) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "sluis.db")
	s, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	f := storetest.Fill(t, s)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	return path, f
}

// TestStoreBackup: `sluis store backup FILE` writes a copy that opens and
// carries on; a PostgreSQL store is refused with the pointer to pg_dump.
func TestStoreBackup(t *testing.T) {
	path, filled := filledStore(t)
	backup := filepath.Join(t.TempDir(), "backup.db")
	r := sluis(t, []string{"SLUIS_SQLITE_PATH=" + path}, "store", "backup", backup)
	if r.code != 0 {
		t.Fatalf("exit %d, stderr:\n%s", r.code, r.stderr)
	}
	last := filled.Ledger[len(filled.Ledger)-1]
	if want := "ledger verified, head seq " + itoa(last.Seq) + " hash " + last.Hash; !strings.Contains(r.stdout, want) {
		t.Fatalf("stdout %q lacks %q", r.stdout, want)
	}
	s, err := sqlite.Open(context.Background(), backup)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	storetest.CheckCopy(t, s, filled)

	cases := []struct {
		name string
		env  []string
		args []string
		code int
		want string // in stderr
	}{
		{"the file exists", []string{"SLUIS_SQLITE_PATH=" + path}, []string{"store", "backup", backup}, 1, "backup file exists"},
		{"no store", []string{"SLUIS_SQLITE_PATH=" + filepath.Join(t.TempDir(), "none.db")}, []string{"store", "backup", filepath.Join(t.TempDir(), "b.db")}, 1, "no SQLite database"},
		{"a PostgreSQL store", []string{"SLUIS_STORE=postgres", "SLUIS_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test"}, []string{"store", "backup", filepath.Join(t.TempDir(), "b.db")}, 1, "pg_dump"},
		{"no file argument", nil, []string{"store", "backup"}, 2, "store backup wants 1 argument"},
		{"no subcommand", nil, []string{"store"}, 2, "store needs a subcommand"},
		{"an unknown subcommand", nil, []string{"store", "restore", "x"}, 2, `unknown store subcommand "restore"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := sluis(t, tc.env, tc.args...)
			if r.code != tc.code || !strings.Contains(r.stderr, tc.want) {
				t.Fatalf("exit %d, stderr %q; want exit %d and %q", r.code, r.stderr, tc.code, tc.want)
			}
		})
	}
}

// TestStoreMigrate: `sluis store migrate` moves an SQLite store to an empty
// PostgreSQL database; the gateway's store opens it, the ledger verifies
// and the counters continue. A second run is refused.
func TestStoreMigrate(t *testing.T) {
	path, filled := filledStore(t)
	dsn := testenv.PostgresDatabase(t, "sluis_migrate_cli")
	env := []string{"SLUIS_SQLITE_PATH=" + path, "SLUIS_POSTGRES_URL=" + dsn}
	r := sluis(t, env, "store", "migrate")
	if r.code != 0 {
		t.Fatalf("exit %d, stderr:\n%s", r.code, r.stderr)
	}
	last := filled.Ledger[len(filled.Ledger)-1]
	for _, want := range []string{
		`(?m)^copied disclosures +10 rows$`,
		`(?m)^copied ledger +` + itoa(last.Seq) + ` rows$`,
		`(?m)^copied archive_entries +4 rows$`,
		`ledger verified in postgres://postgres@127\.0\.0\.1:5432/sluis_migrate_cli_\w+\S*: head seq ` + itoa(last.Seq) + ` hash ` + last.Hash,
	} {
		if !regexp.MustCompile(want).MatchString(r.stdout) {
			t.Errorf("stdout lacks %s:\n%s", want, r.stdout)
		}
	}
	again := sluis(t, env, "store", "migrate")
	if again.code != 1 || !strings.Contains(again.stderr, "target store is not empty") {
		t.Errorf("second migrate: exit %d, stderr %q; want 1 and a refusal", again.code, again.stderr)
	}
	s, err := postgres.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	storetest.CheckCopy(t, s, filled)
}

func TestStoreMigrateFlags(t *testing.T) {
	path, _ := filledStore(t)
	dsn := testenv.PostgresDatabase(t, "sluis_migrate_flags")
	// -from and -to instead of the environment; the environment's SQLite
	// path does not exist.
	r := sluis(t, []string{"SLUIS_SQLITE_PATH=/nonexistent/sluis.db"}, "store", "migrate", "-from", path, "-to", dsn)
	if r.code != 0 {
		t.Fatalf("exit %d, stderr:\n%s", r.code, r.stderr)
	}
	none := sluis(t, []string{"SLUIS_SQLITE_PATH=" + filepath.Join(t.TempDir(), "none.db"), "SLUIS_POSTGRES_URL=" + dsn}, "store", "migrate")
	if none.code != 1 || !strings.Contains(none.stderr, "no SQLite store at the source path") {
		t.Fatalf("missing source: exit %d, stderr %q", none.code, none.stderr)
	}
	noTarget := sluis(t, []string{"SLUIS_SQLITE_PATH=" + path}, "store", "migrate")
	if noTarget.code != 1 || !strings.Contains(noTarget.stderr, "postgres:// URL") {
		t.Fatalf("no target: exit %d, stderr %q", noTarget.code, noTarget.stderr)
	}
	// A source whose ledger does not verify is not copied.
	tampered, _ := filledStore(t)
	testenv.TamperLedger(t, "sqlite", tampered, 3)
	empty := testenv.PostgresDatabase(t, "sluis_migrate_tampered")
	broken := sluis(t, []string{"SLUIS_SQLITE_PATH=" + tampered, "SLUIS_POSTGRES_URL=" + empty}, "store", "migrate")
	if broken.code != 1 || !strings.Contains(broken.stderr, "the source's ledger does not verify") {
		t.Fatalf("tampered source: exit %d, stderr %q", broken.code, broken.stderr)
	}
	if r := sluis(t, []string{"SLUIS_SQLITE_PATH=" + path, "SLUIS_POSTGRES_URL=" + empty}, "store", "migrate"); r.code != 0 {
		t.Fatalf("the target was written by the refused copy: exit %d, %s", r.code, r.stderr)
	}
	if _, err := os.Stat("/nonexistent/sluis.db"); err == nil {
		t.Fatal("migrate created the environment's SQLite store")
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// TestStoreCountersAfterRestore is the runbook's restore of an older
// backup: the store goes on after the backup was taken, the backup is
// restored, `store counters` shows the rewound counters and `-raise`
// moves them past every number handed out since, so no MessageID is used
// twice.
func TestStoreCountersAfterRestore(t *testing.T) {
	path, filled := filledStore(t)
	backup := filepath.Join(t.TempDir(), "backup.db")
	if r := sluis(t, []string{"SLUIS_SQLITE_PATH=" + path}, "store", "backup", backup); r.code != 0 {
		t.Fatalf("backup: exit %d, %s", r.code, r.stderr)
	}
	// After the backup: three more 0363/WMO301 messages, one of a type
	// the backup has never seen.
	s, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	var lost []string
	for i, typ := range []string{"WMO301", "WMO301", "WMO301", "WMO319"} {
		r, _, err := s.Register(storetest.Ctx(t), storetest.NewRecord("lost-"+strconv.Itoa(i), "0363", typ))
		if err != nil {
			t.Fatal(err)
		}
		lost = append(lost, r.MessageID)
	}
	s.Close()

	env := []string{"SLUIS_SQLITE_PATH=" + backup} // restored in place of the lost store
	r := sluis(t, env, "store", "counters")
	if r.code != 0 {
		t.Fatalf("counters: exit %d, %s", r.code, r.stderr)
	}
	want := "0363/JW301 " + itoa(filled.Counters["0363/JW301"]) + "\n0363/WMO301 " + itoa(filled.Counters["0363/WMO301"]) +
		"\n0599/WMO301 " + itoa(filled.Counters["0599/WMO301"]) + "\n"
	if r.stdout != want {
		t.Fatalf("counters:\n%s\nwant\n%s", r.stdout, want)
	}
	r = sluis(t, env, "store", "counters", "-raise", "1000", "-also", "0363/WMO319")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "raised every counter by 1000 (ledger event store:counters_raised)\n") ||
		!strings.Contains(r.stdout, "0363/WMO319 1000\n") {
		t.Fatalf("raise: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	for _, bad := range [][]string{
		{"store", "counters", "-raise", "0", "-also", "0363/WMO319"},
		{"store", "counters", "-raise", "5", "-also", "363/WMO319"},
		{"store", "counters", "extra"},
	} {
		if r := sluis(t, env, bad...); r.code != 2 {
			t.Errorf("%v: exit %d, want 2 (%s)", bad, r.code, r.stderr)
		}
	}
	if r := sluis(t, env, "store", "counters", "-raise", "-3"); r.code != 1 {
		t.Errorf("a negative raise: exit %d, want 1 (%s)", r.code, r.stderr)
	}

	s, err = sqlite.Open(context.Background(), backup)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for i, typ := range []string{"WMO301", "WMO319"} {
		rec, _, err := s.Register(storetest.Ctx(t), storetest.NewRecord("next-"+strconv.Itoa(i), "0363", typ))
		if err != nil {
			t.Fatal(err)
		}
		for _, id := range lost {
			if rec.MessageID == id {
				t.Fatalf("MessageID %s used again after the raise", id)
			}
		}
	}
	storetest.VerifyChain(t, s)
}
