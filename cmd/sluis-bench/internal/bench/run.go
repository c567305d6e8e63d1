package bench

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/sluis-gateway/sluis/adapters/amqp"
	"github.com/sluis-gateway/sluis/internal/disclosure"
	"github.com/sluis-gateway/sluis/internal/loadtest"
)

// Config is a whole `make bench` run.
type Config struct {
	// Binary is the gateway executable (bin/sluis).
	Binary string
	// AMQPHost is the broker's host:port (guest/guest); a private vhost is
	// created on it and deleted at the end.
	AMQPHost string
	// N is the number of disclosures of the throughput run.
	N int
	// Rate and LatencyFor define the latency run: Rate disclosures per
	// second offered for LatencyFor. A zero LatencyFor skips it.
	Rate       float64
	LatencyFor time.Duration
	// Warmup disclosures are sent (and not measured) before the runs.
	Warmup int
	// Providers is the number of providers in the registry.
	Providers int
	// Basis is the requests' legal basis: legal_obligation, or consent (a
	// single-share consent per request is recorded in the gateway's consent
	// register before the runs).
	Basis string
	// CeilingN is the number of messages of the broker ceiling run.
	CeilingN int
	// FloorFor is how long the signing floor signs.
	FloorFor time.Duration
	// Workers, Prefetch, LogLevel configure the gateway (0/"": its defaults,
	// except the log level, info).
	Workers, Prefetch int
	LogLevel          string
	// Timeout bounds each load phase.
	Timeout time.Duration
	// KeepDir keeps the temporary directory (gateway log, SQLite file).
	KeepDir bool
	// Seed makes the generated requests reproducible (ids aside).
	Seed uint64
	// OpsN disclosures are sent in the broker operations run, a gateway of
	// its own whose connections, and the load's, go through counting
	// proxies (loadtest.OpsProxy); 0 skips it.
	OpsN int
	// Signer is the gateway's signer: SignerPEM (a key file) or
	// SignerPKCS11 (the same key on a SoftHSM2 token the bench initialises).
	Signer string
	// GatewayEnv is extra KEY=VALUE environment of every gateway the bench
	// starts, after its own (e.g. SLUIS_STATUS_UNROUTABLE_SKIP=0).
	GatewayEnv []string
	// CPUProfile, when set, is a file for a CPU profile of the gateway
	// taken during the first ProfileFor of the throughput run (the gateway
	// then runs with SLUIS_PPROF=true).
	CPUProfile string
	ProfileFor time.Duration
	// Progress receives one line per step (nil: discarded).
	Progress io.Writer
}

// Validate checks the configuration.
func (c Config) Validate() error {
	bad := func(f string) error { return fmt.Errorf("%w: %s", loadtest.ErrConfig, f) }
	switch {
	case c.Binary == "":
		return bad("gateway binary required")
	case c.AMQPHost == "":
		return bad("broker host required")
	case c.N < 1:
		return bad("N must be at least 1")
	case c.LatencyFor < 0 || (c.LatencyFor > 0 && c.Rate <= 0):
		return bad("latency run needs a positive rate and duration")
	case c.Providers < 1 || c.Providers > 100:
		return bad("providers must be between 1 and 100")
	case c.Basis != disclosure.BasisLegalObligation && c.Basis != disclosure.BasisConsent:
		return bad("basis must be legal_obligation or consent")
	case c.CeilingN < 1:
		return bad("ceiling messages must be at least 1")
	case c.FloorFor <= 0:
		return bad("floor duration must be positive")
	case c.Warmup < 0:
		return bad("warm-up must be ≥ 0")
	case c.OpsN < 0:
		return bad("operations run disclosures must be ≥ 0")
	case c.Signer != "" && c.Signer != SignerPEM && c.Signer != SignerPKCS11:
		return bad("signer must be pem or pkcs11")
	}
	for _, kv := range c.GatewayEnv {
		if k, _, ok := strings.Cut(kv, "="); !ok || k == "" {
			return bad("gateway environment must be KEY=VALUE: " + kv)
		}
	}
	return nil
}

