// Command sluis is the gateway (serve) and the tools around it: send (a
// registration system), provider (a care provider), verify and status.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
	_ "time/tzdata" // Europe/Amsterdam without a system zoneinfo

	"github.com/sluis-gateway/sluis/cmd/sluis/cli"
	"github.com/sluis-gateway/sluis/internal/app"
	"github.com/sluis-gateway/sluis/internal/config"
)

const usage = `sluis: secure iWmo / iJw message gateway

usage:
  sluis serve                       run the gateway (configuration: SLUIS_* environment, see README)
  sluis send [-wait=true] FILE      act as a registration system: send a disclosure request
  sluis provider -agb CODE          act as a care provider: receive and verify messages, answer with a signed 302
  sluis verify [-trust CERT] FILE   verify a signed envelope
  sluis status ID                   show a disclosure's receipt
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "sluis:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	if len(args) == 0 {
		fmt.Fprint(os.Stderr, usage)
		return fmt.Errorf("no command")
	}
	cfg, err := config.Load()
	if err != nil {
		return err
	}
	fs := flag.NewFlagSet(args[0], flag.ContinueOnError)
	switch args[0] {
	case "serve":
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		return app.Run(ctx, cfg, logger(cfg.LogLevel))
	case "send":
		wait := fs.Bool("wait", true, "wait for and print the status events")
		timeout := fs.Duration("timeout", 30*time.Second, "how long to wait for a settled status")
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		if fs.NArg() != 1 {
			return fmt.Errorf("send needs one FILE")
		}
		return cli.Send(ctx, os.Stdout, cfg.AMQPURL, fs.Arg(0), *wait, *timeout)
	case "provider":
		agb := fs.String("agb", "", "the provider's AGB code (8 digits)")
		trust := fs.String("trust", trusted(cfg), "comma-separated PEM certificates to trust")
		count := fs.Int("count", 0, "stop after this many messages (0: run until interrupted)")
		save := fs.String("save", "", "directory to save received signed messages in")
		timeout := fs.Duration("timeout", 0, "give up when no message arrives within this time (0: wait for ever)")
		answer := fs.String("answer", "accept", "answer each verified 301/319 with a signed 302/320: none, accept or reject:CODE")
		key := fs.String("key", "", "PEM private key to sign retours with (default: development pair in SLUIS_DEV_PROVIDERS_DIR/<AGB>/, var/dev/providers/<AGB>/)")
		cert := fs.String("cert", "", "PEM certificate of -key")
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		return cli.RunProvider(ctx, os.Stdout, cli.ProviderConfig{
			AMQPURL: cfg.AMQPURL, AGB: *agb, Trusted: strings.Split(*trust, ","), Count: *count,
			SaveDir: *save, Timeout: *timeout, Answer: *answer, Key: *key, Cert: *cert, DevDir: cfg.DevProvidersDir,
		})
	case "verify":
		trust := fs.String("trust", trusted(cfg), "comma-separated PEM certificates to trust")
		extract := fs.String("extract", "", "write the verified Bericht to this file")
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		if fs.NArg() != 1 {
			return fmt.Errorf("verify needs one FILE")
		}
		return cli.Verify(os.Stdout, fs.Arg(0), strings.Split(*trust, ","), *extract)
	case "status":
		api := fs.String("api", "http://"+cfg.HTTPAddr, "the gateway's HTTP address")
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		if fs.NArg() != 1 {
			return fmt.Errorf("status needs one disclosure ID")
		}
		return cli.Status(ctx, os.Stdout, *api, fs.Arg(0))
	case "help", "-h", "--help":
		fmt.Print(usage)
		return nil
	}
	fmt.Fprint(os.Stderr, usage)
	return fmt.Errorf("unknown command %q", args[0])
}

// trusted is the default of -trust: the configured signing certificates,
// or, when none is configured, the development one `make run` generates
// (config.DevSigningCert), so the walkthrough's tools need no flags.
func trusted(cfg config.Config) string {
	if cfg.SigningCert == "" {
		return config.DevSigningCert
	}
	return strings.Join(cfg.SigningCerts(), ",")
}

func logger(level string) *slog.Logger {
	var l slog.Level
	_ = l.UnmarshalText([]byte(level)) // validated by config
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: l}))
}
