// Package app wires sluis together: configuration in, a running gateway out.
// All wiring is explicit here; nothing registers itself.
package app

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/message/router/middleware"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/sluis-gateway/sluis/adapters/amqp"
	httpapi "github.com/sluis-gateway/sluis/adapters/http"
	"github.com/sluis-gateway/sluis/adapters/store/postgres"
	"github.com/sluis-gateway/sluis/adapters/store/sqlite"
	"github.com/sluis-gateway/sluis/internal/compose"
	"github.com/sluis-gateway/sluis/internal/config"
	"github.com/sluis-gateway/sluis/internal/disclosure"
	"github.com/sluis-gateway/sluis/internal/ledger"
	"github.com/sluis-gateway/sluis/internal/minimise"
	"github.com/sluis-gateway/sluis/internal/overdue"
	"github.com/sluis-gateway/sluis/internal/pipeline"
	"github.com/sluis-gateway/sluis/internal/provider"
	"github.com/sluis-gateway/sluis/internal/receipts"
	"github.com/sluis-gateway/sluis/internal/register"
	"github.com/sluis-gateway/sluis/internal/retour"
	"github.com/sluis-gateway/sluis/internal/screen"
	"github.com/sluis-gateway/sluis/internal/signing"
	"github.com/sluis-gateway/sluis/xsd"
)

// Store is everything the gateway needs of its store.
type Store interface {
	receipts.Store
	ledger.Reader
	ledger.Appender
	screen.Store
	register.Store
	Ping(ctx context.Context) error
	Close() error
}

// OpenStore opens the configured store.
func OpenStore(ctx context.Context, cfg config.Config) (Store, error) {
	switch cfg.Store {
	case "postgres":
		return postgres.Open(ctx, cfg.PostgresURL)
	default:
		if err := os.MkdirAll(filepath.Dir(cfg.SQLitePath), 0o700); err != nil {
			return nil, fmt.Errorf("store directory: %w", err)
		}
		return sqlite.Open(ctx, cfg.SQLitePath)
	}
}

// Redact hides the password of a URL for messages.
func Redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparseable URL)"
	}
	return u.Redacted()
}

// Route maps the gateway's topics to exchanges and routing keys.
func Route(topic string, msg *message.Message) (string, string, error) {
	switch topic {
	case pipeline.TopicOutbound:
		agb := msg.Metadata.Get("agb")
		if !amqp.ValidAGB(agb) {
			return "", "", fmt.Errorf("outbound message without a valid agb")
		}
		return amqp.ExchangeOutbound, agb, nil
	case pipeline.TopicStatus:
		return amqp.ExchangeStatus, msg.Metadata.Get("routing_key"), nil
	case TopicIntake:
		return amqp.ExchangeIntake, amqp.KeyDisclosure, nil
	case TopicConsents:
		return amqp.ExchangeIntake, amqp.KeyConsent, nil
	case retour.TopicDead:
		return amqp.ExchangeDead, "", nil
	}
	return "", "", fmt.Errorf("unknown topic %q", topic)
}

// Topics of the registration systems' side: where the HTTP intake and
// `sluis send` put disclosure requests and consent commands.
const (
	TopicIntake   = "intake"
	TopicConsents = "consents"
)

// Publisher adapts the AMQP publisher's errors to the pipeline's.
type Publisher struct{ *amqp.Publisher }

// PublishContext implements pipeline.Publisher.
func (p Publisher) PublishContext(ctx context.Context, topic string, msgs ...*message.Message) []error {
	errs := p.Publisher.PublishContext(ctx, topic, msgs...)
	for i, err := range errs {
		if errors.Is(err, amqp.ErrUnroutable) {
			errs[i] = fmt.Errorf("%w: %w", pipeline.ErrUnroutable, err)
		}
	}
	return errs
}

// Enqueue implements the HTTP intake: a confirmed publish to the intake queue.
func (p Publisher) Enqueue(ctx context.Context, id string, body []byte) error {
	m := message.NewMessage("intake-"+id, body)
	m.Metadata.Set("content_type", "application/json")
	return p.Publisher.PublishContext(ctx, TopicIntake, m)[0]
}

