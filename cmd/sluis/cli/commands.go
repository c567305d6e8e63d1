package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/sluis-gateway/sluis/internal/app"
	"github.com/sluis-gateway/sluis/internal/config"
	"github.com/sluis-gateway/sluis/internal/identity"
)

// command is one sluis subcommand.
type command struct {
	name, args, summary string
	nargs               int  // how many arguments after the options
	maxArgs             int  // when above nargs: at most this many
	settings            bool // help lists the SLUIS_* variables
	run                 func(ctx context.Context, e *env, args []string) error
}

// commands are sluis's subcommands in the order help lists them.
func commands() []command {
	return []command{
		{name: "serve", summary: "run the gateway (configuration: the SLUIS_* environment below, docs/configuration.md)",
			settings: true, run: serveCmd},
		{name: "send", args: "FILE", nargs: 1, run: sendCmd,
			summary: "act as a registration system: send a disclosure request (reads SLUIS_AMQP_URL);\nexit 0 delivered, accepted or waiting, 3 invalid, 4 refused, 5 failed"},
		{name: "provider", run: providerCmd,
			summary: "act as a care provider: receive and verify messages, answer with a signed 302 (reads SLUIS_AMQP_URL)"},
		{name: "verify", args: "FILE", nargs: 1, run: verifyCmd, summary: "verify a signed envelope"},
		{name: "status", args: "ID", nargs: 1, run: statusCmd,
			summary: "show a disclosure's receipt (over TLS with a client certificate: -ca, -cert, -key;\ndefault the development identity of regsys-demo)"},
		{name: "dev-token", run: devTokenCmd,
			summary: "print a staff token of the development login (SLUIS_DEV_LOGIN=true only)"},
		{name: "ledger", args: "verify", nargs: 1, run: ledgerCmd,
			summary: "verify the ledger's hash chain in the configured store (exit 1 naming the first bad entry)"},
		{name: "dead", args: "SUBCOMMAND [ID]", nargs: 1, maxArgs: 2, run: deadCmd,
			summary: "SUBCOMMAND list, show ID or replay ID: list the messages on sluis.dead (ids and reasons),\nshow one's headers (never a kept body), or replay one whose content is kept to where it\ncame from (recorded in the ledger; needs -operator); what is read is given back (docs/cli.md)"},
		{name: "store", args: "backup FILE | migrate | counters", run: storeCmd,
			summary: "backup FILE: write a consistent copy of the SQLite store while the gateway runs (PostgreSQL: pg_dump);\nmigrate: copy the SQLite store into an empty PostgreSQL store, counters and ledger included\n(gateways stopped); counters: list the Identificatie counters, or -raise them after restoring\nan older backup (docs/operations.md)"},
		{name: "config", args: "check", nargs: 1, settings: true, run: configCheck,
			summary: "check the SLUIS_* configuration as serve would load it, without connecting anywhere:\nprint the effective settings (passwords redacted) and exit 0, or each problem and exit 1"},
		{name: "version", run: versionCmd, summary: "print the module version and VCS revision of this build"},
		{name: "help", args: "[COMMAND]", run: helpCmd, summary: "print this help, or a command's"},
	}
}

// lookup finds a command by name; -h and --help are help.
func lookup(name string) (command, bool) {
	if name == "-h" || name == "--help" || name == "-help" {
		name = "help"
	}
	for _, c := range commands() {
		if c.name == name {
			return c, true
		}
	}
	return command{}, false
}

func self(name string) command {
	c, _ := lookup(name)
	return c
}

func sendCmd(ctx context.Context, e *env, args []string) error {
	c := self("send")
	fs := c.flags()
	wait := fs.Bool("wait", true, "wait for and print the status events")
	timeout := fs.Duration("timeout", 30*time.Second, "how long to wait for a settled status")
	if err := c.parse(e, fs, args); err != nil {
		return err
	}
	cfg, err := e.config()
	if err != nil {
		return err
	}
	return Send(ctx, e.stdout, cfg.AMQPURL, fs.Arg(0), *wait, *timeout)
}

