package amqp

import (
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	amqp "github.com/rabbitmq/amqp091-go"
)

// BenchmarkPublishPipelined publishes 2 KB persistent messages to a quorum
// queue from 64 goroutines (b.RunParallel with parallelism 64/GOMAXPROCS
// rounded), each call carrying `batch` messages, and reports msgs/s.
func BenchmarkPublishPipelined(b *testing.B) {
	for _, batch := range []int{1, 16, 128} {
		b.Run(fmt.Sprintf("batch=%d", batch), func(b *testing.B) {
			q := uniqueName("bench")
			declareQueue(b, q, nil)
			p := newTestPublisher(b, PublisherConfig{}, nil)
			payload := make([]byte, 2048)
			if err := p.Publish(q, message.NewMessage("warm-up", payload)); err != nil {
				b.Fatal(err)
			}
			var seq, failed atomic.Int64
			b.SetParallelism(32)
			b.ResetTimer()
			start := time.Now()
			b.RunParallel(func(pb *testing.PB) {
				msgs := make([]*message.Message, 0, batch)
				flush := func() {
					if len(msgs) == 0 {
						return
					}
					if err := p.Publish(q, msgs...); err != nil {
						failed.Add(1)
					}
					msgs = msgs[:0]
				}
				for pb.Next() {
					msgs = append(msgs, message.NewMessage(fmt.Sprintf("b-%d", seq.Add(1)), payload))
					if len(msgs) == batch {
						flush()
					}
				}
				flush()
			})
			elapsed := time.Since(start)
			b.StopTimer()
			if failed.Load() > 0 {
				b.Fatalf("%d publish calls failed", failed.Load())
			}
			b.ReportMetric(float64(b.N)/elapsed.Seconds(), "msgs/s")
		})
	}
}

// BenchmarkRawAmqp091Window is the baseline: one goroutine publishing 2 KB
// persistent messages on a raw amqp091 channel with a window of 1024 async
// confirms. Compare its msgs/s with BenchmarkPublishPipelined's.
func BenchmarkRawAmqp091Window(b *testing.B) {
	q := uniqueName("bench-raw")
	declareQueue(b, q, nil)
	_, ch := dial(b)
	if err := ch.Confirm(false); err != nil {
		b.Fatal(err)
	}
	payload := make([]byte, 2048)
	var window []*amqp.DeferredConfirmation
	b.ResetTimer()
	start := time.Now()
	for i := range b.N {
		dc, err := ch.PublishWithDeferredConfirm("", q, true, false, amqp.Publishing{
			DeliveryMode: amqp.Persistent, MessageId: fmt.Sprint(i), Body: payload})
		if err != nil {
			b.Fatal(err)
		}
		window = append(window, dc)
		if len(window) == 1024 {
			if !window[0].Wait() {
				b.Fatal("nack")
			}
			window = window[1:]
		}
	}
	for _, dc := range window {
		if !dc.Wait() {
			b.Fatal("nack")
		}
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "msgs/s")
}
