package bench

import (
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"
	"time"

	"github.com/sluis-gateway/sluis/internal/loadtest"
)

// ErrTargets is returned by Check when a target is missed.
var ErrTargets = errors.New("performance targets missed")

// CPURatio is the gateway's CPU per disclosure over one signature's CPU.
func (r Report) CPURatio() float64 {
	per := r.Throughput.CPUPerThousand() / 1000
	sig := r.Floor.PerSignature()
	if sig == 0 {
		return 0
	}
	return float64(per) / float64(sig)
}

// GatewayCPUWithoutSignature is the gateway's CPU per disclosure of the
// throughput run less one signature of its signer's floor.
func (r Report) GatewayCPUWithoutSignature() time.Duration {
	return r.Throughput.CPUPerThousand()/1000 - r.Floor.PerSignature()
}

// BrokerPublishes is RabbitMQ's CPU per disclosure of the throughput run
// in ceiling publishes (0: not measured).
func (r Report) BrokerPublishes() float64 {
	per := r.Ceiling.BrokerCPUPerMessage()
	if per == 0 {
		return 0
	}
	return float64(r.Throughput.PerThousand(r.Throughput.BrokerCPU)/1000) / float64(per)
}

// CeilingRatio is the gateway's throughput over the broker ceiling.
func (r Report) CeilingRatio() float64 {
	if r.Ceiling.Rate == 0 {
		return 0
	}
	return r.Throughput.Throughput / r.Ceiling.Rate
}

type target struct {
	name string
	ok   bool
	got  string
}

func (r Report) targets() []target {
	ts := []target{
		{fmt.Sprintf("≥ %.0f disclosures/s end to end (RSA-%d)", TargetThroughput, loadtest.KeyBits),
			r.Throughput.Throughput >= TargetThroughput, fmt.Sprintf("%.0f/s", r.Throughput.Throughput)},
		{fmt.Sprintf("broker CPU per disclosure ≤ %.0f ceiling publishes", TargetBrokerPublishes),
			r.BrokerPublishes() > 0 && r.BrokerPublishes() <= TargetBrokerPublishes, brokerPublishes(r.BrokerPublishes())},
		{fmt.Sprintf("gateway CPU per disclosure without the signature ≤ %s", ms(TargetGatewayCPU)),
			r.GatewayCPUWithoutSignature() <= TargetGatewayCPU, ms(r.GatewayCPUWithoutSignature())},
	}
	if r.Latency != nil {
		name := fmt.Sprintf("p99 < %s at %.0f/s offered", TargetP99, TargetRate)
		if r.Config.Rate != TargetRate {
			name = fmt.Sprintf("p99 < %s at %.0f/s offered (target is stated at %.0f/s)", TargetP99, r.Config.Rate, TargetRate)
		}
		ts = append(ts, target{name, r.Latency.Latency.P99 < TargetP99, r.Latency.Latency.P99.Round(time.Millisecond).String()})
	}
	ts = append(ts, target{fmt.Sprintf("peak RSS < %d MB", TargetPeakRSS>>20), r.PeakRSS < TargetPeakRSS, mb(r.PeakRSS)})
	return ts
}

// Check returns ErrTargets naming each missed target.
func (r Report) Check() error {
	var missed []string
	for _, t := range r.targets() {
		if !t.ok {
			missed = append(missed, t.name+" (got "+t.got+")")
		}
	}
	if len(missed) > 0 {
		return fmt.Errorf("%w: %s", ErrTargets, strings.Join(missed, "; "))
	}
	return nil
}

func brokerPublishes(n float64) string {
	if n == 0 {
		return "not measured"
	}
	return fmt.Sprintf("%.1f", n)
}

func mb(b int64) string { return fmt.Sprintf("%.1f MB", float64(b)/(1<<20)) }

func ms(d time.Duration) string {
	return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond))
}

func kb(b int) string { return fmt.Sprintf("%.1f KB", float64(b)/1024) }

func orDefault(n int, def string) string {
	if n <= 0 {
		return def
	}
	return fmt.Sprint(n)
}

