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
  sluis status [-api URL] ID        show a disclosure's receipt (over TLS with a client certificate:
                                    -ca, -cert, -key; default the development identity of regsys-demo)
  sluis dev-token -id ID -role ROLE -municipality CODE
                                    print a staff token of the development login (SLUIS_DEV_LOGIN=true only)
  sluis ledger verify               verify the ledger's hash chain in the configured store
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
		trust := fs.String("trust", strings.Join(cfg.SigningCerts(), ","), "comma-separated PEM certificates to trust")
		count := fs.Int("count", 0, "stop after this many messages (0: run until interrupted)")
		save := fs.String("save", "", "directory to save received signed messages in")
		timeout := fs.Duration("timeout", 0, "give up when no message arrives within this time (0: wait for ever)")
		answer := fs.String("answer", "accept", "answer each verified 301/319 with a signed 302/320: none, accept or reject:CODE")
		key := fs.String("key", "", "PEM private key to sign retours with (default: development pair in var/dev/providers/<AGB>/)")
		cert := fs.String("cert", "", "PEM certificate of -key")
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		return cli.RunProvider(ctx, os.Stdout, cli.ProviderConfig{
			AMQPURL: cfg.AMQPURL, AGB: *agb, Trusted: strings.Split(*trust, ","), Count: *count,
			SaveDir: *save, Timeout: *timeout, Answer: *answer, Key: *key, Cert: *cert,
		})
	case "verify":
		trust := fs.String("trust", strings.Join(cfg.SigningCerts(), ","), "comma-separated PEM certificates to trust")
		extract := fs.String("extract", "", "write the verified Bericht to this file")
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		if fs.NArg() != 1 {
			return fmt.Errorf("verify needs one FILE")
		}
		return cli.Verify(os.Stdout, fs.Arg(0), strings.Split(*trust, ","), *extract)
	case "status":
		dev := cli.DevClientCert(cfg.DevIdentityDir, "regsys-demo")
		api := fs.String("api", "https://"+cfg.HTTPAddr, "the gateway's API address")
		ca := fs.String("ca", dev.CA, "PEM CA certificate(s) the gateway's certificate is verified against")
		cert := fs.String("cert", dev.Cert, "PEM client certificate of the registration system")
		key := fs.String("key", dev.Key, "PEM key of -cert")
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		if fs.NArg() != 1 {
			return fmt.Errorf("status needs one disclosure ID")
		}
		client, err := cli.ClientCert{CA: *ca, Cert: *cert, Key: *key}.HTTPClient()
		if err != nil {
			return err
		}
		return cli.Status(ctx, os.Stdout, client, *api, fs.Arg(0))
	case "dev-token":
		id := fs.String("id", "", "the staff member's pseudonymous id")
		role := fs.String("role", "coordinator", "employee, coordinator, privacy_officer or operator")
		municipality := fs.String("municipality", "", "the CBS code (4 digits) the member works for")
		ttl := fs.Duration("ttl", 8*time.Hour, "how long the token is valid")
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		return cli.DevToken(os.Stdout, cfg.Identity, *id, *role, *municipality, *ttl)
	case "ledger":
		return cli.Ledger(ctx, os.Stdout, cfg, args[1:])
	case "help", "-h", "--help":
		fmt.Print(usage)
		return nil
	}
	fmt.Fprint(os.Stderr, usage)
	return fmt.Errorf("unknown command %q", args[0])
}

func logger(level string) *slog.Logger {
	var l slog.Level
	_ = l.UnmarshalText([]byte(level)) // validated by config
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: l}))
}
