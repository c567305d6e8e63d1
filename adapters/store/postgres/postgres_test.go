package postgres_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/sluis-gateway/sluis/adapters/store/postgres"
	"github.com/sluis-gateway/sluis/adapters/store/storetest"
	"github.com/sluis-gateway/sluis/internal/receipts"
	"github.com/sluis-gateway/sluis/internal/testenv"
)

func open(t testing.TB, dsn string) *postgres.Store {
	t.Helper()
	s, err := postgres.Open(context.Background(), dsn)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.Store {
		return open(t, testenv.PostgresSchema(t))
	})
}

func TestConsentContract(t *testing.T) {
	storetest.RunConsent(t, func(t *testing.T) storetest.ConsentStore {
		return open(t, testenv.PostgresSchema(t))
	})
}

// TestConsentRaceTwoStores: two Stores on one database (two sluis
// processes) race to use one single-share consent; exactly one disclosure
// wins and the ledger records it once.
func TestConsentRaceTwoStores(t *testing.T) {
	dsn := testenv.PostgresSchema(t)
	storetest.RaceUseConsents(t, []storetest.ConsentStore{open(t, dsn), open(t, dsn)}, 20)
}

// TestClaimRaceTwoStores: two Stores on one database (two sluis processes)
// race to claim one disclosure; exactly one wins.
func TestClaimRaceTwoStores(t *testing.T) {
	dsn := testenv.PostgresSchema(t)
	storetest.RaceClaims(t, []storetest.Store{open(t, dsn), open(t, dsn)}, 20)
}

func TestOpenRejectsBadInput(t *testing.T) {
	tests := []struct {
		name string
		dsn  string
		want error
	}{
		{"empty", "", postgres.ErrBadDSN},
		{"unparsable", "postgres://secret:pw@[bad", postgres.ErrBadDSN},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := postgres.Open(context.Background(), tt.dsn)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Open: %v, want %v", err, tt.want)
			}
			if err != nil && strings.Contains(err.Error(), "pw") {
				t.Fatalf("error leaks the password: %v", err)
			}
		})
	}
}

