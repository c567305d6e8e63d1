package http

import (
	"context"
	"net/http"
	"net/http/pprof"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Check is one health check; nil means healthy.
type Check func(ctx context.Context) error

// Admin is the admin listener's handler set: /metrics, the probes and,
// when enabled, pprof. It has no authentication; it listens on a loopback
// address unless configured otherwise (docs/security.md).
type Admin struct {
	// Gatherer serves /metrics.
	Gatherer prometheus.Gatherer
	// Ready are the readiness checks (/readyz, and /healthz which answers
	// the same): store reachable, broker connected, consumers running.
	Ready map[string]Check
	// Pprof serves Go's runtime profiles under /debug/pprof/.
	Pprof bool
}

// Handler returns the admin routes. /livez answers 200 while the process
// serves HTTP; /readyz and /healthz answer 200 when every check passes,
// else 503, each with a JSON object of check name to "ok" or "fail: ...".
func (a Admin) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(a.Gatherer, promhttp.HandlerOpts{}))
	mux.HandleFunc("GET /livez", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"process": "ok"})
	})
	mux.HandleFunc("GET /readyz", a.ready)
	mux.HandleFunc("GET /healthz", a.ready)
	if a.Pprof {
		mux.HandleFunc("GET /debug/pprof/", pprof.Index)
		mux.HandleFunc("GET /debug/pprof/cmdline", pprof.Cmdline)
		mux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("GET /debug/pprof/symbol", pprof.Symbol)
		mux.HandleFunc("GET /debug/pprof/trace", pprof.Trace)
	}
	return mux
}

func (a Admin) ready(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
	defer cancel()
	res := map[string]string{}
	code := http.StatusOK
	for name, check := range a.Ready {
		if err := check(ctx); err != nil {
			res[name] = "fail: " + err.Error()
			code = http.StatusServiceUnavailable
		} else {
			res[name] = "ok"
		}
	}
	writeJSON(w, code, res)
}
