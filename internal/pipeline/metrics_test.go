package pipeline_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/sluis-gateway/sluis/internal/bus"
	"github.com/sluis-gateway/sluis/internal/disclosure"
	"github.com/sluis-gateway/sluis/internal/identity"
	"github.com/sluis-gateway/sluis/internal/pipeline"
	"github.com/sluis-gateway/sluis/internal/receipts"
	"github.com/sluis-gateway/sluis/internal/screen"
	"github.com/sluis-gateway/sluis/internal/signing"
)

// lockedBuffer is a log sink the pipeline's goroutine-safe logger writes to.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// lines are the JSON log lines written so far, decoded.
func (l *lockedBuffer) lines(t *testing.T) []map[string]any {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []map[string]any
	for _, s := range strings.Split(strings.TrimSpace(l.b.String()), "\n") {
		if s == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(s), &m); err != nil {
			t.Fatalf("log line %q is not JSON: %v", s, err)
		}
		out = append(out, m)
	}
	return out
}

// observed builds the pipeline on ps with its metrics on reg (refusal codes
// of the real screener) and JSON logs into logs.
func (ps *parts) observed(t *testing.T, reg *prometheus.Registry, logs *lockedBuffer) *pipeline.Pipeline {
	t.Helper()
	dec, err := disclosure.NewDecoder()
	if err != nil {
		t.Fatal(err)
	}
	m, err := pipeline.NewMetrics(reg, screen.Codes()...)
	if err != nil {
		t.Fatal(err)
	}
	p, err := pipeline.New(pipeline.Config{
		Decoder: dec, Store: ps.store, Screener: ps.screen, Composer: ps.comp, Validator: ps.val,
		Sealer: ps.seal, Publisher: ps.pub, Archive: ps.arch, ClientKeySecret: secret, Metrics: m,
		Logger: slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestReasonMetricsAndLogs: each refusal code and failure kind is counted
// under its own bounded label (unknown codes as other), a delivery observes
// received → delivered, and every log line of the pass carries the
// disclosure id, a refusal's line its codes and a failure's its code.
func TestReasonMetricsAndLogs(t *testing.T) {
	withCodes := func(codes ...string) pipeline.Screening {
		s := refused
		s.ReasonCodes = codes
		return s
	}
	consentOnly := identity.System{ID: "regsys-demo", Municipalities: []string{"0363"}, LegalBases: []string{identity.BasisConsent}}
	cases := []struct {
		name       string
		found      receipts.State
		set        func(*parts)
		sys        *identity.System
		body       []byte
		refusals   map[string]float64
		failures   map[string]float64
		delivered  int
		stateLine  map[string]string // fields of the last "disclosure state" line
		otherLines []string          // other messages expected
	}{
		{name: "delivered: one received → delivered observation", delivered: 1,
			stateLine: map[string]string{"state": "delivered"}},
		{name: "refused with two codes: each counted",
			set:       func(ps *parts) { ps.screen = &screener{out: withCodes("CONSENT_WITHDRAWN", "FREETEXT_BSN")} },
			refusals:  map[string]float64{"CONSENT_WITHDRAWN": 1, "FREETEXT_BSN": 1},
			stateLine: map[string]string{"state": "refused", "reason_codes": "CONSENT_WITHDRAWN,FREETEXT_BSN"}},
		{name: "a code outside the documented set counts as other",
			set:       func(ps *parts) { ps.screen = &screener{out: withCodes("999900006")} },
			refusals:  map[string]float64{"other": 1},
			stateLine: map[string]string{"state": "refused"}},
		{name: "no profile",
			set:       func(ps *parts) { ps.screen = &screener{out: withCodes(screen.CodeNoProfile)} },
			refusals:  map[string]float64{"NO_PROFILE": 1},
			stateLine: map[string]string{"state": "refused", "reason_codes": "NO_PROFILE"}},
		{name: "compose refuses: standard",
			set:       func(ps *parts) { ps.comp.err = errors.New("TR301: end before start") },
			failures:  map[string]float64{pipeline.FailureStandard: 1},
			stateLine: map[string]string{"state": "failed", "reason_code": "standard"}},
		{name: "the official XSD refuses: xsd",
			set:       func(ps *parts) { ps.val.err = errors.New("element Bsn: not valid") },
			failures:  map[string]float64{pipeline.FailureSchema: 1},
			stateLine: map[string]string{"state": "failed", "reason_code": "xsd"}},
		{name: "the envelope cannot carry it: envelope",
			set:       func(ps *parts) { ps.seal.err = fmt.Errorf("seal: %w: too many elements", signing.ErrInvalidBericht) },
			failures:  map[string]float64{pipeline.FailureEnvelope: 1},
			stateLine: map[string]string{"state": "failed", "reason_code": "envelope"}},
		{name: "no queue for the provider: not_connected",
			set:       func(ps *parts) { ps.pub.outboundErrs = []error{fmt.Errorf("%w: 312 NO_ROUTE", bus.ErrUnroutable)} },
			failures:  map[string]float64{pipeline.FailureNotConnected: 1},
			stateLine: map[string]string{"state": "failed", "reason_code": "not_connected"}},
		{name: "found published, refused now: stopped_while_sending", found: receipts.Published,
			set:       func(ps *parts) { ps.screen = &screener{out: refused} },
			failures:  map[string]float64{pipeline.FailureStoppedWhileSending: 1},
			stateLine: map[string]string{"state": "failed", "reason_code": "stopped_while_sending"}},
		{name: "intake refuses a basis its system may not use", sys: &consentOnly,
			refusals:   map[string]float64{pipeline.CodeBasisNotAllowed: 1},
			otherLines: []string{"disclosure request refused"}},
		{name: "invalid request: its line carries the id it names",
			body:       []byte(`{"version":1,"id":"` + exampleID + `","sender":{"municipality":"0363","system":"regsys-demo"}}`),
			otherLines: []string{"disclosure invalid"}},
		{name: "store fails: the error is returned, no line without the id", set: func(ps *parts) { ps.store.moveErr = errors.New("disk full") }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ps := newParts()
			if tc.set != nil {
				tc.set(ps)
			}
			body := tc.body
			if body == nil {
				body = exampleBody(t, nil)
			}
			if tc.found != "" {
				ps.store.seed(found(t, body, tc.found))
			}
			reg, logs := prometheus.NewRegistry(), &lockedBuffer{}
			msg := intake("intake-1", body)
			if tc.sys != nil {
				msg = message.NewMessage("intake-1", body)
				msg.SetContext(identity.WithSystem(msg.Context(), *tc.sys))
			}
			_ = handle(ps.observed(t, reg, logs), msg)

			for _, c := range append(screen.Codes(), pipeline.CodeSenderNotAllowed, pipeline.CodeBasisNotAllowed, pipeline.ReasonOther) {
				m, err := pipelineCounter(reg, "sluis_disclosure_refusals_total", c)
				if err != nil {
					t.Fatal(err)
				}
				if m != tc.refusals[c] {
					t.Errorf("refusals{reason=%q} = %v, want %v", c, m, tc.refusals[c])
				}
			}
			for _, c := range append(pipeline.FailureCodes, pipeline.ReasonOther) {
				m, err := pipelineCounter(reg, "sluis_disclosure_failures_total", c)
				if err != nil {
					t.Fatal(err)
				}
				if m != tc.failures[c] {
					t.Errorf("failures{reason=%q} = %v, want %v", c, m, tc.failures[c])
				}
			}
			if n := histogramCount(t, reg, "sluis_disclosure_received_to_delivered_seconds"); n != tc.delivered {
				t.Errorf("%d received → delivered observations, want %d", n, tc.delivered)
			}

			lines := logs.lines(t)
			var last map[string]any
			seen := map[string]bool{}
			for _, l := range lines {
				if l["disclosure_id"] != exampleID {
					t.Errorf("log line without the disclosure id: %v", l)
				}
				if l["msg"] == "disclosure state" {
					last = l
				}
				seen[fmt.Sprint(l["msg"])] = true
			}
			for k, v := range tc.stateLine {
				if last == nil || fmt.Sprint(last[k]) != v {
					t.Errorf("last state line %v, want %s=%s", last, k, v)
				}
			}
			for _, m := range tc.otherLines {
				if !seen[m] {
					t.Errorf("no line %q in %v", m, lines)
				}
			}
		})
	}
}

func pipelineCounter(reg *prometheus.Registry, name, reason string) (float64, error) {
	mfs, err := reg.Gather()
	if err != nil {
		return 0, err
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "reason" && l.GetValue() == reason {
					return m.GetCounter().GetValue(), nil
				}
			}
		}
	}
	return 0, fmt.Errorf("%s{reason=%q} is not exported", name, reason)
}

func histogramCount(t *testing.T, reg *prometheus.Registry, name string) int {
	t.Helper()
	if testutil.CollectAndCount(reg, name) != 1 {
		t.Fatalf("%s: not one series", name)
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name {
			return int(mf.GetMetric()[0].GetHistogram().GetSampleCount())
		}
	}
	return 0
}

func TestFailureCode(t *testing.T) {
	tests := []struct{ reason, want string }{
		{pipeline.ReasonNotConnected, pipeline.FailureNotConnected},
		{"does not meet the standard: TR301", pipeline.FailureStandard},
		{"composed message fails the official XSD: element Bsn", pipeline.FailureSchema},
		{"the signed envelope cannot carry this message: too deep", pipeline.FailureEnvelope},
		{pipeline.ReasonStoppedWhileSending + " Refused: withdrawn.", pipeline.FailureStoppedWhileSending},
		{"recipient not connected, and more", pipeline.ReasonOther},
		{"", pipeline.ReasonOther},
	}
	for _, tc := range tests {
		t.Run(tc.reason, func(t *testing.T) {
			if got := pipeline.FailureCode(tc.reason); got != tc.want {
				t.Errorf("FailureCode(%q) = %s, want %s", tc.reason, got, tc.want)
			}
		})
	}
}
