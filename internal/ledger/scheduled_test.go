package ledger_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/sluis-gateway/sluis/adapters/store/sqlite"
	"github.com/sluis-gateway/sluis/internal/actor"
	"github.com/sluis-gateway/sluis/internal/ledger"
	"github.com/sluis-gateway/sluis/internal/testenv"
)

// sqliteLedger is a real SQLite store holding n ledger entries.
func sqliteLedger(t *testing.T, n int) (*sqlite.Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "sluis.db")
	s, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	appendEntries(t, s, n)
	return s, path
}

func appendEntries(t *testing.T, a ledger.Appender, n int) {
	t.Helper()
	ctx := actor.With(context.Background(), actor.System)
	for i := 0; i < n; i++ {
		if _, err := a.Append(ctx, "", "consent:recorded", map[string]string{"consent_id": "c"}); err != nil {
			t.Fatal(err)
		}
	}
}

func TestScheduledVerifierMetrics(t *testing.T) {
	at := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	cases := []struct {
		name         string
		entries      int
		tamper       int64 // 0: none
		more         int   // entries appended after the first pass
		wantSeq      float64
		wantFailures float64
		wantLast     float64 // seconds
	}{
		{"a good chain", 5, 0, 0, 5, 0, float64(at.Unix())},
		{"an empty ledger", 0, 0, 0, 0, 0, float64(at.Unix())},
		{"a good chain that grows", 5, 0, 3, 8, 0, float64(at.Unix())},
		{"an entry tampered with", 5, 3, 0, 2, 1, 0},
		{"the first entry tampered with", 5, 1, 0, 0, 1, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			store, path := sqliteLedger(t, tc.entries)
			if tc.tamper != 0 {
				testenv.TamperLedger(t, "sqlite", path, tc.tamper)
			}
			reg := prometheus.NewRegistry()
			v, err := ledger.NewVerifier(ledger.VerifierConfig{
				Reader: store, Registerer: reg, Batch: 2, Interval: time.Hour, Now: func() time.Time { return at },
			})
			if err != nil {
				t.Fatal(err)
			}
			_, err = v.Verify(context.Background())
			if tc.tamper != 0 {
				if seq, ok := ledger.BrokenAt(err); !ok || seq != tc.tamper {
					t.Fatalf("want a break at %d, got %v", tc.tamper, err)
				}
			} else if err != nil {
				t.Fatal(err)
			}
			if tc.more > 0 {
				appendEntries(t, store, tc.more)
				if _, err := v.Verify(context.Background()); err != nil {
					t.Fatal(err)
				}
			}
			want := map[string]float64{
				"sluis_ledger_verified_seq":                  tc.wantSeq,
				"sluis_ledger_verify_failures_total":         tc.wantFailures,
				"sluis_ledger_last_verify_timestamp_seconds": tc.wantLast,
				"sluis_ledger_verify_interval_seconds":       3600,
			}
			for name, w := range want {
				if got := gatherValue(t, reg, name); got != w {
					t.Errorf("%s = %v, want %v", name, got, w)
				}
			}
		})
	}
}

// TestScheduledVerifierKeepsFailing: a break stays reported on every pass
// (the checkpoint stays before it), and the chain before it still counts.
func TestScheduledVerifierKeepsFailing(t *testing.T) {
	store, path := sqliteLedger(t, 4)
	reg := prometheus.NewRegistry()
	v, err := ledger.NewVerifier(ledger.VerifierConfig{Reader: store, Registerer: reg})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.Verify(context.Background()); err != nil {
		t.Fatal(err)
	}
	appendEntries(t, store, 2)
	testenv.TamperLedger(t, "sqlite", path, 5)
	for i := 0; i < 2; i++ {
		if cp, err := v.Verify(context.Background()); cp.Seq != 4 {
			t.Fatalf("pass %d: checkpoint %d, err %v", i, cp.Seq, err)
		}
	}
	if err := testutil.GatherAndCompare(reg, strings.NewReader(`
# HELP sluis_ledger_verify_failures_total Scheduled ledger verifications that failed: a broken chain, or the ledger could not be read.
# TYPE sluis_ledger_verify_failures_total counter
sluis_ledger_verify_failures_total 2
`), "sluis_ledger_verify_failures_total"); err != nil {
		t.Fatal(err)
	}
}

func gatherValue(t *testing.T, g prometheus.Gatherer, name string) float64 {
	t.Helper()
	mfs, err := g.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		m := mf.GetMetric()[0]
		if c := m.GetCounter(); c != nil {
			return c.GetValue()
		}
		return m.GetGauge().GetValue()
	}
	t.Fatalf("no metric %s", name)
	return 0
}

func TestNewVerifierChecksConfig(t *testing.T) {
	store, _ := sqliteLedger(t, 0)
	cases := []struct {
		name string
		cfg  ledger.VerifierConfig
	}{
		{"no reader", ledger.VerifierConfig{Registerer: prometheus.NewRegistry()}},
		{"no registerer", ledger.VerifierConfig{Reader: store}},
		{"negative interval", ledger.VerifierConfig{Reader: store, Registerer: prometheus.NewRegistry(), Interval: -time.Second}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := ledger.NewVerifier(tc.cfg); err == nil {
				t.Fatal("want an error")
			}
		})
	}
}

func TestScheduledVerifierShutdownIsNoFailure(t *testing.T) {
	store, _ := sqliteLedger(t, 3)
	reg := prometheus.NewRegistry()
	v, err := ledger.NewVerifier(ledger.VerifierConfig{Reader: store, Registerer: reg})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := v.Run(ctx); err != nil {
		t.Fatalf("Run after shutdown: %v", err)
	}
	if got := gatherValue(t, reg, "sluis_ledger_verify_failures_total"); got != 0 {
		t.Fatalf("failures = %v after a pass cut short by shutdown, want 0", got)
	}
}
