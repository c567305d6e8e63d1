package app

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"

	httpapi "github.com/sluis-gateway/sluis/adapters/http"
	"github.com/sluis-gateway/sluis/internal/config"
)

// ErrNoTLS is the refusal to start the HTTP API without mutual TLS: there
// is no plaintext API.
var ErrNoTLS = errors.New("SLUIS_TLS_CLIENT_CA, SLUIS_TLS_CERT, SLUIS_TLS_KEY: not configured: the HTTP API serves only mutual TLS (SLUIS_DEV_CA=true for development)")

// checkTLSConfigured refuses a configuration without TLS for the API.
func checkTLSConfigured(c config.Identity) error {
	if c.DevCA || (c.TLSClientCA != "" && c.TLSCert != "" && c.TLSKey != "") {
		return nil
	}
	return ErrNoTLS
}

// listenAPI listens on SLUIS_HTTP_ADDR with TLS (client certificates
// required and verified, tc) and at most SLUIS_HTTP_MAX_CONNECTIONS
// connections at once.
func listenAPI(cfg config.Config, tc *tls.Config) (net.Listener, error) {
	ln, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		return nil, fmt.Errorf("http listen %s: %w", cfg.HTTPAddr, err)
	}
	return tls.NewListener(limitListener(ln, cfg.HTTPMaxConnections), tc), nil
}

// listenConsole listens on SLUIS_CONSOLE_ADDR with TLS: the API's server
// certificate, no client certificates (staff log in with a token; browsers
// hold no sluis client certificate), at most SLUIS_HTTP_MAX_CONNECTIONS
// connections at once.
func listenConsole(cfg config.Config, api *tls.Config) (net.Listener, error) {
	tc := api.Clone()
	tc.ClientAuth, tc.ClientCAs = tls.NoClientCert, nil
	ln, err := net.Listen("tcp", cfg.ConsoleAddr)
	if err != nil {
		return nil, fmt.Errorf("console listen %s: %w", cfg.ConsoleAddr, err)
	}
	return tls.NewListener(limitListener(ln, cfg.HTTPMaxConnections), tc), nil
}

// newServer is an http.Server with the configured timeouts.
func newServer(cfg config.Config, h http.Handler, log *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: cfg.HTTPReadHeaderTimeout,
		ReadTimeout:       cfg.HTTPReadTimeout,
		WriteTimeout:      cfg.HTTPWriteTimeout,
		IdleTimeout:       cfg.HTTPIdleTimeout,
		// Handshake failures (no or a foreign client certificate) are the
		// caller's; they are logged at debug level, without the peer's data.
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelDebug),
	}
}

// serve runs srv on ln until it is shut down.
func serve(srv *http.Server, ln net.Listener, name string, log *slog.Logger) {
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("http server", "listener", name, "err", err)
		}
	}()
}

// limitListener accepts at most n connections at once: Accept waits for a
// held connection to close (golang.org/x/net/netutil.LimitListener, which
// this module does not otherwise need).
func limitListener(l net.Listener, n int) net.Listener {
	return &limited{Listener: l, sem: make(chan struct{}, n), done: make(chan struct{})}
}

type limited struct {
	net.Listener
	sem       chan struct{}
	done      chan struct{}
	closeOnce sync.Once
}

func (l *limited) Accept() (net.Conn, error) {
	select {
	case l.sem <- struct{}{}:
	case <-l.done:
		return nil, net.ErrClosed
	}
	c, err := l.Listener.Accept()
	if err != nil {
		<-l.sem
		return nil, err
	}
	return &limitedConn{Conn: c, release: func() { <-l.sem }}, nil
}

func (l *limited) Close() error {
	err := l.Listener.Close()
	l.closeOnce.Do(func() { close(l.done) })
	return err
}

type limitedConn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *limitedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.release)
	return err
}

// readyChecks are the admin listener's readiness checks, none of which
// dials: the store answers a ping, the gateway's publisher holds a live
// broker connection, the router's consumers run on a live consumer
// connection.
func (g *Gateway) readyChecks() map[string]httpapi.Check {
	return map[string]httpapi.Check{
		"store": g.Store.Ping,
		"broker": func(context.Context) error {
			if !g.pub.Connected() {
				return errors.New("publisher not connected to the broker")
			}
			return nil
		},
		"consumers": func(context.Context) error {
			if !g.router.IsRunning() || g.router.IsClosed() {
				return errors.New("router not running")
			}
			if !g.consumers.Connected() {
				return errors.New("consumer connection to the broker lost")
			}
			return nil
		},
	}
}
