package sqlite_test

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/sluis-gateway/sluis/adapters/store/sqlite"
	"github.com/sluis-gateway/sluis/adapters/store/storetest"
	"github.com/sluis-gateway/sluis/internal/receipts"
)

func open(t testing.TB, path string, opts ...sqlite.Option) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(context.Background(), path, opts...)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

func TestContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.Store {
		return open(t, filepath.Join(t.TempDir(), "sluis.db"))
	})
}

func TestConsentContract(t *testing.T) {
	storetest.RunConsent(t, func(t *testing.T) storetest.ConsentStore {
		return open(t, filepath.Join(t.TempDir(), "sluis.db"))
	})
}

// TestConsentRaceTwoHandles: two Stores on one file (two processes) race
// to use one single-share consent; exactly one disclosure wins.
func TestConsentRaceTwoHandles(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sluis.db")
	storetest.RaceUseConsents(t, []storetest.ConsentStore{open(t, path), open(t, path)}, 20)
}

// TestClaimRaceTwoHandles: two Stores on one file (two processes) race to
// claim one disclosure; exactly one wins.
func TestClaimRaceTwoHandles(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sluis.db")
	storetest.RaceClaims(t, []storetest.Store{open(t, path), open(t, path)}, 20)
}

func TestOpenRejectsBadInput(t *testing.T) {
	tests := []struct {
		name string
		path string
		opts []sqlite.Option
		want error
	}{
		{"empty path", "", nil, sqlite.ErrBadPath},
		{"memory", ":memory:", nil, sqlite.ErrBadPath},
		{"query in path", "a.db?mode=ro", nil, sqlite.ErrBadPath},
		{"uri", "file:a.db", nil, sqlite.ErrBadPath},
		{"bad synchronous", "a.db", []sqlite.Option{sqlite.WithSynchronous("OFF")}, sqlite.ErrBadArgument},
		{"bad busy timeout", "a.db", []sqlite.Option{sqlite.WithBusyTimeout(0)}, sqlite.ErrBadArgument},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := tt.path
			if path == "a.db" {
				path = filepath.Join(t.TempDir(), path)
			}
			s, err := sqlite.Open(context.Background(), path, tt.opts...)
			if err == nil {
				s.Close()
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("Open: %v, want %v", err, tt.want)
			}
		})
	}
}

// TestReopenKeepsStateAndCounters: migrations are idempotent and the
// Identificatie counter survives a restart (TR056).
func TestReopenKeepsStateAndCounters(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sluis.db")
	ctx := storetest.Ctx(t)
	s, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Register(ctx, storetest.NewRecord("a", "0363", "WMO301")); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = open(t, path, sqlite.WithSynchronous(sqlite.SynchronousNormal))
	if err := s.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	rec, _, err := s.Register(ctx, storetest.NewRecord("b", "0363", "WMO301"))
	if err != nil {
		t.Fatal(err)
	}
	if rec.Identificatie != "2" {
		t.Fatalf("identificatie after reopen %q, want 2", rec.Identificatie)
	}
	if n := len(storetest.VerifyChain(t, s)); n != 2 {
		t.Fatalf("ledger has %d entries, want 2", n)
	}
}

