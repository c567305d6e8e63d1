// Package config holds sluis's configuration: environment variables with
// defaults for everything that has a safe default. It fails closed: the
// development conveniences (generated keys and CA, the development
// registries and login, plaintext AMQP) are used only when asked for, with
// SLUIS_DEV=true or their own switches (dev.go). Every option is
// documented where it is defined.
package config

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"reflect"
	"strings"
	"time"

	"github.com/caarlos0/env/v11"
)

//go:generate go run ./gen

// ErrInvalid is matched by every configuration error.
var ErrInvalid = errors.New("invalid configuration")

// Config is the gateway's configuration.
type Config struct {
	// Section: Broker
	// Where the broker is (SLUIS_AMQP_URL) and how the gateway authenticates
	// it and itself (docs/broker.md).

	// Dev is the development umbrella: it turns on every development
	// convenience whose own switch is not set (dev.go: SLUIS_DEV_KEYS,
	// SLUIS_DEV_CA, SLUIS_DEV_LOGIN, SLUIS_DEV_PROVIDERS,
	// SLUIS_AMQP_ALLOW_PLAINTEXT). `make run` sets it. DEVELOPMENT ONLY.
	Dev bool `env:"SLUIS_DEV" envDefault:"false"`
	// AMQPURL is the RabbitMQ connection URL.
	AMQPURL string `env:"SLUIS_AMQP_URL" envDefault:"amqp://guest:guest@127.0.0.1:5672/"`
	// Broker holds the broker's TLS and login settings (broker.go).
	Broker
	// Section: HTTP

	// HTTPAddr is where the HTTP API listens, over mutual TLS
	// (docs/security.md).
	HTTPAddr string `env:"SLUIS_HTTP_ADDR" envDefault:"127.0.0.1:8080"`
	// ConsoleAddr is where the staff console listens, over TLS with the
	// API's server certificate and without client certificates
	// (docs/console.md); empty: no console. SLUIS_DEV sets
	// 127.0.0.1:8443 when it is unset. Today the console logs staff in
	// only with the development login, so it needs SLUIS_DEV_LOGIN.
	ConsoleAddr string `env:"SLUIS_CONSOLE_ADDR" envDefault:""`
	// HTTPServer: the admin listener, timeouts and connection limit
	// (httpserver.go).
	HTTPServer

	// Section: Store
	// Where receipts, the ledger and the counters are kept.

	// Store is "sqlite" (embedded default, a file) or "postgres".
	Store string `env:"SLUIS_STORE" envDefault:"sqlite"`
	// SQLitePath is the SQLite database file (created when missing).
	SQLitePath string `env:"SLUIS_SQLITE_PATH" envDefault:"var/sluis.db"`
	// PostgresURL is the PostgreSQL DSN, used when Store is "postgres".
	PostgresURL string `env:"SLUIS_POSTGRES_URL"`

	// Section: Signing
	// sluis's signing key, its source and its rotation (docs/signing.md);
	// validated in signing.go.

	// SigningKey and SigningCert are PEM files: sluis's RSA key (2048 bits or
	// more) and its X.509 certificate, placed in every signature's KeyInfo.
	// Required by `sluis serve`; with SLUIS_DEV_KEYS they default to
	// DevSigningKey and DevSigningCert.
	SigningKey  string `env:"SLUIS_SIGNING_KEY"`
	SigningCert string `env:"SLUIS_SIGNING_CERT"`
	// DevKeys generates a development key and self-signed certificate at the
	// paths above when both are missing (never overwriting either), and the
	// client-key secret when it is missing. The certificate's name says
	// DEVELOPMENT ONLY. Off by default: without it a missing file is a
	// start-up error naming it. SLUIS_DEV=true turns it on.
	DevKeys bool `env:"SLUIS_DEV_KEYS" envDefault:"false"`
	// Signer is where the signing key lives: "pem" (SLUIS_SIGNING_KEY, a
	// file) or "pkcs11" (a key pair on an HSM token; SLUIS_SIGNING_KEY is
	// then unused and no development key is generated).
	Signer string `env:"SLUIS_SIGNER" envDefault:"pem"`
	// PKCS11Module is the PKCS#11 library of the HSM, e.g.
	// /usr/lib/softhsm/libsofthsm2.so for SoftHSM2; required with pkcs11.
	PKCS11Module string `env:"SLUIS_PKCS11_MODULE"`
	// PKCS11TokenLabel is the label of the token holding the keys; required
	// with pkcs11.
	PKCS11TokenLabel string `env:"SLUIS_PKCS11_TOKEN_LABEL"`
	// PKCS11PINFile is a file (mode 0600 or stricter) holding the token's
	// user PIN; required with pkcs11. The PIN itself is never an
	// environment variable.
	PKCS11PINFile string `env:"SLUIS_PKCS11_PIN_FILE"`
	// PKCS11KeyLabel is the label of the signing key pair on the token; its
	// certificate is SLUIS_SIGNING_CERT. Required with pkcs11.
	PKCS11KeyLabel string `env:"SLUIS_PKCS11_KEY_LABEL"`
	// PKCS11NextKeyLabel is the label of the next key pair on the token
	// (rotation, pkcs11); its certificate is SLUIS_SIGNING_NEXT_CERT.
	PKCS11NextKeyLabel string `env:"SLUIS_PKCS11_NEXT_KEY_LABEL"`
	// SigningNextKey is the next PEM key file (rotation, pem); set together
	// with SLUIS_SIGNING_NEXT_CERT and SLUIS_SIGNING_NEXT_FROM.
	SigningNextKey string `env:"SLUIS_SIGNING_NEXT_KEY"`
	// SigningNextCert is the next key's certificate (rotation, pem or
	// pkcs11). During the overlap providers trust it beside the current one.
	SigningNextCert string `env:"SLUIS_SIGNING_NEXT_CERT"`
	// SigningNextFrom is when sluis starts signing with the next key, RFC
	// 3339 (e.g. 2027-01-15T06:00:00Z); required with a next key.
	SigningNextFrom time.Time `env:"SLUIS_SIGNING_NEXT_FROM"`

	// Section: Secrets and registries

	// ClientKeySecret is a file (mode 0600 or stricter, at least 32 bytes)
	// holding the secret for the keyed hash of a client's BSN (the store
	// keeps the hash, never the BSN). Keep it apart from the store: whoever
	// has both can test BSNs against the hashes. Required by `sluis serve`;
	// with SLUIS_DEV_KEYS it defaults to DevClientKeySecret and is generated
	// (0600) when missing.
	ClientKeySecret string `env:"SLUIS_CLIENT_KEY_SECRET"`

	// Evidence archive (docs/archive.md).

	// ArchiveMasterKey is a file (mode 0600 or stricter) holding the master
	// key of the evidence archive: 32 random bytes, as 64 hex digits. It
	// wraps every client's data key; losing it makes the whole archive
	// unreadable. Required by `sluis serve`; with SLUIS_DEV_KEYS it defaults
	// to DevArchiveMasterKey and is generated when missing, never
	// overwritten.
	ArchiveMasterKey string `env:"SLUIS_ARCHIVE_MASTER_KEY"`

	// ProvidersFile is a JSON provider registry (see deploy/providers.json).
	// Required by `sluis serve` unless SLUIS_DEV_PROVIDERS is on. Every
	// provider's retour certificate is read and checked at start.
	ProvidersFile string `env:"SLUIS_PROVIDERS_FILE"`
	// DevProviders uses the embedded development registry of providers
	// (the two of the official examples) instead of SLUIS_PROVIDERS_FILE,
	// with a development key pair per provider in DevProvidersDir, generated
	// at start when missing (`sluis provider` signs its retours with it).
	// DEVELOPMENT ONLY; off by default, not together with
	// SLUIS_PROVIDERS_FILE. SLUIS_DEV=true turns it on when no
	// SLUIS_PROVIDERS_FILE is set.
	DevProviders bool `env:"SLUIS_DEV_PROVIDERS" envDefault:"false"`
	// DevProvidersDir holds a folder <AGB>/ per development provider with
	// its key pair.
	DevProvidersDir string `env:"SLUIS_DEV_PROVIDERS_DIR" envDefault:"var/dev/providers"`

	// ProfilesDir is a folder of purpose profiles (JSON, see
	// docs/minimisation.md) that replaces the embedded set; empty means the
	// embedded profiles.
	ProfilesDir string `env:"SLUIS_PROFILES_DIR"`

	// Section: Processing

	// Workers is how many intake messages are processed at once.
	Workers int `env:"SLUIS_WORKERS" envDefault:"32"`
	// Prefetch is the AMQP prefetch of each intake and consent consumer
	// (each provider's retour consumer takes 1, docs/broker.md).
	Prefetch int `env:"SLUIS_PREFETCH" envDefault:"4"`
	// IntakeBatchSize turns on batched passes over the intake
	// (docs/broker.md, "Batched intake"): 2 consumers on sluis.disclosures
	// each take up to this many messages at once (or what came within
	// SLUIS_INTAKE_BATCH_WAIT), screen, build and sign them concurrently
	// (at most SLUIS_WORKERS at a time), write each step of the batch in
	// one store transaction, publish its messages and status events with
	// one round of pipelined confirms and ack it with one multiple ack.
	// 0 (the default) takes intake messages one at a time, SLUIS_WORKERS
	// consumers. At most 1024.
	IntakeBatchSize int `env:"SLUIS_INTAKE_BATCH_SIZE" envDefault:"0"`
	// IntakeBatchWait is how long a batch waits, after its first message,
	// for more before it is processed with what it has; 1ms to 1s. Under a
	// backlog batches fill at once; below saturation every millisecond of
	// it adds to each message's latency (docs/performance.md, "Batched
	// passes": at 100/s a p99 of 28 ms with 1ms, 178 ms with 10ms).
	IntakeBatchWait time.Duration `env:"SLUIS_INTAKE_BATCH_WAIT" envDefault:"1ms"`
	// ConfirmTimeout bounds the wait for a broker confirm.
	ConfirmTimeout time.Duration `env:"SLUIS_CONFIRM_TIMEOUT" envDefault:"10s"`
	// StatusUnroutableSkip is how long sluis stops publishing the status
	// events of a routing key `<municipality>.<system>.<state>` after the
	// broker returned one as unroutable (no status queue bound for it);
	// then one event with the key is published again, which finds a queue
	// bound since. 0 publishes every event. At most 1h. See
	// docs/disclosure-contract.md, "States and status events".
	StatusUnroutableSkip time.Duration `env:"SLUIS_STATUS_UNROUTABLE_SKIP" envDefault:"30s"`
	// OverdueInterval is how often deliveries without a retour are checked
	// against the 3-working-day deadline (OP090), and providers' inbound
	// messages without an answer against theirs (docs/inbound.md).
	OverdueInterval time.Duration `env:"SLUIS_OVERDUE_INTERVAL" envDefault:"1m"`
	// LedgerVerifyInterval is how often the gateway verifies the ledger's
	// hash chain (the whole chain at start, then the entries added since);
	// see docs/operations.md, "Verifying the ledger". At least 1s.
	LedgerVerifyInterval time.Duration `env:"SLUIS_LEDGER_VERIFY_INTERVAL" envDefault:"1h"`
	// RetentionInterval is how often the retention job destroys what has
	// reached the end of its retention term (at start, then every
	// interval; each pass bounded) and measures what is held past it; see
	// docs/retention.md. At least 1m.
	RetentionInterval time.Duration `env:"SLUIS_RETENTION_INTERVAL" envDefault:"24h"`

	// Section: Operations

	// LogLevel is debug, info, warn or error.
	LogLevel string `env:"SLUIS_LOG_LEVEL" envDefault:"info"`
	// LogFormat is text (logfmt-style key=value lines) or json (one JSON
	// object per line); fields in docs/operations.md, "Logs".
	LogFormat string `env:"SLUIS_LOG_FORMAT" envDefault:"text"`
	// Pprof serves Go's runtime profiles under /debug/pprof/ on the admin
	// address (SLUIS_ADMIN_ADDR), for operators measuring a running gateway. Off by default:
	// profiles hold no message contents, but they are not for everyone who
	// can reach the intake.
	Pprof bool `env:"SLUIS_PPROF" envDefault:"false"`

	// Identity: the registry of systems, TLS, staff login (identity.go).
	Identity
}