// Write prints the report block.
func (r Report) Write(w io.Writer) error {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	c := r.Config
	p("sluis end-to-end benchmark, %s", r.Started.UTC().Format(reportTimeLayout))
	p("machine:  %d cores, %s, %s RAM, %s, %s", r.Machine.Cores, r.Machine.CPU, r.Machine.Memory, r.Machine.Kernel, r.Machine.Go)
	p("gateway:  %s serve as its own process; SQLite store; RSA-%d key, signer %s; %d providers; workers %s, prefetch %s; log level %s",
		c.Binary, loadtest.KeyBits, orDefaultS(c.Signer, SignerPEM), c.Providers, orDefault(c.Workers, "default"), orDefault(c.Prefetch, "default"), orDefaultS(c.LogLevel, "info"))
	if len(c.GatewayEnv) > 0 {
		p("          environment: %s", strings.Join(c.GatewayEnv, " "))
	}
	p("load:     realistic 301 requests (iWmo and iJw, 1-3 distinct products, address and phones), basis %s; mean request %s, mean signed message %s",
		c.Basis, kb(r.RequestAvg), kb(r.MessageAvg))
	if r.Consents > 0 {
		p("          %d single-share consents recorded in the register before the runs (one per disclosure)", r.Consents)
	}
	p("          the load process, RabbitMQ and the gateway share this machine")
	p("noise:    load average %.2f at the start, %.2f after the load runs", r.Machine.LoadStart, r.Machine.LoadEnd)
	if r.Machine.LoadStart > 0.5*float64(r.Machine.Cores) {
		p("          WARNING: the machine was busy before the run started; the figures are low")
	}
	p("")
	writeOutcome(p, fmt.Sprintf("throughput run: %d disclosures published as fast as the broker confirms (window 1024)", r.Throughput.Requests), r.Throughput, true)
	if r.Latency != nil {
		p("")
		writeOutcome(p, fmt.Sprintf("latency run: %.0f disclosures/s offered for %s (%d disclosures)", c.Rate, c.LatencyFor, r.Latency.Requests), *r.Latency, false)
		p("  offered rate achieved: %.0f/s", r.Latency.OfferedRate)
	}
	p("")
	p("gateway peak RSS (VmHWM, whole run): %s", mb(r.PeakRSS))
	p("")
	r.writePerDisclosure(p)
	if r.Ops != nil {
		p("")
		r.writeOps(p)
	}
	p("")
	r.writeSigners(p)
	p("")
	p("reference figures")
	p("  broker ceiling: %.0f msgs/s (plain amqp091, one channel, %d unconfirmed in flight, %d persistent %s messages to a quorum queue, %.1f s)",
		r.Ceiling.Rate, r.Ceiling.Window, r.Ceiling.Messages, kb(r.Ceiling.Size), r.Ceiling.Elapsed.Seconds())
	if per := r.Ceiling.BrokerCPUPerMessage(); per > 0 {
		p("                  RabbitMQ CPU %.3f ms per message there (a ceiling publish)", float64(per)/float64(time.Millisecond))
	}
	p("ratios")
	p("  gateway throughput / broker ceiling:        %.3f", r.CeilingRatio())
	p("  gateway CPU per disclosure / one signature: %.2f × (%s / %s, signer %s)", r.CPURatio(), ms(r.Throughput.CPUPerThousand()/1000), ms(r.Floor.PerSignature()), r.Floor.Signer)
	p("  signing floor on %d cores bounds throughput at %.0f/s", r.Machine.Cores, r.Floor.PerSecond*float64(r.Machine.Cores))
	p("")
	p("targets (issue 18: 2 cores, gateway, RabbitMQ and load co-located, RSA-%d)", loadtest.KeyBits)
	p("  %-64s %-14s %s", "target", "measured", "")
	for _, t := range r.targets() {
		mark := "met"
		if !t.ok {
			mark = "NOT met"
		}
		p("  %-64s %-14s %s", t.name, t.got, mark)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func orDefaultS(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// writeOutcome prints one phase; saturated says the gateway was busy all
// along, so CPU per disclosure bounds the rate.
func writeOutcome(p func(string, ...any), title string, o Outcome, saturated bool) {
	p("%s", title)
	states := make([]string, 0, len(o.Settled))
	for _, s := range o.SortedStates() {
		states = append(states, fmt.Sprintf("%s %d", s, o.Settled[s]))
	}
	p("  settled: %d of %d (%s)", o.settledTotal(), o.Requests, strings.Join(states, ", "))
	p("  throughput: %.0f disclosures/s (first publish to last broker confirm, %.1f s)", o.Throughput, o.LastSettled.Sub(o.FirstPublish).Seconds())
	l := o.Latency
	p("  latency intake publish → provider confirm (n=%d): p50 %s  p95 %s  p99 %s  max %s  mean %s",
		l.Count, ms(l.P50), ms(l.P95), ms(l.P99), ms(l.Max), ms(l.Mean))
	p("  gateway CPU: %.1f s = %.2f s per 1,000 disclosures", o.GatewayCPU.Seconds(), o.CPUPerThousand().Seconds())
	if o.BrokerCPU > 0 {
		total := o.PerThousand(o.GatewayCPU + o.BrokerCPU + o.LoadCPU)
		line := fmt.Sprintf("  RabbitMQ CPU: %.2f s, load process CPU: %.2f s per 1,000; all three: %.2f s per 1,000",
			o.PerThousand(o.BrokerCPU).Seconds(), o.PerThousand(o.LoadCPU).Seconds(), total.Seconds())
		if saturated {
			line += fmt.Sprintf(", i.e. at most %.0f/s on %d cores", float64(runtime.NumCPU())*1000/total.Seconds(), runtime.NumCPU())
		}
		p("%s", line)
	}
}

// writePerDisclosure prints the CPU each process spent per disclosure in
// the throughput run.
func (r Report) writePerDisclosure(p func(string, ...any)) {
	o := r.Throughput
	per := func(d time.Duration) time.Duration { return o.PerThousand(d) / 1000 }
	p("CPU per disclosure (throughput run)")
	p("  gateway:  %s; without one signature (%s, signer %s): %s", ms(per(o.GatewayCPU)), ms(r.Floor.PerSignature()), r.Floor.Signer, ms(r.GatewayCPUWithoutSignature()))
	if o.BrokerCPU > 0 {
		line := fmt.Sprintf("  RabbitMQ: %s", msf(per(o.BrokerCPU)))
		if n := r.BrokerPublishes(); n > 0 {
			line += fmt.Sprintf(" = %.1f ceiling publishes (%s each)", n, msf(r.Ceiling.BrokerCPUPerMessage()))
		}
		p("%s", line)
	} else {
		p("  RabbitMQ: not measured")
	}
	p("  load:     %s", msf(per(o.LoadCPU)))
}

// writeOps prints the broker operations per disclosure by kind.
func (r Report) writeOps(p func(string, ...any)) {
	o := *r.Ops
	p("broker operations per disclosure (operations run: %d disclosures as fast as the broker confirms, after %d warm-up; every method frame",
		o.Disclosures, r.Config.Warmup)
	p("  on the gateway's connections and on the load's, counted by proxies in front of the broker; a multiple ack or confirm is one)")
	p("  %-14s %8s %8s %8s  %s", "kind", "gateway", "load", "all", "by exchange")
	all := o.Gateway.Add(o.Load)
	for _, k := range opKinds {
		if all[k] == 0 && k != loadtest.OpPublish && k != loadtest.OpConfirm && k != loadtest.OpDeliver && k != loadtest.OpAck && k != loadtest.OpReturn {
			continue
		}
		detail := ""
		switch k {
		case loadtest.OpPublish, loadtest.OpReturn, loadtest.OpDeliver:
			var parts []string
			for _, side := range []struct {
				name string
				ops  loadtest.Ops
			}{{"gateway", o.Gateway}, {"load", o.Load}} {
				for _, c := range side.ops.ByExchange(k) {
					parts = append(parts, fmt.Sprintf("%s %s %.2f", side.name, c.Exchange, o.Per(c.N)))
				}
			}
			detail = strings.Join(parts, ", ")
		case loadtest.OpAck:
			if m := all[loadtest.OpAckMultiple]; m > 0 {
				detail = fmt.Sprintf("%.2f of them multiple", o.Per(m))
			}
		case loadtest.OpOther:
			var parts []string
			for _, m := range o.Gateway.Others() {
				parts = append(parts, fmt.Sprintf("%s %d", m, o.Gateway[loadtest.OpOther+" "+m]))
			}
			if len(parts) == 0 {
				parts = append(parts, "none")
			}
			detail = fmt.Sprintf("gateway in all: %s; load: %d (its own connection, channels and status queue)",
				strings.Join(parts, ", "), o.Load[loadtest.OpOther])
		}
		p("  %-14s %8.2f %8.2f %8.2f  %s", k, o.Per(o.Gateway[k]), o.Per(o.Load[k]), o.Per(all[k]), detail)
	}
	p("  %-14s %8s %8s %8.2f", "total", "", "", o.Per(o.BrokerOps()))
	if o.Outcome.Throughput > 0 {
		p("  (that run: %.0f disclosures/s through the proxies)", o.Outcome.Throughput)
	}
}

// writeSigners prints each signer's floor.
func (r Report) writeSigners(p func(string, ...any)) {
	p("signers (RSA-%d PKCS#1 v1.5 SHA-256 signatures of a digest, as goxmldsig asks a crypto.Signer)", loadtest.KeyBits)
	for _, f := range r.Floors {
		p("  %-7s %s", f.Signer, f.What)
		p("          one thread: %s of CPU per signature, %.0f/s per core (%d signatures, %.0f/s by wall clock)",
			msf(f.PerSignature()), f.PerSecond, f.Signatures, float64(f.Signatures)/f.Wall.Seconds())
		if f.ParallelSigned > 0 {
			p("          %d goroutines on %d cores: %.0f/s by wall clock, %s of process CPU per signature",
				f.Workers, r.Machine.Cores, f.ParallelRate, msf(f.ParallelCPUEach))
		}
	}
}

// msf prints a duration in milliseconds with three decimals.
func msf(d time.Duration) string {
	return fmt.Sprintf("%.3f ms", float64(d)/float64(time.Millisecond))
}
