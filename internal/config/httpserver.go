package config

import (
	"net"
	"time"
)

// HTTPServer bounds the HTTP listeners (docs/security.md, "Listeners"):
// timeouts against slow clients, a connection limit, and the admin
// listener that serves /metrics, the probes and pprof away from the API.
// It is embedded in Config.
type HTTPServer struct {
	// AdminAddr is where /metrics, /healthz, /livez, /readyz and (with
	// SLUIS_PPROF) /debug/pprof/ listen, plain HTTP without
	// authentication: a loopback address unless SLUIS_ADMIN_ALLOW_REMOTE.
	AdminAddr string `env:"SLUIS_ADMIN_ADDR" envDefault:"127.0.0.1:9090"`
	// AdminAllowRemote allows a SLUIS_ADMIN_ADDR that is not loopback
	// (e.g. 0.0.0.0 in a pod, where a NetworkPolicy limits who reaches
	// it). Off by default.
	AdminAllowRemote bool `env:"SLUIS_ADMIN_ALLOW_REMOTE" envDefault:"false"`
	// HTTPReadHeaderTimeout bounds reading a request's headers (including
	// the TLS handshake).
	HTTPReadHeaderTimeout time.Duration `env:"SLUIS_HTTP_READ_HEADER_TIMEOUT" envDefault:"5s"`
	// HTTPReadTimeout bounds reading a whole request, body included.
	HTTPReadTimeout time.Duration `env:"SLUIS_HTTP_READ_TIMEOUT" envDefault:"30s"`
	// HTTPWriteTimeout bounds writing a response (from the end of the
	// request's headers).
	HTTPWriteTimeout time.Duration `env:"SLUIS_HTTP_WRITE_TIMEOUT" envDefault:"30s"`
	// HTTPIdleTimeout is how long a keep-alive connection may wait for its
	// next request.
	HTTPIdleTimeout time.Duration `env:"SLUIS_HTTP_IDLE_TIMEOUT" envDefault:"120s"`
	// HTTPMaxConnections is how many connections the API listener holds
	// open at once; further ones wait to be accepted.
	HTTPMaxConnections int `env:"SLUIS_HTTP_MAX_CONNECTIONS" envDefault:"1024"`
}

// validateHTTPServer checks the listener settings and names the bad one.
func (h HTTPServer) validateHTTPServer(bad func(field, format string, args ...any) error) error {
	host, _, err := net.SplitHostPort(h.AdminAddr)
	if err != nil {
		return bad("SLUIS_ADMIN_ADDR", "must be host:port")
	}
	if !h.AdminAllowRemote && !loopback(host) {
		return bad("SLUIS_ADMIN_ADDR", "must be a loopback address (127.0.0.1, ::1, localhost) unless SLUIS_ADMIN_ALLOW_REMOTE=true: the admin listener has no authentication")
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{
		{"SLUIS_HTTP_READ_HEADER_TIMEOUT", h.HTTPReadHeaderTimeout},
		{"SLUIS_HTTP_READ_TIMEOUT", h.HTTPReadTimeout},
		{"SLUIS_HTTP_WRITE_TIMEOUT", h.HTTPWriteTimeout},
		{"SLUIS_HTTP_IDLE_TIMEOUT", h.HTTPIdleTimeout},
	} {
		if d.v < 100*time.Millisecond {
			return bad(d.name, "must be at least 100ms")
		}
	}
	if h.HTTPMaxConnections < 1 {
		return bad("SLUIS_HTTP_MAX_CONNECTIONS", "must be at least 1")
	}
	return nil
}

// loopback reports whether host (of host:port) names only the local host.
func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
