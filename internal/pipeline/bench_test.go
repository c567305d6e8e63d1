package pipeline_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/sluis-gateway/sluis/adapters/amqp"
	"github.com/sluis-gateway/sluis/adapters/store/sqlite"
	"github.com/sluis-gateway/sluis/internal/bus"
	"github.com/sluis-gateway/sluis/internal/compose"
	"github.com/sluis-gateway/sluis/internal/disclosure"
	"github.com/sluis-gateway/sluis/internal/loadtest"
	"github.com/sluis-gateway/sluis/internal/minimise"
	"github.com/sluis-gateway/sluis/internal/pipeline"
	"github.com/sluis-gateway/sluis/internal/receipts"
	"github.com/sluis-gateway/sluis/internal/screen"
	"github.com/sluis-gateway/sluis/internal/signing"
	"github.com/sluis-gateway/sluis/internal/testenv"
	"github.com/sluis-gateway/sluis/messages"
	"github.com/sluis-gateway/sluis/xsd"
)

// These benchmarks give the per-disclosure cost of the pipeline without the
// router: BenchmarkBuild is the CPU work (compose, XSD validation, seal with
// RSA-2048), BenchmarkHandle one whole Handle call against the real SQLite
// store and RabbitMQ (a private vhost): decode, register, screen (consent
// register lookup, minimisation, the basis decision), build, the confirmed
// publish and the status events. Run them with -cpuprofile to see
// where the time goes (docs/performance.md).

// benchPublisher is the AMQP publisher as the application wires it.
type benchPublisher struct{ *amqp.Publisher }

func benchRoute(topic string, msg *message.Message) (string, string, error) {
	switch topic {
	case bus.TopicOutbound:
		return amqp.ExchangeOutbound, msg.Metadata.Get("agb"), nil
	case bus.TopicStatus:
		return amqp.ExchangeStatus, msg.Metadata.Get("routing_key"), nil
	}
	return "", "", fmt.Errorf("unknown topic %q", topic)
}

type benchParts struct {
	dec    *disclosure.Decoder
	val    *xsd.Validator
	signer *signing.Signer
	agbs   []string
}

func newBenchParts(b *testing.B) benchParts {
	b.Helper()
	dec, err := disclosure.NewDecoder()
	if err != nil {
		b.Fatal(err)
	}
	val, err := xsd.NewValidator()
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(val.Close)
	_, keyFile, certFile, err := loadtest.WriteKeyPair(b.TempDir(), loadtest.KeyBits)
	if err != nil {
		b.Fatal(err)
	}
	signer, err := signing.LoadSigner(keyFile, certFile)
	if err != nil {
		b.Fatal(err)
	}
	return benchParts{dec: dec, val: val, signer: signer, agbs: loadtest.ProviderAGBs(5)}
}

func (bp benchParts) items(b *testing.B, n int) []loadtest.Item {
	b.Helper()
	g, err := loadtest.NewGenerator(bp.agbs, disclosure.BasisLegalObligation, 1)
	if err != nil {
		b.Fatal(err)
	}
	items, err := loadtest.Prepare(g, n)
	if err != nil {
		b.Fatal(err)
	}
	return items
}

