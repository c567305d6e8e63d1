package app

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/sluis-gateway/sluis/adapters/amqp"
	"github.com/sluis-gateway/sluis/adapters/console"
	httpapi "github.com/sluis-gateway/sluis/adapters/http"
	"github.com/sluis-gateway/sluis/internal/breach"
	"github.com/sluis-gateway/sluis/internal/buildinfo"
	"github.com/sluis-gateway/sluis/internal/bus"
	"github.com/sluis-gateway/sluis/internal/casework"
	"github.com/sluis-gateway/sluis/internal/certexpiry"
	"github.com/sluis-gateway/sluis/internal/compose"
	"github.com/sluis-gateway/sluis/internal/config"
	"github.com/sluis-gateway/sluis/internal/disclosure"
	"github.com/sluis-gateway/sluis/internal/identity"
	"github.com/sluis-gateway/sluis/internal/inbound"
	"github.com/sluis-gateway/sluis/internal/ledger"
	"github.com/sluis-gateway/sluis/internal/overdue"
	"github.com/sluis-gateway/sluis/internal/pipeline"
	"github.com/sluis-gateway/sluis/internal/receipts"
	"github.com/sluis-gateway/sluis/internal/register"
	"github.com/sluis-gateway/sluis/internal/retention"
	"github.com/sluis-gateway/sluis/internal/retour"
	"github.com/sluis-gateway/sluis/internal/rights"
	"github.com/sluis-gateway/sluis/internal/screen"
	"github.com/sluis-gateway/sluis/xsd"
)

// Gateway is a running sluis.
type Gateway struct {
	Store    Store
	Registry *prometheus.Registry
	HTTPAddr string // the address the HTTP API listens on (TLS)
	// AdminAddr is the address of the admin listener (/metrics, probes).
	AdminAddr string
	// ConsoleAddr is the address of the staff console (TLS); empty
	// without one (SLUIS_CONSOLE_ADDR).
	ConsoleAddr string
	// Identity is who may call: the registry of systems, TLS, staff login.
	Identity *identity.Setup
	// Retention is the retention job (a background runner) and erasure
	// on request (docs/retention.md); tests call its Pass with a clock of
	// their own.
	Retention *retention.Service
	router    *message.Router
	pub       *amqp.Publisher
	// consumers is the one connection every consumer's channel is on.
	consumers *amqp.Consumers
	srv       *http.Server
	admin     *http.Server
	console   *http.Server
	xsd       *xsd.Validator
	done      chan error
	jobs      runners
	// closeSigner stops the SIGHUP reload and releases the key source.
	closeSigner func()
}

