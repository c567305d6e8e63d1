package http_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	httpapi "github.com/sluis-gateway/sluis/adapters/http"
	"github.com/sluis-gateway/sluis/internal/disclosure"
)

// TestRequestMetrics checks the labels of sluis_http_requests_total: the
// route pattern (no id), the method of a fixed set, the status code, also
// for requests refused before any handler (no client certificate).
func TestRequestMetrics(t *testing.T) {
	dec, err := disclosure.NewDecoder()
	if err != nil {
		t.Fatal(err)
	}
	s, _ := demoServer(t, dec)
	tests := []struct {
		name             string
		handler          http.Handler
		method, path     string
		route, wantMethd string
		code             string
	}{
		{"intake without a client certificate", s.Handler(), http.MethodPost, "/v1/disclosures", "/v1/disclosures", "POST", "401"},
		{"receipt without a client certificate: the pattern, not the id", s.Handler(), http.MethodGet, "/v1/disclosures/6f1c0c1e-0000-4000-8000-000000000001", "/v1/disclosures/{id}", "GET", "401"},
		{"review list not enabled: no such route", s.Handler(), http.MethodGet, "/v1/reviews", httpapi.RouteUnmatched, "GET", "404"},
		{"unknown path of an authenticated system", asDemo(t, dec), http.MethodGet, "/v1/secret/999900006", httpapi.RouteUnmatched, "GET", "404"},
		{"unknown receipt of an authenticated system", asDemo(t, dec), http.MethodGet, "/v1/disclosures/someone-elses", "/v1/disclosures/{id}", "GET", "404"},
		{"wrong method", asDemo(t, dec), http.MethodDelete, "/v1/disclosures", httpapi.RouteUnmatched, "DELETE", "405"},
		{"a made-up method is other", asDemo(t, dec), "BREW", "/v1/disclosures", httpapi.RouteUnmatched, "other", "405"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			reg := prometheus.NewRegistry()
			m, err := httpapi.NewMetrics(reg)
			if err != nil {
				t.Fatal(err)
			}
			w := httptest.NewRecorder()
			m.Instrument(tc.handler).ServeHTTP(w, httptest.NewRequest(tc.method, tc.path, nil))
			if got := strings.TrimSpace(w.Result().Status[:3]); got != tc.code {
				t.Fatalf("status %s, want %s", got, tc.code)
			}
			want := `
# HELP sluis_http_requests_total Requests to the HTTP API, by route pattern, method and status code.
# TYPE sluis_http_requests_total counter
sluis_http_requests_total{code="` + tc.code + `",method="` + tc.wantMethd + `",route="` + tc.route + `"} 1
`
			if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "sluis_http_requests_total"); err != nil {
				t.Error(err)
			}
			if n := testutil.CollectAndCount(reg, "sluis_http_request_duration_seconds"); n != 1 {
				t.Errorf("%d duration series, want 1", n)
			}
		})
	}
}
