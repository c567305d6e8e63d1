package http

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the API's request metrics. Labels hold the route pattern
// (never the raw path, so no id), the method (of a fixed set) and the
// status code.
type Metrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

// RouteUnmatched is the route label of a request no route matched.
const RouteUnmatched = "unmatched"

// NewMetrics registers the API's request metrics on reg.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sluis_http_requests_total",
			Help: "Requests to the HTTP API, by route pattern, method and status code.",
		}, []string{"route", "method", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "sluis_http_request_duration_seconds",
			Help:    "Time to answer a request to the HTTP API, by route pattern and method.",
			Buckets: []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30},
		}, []string{"route", "method"}),
	}
	for _, c := range []prometheus.Collector{m.requests, m.duration} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// Instrument counts and times every request h answers. The route is the
// pattern of the most specific route the request matched (recorded by the
// routers of Server.Handler), RouteUnmatched when none did.
func (m *Metrics) Instrument(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rt := &matched{}
		sw := &statusWriter{ResponseWriter: w}
		h.ServeHTTP(sw, r.WithContext(context.WithValue(r.Context(), routeKey{}, rt)))
		code := sw.code
		if code == 0 {
			code = http.StatusOK
		}
		name, method := rt.get(), methodLabel(r.Method)
		m.requests.WithLabelValues(name, method, strconv.Itoa(code)).Inc()
		m.duration.WithLabelValues(name, method).Observe(time.Since(start).Seconds())
	})
}

type routeKey struct{}

// matched holds the route pattern a request matched.
type matched struct {
	mu      sync.Mutex
	pattern string
}

func (r *matched) set(p string) {
	r.mu.Lock()
	r.pattern = p
	r.mu.Unlock()
}

// get is the pattern without its method ("POST /v1/disclosures" is
// "/v1/disclosures"), RouteUnmatched when none was matched.
func (r *matched) get() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	p := r.pattern
	if i := strings.IndexByte(p, ' '); i >= 0 {
		p = strings.TrimSpace(p[i+1:])
	}
	if p == "" {
		return RouteUnmatched
	}
	return p
}

// recordRoute records, for Instrument, the pattern of mux that r matches
// ("" when none), then hands r to next. Each router records in turn, so the
// innermost one's match is kept; a request refused before the inner router
// (authentication) keeps the route it asked for.
func recordRoute(mux *http.ServeMux, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if rt, ok := r.Context().Value(routeKey{}).(*matched); ok {
			_, p := mux.Handler(r)
			rt.set(p)
		}
		next.ServeHTTP(w, r)
	})
}

// methodLabel bounds the method label: a standard method, else "other".
func methodLabel(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions, http.MethodConnect, http.MethodTrace:
		return m
	}
	return "other"
}

// statusWriter remembers the status code written.
type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