func providerCmd(ctx context.Context, e *env, args []string) error {
	c := self("provider")
	fs := c.flags()
	agb := fs.String("agb", "", "the provider's AGB code (8 digits)")
	trust := fs.String("trust", trusted(e.cfg), "comma-separated PEM certificates to trust")
	count := fs.Int("count", 0, "stop after this many messages (0: run until interrupted)")
	save := fs.String("save", "", "directory to save received signed messages in")
	timeout := fs.Duration("timeout", 0, "give up when no message arrives within this time (0: wait for ever)")
	answer := fs.String("answer", "accept", "answer each verified 301/319 with a signed 302/320: none, accept or reject:CODE")
	key := fs.String("key", "", "PEM private key to sign retours with (default: development pair in SLUIS_DEV_PROVIDERS_DIR/<AGB>/, var/dev/providers/<AGB>/)")
	cert := fs.String("cert", "", "PEM certificate of -key")
	send := fs.String("send", "", "send one heenbericht instead of receiving: 305, 307, 315, 317 or 323 (docs/inbound.md)")
	file := fs.String("file", "", "with -send: the Bericht (XML) to send; default a generated example")
	standard := fs.String("standard", "iWmo", "with -send: iWmo or iJw (generated example)")
	to := fs.String("to", "0363", "with -send: the gemeentecode to address (generated example)")
	breakRule := fs.Bool("break", false, "with -send: the generated example breaks one technical rule")
	if err := c.parse(e, fs, args); err != nil {
		return err
	}
	cfg, err := e.config()
	if err != nil {
		return err
	}
	if *send != "" || *file != "" {
		_, err := SendHeen(ctx, e.stdout, SendConfig{
			AMQPURL: cfg.AMQPURL, AGB: *agb, Kind: *send, File: *file, Standard: *standard, Municipality: *to,
			Break: *breakRule, Key: *key, Cert: *cert, DevDir: cfg.DevProvidersDir,
		})
		return err
	}
	return RunProvider(ctx, e.stdout, ProviderConfig{
		AMQPURL: cfg.AMQPURL, AGB: *agb, Trusted: strings.Split(*trust, ","), Count: *count,
		SaveDir: *save, Timeout: *timeout, Answer: *answer, Key: *key, Cert: *cert, DevDir: cfg.DevProvidersDir,
	})
}

func verifyCmd(_ context.Context, e *env, args []string) error {
	c := self("verify")
	fs := c.flags()
	trust := fs.String("trust", trusted(e.cfg), "comma-separated PEM certificates to trust")
	extract := fs.String("extract", "", "write the verified Bericht to this file")
	if err := c.parse(e, fs, args); err != nil {
		return err
	}
	if _, err := e.config(); err != nil {
		return err
	}
	return Verify(e.stdout, fs.Arg(0), strings.Split(*trust, ","), *extract)
}

func statusCmd(ctx context.Context, e *env, args []string) error {
	c := self("status")
	fs := c.flags()
	dev := DevClientCert(e.cfg.DevIdentityDir, "regsys-demo")
	api := fs.String("api", "https://"+e.cfg.HTTPAddr, "the gateway's API address")
	ca := fs.String("ca", dev.CA, "PEM CA certificate(s) the gateway's certificate is verified against")
	cert := fs.String("cert", dev.Cert, "PEM client certificate of the registration system")
	key := fs.String("key", dev.Key, "PEM key of -cert")
	if err := c.parse(e, fs, args); err != nil {
		return err
	}
	if _, err := e.config(); err != nil {
		return err
	}
	client, err := ClientCert{CA: *ca, Cert: *cert, Key: *key}.HTTPClient()
	if err != nil {
		return err
	}
	return Status(ctx, e.stdout, client, *api, fs.Arg(0))
}