// Start wires and starts the gateway. Close it with Stop.
func Start(ctx context.Context, cfg config.Config, log *slog.Logger) (*Gateway, error) {
	if err := startChecks(cfg, log); err != nil {
		return nil, err
	}
	brokerURL, err := BrokerURL(cfg)
	if err != nil {
		return nil, err
	}
	cfg.AMQPURL = brokerURL // every connection below uses the TLS settings
	if err := CheckBroker(cfg.AMQPURL); err != nil {
		return nil, err
	}
	if err := checkTLSConfigured(cfg.Identity); err != nil {
		return nil, err
	}
	ids, err := identity.FromConfig(ctx, cfg.Identity, nil)
	if err != nil {
		return nil, err
	}
	reg, err := Registry(cfg)
	if err != nil {
		return nil, err
	}
	if err := DeclareTopology(cfg.AMQPURL, reg.AGBs(), ids.Systems.Receivers(), log); err != nil {
		return nil, err
	}
	g := &Gateway{Registry: prometheus.NewRegistry(), Identity: ids, done: make(chan error, 1), jobs: runners{log: log}}
	g.Registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		buildinfo.NewCollector()) // sluis_build_info{version,revision,goversion,...} 1
	ok := false
	defer func() {
		if !ok {
			g.Stop(context.Background())
		}
	}()

	if g.Store, err = OpenStore(ctx, cfg); err != nil {
		return nil, err // names the store
	}
	g.Registry.MustRegister(receipts.NewCollector(g.Store))
	signer, err := OpenSigner(cfg, log)
	if err != nil {
		return nil, err
	}
	stopHangup := ReloadOnHangup(signer, log)
	g.closeSigner = func() { stopHangup(); _ = signer.Close() }
	expiry, err := certexpiry.New(signer, reg, nil)
	if err != nil {
		return nil, err
	}
	if err := g.Registry.Register(expiry); err != nil {
		return nil, fmt.Errorf("certificate expiry metrics: %w", err)
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
	gatewayUser, err := BrokerUser(cfg)
	if err != nil {
		return nil, err
	}
	pm, err := amqp.NewPublisherMetrics(g.Registry)
	if err != nil {
		return nil, err
	}
	// The publisher's connection losses and reconnects stay at their level.
	if g.pub, err = amqp.NewPublisher(amqp.PublisherConfig{
		URL: cfg.AMQPURL, ConfirmTimeout: cfg.ConfirmTimeout, Route: amqp.Route, ConnectionName: "sluis-gateway",
		UserID: gatewayUser,
	}, watermill.NewSlogLogger(log), pm); err != nil {
		return nil, err
	}
	// Every status event goes through status; other topics pass through
	// it unchanged.
	status, err := bus.NewStatusSkipper(g.pub, cfg.StatusUnroutableSkip, nil, g.Registry)
	if err != nil {
		return nil, err
	}
	metrics, err := pipeline.NewMetrics(g.Registry, screen.Codes()...)
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
	evidence, err := OpenArchive(cfg, g.Store)
	if err != nil {
		return nil, err
	}
	inboundMetrics, err := inbound.NewMetrics(g.Registry)
	if err != nil {
		return nil, err
	}
	answers, err := inbound.NewAnswers(g.Store, status, inboundMetrics, log)
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
		Publisher:       status,
		Archive:         evidence,
		Answers:         answers,
		ClientKeySecret: secret,
		Logger:          log,
		Metrics:         metrics,
		Workers:         cfg.Workers,
	})
	if err != nil {
		return nil, err
	}

	consents, err := register.New(g.Store, p.ClientKey)
	if err != nil {
		return nil, err
	}
	consentHandler, err := register.NewHandler(consents, status,
		func(ctx context.Context, event string, detail map[string]string) error {
			_, err := g.Store.Append(ctx, "", event, detail)
			return err
		}, log)
	if err != nil {
		return nil, err
	}
	breachMetrics, err := breach.NewMetrics(g.Registry)
	if err != nil {
		return nil, err
	}
	breaches, err := breach.New(breach.Config{
		Store: g.Store, Ledger: g.Store, Receipts: g.Store, Metrics: breachMetrics, Logger: log,
	})
	if err != nil {
		return nil, err
	}
	signals := breach.NewSignals(breaches)
	retourMetrics, err := retour.NewMetrics(g.Registry)
	if err != nil {
		return nil, err
	}
	inbounds, err := inbound.New(inbound.Config{
		Store: g.Store, Certificates: reg, Receivers: ids.Systems, Validator: g.xsd, Sealer: signer,
		Publisher: status, Metrics: inboundMetrics, Logger: log,
	})
	if err != nil {
		return nil, err
	}

	auth, err := newPrincipals(ids.Systems, gatewayUser, func(ctx context.Context, event string, detail map[string]string) error {
		// Bounded like invalid requests: per broker user and hour.
		return g.Store.RecordInvalid(ctx, receipts.InvalidRequest{Reason: detail["reason"], Event: event, Detail: detail})
	}, g.Registry, log)
	if err != nil {
		return nil, err
	}
	if g.consumers, err = amqp.NewConsumers(cfg.AMQPURL, "sluis-consumers", quietLogger{watermill.NewSlogLogger(log)}); err != nil {
		return nil, err
	}
	intakeConsumers := cfg.Workers
	if cfg.IntakeBatchSize > 0 {
		intakeConsumers = 0 // the batch consumers below take the intake
	}
	hs := []handler{
		{name: "intake", queue: amqp.QueueDisclosures, consumers: intakeConsumers, handle: auth.wrap(amqp.QueueDisclosures, p.Handle),
			retries: retryMetric{"sluis_handler_retries_total", "Retries of an intake message after a transient failure."}},
		{name: "consents", queue: amqp.QueueConsents, consumers: 2, handle: auth.wrap(amqp.QueueConsents, consentHandler.Handle),
			retries: retryMetric{"sluis_consent_handler_retries_total", "Retries of a consent command after a transient failure."}},
	}
	rhs, err := retourHandlers(reg.AGBs(), func(agb string) (message.NoPublishHandlerFunc, error) {
		h, err := retour.New(retour.Config{
			Store: g.Store, Certificates: reg, Validator: g.xsd, Publisher: status, Metrics: retourMetrics, Logger: log,
			Source: amqp.RetourQueue(agb), Observer: signals,
		})
		if err != nil {
			return nil, err
		}
		return h.Handle, nil
	})
	if err != nil {
		return nil, err
	}
	hs = append(hs, rhs...)
	hs = append(hs, handler{name: "inbound", queue: amqp.QueueInbound, consumers: 2, handle: inbounds.Handle,
		retries: retryMetric{"sluis_inbound_handler_retries_total", "Retries of an inbound provider message after a transient failure."}})
	var routedBy map[string]routed
	if g.router, routedBy, err = newRouter(g.consumers, cfg.Prefetch, g.pub, g.Registry, quietLogger{watermill.NewSlogLogger(log)}, log, hs...); err != nil {
		return nil, err
	}
	var intake []job
	if cfg.IntakeBatchSize > 0 {
		batches := &intakeBatches{auth: auth, p: p, single: routedBy["intake"].chain, retries: routedBy["intake"].retries, log: log}
		intake = append(intake, job{name: "intake-batches", run: batchRunner{
			consumers: g.consumers, handle: batches.handle, logger: quietLogger{watermill.NewSlogLogger(log)},
			cfg: intakeBatchConfig(cfg.IntakeBatchSize, cfg.IntakeBatchWait, cfg.Prefetch),
		}})
	}

	scanner, err := overdue.New(overdue.Config{
		Store: g.Store, Publisher: status, Registerer: g.Registry, Interval: cfg.OverdueInterval, Logger: log,
	})
	if err != nil {
		return nil, err
	}
	deadlines, err := inbound.NewDeadlines(inbound.DeadlinesConfig{
		Store: g.Store, Publisher: status, Metrics: inboundMetrics, Interval: cfg.OverdueInterval, Logger: log,
	})
	if err != nil {
		return nil, err
	}
	ledgerCheck, err := ledger.NewVerifier(ledger.VerifierConfig{
		Reader: g.Store, Registerer: g.Registry, Interval: cfg.LedgerVerifyInterval, Logger: log,
	})
	if err != nil {
		return nil, err
	}
	followUps, err := casework.NewTracker(casework.TrackerConfig{
		Store: g.Store, Receipts: g.Store, Ledger: g.Store, Registerer: g.Registry, Logger: log,
	})
	if err != nil {
		return nil, err
	}
	retentionMetrics, err := retention.NewMetrics(g.Registry)
	if err != nil {
		return nil, err
	}
	if g.Retention, err = retention.New(retention.Config{
		Store: g.Store, Records: g.Store, Archive: g.Store, Ledger: g.Store, Redactor: g.Store, Metrics: retentionMetrics,
		Signals: signals, ClientKey: p.ClientKey, Interval: cfg.RetentionInterval, Logger: log,
	}); err != nil {
		return nil, err
	}
	// Background jobs: one line each.
	g.jobs.start(append(intake,
		job{name: "overdue", run: scanner},
		job{name: "inbound-deadlines", run: deadlines},
		job{name: "ledger-verify", run: ledgerCheck},
		job{name: "breach-register", run: breaches},
		job{name: "follow-ups", run: followUps},
		job{name: "retention", run: g.Retention},
	)...)

	api, err := httpapi.New(dec, g.pub, g.Store, ids.Systems, log)
	if err != nil {
		return nil, err
	}
	api.WithConsents(consentHandler).WithReviews(g.Store, g.Store, ids.Staff).WithBreaches(breaches, signals, ids.Staff).WithRegistrar(p, metrics)
	rightsAnswers, err := rights.New(rights.Config{Records: g.Store, Ledger: g.Store, Archive: evidence, Providers: reg, Glass: g.Store, ClientKey: p.ClientKey})
	if err != nil {
		return nil, err
	}
	work, err := casework.NewService(casework.Config{Store: g.Store, Receipts: g.Store, Ledger: g.Store, Archive: evidence, Publisher: status})
	if err != nil {
		return nil, err
	}
	api.WithRights(rightsAnswers, ids.Staff).WithErasure(g.Retention, ids.Staff).WithCasework(work, ids.Staff)
	httpMetrics, err := httpapi.NewMetrics(g.Registry)
	if err != nil {
		return nil, fmt.Errorf("http metrics: %w", err)
	}
	ln, err := listenAPI(cfg, ids.ServerTLS)
	if err != nil {
		return nil, err
	}
	g.HTTPAddr = ln.Addr().String()
	g.srv = newServer(cfg, httpMetrics.Instrument(api.Handler()), log)
	adminLn, err := net.Listen("tcp", cfg.AdminAddr)
	if err != nil {
		_ = ln.Close()
		return nil, fmt.Errorf("admin listen %s: %w", cfg.AdminAddr, err)
	}
	g.AdminAddr = adminLn.Addr().String()
	g.admin = newServer(cfg, httpapi.Admin{Gatherer: g.Registry, Ready: g.readyChecks(), Pprof: cfg.Pprof}.Handler(), log)
	g.admin.WriteTimeout = 0 // a CPU profile writes for as long as it was asked to
	if cfg.ConsoleAddr != "" {
		cons, err := console.New(console.Config{Staff: ids.Staff, DevLogin: ids.DevLogin != nil, Breaches: breaches,
			Casework: work, Rights: rightsAnswers, Ledger: g.Store, Receipts: g.Store, Logger: log})
		if err != nil {
			_, _ = ln.Close(), adminLn.Close()
			return nil, err
		}
		consoleLn, err := listenConsole(cfg, ids.ServerTLS)
		if err != nil {
			_, _ = ln.Close(), adminLn.Close()
			return nil, err
		}
		g.ConsoleAddr = consoleLn.Addr().String()
		g.console = newServer(cfg, cons.Handler(), log)
		serve(g.console, consoleLn, "console", log)
	}
	serve(g.srv, ln, "api", log)
	serve(g.admin, adminLn, "admin", log)
	go func() { g.done <- g.router.Run(context.Background()) }()
	select {
	case <-g.router.Running():
	case err := <-g.done:
		return nil, fmt.Errorf("router: %w", err)
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	log.Info("sluis gateway running", "http", g.HTTPAddr, "admin", g.AdminAddr, "console", g.ConsoleAddr, "store", cfg.Store,
		"broker", Redact(cfg.AMQPURL), "providers", len(reg.AGBs()), "workers", cfg.Workers,
		"intake_batch_size", cfg.IntakeBatchSize)
	ok = true
	return g, nil
}

// Stop shuts the gateway down: no new intake, background jobs stopped,
// in-flight work finished or left unacked for redelivery.
func (g *Gateway) Stop(ctx context.Context) {
	if g.srv != nil {
		_ = g.srv.Shutdown(ctx)
	}
	if g.admin != nil {
		_ = g.admin.Shutdown(ctx)
	}
	if g.console != nil {
		_ = g.console.Shutdown(ctx)
	}
	g.jobs.stop()
	if g.router != nil {
		_ = g.router.Close()
	}
	if g.consumers != nil {
		_ = g.consumers.Close()
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
	if g.closeSigner != nil {
		g.closeSigner()
		g.closeSigner = nil
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
