package bench

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sort"
	"sync/atomic"
	"time"

	amqp091 "github.com/rabbitmq/amqp091-go"

	"github.com/sluis-gateway/sluis/adapters/amqp"
	"github.com/sluis-gateway/sluis/internal/bus"
	"github.com/sluis-gateway/sluis/internal/loadtest"
	"github.com/sluis-gateway/sluis/internal/receipts"
)

// ErrIncomplete is returned when not every request settled in time.
var ErrIncomplete = errors.New("load run incomplete")

// ConsentStates are the answers to a consent command.
var ConsentStates = []string{"consent_applied", "consent_invalid", "consent_refused"}

// LoadConfig is one load phase.
type LoadConfig struct {
	// AMQPURL is the broker vhost the gateway runs in.
	AMQPURL string
	// Items are published to exchange sluis.intake with routing key Key
	// (default "disclosure").
	Items []loadtest.Item
	Key   string
	// States are the status event states that settle an item (default:
	// delivered, failed, refused, invalid). An event's item is its
	// disclosure_id, or its command_id when it has none.
	States []string
	// Rate is the offered load in requests per second; 0 publishes as fast
	// as the broker confirms (a window of Window unconfirmed publishes).
	Rate float64
	// Window bounds unconfirmed intake publishes (default 1024).
	Window int
	// Timeout bounds the whole phase; Idle bounds the time without any
	// request settling once all are published.
	Timeout, Idle time.Duration
	// GatewayCPU reads the gateway's CPU time so far (nil: not measured).
	GatewayCPU func() (time.Duration, error)
	// BrokerCPU reads RabbitMQ's CPU time so far (nil: not measured).
	BrokerCPU func() (time.Duration, error)
}

// Outcome is what one load phase measured.
type Outcome struct {
	Requests  int
	Published int
	// Settled counts requests per final state seen on sluis.status.
	Settled map[string]int
	// Missing lists (up to 10) ids of requests that did not settle.
	Missing      []string
	MissingCount int

	FirstPublish, LastPublish time.Time
	// LastSettled is the gateway's time of the last settling state change
	// (for delivered: just after the broker confirmed the provider message).
	LastSettled time.Time
	// Throughput is settled requests / (LastSettled − FirstPublish).
	Throughput float64
	// OfferedRate is what the publisher achieved: published / (last − first
	// publish).
	OfferedRate float64
	// Latency is, over delivered requests, the gateway's delivered time
	// minus our publish time (same machine clock).
	Latency loadtest.Percentiles
	// Observed is, over delivered requests, the time we received the
	// delivered event minus our publish time.
	Observed loadtest.Percentiles
	// GatewayCPU is the gateway's CPU time from just before the first
	// publish to just after the last request settled; BrokerCPU and LoadCPU
	// the same for RabbitMQ and for this (the load) process.
	GatewayCPU, BrokerCPU, LoadCPU time.Duration
}

// PerThousand scales a CPU time of this outcome to 1,000 settled requests.
func (o Outcome) PerThousand(cpu time.Duration) time.Duration {
	n := o.settledTotal()
	if n == 0 {
		return 0
	}
	return cpu * 1000 / time.Duration(n)
}

// CPUPerThousand is the gateway's CPU time per 1,000 settled requests.
func (o Outcome) CPUPerThousand() time.Duration {
	n := o.settledTotal()
	if n == 0 {
		return 0
	}
	return o.GatewayCPU * 1000 / time.Duration(n)
}

func (o Outcome) settledTotal() int {
	n := 0
	for _, c := range o.Settled {
		n += c
	}
	return n
}

// settling are the states that end a request's part in a load run.
var settling = []receipts.State{receipts.Delivered, receipts.Failed, receipts.Refused, receipts.Invalid}

type settle struct {
	state    string
	at       time.Time // the gateway's time of the state change
	received time.Time // when we saw the event
}