// BenchmarkBuild is the pipeline's CPU work for one disclosure, the same
// three stages in the same order as its build step: compose the Bericht,
// validate it against the official XSD, seal it (RSA-2048), on generated
// 301 requests, in parallel on every core.
func BenchmarkBuild(b *testing.B) {
	bp := newBenchParts(b)
	comp := compose.New()
	items := bp.items(b, 256)
	reqs := make([]disclosure.Request, len(items))
	for i, it := range items {
		r, err := bp.dec.Decode(it.Body)
		if err != nil {
			b.Fatal(err)
		}
		reqs[i] = r
	}
	created := time.Now()
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			req := reqs[i%len(reqs)]
			i++
			rec := receipts.Record{
				Identificatie: fmt.Sprint(i), Recipient: req.Recipient.AGB, Standard: req.Standard,
				MessageType: messages.MessageType(messages.Standard(req.Standard), req.MessageType), Municipality: req.Sender.Municipality,
				CreatedAt: created,
			}
			rec.MessageID = rec.MessageType + "-" + rec.Municipality + "-" + rec.Identificatie
			doc, err := comp.Compose(req, rec)
			if err != nil {
				b.Error(err)
				return
			}
			if err := bp.val.Validate(doc); err != nil {
				b.Error(err)
				return
			}
			if _, err := bp.signer.Seal(signing.Meta{
				MessageID: rec.MessageID, Standard: rec.Standard, MessageType: rec.MessageType,
				Sender: rec.Municipality, Recipient: rec.Recipient, Created: rec.CreatedAt,
			}, doc); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkHandle is one disclosure through Handle, with 32 concurrent
// handlers (the gateway's default SLUIS_WORKERS), against SQLite and
// RabbitMQ. Provider and status queues are drained as the messages arrive.
func BenchmarkHandle(b *testing.B) {
	bp := newBenchParts(b)
	url := testenv.VHost(b)
	_, ch := testenv.Channel(b, url)
	if err := (amqp.Topology{Providers: bp.agbs}).Declare(ch); err != nil {
		b.Fatal(err)
	}
	events := testenv.Tap(b, ch, amqp.ExchangeStatus, "#")
	go func() {
		for range events {
		}
	}()
	drain, err := loadtest.NewDrainer(url, amqp.ProviderQueues(bp.agbs))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { drain.Close() })

	store, err := sqlite.Open(context.Background(), filepath.Join(b.TempDir(), "sluis.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { store.Close() })
	pub, err := amqp.NewPublisher(amqp.PublisherConfig{URL: url, Route: benchRoute, ConnectionName: "bench-pipeline"}, nil, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { pub.Close() })
	metrics, err := pipeline.NewMetrics(prometheus.NewRegistry())
	if err != nil {
		b.Fatal(err)
	}
	profiles, err := minimise.Embedded()
	if err != nil {
		b.Fatal(err)
	}
	screener, err := screen.New(store, profiles)
	if err != nil {
		b.Fatal(err)
	}
	p, err := pipeline.New(pipeline.Config{
		Decoder: bp.dec, Store: store, Screener: screener, Composer: compose.New(),
		Validator: bp.val, Sealer: bp.signer, Publisher: benchPublisher{pub},
		ClientKeySecret: []byte("0123456789abcdef0123456789abcdef"),
		Logger:          slog.New(slog.NewTextHandler(io.Discard, nil)), Metrics: metrics,
	})
	if err != nil {
		b.Fatal(err)
	}

	// Requests are generated before the clock starts; b.N is not known
	// ahead, so items are made in batches as b.Loop asks for more.
	g, err := loadtest.NewGenerator(bp.agbs, disclosure.BasisLegalObligation, 1)
	if err != nil {
		b.Fatal(err)
	}
	work := make(chan loadtest.Item, 4096)
	b.ReportAllocs()
	b.SetParallelism(max(1, 32/procs()))
	items, err := loadtest.Prepare(g, b.N)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	go func() {
		for _, it := range items {
			work <- it
		}
		close(work)
	}()
	start, cpu0 := time.Now(), processCPU(b)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			it, ok := <-work
			if !ok {
				return
			}
			if err := p.Handle(intake("intake-"+it.ID, it.Body)); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "disclosures/s")
	// CPU of the whole test process (the pipeline, and the consumers of
	// the provider queues and status events) per disclosure: less
	// sensitive than ns/op to waiting for the broker and the disk.
	b.ReportMetric(float64((processCPU(b)-cpu0).Microseconds())/1000/float64(b.N), "cpu-ms/disclosure")
	b.StopTimer()
	notDelivered, first := 0, ""
	for _, it := range items {
		rec, err := store.Get(context.Background(), it.ID)
		if err != nil || rec.State != receipts.Delivered {
			if notDelivered == 0 {
				first = fmt.Sprintf("state %q, reason %q, err %v", rec.State, rec.Reason, err)
			}
			notDelivered++
		}
	}
	if notDelivered > 0 {
		b.Fatalf("%d of %d disclosures not delivered; the first: %s", notDelivered, len(items), first)
	}
}

func procs() int { return runtime.GOMAXPROCS(0) }

// processCPU is the user and system CPU time of this process so far.
func processCPU(b *testing.B) time.Duration {
	cpu, err := loadtest.ProcCPU(os.Getpid())
	if err != nil {
		b.Fatal(err)
	}
	return cpu
}
