package http

import (
	"context"
	"net/http"
	"net/http/pprof"
	"slices"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/sluis-gateway/sluis/internal/problem"
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
// each with a JSON object of check name to "ok", else 503 as problem
// details carrying the same members ("fail: ..." for a failed check). A
// request no route takes is a 404 or 405 problem (problem.Fallback).
func (a Admin) Handler() http.Handler {
	mux := http.NewServeMux()
	for _, r := range a.routes() {
		mux.Handle(r.pattern, r.handler)
	}
	return problem.Fallback(mux)
}

// Patterns are the ServeMux patterns Handler routes (the admin paths of
// docs/api/openapi.json; a test walks them).
func (a Admin) Patterns() []string {
	var out []string
	for _, r := range a.routes() {
		out = append(out, r.pattern)
	}
	return out
}

func (a Admin) routes() []route {
	rs := []route{
		{"GET /metrics", promhttp.HandlerFor(a.Gatherer, promhttp.HandlerOpts{})},
		{"GET /livez", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			writeJSON(w, http.StatusOK, map[string]string{"process": "ok"})
		})},
		{"GET /readyz", http.HandlerFunc(a.ready)},
		{"GET /healthz", http.HandlerFunc(a.ready)},
	}
	if a.Pprof {
		rs = append(rs,
			route{"GET /debug/pprof/", http.HandlerFunc(pprof.Index)},
			route{"GET /debug/pprof/cmdline", http.HandlerFunc(pprof.Cmdline)},
			route{"GET /debug/pprof/profile", http.HandlerFunc(pprof.Profile)},
			route{"GET /debug/pprof/symbol", http.HandlerFunc(pprof.Symbol)},
			route{"GET /debug/pprof/trace", http.HandlerFunc(pprof.Trace)},
		)
	}
	return rs
}

func (a Admin) ready(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
	defer cancel()
	res := map[string]any{}
	var failed []string
	for name, check := range a.Ready {
		if err := check(ctx); err != nil {
			res[name] = "fail: " + err.Error()
			failed = append(failed, name)
		} else {
			res[name] = "ok"
		}
	}
	if len(failed) == 0 {
		writeJSON(w, http.StatusOK, res)
		return
	}
	slices.Sort(failed)
	problem.Write(w, problem.Problem{Status: http.StatusServiceUnavailable,
		Detail: "not ready: " + strings.Join(failed, ", ") + " failed", Extensions: res})
}