// TestTwoHandlesOnOneFile: two Stores on one file (as two processes would
// have) register the same ids and append concurrently; busy waits, never
// errors, one record per id, and the chain holds.
func TestTwoHandlesOnOneFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sluis.db")
	stores := []*sqlite.Store{open(t, path), open(t, path)}
	ctx := storetest.Ctx(t)
	const ids = 100
	var created atomic.Int64
	errs := make(chan error, 2*ids)
	var wg sync.WaitGroup
	for _, s := range stores {
		wg.Go(func() {
			for i := range ids {
				_, c, err := s.Register(ctx, storetest.NewRecord("x-"+strconv.Itoa(i), "0363", "WMO301"))
				if err != nil {
					errs <- err
					return
				}
				if c {
					created.Add(1)
				}
				if _, err := s.Append(ctx, "", "test:append", nil); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if created.Load() != ids {
		t.Fatalf("%d created, want %d", created.Load(), ids)
	}
	counts, err := stores[0].CountByState(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if counts[receipts.Received] != ids {
		t.Fatalf("%d received, want %d", counts[receipts.Received], ids)
	}
	if n := len(storetest.VerifyChain(t, stores[1])); n != 3*ids {
		t.Fatalf("ledger has %d entries, want %d", n, 3*ids)
	}
}

// TestOpenRefusesNewerSchema: a file migrated by a newer sluis is not touched.
func TestOpenRefusesNewerSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sluis.db")
	open(t, path)
	raw := rawDB(t, path)
	if _, err := raw.Exec(`INSERT INTO schema_version (version, applied_at) VALUES (99, 0)`); err != nil {
		t.Fatal(err)
	}
	s, err := sqlite.Open(context.Background(), path)
	if err == nil {
		s.Close()
	}
	if !errors.Is(err, sqlite.ErrSchemaTooNew) {
		t.Fatalf("Open: %v, want ErrSchemaTooNew", err)
	}
}

// TestIdentificatieExhausted: past 12 digits Register fails and stores nothing.
func TestIdentificatieExhausted(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sluis.db")
	s := open(t, path)
	ctx := storetest.Ctx(t)
	if _, _, err := s.Register(ctx, storetest.NewRecord("a", "0363", "WMO301")); err != nil {
		t.Fatal(err)
	}
	if _, err := rawDB(t, path).Exec(`UPDATE identificatie_counters SET last = 999999999998`); err != nil {
		t.Fatal(err)
	}
	rec, _, err := s.Register(ctx, storetest.NewRecord("b", "0363", "WMO301"))
	if err != nil || rec.Identificatie != "999999999999" {
		t.Fatalf("last identificatie: %q, %v", rec.Identificatie, err)
	}
	if _, _, err := s.Register(ctx, storetest.NewRecord("c", "0363", "WMO301")); !errors.Is(err, sqlite.ErrIdentificatieExhausted) {
		t.Fatalf("Register: %v, want ErrIdentificatieExhausted", err)
	}
	if _, err := s.Get(ctx, "c"); !errors.Is(err, receipts.ErrNotFound) {
		t.Fatalf("Get: %v, want ErrNotFound", err)
	}
	if n := len(storetest.VerifyChain(t, s)); n != 2 {
		t.Fatalf("ledger has %d entries, want 2", n)
	}
}

func rawDB(t testing.TB, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func benchStores(b *testing.B, run func(*testing.B, storetest.Store)) {
	for _, sync := range []sqlite.Synchronous{sqlite.SynchronousFull, sqlite.SynchronousNormal} {
		b.Run("synchronous="+string(sync), func(b *testing.B) {
			run(b, open(b, filepath.Join(b.TempDir(), "sluis.db"), sqlite.WithSynchronous(sync)))
		})
	}
}

func BenchmarkRegister(b *testing.B)       { benchStores(b, storetest.BenchRegister) }
func BenchmarkRegisterSpread(b *testing.B) { benchStores(b, storetest.BenchRegisterSpread) }
func BenchmarkMove(b *testing.B)           { benchStores(b, storetest.BenchMove) }
func BenchmarkDisclosure(b *testing.B)     { benchStores(b, storetest.BenchDisclosure) }
func BenchmarkScreen(b *testing.B) {
	benchStores(b, func(b *testing.B, s storetest.Store) { storetest.BenchScreen(b, s.(storetest.ConsentStore)) })
}

// TestWriteAfterClose: writes after Close fail with ErrClosed.
func TestWriteAfterClose(t *testing.T) {
	s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "sluis.db"))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Register(storetest.Ctx(t), storetest.NewRecord("a", "0363", "WMO301")); !errors.Is(err, sqlite.ErrClosed) {
		t.Fatalf("Register after Close: %v, want ErrClosed", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}

// TestCancelledWriteChangesNothing: a write whose context is already done
// is not run.
func TestCancelledWriteChangesNothing(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "sluis.db"))
	ctx, cancel := context.WithCancel(storetest.Ctx(t))
	cancel()
	if _, _, err := s.Register(ctx, storetest.NewRecord("a", "0363", "WMO301")); !errors.Is(err, context.Canceled) {
		t.Fatalf("Register: %v, want context.Canceled", err)
	}
	if _, err := s.Get(storetest.Ctx(t), "a"); !errors.Is(err, receipts.ErrNotFound) {
		t.Fatalf("Get: %v, want ErrNotFound", err)
	}
	if n := len(storetest.ReadLedger(t, s)); n != 0 {
		t.Fatalf("ledger has %d entries, want 0", n)
	}
}

func TestArchiveContract(t *testing.T) {
	storetest.RunArchive(t, func(t *testing.T) storetest.ArchiveStore {
		return open(t, filepath.Join(t.TempDir(), "sluis.db"))
	})
}

func TestBreachContract(t *testing.T) {
	storetest.RunBreach(t, func(t *testing.T) storetest.BreachStore {
		return open(t, filepath.Join(t.TempDir(), "sluis.db"))
	})
}

func TestCaseworkContract(t *testing.T) {
	storetest.RunCasework(t, func(t *testing.T) storetest.CaseworkStore {
		return open(t, filepath.Join(t.TempDir(), "sluis.db"))
	})
}

func TestCountersContract(t *testing.T) {
	storetest.RunCounters(t, func(t *testing.T) storetest.CounterStore {
		return open(t, filepath.Join(t.TempDir(), "sluis.db"))
	})
}

func TestInboundContract(t *testing.T) {
	storetest.RunInbound(t, func(t *testing.T) storetest.InboundStore {
		return open(t, filepath.Join(t.TempDir(), "sluis.db"))
	})
}

func TestRetentionContract(t *testing.T) {
	storetest.RunRetention(t, func(t *testing.T) storetest.RetentionStore {
		return open(t, filepath.Join(t.TempDir(), "sluis.db"))
	})
}