// Load reads the configuration from the environment and validates it.
func Load() (Config, error) {
	return Parse(nil)
}

// Parse reads the configuration from vars (nil: the process environment) and
// validates it.
func Parse(vars map[string]string) (Config, error) {
	var c Config
	opts := env.Options{}
	lookup := os.LookupEnv
	if vars != nil {
		opts.Environment = vars
		lookup = func(name string) (string, bool) { v, ok := vars[name]; return v, ok }
	}
	if err := env.ParseWithOptions(&c, opts); err != nil {
		return Config{}, fmt.Errorf("%w: %s", ErrInvalid, strings.Join(describeParseError(err), "; "))
	}
	c.applyDevelopment(lookup)
	if err := c.Validate(); err != nil {
		return Config{}, err
	}
	return c, nil
}

// Validate checks the values and names the bad field.
func (c Config) Validate() error {
	bad := func(field, format string, args ...any) error {
		return fmt.Errorf("%w: %s: %s", ErrInvalid, field, fmt.Sprintf(format, args...))
	}
	u, err := url.Parse(c.AMQPURL)
	if err != nil || (u.Scheme != "amqp" && u.Scheme != "amqps") || u.Host == "" {
		return bad("SLUIS_AMQP_URL", "must be an amqp:// or amqps:// URL with a host")
	}
	if err := c.Broker.validate(u.Scheme, bad); err != nil {
		return err
	}
	if _, _, err := net.SplitHostPort(c.HTTPAddr); err != nil {
		return bad("SLUIS_HTTP_ADDR", "must be host:port")
	}
	if c.ConsoleAddr != "" {
		if _, _, err := net.SplitHostPort(c.ConsoleAddr); err != nil {
			return bad("SLUIS_CONSOLE_ADDR", "must be host:port, or empty for no console")
		}
		if !c.DevLogin {
			return bad("SLUIS_CONSOLE_ADDR", "the console logs staff in only with the development login (SLUIS_DEV_LOGIN=true) today; its identity-provider login is not built yet: leave SLUIS_CONSOLE_ADDR empty and use the API")
		}
	}
	switch c.Store {
	case "sqlite":
		if strings.TrimSpace(c.SQLitePath) == "" {
			return bad("SLUIS_SQLITE_PATH", "must name a file")
		}
	case "postgres":
		if !strings.HasPrefix(c.PostgresURL, "postgres://") && !strings.HasPrefix(c.PostgresURL, "postgresql://") {
			return bad("SLUIS_POSTGRES_URL", "must be a postgres:// URL when SLUIS_STORE=postgres")
		}
	default:
		return bad("SLUIS_STORE", "must be sqlite or postgres")
	}
	if err := c.validateSigning(); err != nil {
		return err
	}
	if c.DevProviders && c.ProvidersFile != "" {
		return bad("SLUIS_DEV_PROVIDERS", "not together with SLUIS_PROVIDERS_FILE: the development registry replaces it")
	}
	if c.DevProviders && strings.TrimSpace(c.DevProvidersDir) == "" {
		return bad("SLUIS_DEV_PROVIDERS_DIR", "must name a folder")
	}
	if c.Workers < 1 || c.Workers > 1024 {
		return bad("SLUIS_WORKERS", "must be between 1 and 1024")
	}
	if c.Prefetch < 1 || c.Prefetch > 10000 {
		return bad("SLUIS_PREFETCH", "must be between 1 and 10000")
	}
	if c.IntakeBatchSize < 0 || c.IntakeBatchSize > 1024 {
		return bad("SLUIS_INTAKE_BATCH_SIZE", "must be between 0 (no batches) and 1024")
	}
	if c.IntakeBatchWait < time.Millisecond || c.IntakeBatchWait > time.Second {
		return bad("SLUIS_INTAKE_BATCH_WAIT", "must be between 1ms and 1s")
	}
	if c.ConfirmTimeout < 100*time.Millisecond {
		return bad("SLUIS_CONFIRM_TIMEOUT", "must be at least 100ms")
	}
	if c.StatusUnroutableSkip < 0 || c.StatusUnroutableSkip > time.Hour {
		return bad("SLUIS_STATUS_UNROUTABLE_SKIP", "must be between 0 (publish every status event) and 1h")
	}
	if c.OverdueInterval < time.Second {
		return bad("SLUIS_OVERDUE_INTERVAL", "must be at least 1s")
	}
	if c.LedgerVerifyInterval < time.Second {
		return bad("SLUIS_LEDGER_VERIFY_INTERVAL", "must be at least 1s")
	}
	if c.RetentionInterval < time.Minute {
		return bad("SLUIS_RETENTION_INTERVAL", "must be at least 1m")
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		return bad("SLUIS_LOG_LEVEL", "must be debug, info, warn or error")
	}
	switch c.LogFormat {
	case "text", "json":
	default:
		return bad("SLUIS_LOG_FORMAT", "must be text or json")
	}
	if err := c.validateIdentity(bad); err != nil {
		return err
	}
	return c.validateHTTPServer(bad)
}

// describeParseError names the environment variable of each value that did
// not parse (the library names the Go field).
func describeParseError(err error) []string {
	var agg env.AggregateError
	if !errors.As(err, &agg) {
		return []string{err.Error()}
	}
	parts := make([]string, 0, len(agg.Errors))
	for _, e := range agg.Errors {
		var pe env.ParseError
		if errors.As(e, &pe) {
			if f, ok := reflect.TypeOf(Config{}).FieldByName(pe.Name); ok {
				parts = append(parts, fmt.Sprintf("%s: not a valid %s", f.Tag.Get("env"), pe.Type))
				continue
			}
		}
		parts = append(parts, e.Error())
	}
	return parts
}