// TestReopenKeepsStateAndCounters: migrations are idempotent and the
// Identificatie counter survives a restart (TR056).
func TestReopenKeepsStateAndCounters(t *testing.T) {
	dsn := testenv.PostgresSchema(t)
	ctx := storetest.Ctx(t)
	s, err := postgres.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Register(ctx, storetest.NewRecord("a", "0363", "WMO301")); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s = open(t, dsn)
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

// TestTwoProcesses: two Stores with their own pools on one schema (as two
// sluis processes), opened concurrently (migrations race), register the
// same 200 ids concurrently and append to the ledger; one record and one
// Identificatie per id, and the chain verifies.
func TestTwoProcesses(t *testing.T) {
	dsn := testenv.PostgresSchema(t)
	const ids, workersPerStore = 200, 4
	stores := make([]*postgres.Store, 2)
	var openWG sync.WaitGroup
	openErrs := make([]error, 2)
	for i := range stores {
		openWG.Go(func() {
			stores[i], openErrs[i] = postgres.Open(context.Background(), dsn)
		})
	}
	openWG.Wait()
	for i, err := range openErrs {
		if err != nil {
			t.Fatalf("Open %d: %v", i, err)
		}
		t.Cleanup(func() { stores[i].Close() })
	}

	ctx := storetest.Ctx(t)
	var created atomic.Int64
	var idents sync.Map // disclosure id -> identificatie
	errs := make(chan error, 2*workersPerStore)
	var wg sync.WaitGroup
	for _, s := range stores {
		for w := range workersPerStore {
			wg.Go(func() {
				// Each worker walks all ids, starting at a different offset,
				// so the two stores collide on every id.
				for k := range ids {
					i := (k + w*ids/workersPerStore) % ids
					id := "p-" + strconv.Itoa(i)
					rec, c, err := s.Register(ctx, storetest.NewRecord(id, "0363", "WMO301"))
					if err != nil {
						errs <- err
						return
					}
					if c {
						created.Add(1)
					}
					if prev, loaded := idents.LoadOrStore(id, rec.Identificatie); loaded && prev != rec.Identificatie {
						errs <- errors.New(id + ": two identificaties")
						return
					}
					if k%10 == 0 {
						if _, err := s.Append(ctx, id, "test:append", map[string]string{"w": strconv.Itoa(w)}); err != nil {
							errs <- err
							return
						}
					}
				}
			})
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if created.Load() != ids {
		t.Fatalf("%d registers created a record, want %d", created.Load(), ids)
	}
	seen := map[string]bool{}
	idents.Range(func(_, v any) bool {
		seen[v.(string)] = true
		return true
	})
	for i := 1; i <= ids; i++ {
		if !seen[strconv.Itoa(i)] {
			t.Fatalf("identificatie %d not allocated (%d distinct)", i, len(seen))
		}
	}
	counts, err := stores[0].CountByState(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if counts[receipts.Received] != ids {
		t.Fatalf("%d received, want %d", counts[receipts.Received], ids)
	}
	appends := 2 * workersPerStore * ids / 10
	if n := len(storetest.VerifyChain(t, stores[1])); n != ids+appends {
		t.Fatalf("ledger has %d entries, want %d", n, ids+appends)
	}
}

// TestOpenRefusesNewerSchema: a database migrated by a newer sluis is not
// touched.
func TestOpenRefusesNewerSchema(t *testing.T) {
	dsn := testenv.PostgresSchema(t)
	s := open(t, dsn)
	if err := s.Ping(context.Background()); err != nil {
		t.Fatal(err)
	}
	exec(t, dsn, `INSERT INTO schema_version (version, applied_at) VALUES (99, now())`)
	s2, err := postgres.Open(context.Background(), dsn)
	if err == nil {
		s2.Close()
	}
	if !errors.Is(err, postgres.ErrSchemaTooNew) {
		t.Fatalf("Open: %v, want ErrSchemaTooNew", err)
	}
}

// TestIdentificatieExhausted: past 12 digits Register fails and stores nothing.
func TestIdentificatieExhausted(t *testing.T) {
	dsn := testenv.PostgresSchema(t)
	s := open(t, dsn)
	ctx := storetest.Ctx(t)
	if _, _, err := s.Register(ctx, storetest.NewRecord("a", "0363", "WMO301")); err != nil {
		t.Fatal(err)
	}
	exec(t, dsn, `UPDATE identificatie_counters SET last = 999999999998`)
	rec, _, err := s.Register(ctx, storetest.NewRecord("b", "0363", "WMO301"))
	if err != nil || rec.Identificatie != "999999999999" {
		t.Fatalf("last identificatie: %q, %v", rec.Identificatie, err)
	}
	if _, _, err := s.Register(ctx, storetest.NewRecord("c", "0363", "WMO301")); !errors.Is(err, postgres.ErrIdentificatieExhausted) {
		t.Fatalf("Register: %v, want ErrIdentificatieExhausted", err)
	}
	if _, err := s.Get(ctx, "c"); !errors.Is(err, receipts.ErrNotFound) {
		t.Fatalf("Get: %v, want ErrNotFound", err)
	}
	if n := len(storetest.VerifyChain(t, s)); n != 2 {
		t.Fatalf("ledger has %d entries, want 2", n)
	}
}

func exec(t testing.TB, dsn, sql string) {
	t.Helper()
	conn, err := testenv.PostgresConnect(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(context.Background(), sql); err != nil {
		t.Fatal(err)
	}
}

func BenchmarkRegister(b *testing.B) { storetest.BenchRegister(b, open(b, testenv.PostgresSchema(b))) }
func BenchmarkRegisterSpread(b *testing.B) {
	storetest.BenchRegisterSpread(b, open(b, testenv.PostgresSchema(b)))
}
func BenchmarkMove(b *testing.B) { storetest.BenchMove(b, open(b, testenv.PostgresSchema(b))) }
func BenchmarkDisclosure(b *testing.B) {
	storetest.BenchDisclosure(b, open(b, testenv.PostgresSchema(b)))
}
func BenchmarkScreen(b *testing.B) { storetest.BenchScreen(b, open(b, testenv.PostgresSchema(b))) }

// TestJournalOfAnotherProcessIsSealed: a journaled entry whose process died
// before sealing it is chained by the next reader, and Close seals what is
// left.
func TestJournalOfAnotherProcessIsSealed(t *testing.T) {
	dsn := testenv.PostgresSchema(t)
	s := open(t, dsn)
	ctx := storetest.Ctx(t)
	if _, _, err := s.Register(ctx, storetest.NewRecord("a", "0363", "WMO301")); err != nil {
		t.Fatal(err)
	}
	exec(t, dsn, `INSERT INTO ledger_pending (at, actor, disclosure_id, event, detail)
		VALUES (now(), 'system:crashed', 'a', 'decision:noted', '{"k": "v"}')`)
	all := storetest.VerifyChain(t, s)
	if len(all) != 2 || all[1].Actor != "system:crashed" || all[1].Detail["k"] != "v" {
		t.Fatalf("ledger: %+v", all)
	}

	exec(t, dsn, `INSERT INTO ledger_pending (at, actor, disclosure_id, event, detail)
		VALUES (now(), 'system:crashed', 'a', 'decision:late', '{}')`)
	s2, err := postgres.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	if err := s2.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	var pending int
	conn, err := testenv.PostgresConnect(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	if err := conn.QueryRow(context.Background(), `SELECT count(*) FROM ledger_pending`).Scan(&pending); err != nil {
		t.Fatal(err)
	}
	if pending != 0 {
		t.Fatalf("%d journal rows left after Close", pending)
	}
	if n := len(storetest.VerifyChain(t, s)); n != 3 {
		t.Fatalf("ledger has %d entries, want 3", n)
	}
}

func TestArchiveContract(t *testing.T) {
	storetest.RunArchive(t, func(t *testing.T) storetest.ArchiveStore {
		return open(t, testenv.PostgresSchema(t))
	})
}

func TestBreachContract(t *testing.T) {
	storetest.RunBreach(t, func(t *testing.T) storetest.BreachStore {
		return open(t, testenv.PostgresSchema(t))
	})
}

func TestCaseworkContract(t *testing.T) {
	storetest.RunCasework(t, func(t *testing.T) storetest.CaseworkStore {
		return open(t, testenv.PostgresSchema(t))
	})
}

func TestCountersContract(t *testing.T) {
	storetest.RunCounters(t, func(t *testing.T) storetest.CounterStore {
		return open(t, testenv.PostgresSchema(t))
	})
}

func TestInboundContract(t *testing.T) {
	storetest.RunInbound(t, func(t *testing.T) storetest.InboundStore {
		return open(t, testenv.PostgresSchema(t))
	})
}

func TestRetentionContract(t *testing.T) {
	storetest.RunRetention(t, func(t *testing.T) storetest.RetentionStore {
		return open(t, testenv.PostgresSchema(t))
	})
}
