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
		{"negative operations run", func(c *Config) { c.OpsN = -1 }, "operations run"},
		{"unknown signer", func(c *Config) { c.Signer = "hsm" }, "signer"},
		{"gateway environment without a value", func(c *Config) { c.GatewayEnv = []string{"SLUIS_WORKERS"} }, "KEY=VALUE"},
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
		Config: validConfig(),
		Throughput: Outcome{Requests: 1000, Settled: map[string]int{"delivered": 1000}, Throughput: 1200,
			GatewayCPU: time.Second, BrokerCPU: 250 * time.Millisecond, LoadCPU: 100 * time.Millisecond},
		Latency: &Outcome{Latency: loadtest.Percentiles{P99: 50 * time.Millisecond}},
		PeakRSS: 100 << 20,
		Ceiling: Ceiling{Rate: 12000, Messages: 20000, BrokerCPU: time.Second},
		Floor:   Floor{Signer: SignerPEM, Signatures: 1000, CPU: 800 * time.Millisecond, Wall: time.Second},
		Ops: &OpsOutcome{Disclosures: 100,
			Gateway: loadtest.Ops{"publish": 200, "publish sluis.outbound": 100, "publish sluis.status": 100, "confirm": 150,
				"deliver": 100, "deliver sluis.intake": 100, "ack": 10, "ack-multiple": 10},
			Load: loadtest.Ops{"publish": 100, "publish sluis.intake": 100, "confirm": 20, "deliver": 200}},
	}
	good.Floors = []Floor{good.Floor}
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
	if got := good.BrokerPublishes(); got != 5 {
		t.Errorf("broker CPU per disclosure %v ceiling publishes, want 5 (0.25 ms / 0.05 ms)", got)
	}
	if got := good.GatewayCPUWithoutSignature(); got != 200*time.Microsecond {
		t.Errorf("gateway CPU without the signature %v, want 0.2 ms", got)
	}
	if got := good.Ops.Per(good.Ops.BrokerOps()); got != 7.8 {
		t.Errorf("broker operations per disclosure %v, want 8.8", got)
	}
	var out bytes.Buffer
	if err := good.Write(&out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"broker ceiling", "signers", " met", "gateway CPU per disclosure / one signature: 1.25",
		"= 5.0 ceiling publishes", "gateway sluis.outbound 1.00, gateway sluis.status 1.00", "0.10 of them multiple", "7.80"} {
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
		{"gateway hungry", func(r *Report) { r.Throughput.GatewayCPU = 2 * time.Second }, "without the signature"},
		{"broker hungry", func(r *Report) { r.Throughput.BrokerCPU = 400 * time.Millisecond }, "ceiling publishes"},
		{"broker not measured", func(r *Report) { r.Throughput.BrokerCPU = 0 }, "ceiling publishes"},
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
				Timeout: 3 * time.Minute, Seed: 3, OpsN: 50,
				// Within the run a key once returned stays skipped, so the
				// operations are counted without the window's timing.
				GatewayEnv: []string{"SLUIS_STATUS_UNROUTABLE_SKIP=1h"},
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
			if rep.Floor.Signatures == 0 || rep.Floor.Bits != loadtest.KeyBits || rep.Floor.PerSignature() <= 0 || rep.Floor.Signer != SignerPEM {
				t.Errorf("floor %+v", rep.Floor)
			}
			// SoftHSM2 is installed wherever the tests run (CI installs it).
			if len(rep.Floors) != 2 || rep.Floors[1].Signer != SignerPKCS11 || rep.Floors[1].PerSignature() <= 0 || rep.Floors[1].ParallelRate <= 0 {
				t.Errorf("floors %+v", rep.Floors)
			}
			checkOps(t, rep.Ops, 50)
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

// checkOps checks the operations run's counts of n disclosures that the
// bench sees delivered: the bench binds only the settling states, so with
// the skip window over the whole run the gateway publishes each one's
// signed message and its delivered event, and nothing is returned.
func checkOps(t *testing.T, o *OpsOutcome, n int64) {
	t.Helper()
	if o == nil || int64(o.Disclosures) != n {
		t.Fatalf("operations run: %+v", o)
	}
	for _, tc := range []struct {
		name string
		ops  loadtest.Ops
		key  string
		want int64
	}{
		{"intake publishes", o.Load, "publish sluis.intake", n},
		{"intake deliveries", o.Gateway, "deliver sluis.intake", n},
		{"signed messages", o.Gateway, "publish sluis.outbound", n},
		{"status events: delivered only", o.Gateway, "publish sluis.status", n},
		{"no returns", o.Gateway, "return", 0},
		{"providers' deliveries", o.Load, "deliver sluis.outbound", n},
		{"status deliveries", o.Load, "deliver sluis.status", n},
	} {
		if got := tc.ops[tc.key]; got != tc.want {
			t.Errorf("%s: %q = %d, want %d", tc.name, tc.key, got, tc.want)
		}
	}
	if acks := o.Gateway["ack"]; acks < 1 || acks > n {
		t.Errorf("gateway acks %d, want 1 to %d", acks, n)
	}
}