// Report is everything one run measured.
type Report struct {
	Started    time.Time
	Machine    loadtest.Machine
	Config     Config
	RequestAvg int // mean request size, bytes
	MessageAvg int // mean signed provider message size, bytes
	Throughput Outcome
	Latency    *Outcome
	PeakRSS    int64
	Ceiling    Ceiling
	// Floor is the floor of the gateway's signer; Floors holds every
	// signer's (PEM, and PKCS#11 when SoftHSM2 is installed).
	Floor  Floor
	Floors []Floor
	// Ops is the broker operations run (nil when skipped).
	Ops      *OpsOutcome
	Dir      string // kept temp dir, when KeepDir
	Consents int    // consents recorded before the runs (basis consent)
}

// Run performs a whole measurement: private vhost, the signing floor, the
// gateway process, throughput run, latency run, then the broker ceiling with
// the gateway stopped. Everything it made is removed at the end
// (the temp dir only when KeepDir is false).
func Run(ctx context.Context, c Config) (rep Report, err error) {
	if err := c.Validate(); err != nil {
		return Report{}, err
	}
	say := func(format string, args ...any) {
		if c.Progress != nil {
			fmt.Fprintf(c.Progress, "bench: "+format+"\n", args...)
		}
	}
	rep = Report{Started: time.Now(), Machine: loadtest.ThisMachine(), Config: c}

	dir, err := os.MkdirTemp("", "sluis-bench-")
	if err != nil {
		return rep, err
	}
	defer func() {
		_, logErr := os.Stat(filepath.Join(dir, "gateway.log"))
		if c.KeepDir || (err != nil && logErr == nil) {
			rep.Dir = dir
			say("kept %s (gateway.log, sluis.db)", dir)
			return
		}
		_ = os.RemoveAll(dir)
	}()
	vh, err := loadtest.NewVHost(c.AMQPHost)
	if err != nil {
		return rep, err
	}
	defer func() {
		if derr := vh.Delete(); derr != nil {
			say("could not delete vhost %s: %v", vh.Name, derr)
		}
	}()
	say("vhost %s, dir %s", vh.Name, dir)

	say("generating an RSA-%d signing key and certificate", loadtest.KeyBits)
	key, keyFile, certFile, err := loadtest.WriteKeyPair(dir, loadtest.KeyBits)
	if err != nil {
		return rep, err
	}
	// The floors run first, on a quiet machine: nothing else is running yet.
	if c.Signer == "" {
		c.Signer = SignerPEM
		rep.Config.Signer = SignerPEM
	}
	workers := 2 * runtime.NumCPU()
	say("signing floor: RSA-%d with crypto/rsa for 2 × %s", loadtest.KeyBits, c.FloorFor)
	pemFloor, err := SigningFloor(key, c.FloorFor, workers)
	if err != nil {
		return rep, err
	}
	rep.Floors, rep.Floor = append(rep.Floors, pemFloor), pemFloor
	gatewayEnv := append([]string{}, c.GatewayEnv...)
	if hsm, err := NewSoftHSM(dir, keyFile); err != nil {
		if c.Signer == SignerPKCS11 {
			return rep, fmt.Errorf("PKCS#11 signer: %w", err)
		}
		say("PKCS#11 signer not measured: %v", err)
	} else {
		say("signing floor: RSA-%d on a SoftHSM2 token for 2 × %s", loadtest.KeyBits, c.FloorFor)
		f, err := PKCS11Floor(hsm, loadtest.KeyBits, c.FloorFor, workers)
		if err != nil {
			return rep, err
		}
		rep.Floors = append(rep.Floors, f)
		if c.Signer == SignerPKCS11 {
			rep.Floor = f
			gatewayEnv = append(hsm.Env(), gatewayEnv...)
		}
	}
	agbs := loadtest.ProviderAGBs(c.Providers)
	gen, err := loadtest.NewGenerator(agbs, c.Basis, c.Seed)
	if err != nil {
		return rep, err
	}
	var consents []loadtest.Item
	prepare := func(n int) ([]loadtest.Item, error) {
		reqs, cs, err := loadtest.PrepareWithConsents(gen, n)
		consents = append(consents, cs...)
		return reqs, err
	}
	warm, err := prepare(c.Warmup)
	if err != nil {
		return rep, err
	}
	main, err := prepare(c.N)
	if err != nil {
		return rep, err
	}
	var paced []loadtest.Item
	if c.LatencyFor > 0 {
		if paced, err = prepare(int(c.Rate * c.LatencyFor.Seconds())); err != nil {
			return rep, err
		}
	}
	rep.RequestAvg = loadtest.MeanSize(main)
	var opsWarm, opsItems []loadtest.Item
	if c.OpsN > 0 {
		// A basis without consents: that run's gateway has a store of its
		// own, and the broker's work does not depend on the basis.
		g, err := loadtest.NewGenerator(agbs, disclosure.BasisLegalObligation, c.Seed+1)
		if err != nil {
			return rep, err
		}
		if opsWarm, err = loadtest.Prepare(g, c.Warmup); err != nil {
			return rep, err
		}
		if opsItems, err = loadtest.Prepare(g, c.OpsN); err != nil {
			return rep, err
		}
	}

	say("starting %s serve", c.Binary)
	gw, err := StartGateway(ctx, GatewayConfig{
		Binary: c.Binary, Dir: dir, AMQPURL: vh.URL, Providers: agbs,
		Workers: c.Workers, Prefetch: c.Prefetch, LogLevel: c.LogLevel,
		Extra: append(profileEnv(c.CPUProfile), gatewayEnv...),
	}, keyFile, certFile)
	if err != nil {
		return rep, err
	}
	stopped := false
	defer func() {
		if !stopped {
			_ = gw.Stop()
		}
	}()
	drain, err := loadtest.NewDrainer(vh.URL, amqp.ProviderQueues(agbs))
	if err != nil {
		return rep, err
	}
	defer drain.Close()
	cpu := func() (time.Duration, error) { return loadtest.ProcCPU(gw.Pid()) }
	var brokerCPU func() (time.Duration, error)
	if pid, err := BrokerPID(); err == nil {
		brokerCPU = func() (time.Duration, error) { return loadtest.ProcCPU(pid) }
	} else {
		say("broker CPU not measured: %v", err)
	}

	if len(consents) > 0 {
		say("recording %d consents (record_consent on routing key %s), not measured", len(consents), amqp.KeyConsent)
		o, err := RunLoad(ctx, LoadConfig{AMQPURL: vh.URL, Items: consents, Key: amqp.KeyConsent, States: ConsentStates, Timeout: c.Timeout})
		if err != nil {
			return rep, fmt.Errorf("record consents: %w", err)
		}
		if o.Settled[ConsentStates[0]] != len(consents) {
			return rep, fmt.Errorf("record consents: %v of %d", o.Settled, len(consents))
		}
		rep.Consents = len(consents)
	}
	if len(warm) > 0 {
		say("warm-up: %d disclosures", len(warm))
		if _, err := RunLoad(ctx, LoadConfig{AMQPURL: vh.URL, Items: warm, Timeout: c.Timeout}); err != nil {
			return rep, fmt.Errorf("warm-up: %w", err)
		}
	}
	say("throughput run: %d disclosures, published as fast as the broker confirms", len(main))
	var profiled chan error
	if c.CPUProfile != "" {
		profiled = make(chan error, 1)
		go func() { profiled <- FetchProfile(ctx, gw.Admin, c.ProfileFor, c.CPUProfile) }()
	}
	rep.Throughput, err = RunLoad(ctx, LoadConfig{AMQPURL: vh.URL, Items: main, Timeout: c.Timeout, GatewayCPU: cpu, BrokerCPU: brokerCPU})
	if err != nil {
		return rep, fmt.Errorf("throughput run: %w", err)
	}
	say("throughput run: %.0f disclosures/s", rep.Throughput.Throughput)
	if profiled != nil {
		if err := <-profiled; err != nil {
			return rep, fmt.Errorf("cpu profile: %w", err)
		}
		say("cpu profile of the gateway (first %s of the throughput run): %s", c.ProfileFor, c.CPUProfile)
	}
	if len(paced) > 0 {
		say("latency run: %.0f/s offered for %s (%d disclosures)", c.Rate, c.LatencyFor, len(paced))
		o, err := RunLoad(ctx, LoadConfig{AMQPURL: vh.URL, Items: paced, Rate: c.Rate, Timeout: c.Timeout, GatewayCPU: cpu, BrokerCPU: brokerCPU})
		if err != nil {
			return rep, fmt.Errorf("latency run: %w", err)
		}
		rep.Latency = &o
		say("latency run: p99 %s", o.Latency.P99.Round(time.Millisecond))
	}
	if rep.PeakRSS, err = loadtest.PeakRSS(gw.Pid()); err != nil {
		return rep, err
	}
	rep.MessageAvg = drain.MeanSize()
	_ = drain.Close() // the operations run drains through its proxy
	stopped = true
	if err := gw.Stop(); err != nil {
		say("gateway stop: %v", err)
	}

	if c.OpsN > 0 {
		say("broker operations run: %d disclosures, the gateway's and the load's connections through counting proxies", c.OpsN)
		o, err := RunOps(ctx, OpsConfig{
			Gateway: GatewayConfig{Binary: c.Binary, Dir: filepath.Join(dir, "ops"), AMQPURL: vh.URL, Providers: agbs,
				Workers: c.Workers, Prefetch: c.Prefetch, LogLevel: c.LogLevel, Extra: gatewayEnv},
			KeyFile: keyFile, CertFile: certFile, Warmup: opsWarm, Items: opsItems, Timeout: c.Timeout,
		})
		if err != nil {
			return rep, fmt.Errorf("broker operations run: %w", err)
		}
		rep.Ops = &o
	}
	rep.Machine.LoadEnd = loadtest.LoadAverage()
	size := rep.MessageAvg
	if size == 0 {
		size = rep.RequestAvg
	}
	say("broker ceiling: %d persistent %d-byte messages to a quorum queue", c.CeilingN, size)
	if rep.Ceiling, err = BrokerCeiling(ctx, vh.URL, c.CeilingN, size, 1024, brokerCPU); err != nil {
		return rep, err
	}
	return rep, nil
}

