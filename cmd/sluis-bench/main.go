// Command sluis-bench is the end-to-end load test behind `make bench`: it
// runs bin/sluis as a separate process in a private RabbitMQ vhost, sends it
// realistic disclosures, and prints throughput, latency percentiles, the CPU
// per disclosure of the gateway, RabbitMQ and the load, the broker
// operations per disclosure by kind, each signer's cost and the gateway's
// peak RSS, next to the broker ceiling, with the targets of issue 18. See
// docs/performance.md.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/sluis-gateway/sluis/cmd/sluis-bench/internal/bench"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "sluis-bench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("sluis-bench", flag.ContinueOnError)
	var c bench.Config
	fs.StringVar(&c.Binary, "gateway", "bin/sluis", "the gateway binary to run (`sluis serve`)")
	fs.StringVar(&c.AMQPHost, "amqp-host", "127.0.0.1:5672", "RabbitMQ host:port (guest/guest, rabbitmqctl on this machine)")
	fs.IntVar(&c.N, "n", 20000, "disclosures in the throughput run")
	fs.Float64Var(&c.Rate, "rate", 500, "offered load of the latency run, disclosures per second")
	fs.DurationVar(&c.LatencyFor, "latency-for", 20*time.Second, "duration of the latency run (0 skips it)")
	fs.IntVar(&c.Warmup, "warmup", 200, "disclosures sent before measuring")
	fs.IntVar(&c.Providers, "providers", 5, "providers in the registry")
	fs.StringVar(&c.Basis, "basis", "legal_obligation", "legal basis of the requests: legal_obligation or consent (consent needs the consent register wired)")
	fs.IntVar(&c.CeilingN, "ceiling-n", 20000, "messages in the broker ceiling run")
	fs.DurationVar(&c.FloorFor, "floor-for", 3*time.Second, "how long the signing floor signs")
	fs.IntVar(&c.Workers, "workers", 0, "SLUIS_WORKERS of the gateway (0: its default)")
	fs.IntVar(&c.Prefetch, "prefetch", 0, "SLUIS_PREFETCH of the gateway (0: its default)")
	fs.StringVar(&c.LogLevel, "log-level", "info", "SLUIS_LOG_LEVEL of the gateway")
	fs.DurationVar(&c.Timeout, "timeout", 15*time.Minute, "limit of each load phase")
	fs.BoolVar(&c.KeepDir, "keep", false, "keep the temporary directory (gateway log, SQLite file)")
	fs.Uint64Var(&c.Seed, "seed", 1, "seed of the request generator")
	fs.IntVar(&c.OpsN, "ops-n", 2000, "disclosures in the broker operations run, through counting proxies (0 skips it)")
	fs.StringVar(&c.Signer, "signer", "pem", "the gateway's signer: pem (the key file) or pkcs11 (the same key on a SoftHSM2 token)")
	fs.Func("env", "extra KEY=VALUE environment of the gateway (repeatable), e.g. -env SLUIS_STATUS_UNROUTABLE_SKIP=0", func(kv string) error {
		c.GatewayEnv = append(c.GatewayEnv, kv)
		return nil
	})
	fs.StringVar(&c.CPUProfile, "cpuprofile", "", "write a CPU profile of the gateway, taken during the throughput run, to this file")
	fs.DurationVar(&c.ProfileFor, "profile-for", 15*time.Second, "length of the CPU profile (keep it under the throughput run's duration)")
	out := fs.String("out", "", "also write the report to this file")
	strict := fs.Bool("strict", false, "exit 2 when a performance target is missed")
	if err := fs.Parse(args); err != nil {
		return err
	}
	c.Progress = os.Stderr
	rep, err := bench.Run(ctx, c)
	if err != nil {
		return err
	}
	fmt.Println()
	if err := rep.Write(os.Stdout); err != nil {
		return err
	}
	if *out != "" {
		f, err := os.Create(*out)
		if err != nil {
			return err
		}
		if err := rep.Write(f); err != nil {
			f.Close()
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
	}
	if err := rep.Check(); err != nil && *strict {
		fmt.Fprintln(os.Stderr, "sluis-bench:", err)
		os.Exit(2)
	}
	if errors.Is(ctx.Err(), context.Canceled) {
		return ctx.Err()
	}
	return nil
}