// LoadSigner loads the signing key, generating a development pair first when
// allowed and missing.
func LoadSigner(cfg config.Config, log *slog.Logger) (*signing.Signer, error) {
	if cfg.DevKeys {
		if missing(cfg.SigningKey) || missing(cfg.SigningCert) {
			dir := filepath.Dir(cfg.SigningKey)
			key, cert, err := signing.GenerateDevelopment(dir, "sluis")
			if err != nil {
				return nil, fmt.Errorf("development keys: %w", err)
			}
			if key != cfg.SigningKey || cert != cfg.SigningCert {
				if err := os.Rename(key, cfg.SigningKey); err != nil {
					return nil, err
				}
				if err := os.Rename(cert, cfg.SigningCert); err != nil {
					return nil, err
				}
			}
			log.Warn("generated a DEVELOPMENT signing key and self-signed certificate; not for production",
				"key", cfg.SigningKey, "cert", cfg.SigningCert)
		}
	}
	s, err := signing.LoadSigner(cfg.SigningKey, cfg.SigningCert)
	if err != nil {
		return nil, fmt.Errorf("signing key: %w", err)
	}
	return s, nil
}

// LoadClientKeySecret reads (or, with development keys, creates) the secret
// that keys the BSN hash.
func LoadClientKeySecret(cfg config.Config) ([]byte, error) {
	if cfg.DevKeys && missing(cfg.ClientKeySecret) {
		if err := os.MkdirAll(filepath.Dir(cfg.ClientKeySecret), 0o700); err != nil {
			return nil, err
		}
		buf := make([]byte, 32)
		if _, err := io.ReadFull(rand.Reader, buf); err != nil {
			return nil, err
		}
		if err := os.WriteFile(cfg.ClientKeySecret, []byte(hex.EncodeToString(buf)+"\n"), 0o600); err != nil {
			return nil, err
		}
	}
	b, err := os.ReadFile(cfg.ClientKeySecret)
	if err != nil {
		return nil, fmt.Errorf("client key secret: %w", err)
	}
	secret := []byte(strings.TrimSpace(string(b)))
	if len(secret) < 32 {
		return nil, fmt.Errorf("client key secret %s: must be at least 32 bytes", cfg.ClientKeySecret)
	}
	return secret, nil
}

func missing(path string) bool {
	_, err := os.Stat(path)
	return errors.Is(err, os.ErrNotExist)
}

// Registry loads the configured provider registry.
func Registry(cfg config.Config) (*provider.Registry, error) {
	if cfg.ProvidersFile == "" {
		return provider.Development(), nil
	}
	return provider.Load(cfg.ProvidersFile)
}

// Profiles loads the purpose profiles: the configured folder, or the
// embedded set.
func Profiles(cfg config.Config) (*minimise.Profiles, error) {
	if cfg.ProfilesDir != "" {
		return minimise.Load(cfg.ProfilesDir)
	}
	return minimise.Embedded()
}

// quietLogger turns watermill's per-handler Info lines (dozens at start)
// into Debug; errors and warnings stay.
type quietLogger struct{ watermill.LoggerAdapter }

func (l quietLogger) Info(msg string, fields watermill.LogFields) { l.LoggerAdapter.Debug(msg, fields) }

func (l quietLogger) With(fields watermill.LogFields) watermill.LoggerAdapter {
	return quietLogger{l.LoggerAdapter.With(fields)}
}

// Gateway is a running sluis.
type Gateway struct {
	Store    Store
	Registry *prometheus.Registry
	HTTPAddr string // the address the HTTP server listens on
	router   *message.Router
	pub      *amqp.Publisher
	srv      *http.Server
	xsd      *xsd.Validator
	done     chan error
	stopScan context.CancelFunc
	scanDone chan error
}