// Targets of issue 18, on the 2-core reference machine with the gateway,
// RabbitMQ and the load co-located.
const (
	TargetThroughput = 1000.0 // disclosures per second, end to end, RSA-2048
	// TargetBrokerPublishes bounds RabbitMQ's CPU per disclosure, in
	// ceiling publishes (its CPU per message of the ceiling run).
	TargetBrokerPublishes = 6.0
	// TargetGatewayCPU bounds the gateway's CPU per disclosure without the
	// signature (one signature of its signer's floor taken off).
	TargetGatewayCPU = time.Millisecond
	TargetP99        = 100 * time.Millisecond
	TargetRate       = 500.0 // offered load of the p99 target
	TargetPeakRSS    = 150 << 20
	reportTimeLayout = "2006-01-02 15:04 MST"
)

// BrokerPID asks rabbitmqctl for the broker's OS process id (the broker
// must run on this machine).
func BrokerPID() (int, error) {
	out, err := exec.Command("rabbitmqctl", "-q", "eval", "list_to_integer(os:getpid()).").Output()
	if err != nil {
		return 0, fmt.Errorf("rabbitmqctl eval: %w", err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(out)))
	if err != nil || pid <= 0 {
		return 0, fmt.Errorf("rabbitmqctl eval: unexpected output")
	}
	return pid, nil
}