func devTokenCmd(_ context.Context, e *env, args []string) error {
	c := self("dev-token")
	fs := c.flags()
	id := fs.String("id", "", "the staff member's pseudonymous id")
	role := fs.String("role", "coordinator", "employee, coordinator, privacy_officer or operator")
	municipality := fs.String("municipality", "", "the CBS code (4 digits) the member works for")
	ttl := fs.Duration("ttl", 8*time.Hour, "how long the token is valid")
	if err := c.parse(e, fs, args); err != nil {
		return err
	}
	cfg, err := e.config()
	if err != nil {
		return err
	}
	return DevToken(e.stdout, cfg.Identity, *id, *role, *municipality, *ttl)
}

func deadCmd(ctx context.Context, e *env, args []string) error {
	c := self("dead")
	fs := c.flags()
	maxN := fs.Int("max", 1000, "read at most this many messages of sluis.dead")
	operator := fs.String("operator", "", "replay: the pseudonymous id of who replays, the ledger's actor (staff:ID role:operator); required")
	if err := c.parse(e, fs, args); err != nil {
		return err
	}
	sub, want := fs.Arg(0), map[string]int{"list": 1, "show": 2, "replay": 2}
	if n, ok := want[sub]; !ok || fs.NArg() != n {
		c.help(e.stderr, fs)
		return fmt.Errorf("%w: want list, show ID or replay ID", errUsage)
	}
	if *maxN < 1 {
		return fmt.Errorf("%w: -max must be at least 1", errUsage)
	}
	if sub == "replay" && !operatorID.MatchString(*operator) {
		return fmt.Errorf("%w: %v", errUsage, ErrNoOperator)
	}
	cfg, err := e.config()
	if err != nil {
		return err
	}
	url, err := app.BrokerURL(cfg)
	if err != nil {
		return err
	}
	dl := DeadLetters{URL: url, Max: *maxN}
	switch sub {
	case "list":
		return dl.List(ctx, e.stdout)
	case "show":
		return dl.Show(ctx, e.stdout, fs.Arg(1))
	}
	if dl.GatewayUser, err = app.BrokerUser(cfg); err != nil {
		return err
	}
	if dl.Systems, err = systemsOf(cfg); err != nil {
		return err
	}
	if cfg.Store != "postgres" {
		if _, err := os.Stat(cfg.SQLitePath); err != nil {
			return fmt.Errorf("no SQLite store at SLUIS_SQLITE_PATH (the ledger the replay is recorded in): %w", err)
		}
	}
	store, err := app.OpenStore(ctx, cfg)
	if err != nil {
		return fmt.Errorf("open %s store: %w", cfg.Store, err)
	}
	defer store.Close()
	dl.Ledger = store
	return dl.Replay(ctx, e.stdout, fs.Arg(1), *operator)
}

// systemsOf is the registry of registration systems the gateway uses:
// SLUIS_SYSTEMS_FILE, or the development one with SLUIS_DEV_CA.
func systemsOf(cfg config.Config) (*identity.Registry, error) {
	if cfg.Identity.DevCA {
		return identity.Development()
	}
	if cfg.Identity.SystemsFile == "" {
		return nil, errors.New("SLUIS_SYSTEMS_FILE: not configured (the registry that maps a replayed message's broker user to its system)")
	}
	r, err := identity.Load(cfg.Identity.SystemsFile)
	if err != nil {
		return nil, fmt.Errorf("SLUIS_SYSTEMS_FILE: %w", err)
	}
	return r, nil
}

func ledgerCmd(ctx context.Context, e *env, args []string) error {
	c := self("ledger")
	fs := c.flags()
	if err := c.parse(e, fs, args); err != nil {
		return err
	}
	if fs.Arg(0) != "verify" {
		return fmt.Errorf("%w: ledger knows one subcommand: verify", errUsage)
	}
	cfg, err := e.config()
	if err != nil {
		return err
	}
	return LedgerVerify(ctx, e.stdout, cfg)
}

// noFlags parses the arguments of a command without options.
func noFlags(e *env, name string, args []string) (*flag.FlagSet, error) {
	c := self(name)
	fs := c.flags()
	return fs, c.parse(e, fs, args)
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
