package postgres_test

import (
	osexec "os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"

	"github.com/sluis-gateway/sluis/adapters/store/storetest"
	"github.com/sluis-gateway/sluis/internal/testenv"
)

// TestBackupRestore is docs/operations.md's PostgreSQL backup and restore,
// with the real tools: pg_dump -Fc of a database a gateway is writing to,
// pg_restore into a fresh empty database; the gateway opens the restored
// one, the ledger verifies (journaled entries are sealed on open) and the
// counters continue.
func TestBackupRestore(t *testing.T) {
	for _, tool := range []string{"pg_dump", "pg_restore"} {
		if _, err := osexec.LookPath(tool); err != nil {
			t.Fatalf("%s not found (it comes with the PostgreSQL client): %v", tool, err)
		}
	}
	src := testenv.PostgresDatabase(t, "sluis_backup_src")
	s := open(t, src)
	filled := storetest.Fill(t, s)

	ctx := storetest.Ctx(t)
	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			if _, _, err := s.Register(ctx, storetest.NewRecord("during-"+strconv.Itoa(i), "0363", "WMO301")); err != nil {
				t.Errorf("Register during backup: %v", err)
				return
			}
		}
	}()
	dump := filepath.Join(t.TempDir(), "sluis.dump")
	out, err := osexec.Command("pg_dump", "--format=custom", "--file="+dump, "--dbname="+src).CombinedOutput()
	close(stop)
	wg.Wait()
	if err != nil {
		t.Fatalf("pg_dump: %v\n%s", err, out)
	}

	dst := testenv.PostgresDatabase(t, "sluis_backup_dst")
	if out, err := osexec.Command("pg_restore", "--no-owner", "--exit-on-error", "--dbname="+dst, dump).CombinedOutput(); err != nil {
		t.Fatalf("pg_restore: %v\n%s", err, out)
	}
	storetest.CheckCopy(t, open(t, dst), filled)
}