// RunLoad publishes the items to the intake and waits until every one has
// settled (delivered, failed, refused or invalid) as seen on sluis.status.
// The gateway must be running, with its topology declared. Provider queues
// must be drained by someone else (see Drainer).
func RunLoad(ctx context.Context, c LoadConfig) (Outcome, error) {
	if c.Window <= 0 {
		c.Window = 1024
	}
	if c.Key == "" {
		c.Key = amqp.KeyDisclosure
	}
	if len(c.States) == 0 {
		for _, s := range settling {
			c.States = append(c.States, string(s))
		}
	}
	if c.Timeout <= 0 {
		c.Timeout = 10 * time.Minute
	}
	if c.Idle <= 0 {
		c.Idle = 60 * time.Second
	}
	if len(c.Items) == 0 || c.Rate < 0 {
		return Outcome{}, fmt.Errorf("%w: need items and a rate ≥ 0", loadtest.ErrConfig)
	}
	ctx, cancel := context.WithTimeout(ctx, c.Timeout)
	defer cancel()

	index := make(map[string]int, len(c.Items))
	for i, it := range c.Items {
		index[it.ID] = i
	}
	conn, err := amqp091.DialConfig(c.AMQPURL, amqp091.Config{Properties: amqp091.Table{"connection_name": "sluis-bench-load"}})
	if err != nil {
		return Outcome{}, fmt.Errorf("dial broker: %w", err)
	}
	defer conn.Close()

	// Bind the status queue before publishing anything.
	events, err := statusEvents(conn, c.States)
	if err != nil {
		return Outcome{}, err
	}
	settled := make([]settle, len(c.Items))
	var progress atomic.Int64
	done := make(chan struct{})
	obsErr := make(chan error, 1)
	obsFinished := make(chan struct{})
	go func() {
		defer close(obsFinished)
		count := 0
		for d := range events {
			ev, err := bus.Parse(d.Body)
			if err != nil {
				continue
			}
			id := ev.DisclosureID
			if id == "" {
				id = ev.CommandID
			}
			i, ok := index[id]
			if !ok || settled[i].state != "" {
				continue // not ours, or a repeat after a redelivery
			}
			settled[i] = settle{state: ev.State, at: ev.At, received: time.Now()}
			count++
			progress.Store(int64(count))
			if count == len(c.Items) {
				close(done)
				return
			}
		}
		obsErr <- errors.New("status consumer closed")
	}()

	self := func() (time.Duration, error) { return loadtest.ProcCPU(os.Getpid()) }
	cpuStart := readCPU(c.GatewayCPU, c.BrokerCPU, self)
	published := make([]time.Time, len(c.Items))
	pubDone := make(chan error, 1)
	go func() { pubDone <- publish(ctx, conn, c, published) }()

	out := Outcome{Requests: len(c.Items), Settled: map[string]int{}}
	var pubErr error
	pubFinished := false
	lastProgress, lastCount := time.Now(), int64(0)
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
wait:
	for {
		select {
		case <-done:
			break wait
		case pubErr = <-pubDone:
			pubFinished = true
			if pubErr != nil {
				break wait
			}
		case err := <-obsErr:
			pubErr = err
			break wait
		case <-ctx.Done():
			pubErr = fmt.Errorf("%w: timeout after %s", ErrIncomplete, c.Timeout)
			break wait
		case <-tick.C:
			if n := progress.Load(); n != lastCount {
				lastCount, lastProgress = n, time.Now()
			} else if pubFinished && time.Since(lastProgress) > c.Idle {
				pubErr = fmt.Errorf("%w: nothing settled for %s", ErrIncomplete, c.Idle)
				break wait
			}
		}
	}
	cpuEnd := readCPU(c.GatewayCPU, c.BrokerCPU, self)
	out.GatewayCPU, out.BrokerCPU, out.LoadCPU = cpuEnd[0]-cpuStart[0], cpuEnd[1]-cpuStart[1], cpuEnd[2]-cpuStart[2]
	cancel()
	if !pubFinished {
		if err := <-pubDone; pubErr == nil {
			pubErr = err
		}
	}
	conn.Close() // ends the observer's range loop
	// The observer goroutine has finished writing (done closed) or the
	// connection is closed; wait for it before reading settled.
	select {
	case <-obsFinished:
	case <-time.After(5 * time.Second):
		return out, fmt.Errorf("status consumer did not stop: %w", ErrIncomplete)
	}

	var lat, obs []time.Duration
	for i, s := range settled {
		if !published[i].IsZero() {
			out.Published++
			if out.FirstPublish.IsZero() || published[i].Before(out.FirstPublish) {
				out.FirstPublish = published[i]
			}
			if published[i].After(out.LastPublish) {
				out.LastPublish = published[i]
			}
		}
		if s.state == "" {
			out.MissingCount++
			if len(out.Missing) < 10 {
				out.Missing = append(out.Missing, c.Items[i].ID)
			}
			continue
		}
		out.Settled[s.state]++
		if s.at.After(out.LastSettled) {
			out.LastSettled = s.at
		}
		if s.state == string(receipts.Delivered) && !published[i].IsZero() {
			lat = append(lat, s.at.Sub(published[i]))
			obs = append(obs, s.received.Sub(published[i]))
		}
	}
	out.Latency, out.Observed = loadtest.Summarise(lat), loadtest.Summarise(obs)
	if span := out.LastSettled.Sub(out.FirstPublish); span > 0 {
		out.Throughput = float64(out.settledTotal()) / span.Seconds()
	}
	if span := out.LastPublish.Sub(out.FirstPublish); span > 0 {
		out.OfferedRate = float64(out.Published-1) / span.Seconds()
	}
	if pubErr == nil && out.MissingCount > 0 {
		pubErr = ErrIncomplete
	}
	if pubErr != nil {
		return out, fmt.Errorf("%d of %d items did not settle (first ids: %v): %w", out.MissingCount, out.Requests, out.Missing, pubErr)
	}
	return out, nil
}

// readCPU reads each clock; a nil or failing one reads 0.
func readCPU(clocks ...func() (time.Duration, error)) []time.Duration {
	out := make([]time.Duration, len(clocks))
	for i, c := range clocks {
		if c == nil {
			continue
		}
		if d, err := c(); err == nil {
			out[i] = d
		}
	}
	return out
}

// SortedStates lists an outcome's settled states in a stable order.
func (o Outcome) SortedStates() []string {
	out := make([]string, 0, len(o.Settled))
	for s := range o.Settled {
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}