// Start wires and starts the gateway. Close it with Stop.
func Start(ctx context.Context, cfg config.Config, log *slog.Logger) (*Gateway, error) {
	brokerURL, err := BrokerURL(cfg)
	if err != nil {
		return nil, err
	}
	cfg.AMQPURL = brokerURL // every connection below uses the TLS settings
	if err := CheckBroker(cfg.AMQPURL); err != nil {
		return nil, err
	}
	reg, err := Registry(cfg)
	if err != nil {
		return nil, err
	}
	if err := DeclareTopology(cfg.AMQPURL, reg.AGBs()); err != nil {
		return nil, err
	}
	g := &Gateway{Registry: prometheus.NewRegistry(), done: make(chan error, 1)}
	g.Registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	ok := false
	defer func() {
		if !ok {
			g.Stop(context.Background())
		}
	}()

	if g.Store, err = OpenStore(ctx, cfg); err != nil {
		return nil, fmt.Errorf("open %s store: %w", cfg.Store, err)
	}
	g.Registry.MustRegister(receipts.NewCollector(g.Store))
	signer, err := LoadSigner(cfg, log)
	if err != nil {
		return nil, err
	}
	secret, err := LoadClientKeySecret(cfg)
	if err != nil {
		return nil, err
	}
	if g.xsd, err = xsd.NewValidator(); err != nil {
		return nil, fmt.Errorf("xsd: %w", err)
	}
	dec, err := disclosure.NewDecoder()
	if err != nil {
		return nil, err
	}
	wlog := quietLogger{watermill.NewSlogLogger(log)}
	pm, err := amqp.NewPublisherMetrics(g.Registry)
	if err != nil {
		return nil, err
	}
	// The publisher's connection losses and reconnects stay at their level.
	if g.pub, err = amqp.NewPublisher(amqp.PublisherConfig{
		URL: cfg.AMQPURL, ConfirmTimeout: cfg.ConfirmTimeout, Route: Route, ConnectionName: "sluis-gateway",
	}, watermill.NewSlogLogger(log), pm); err != nil {
		return nil, err
	}
	pub := Publisher{g.pub}
	metrics, err := pipeline.NewMetrics(g.Registry)
	if err != nil {
		return nil, err
	}
	profiles, err := Profiles(cfg)
	if err != nil {
		return nil, err
	}
	screener, err := screen.New(g.Store, profiles)
	if err != nil {
		return nil, err
	}
	p, err := pipeline.New(pipeline.Config{
		Decoder:         dec,
		Store:           g.Store,
		Screener:        screener,
		Composer:        compose.New(),
		Validator:       g.xsd,
		Sealer:          signer,
		Publisher:       pub,
		ClientKeySecret: secret,
		Logger:          log,
		Metrics:         metrics,
	})
	if err != nil {
		return nil, err
	}

	consents, err := register.New(g.Store, p.ClientKey)
	if err != nil {
		return nil, err
	}
	consentHandler, err := register.NewHandler(consents, pub, pipeline.ErrUnroutable,
		func(ctx context.Context, event string, detail map[string]string) error {
			_, err := g.Store.Append(ctx, "", event, detail)
			return err
		}, log)
	if err != nil {
		return nil, err
	}

	if g.router, err = message.NewRouter(message.RouterConfig{CloseTimeout: 15 * time.Second}, wlog); err != nil {
		return nil, err
	}
	g.router.AddMiddleware(
		middleware.Recoverer,
		middleware.Retry{
			MaxRetries:      5,
			InitialInterval: 200 * time.Millisecond,
			MaxInterval:     5 * time.Second,
			Multiplier:      2,
			OnRetryHook:     func(int, time.Duration) { metrics.Retries.Inc() },
			Logger:          wlog,
		}.Middleware,
	)
	for i := 0; i < cfg.Workers; i++ {
		sub, err := amqp.NewSubscriber(cfg.AMQPURL, amqp.QueueDisclosures, cfg.Prefetch, wlog)
		if err != nil {
			return nil, fmt.Errorf("intake subscriber: %w", err)
		}
		g.router.AddConsumerHandler(fmt.Sprintf("intake-%d", i), amqp.QueueDisclosures, sub, p.Handle)
	}

	for i := 0; i < 2; i++ {
		sub, err := amqp.NewSubscriber(cfg.AMQPURL, amqp.QueueConsents, cfg.Prefetch, wlog)
		if err != nil {
			return nil, fmt.Errorf("consent subscriber: %w", err)
		}
		g.router.AddConsumerHandler(fmt.Sprintf("consents-%d", i), amqp.QueueConsents, sub, consentHandler.Handle)
	}

	retourMetrics, err := retour.NewMetrics(g.Registry)
	if err != nil {
		return nil, err
	}
	retours, err := retour.New(retour.Config{
		Store: g.Store, Certificates: reg, Validator: g.xsd, Publisher: pub, Metrics: retourMetrics, Logger: log,
	})
	if err != nil {
		return nil, err
	}
	for i := 0; i < 2; i++ {
		sub, err := amqp.NewSubscriber(cfg.AMQPURL, amqp.QueueRetours, cfg.Prefetch, wlog)
		if err != nil {
			return nil, fmt.Errorf("retour subscriber: %w", err)
		}
		g.router.AddConsumerHandler(fmt.Sprintf("retours-%d", i), amqp.QueueRetours, sub, retours.Handle)
	}
	scanner, err := overdue.New(overdue.Config{
		Store: g.Store, Publisher: pub, Registerer: g.Registry, Interval: cfg.OverdueInterval, Logger: log,
	})
	if err != nil {
		return nil, err
	}
	scanCtx, stopScan := context.WithCancel(context.Background())
	g.stopScan, g.scanDone = stopScan, make(chan error, 1)
	go func() { g.scanDone <- scanner.Run(scanCtx) }()

	api, err := httpapi.New(dec, pub, g.Store, g.Registry, map[string]httpapi.Check{
		"store":  g.Store.Ping,
		"broker": func(context.Context) error { return CheckBroker(cfg.AMQPURL) },
	}, log)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		return nil, fmt.Errorf("http listen %s: %w", cfg.HTTPAddr, err)
	}
	g.HTTPAddr = ln.Addr().String()
	api.WithConsents(consentHandler).WithReviews(g.Store).WithPprof(cfg.Pprof)
	g.srv = &http.Server{Handler: api.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := g.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("http server", "err", err)
		}
	}()
	go func() { g.done <- g.router.Run(context.Background()) }()
	select {
	case <-g.router.Running():
	case err := <-g.done:
		return nil, fmt.Errorf("router: %w", err)
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	log.Info("sluis gateway running", "http", g.HTTPAddr, "store", cfg.Store,
		"broker", Redact(cfg.AMQPURL), "providers", len(reg.AGBs()), "workers", cfg.Workers)
	ok = true
	return g, nil
}

// Stop shuts the gateway down: no new intake, in-flight work finished or
// left unacked for redelivery.
func (g *Gateway) Stop(ctx context.Context) {
	if g.srv != nil {
		_ = g.srv.Shutdown(ctx)
	}
	if g.stopScan != nil {
		g.stopScan()
		<-g.scanDone
		g.stopScan = nil // Stop may be called twice
	}
	if g.router != nil {
		_ = g.router.Close()
	}
	if g.pub != nil {
		_ = g.pub.Close()
	}
	if g.Store != nil {
		_ = g.Store.Close()
	}
	if g.xsd != nil {
		g.xsd.Close()
	}
}

// Run starts the gateway and blocks until ctx ends.
func Run(ctx context.Context, cfg config.Config, log *slog.Logger) error {
	g, err := Start(ctx, cfg, log)
	if err != nil {
		return err
	}
	select {
	case <-ctx.Done():
	case err := <-g.done:
		if err != nil {
			log.Error("router stopped", "err", err)
		}
	}
	log.Info("sluis gateway stopping")
	sctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	g.Stop(sctx)
	return nil
}
