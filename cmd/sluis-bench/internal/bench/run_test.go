package bench

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sluis-gateway/sluis/internal/loadtest"
	"github.com/sluis-gateway/sluis/internal/testenv"
)

func validConfig() Config {
	return Config{
		Binary: "bin/sluis", AMQPHost: "127.0.0.1:5672", N: 10, Rate: 10, LatencyFor: time.Second,
		Providers: 2, Basis: "legal_obligation", CeilingN: 10, FloorFor: time.Millisecond,
	}
}

func TestConfigValidate(t *testing.T) {
	cases := []struct {
		name   string
		change func(*Config)
		field  string
	}{
		{"no binary", func(c *Config) { c.Binary = "" }, "binary"},
		{"no broker", func(c *Config) { c.AMQPHost = "" }, "broker"},
		{"zero disclosures", func(c *Config) { c.N = 0 }, "N must"},
		{"latency run without rate", func(c *Config) { c.Rate = 0 }, "latency"},
		{"no providers", func(c *Config) { c.Providers = 0 }, "providers"},
		{"basis safety override", func(c *Config) { c.Basis = "safety_override" }, "basis"},
		{"no ceiling", func(c *Config) { c.CeilingN = 0 }, "ceiling"},
		{"no floor", func(c *Config) { c.FloorFor = 0 }, "floor"},
		{"negative warm-up", func(c *Config) { c.Warmup = -1 }, "warm-up"},
	}
	if err := validConfig().Validate(); err != nil {
		t.Fatalf("valid config: %v", err)
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := validConfig()
			c.change(&cfg)
			err := cfg.Validate()
			if !errors.Is(err, loadtest.ErrConfig) || !strings.Contains(err.Error(), c.field) {
				t.Fatalf("err = %v, want ErrConfig naming %q", err, c.field)
			}
		})
	}
}

func TestReportTargets(t *testing.T) {
	good := Report{
		Config:     validConfig(),
		Throughput: Outcome{Requests: 1000, Settled: map[string]int{"delivered": 1000}, Throughput: 1200, GatewayCPU: time.Second},
		Latency:    &Outcome{Latency: loadtest.Percentiles{P99: 50 * time.Millisecond}},
		PeakRSS:    100 << 20,
		Ceiling:    Ceiling{Rate: 12000},
		Floor:      Floor{Signatures: 1000, CPU: 800 * time.Millisecond},
	}
	good.Config.Rate = TargetRate
	if err := good.Check(); err != nil {
		t.Fatalf("good report: %v", err)
	}
	if got := good.CPURatio(); got != 1.25 {
		t.Errorf("CPU ratio %v, want 1.25 (1 ms / 0.8 ms)", got)
	}
	if got := good.CeilingRatio(); got != 0.1 {
		t.Errorf("ceiling ratio %v, want 0.1", got)
	}
	var out bytes.Buffer
	if err := good.Write(&out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"broker ceiling", "signing floor", "[PASS]", "gateway CPU per disclosure / one signature: 1.25"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}
	cases := []struct {
		name   string
		change func(*Report)
		target string
	}{
		{"slow", func(r *Report) { r.Throughput.Throughput = 999 }, "disclosures/s"},
		{"CPU hungry", func(r *Report) { r.Throughput.GatewayCPU = 2 * time.Second }, "CPU per disclosure"},
		{"late", func(r *Report) { r.Latency = &Outcome{Latency: loadtest.Percentiles{P99: 100 * time.Millisecond}} }, "p99"},
		{"fat", func(r *Report) { r.PeakRSS = 150 << 20 }, "peak RSS"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := good
			c.change(&r)
			err := r.Check()
			if !errors.Is(err, ErrTargets) || !strings.Contains(err.Error(), c.target) {
				t.Fatalf("err = %v, want ErrTargets naming %q", err, c.target)
			}
		})
	}
}

// gatewayBinary builds cmd/sluis into a temporary directory, or uses the
// binary named by SLUIS_BENCH_GATEWAY.
func gatewayBinary(t *testing.T) string {
	t.Helper()
	if b := os.Getenv("SLUIS_BENCH_GATEWAY"); b != "" {
		return b
	}
	bin := filepath.Join(t.TempDir(), "sluis")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/sluis")
	cmd.Dir = testenv.Root()
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build the gateway: %v\n%s", err, out)
	}
	return bin
}

// TestRunSmall runs the whole harness with small numbers against the real
// gateway binary and broker, on each basis, and checks that it counts what
// it should.
func TestRunSmall(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the gateway")
	}
	bin := gatewayBinary(t)
	for _, basis := range []string{"legal_obligation", "consent"} {
		t.Run(basis, func(t *testing.T) {
			c := Config{
				Binary: bin, AMQPHost: "127.0.0.1:5672",
				N: 60, Rate: 40, LatencyFor: time.Second, Warmup: 5,
				Providers: 3, Basis: basis, CeilingN: 300, FloorFor: 50 * time.Millisecond,
				Timeout: 3 * time.Minute, Seed: 3,
			}
			if h := os.Getenv("SLUIS_TEST_AMQP_HOST"); h != "" {
				c.AMQPHost = h
			}
			rep, err := Run(context.Background(), c)
			if err != nil {
				t.Fatalf("run: %v", err)
			}
			wantConsents := 0
			if basis == "consent" {
				wantConsents = 5 + 60 + 40
			}
			if rep.Consents != wantConsents {
				t.Errorf("consents recorded: %d, want %d", rep.Consents, wantConsents)
			}
			if rep.Throughput.Settled["delivered"] != 60 || rep.Throughput.MissingCount != 0 {
				t.Errorf("throughput run settled %v, missing %d", rep.Throughput.Settled, rep.Throughput.MissingCount)
			}
			if rep.Latency == nil || rep.Latency.Settled["delivered"] != 40 {
				t.Errorf("latency run: %+v", rep.Latency)
			}
			if rep.Throughput.Latency.Count != 60 || rep.Throughput.Latency.P50 <= 0 || rep.Throughput.Latency.Max < rep.Throughput.Latency.P99 {
				t.Errorf("latency summary %+v", rep.Throughput.Latency)
			}
			if rep.Throughput.Throughput <= 0 || rep.Throughput.GatewayCPU <= 0 || rep.PeakRSS <= 0 {
				t.Errorf("throughput %v, CPU %v, RSS %d", rep.Throughput.Throughput, rep.Throughput.GatewayCPU, rep.PeakRSS)
			}
			if rep.MessageAvg <= rep.RequestAvg {
				t.Errorf("signed message mean %d not larger than request mean %d", rep.MessageAvg, rep.RequestAvg)
			}
			if rep.Ceiling.Messages != 300 || rep.Ceiling.Size != rep.MessageAvg || rep.Ceiling.Rate <= 0 {
				t.Errorf("ceiling %+v", rep.Ceiling)
			}
			if rep.Floor.Signatures == 0 || rep.Floor.Bits != loadtest.KeyBits || rep.Floor.PerSignature() <= 0 {
				t.Errorf("floor %+v", rep.Floor)
			}
			if rep.Dir != "" {
				t.Errorf("temporary directory kept: %s", rep.Dir)
			}
			var out bytes.Buffer
			if err := rep.Write(&out); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(out.String(), "settled: 60 of 60 (delivered 60)") {
				t.Errorf("report:\n%s", out.String())
			}
		})
	}
}
