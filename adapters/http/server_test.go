package http_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	httpapi "github.com/sluis-gateway/sluis/adapters/http"
	"github.com/sluis-gateway/sluis/internal/disclosure"
	"github.com/sluis-gateway/sluis/internal/receipts"
)

// nowhere is an intake and receipts store that is never reached: these
// tests only ask which routes exist.
type nowhere struct{}

func (nowhere) Enqueue(context.Context, string, []byte) error { return nil }
func (nowhere) Get(context.Context, string) (receipts.Record, error) {
	return receipts.Record{}, receipts.ErrNotFound
}
func (nowhere) RecordInvalid(context.Context, receipts.InvalidRequest) error { return nil }

func TestPprofOnlyWhenEnabled(t *testing.T) {
	dec, err := disclosure.NewDecoder()
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		on   bool
		want int
	}{
		{"off by default", false, http.StatusNotFound},
		{"on when asked", true, http.StatusOK},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, err := httpapi.New(dec, nowhere{}, nowhere{}, prometheus.NewRegistry(), nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			h := s.WithPprof(c.on).Handler()
			for _, path := range []string{"/debug/pprof/", "/debug/pprof/cmdline"} {
				rr := httptest.NewRecorder()
				h.ServeHTTP(rr, httptest.NewRequest(http.MethodGet, path, nil))
				if rr.Code != c.want {
					t.Errorf("GET %s: %d, want %d", path, rr.Code, c.want)
				}
			}
		})
	}
}
