package amqp

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
)

func newTestConsumers(t *testing.T) *Consumers {
	t.Helper()
	c, err := NewConsumers(testURL(), "sluis-test-batches", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func TestConsumeBatches(t *testing.T) {
	q := uniqueName("batches")
	declareQueue(t, q, nil)
	const n, size = 25, 10
	p := newTestPublisher(t, PublisherConfig{}, nil)
	var msgs []*message.Message
	for i := range n {
		msgs = append(msgs, newMsg(fmt.Sprintf("b-%02d-%s", i, randHex(3))))
	}
	if err := p.Publish(q, msgs...); err != nil {
		t.Fatal(err)
	}
	failOnce := msgs[3].UUID // its first outcome is an error: nacked, redelivered

	var (
		mu      sync.Mutex
		sizes   []int
		handled = map[string]int{}
		counts  = map[string]string{}
	)
	all := make(chan struct{})
	ctx, cancel := context.WithCancel(context.Background())
	handle := func(hctx context.Context, got []*message.Message) []error {
		mu.Lock()
		defer mu.Unlock()
		sizes = append(sizes, len(got))
		errs := make([]error, len(got))
		for i, m := range got {
			if m.Context() != hctx {
				errs[i] = errors.New("message without the batch's context")
			}
			handled[m.UUID]++
			if m.UUID == failOnce {
				counts[fmt.Sprint(handled[m.UUID])] = m.Metadata.Get(MetadataDeliveryCount)
				if handled[m.UUID] == 1 {
					errs[i] = errors.New("transient")
				}
			}
		}
		if len(handled) == n && handled[failOnce] == 2 {
			close(all)
		}
		return errs
	}
	done := make(chan error, 1)
	c := newTestConsumers(t)
	go func() {
		done <- c.ConsumeBatches(ctx, BatchConfig{Queue: q, Size: size, Wait: time.Second}, handle, nil)
	}()
	select {
	case <-all:
	case <-time.After(60 * time.Second):
		t.Fatal("not every message was handled within 60s")
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("ConsumeBatches after ctx ended: %v", err)
	}

	mu.Lock()
	defer mu.Unlock()
	t.Run("no batch is larger than the size", func(t *testing.T) {
		for _, s := range sizes {
			if s > size {
				t.Fatalf("batch sizes %v", sizes)
			}
		}
	})
	t.Run("messages that were waiting come in batches", func(t *testing.T) {
		if sizes[0] < 2 {
			t.Fatalf("batch sizes %v", sizes)
		}
	})
	t.Run("every message once, the failed one twice", func(t *testing.T) {
		for _, m := range msgs {
			want := 1
			if m.UUID == failOnce {
				want = 2
			}
			if handled[m.UUID] != want {
				t.Fatalf("%s handled %d times, want %d", m.UUID, handled[m.UUID], want)
			}
		}
	})
	t.Run("the failed one was requeued and redelivered", func(t *testing.T) {
		if counts["1"] != "" || counts["2"] != "1" {
			t.Fatalf("x-delivery-count of the first and second delivery: %q, %q", counts["1"], counts["2"])
		}
	})
	t.Run("everything acked: the queue is empty", func(t *testing.T) {
		if got := queueIDs(t, q, nil); len(got) != 0 {
			t.Fatalf("left in the queue: %v", got)
		}
	})
}

func TestConsumeBatchesStopsAfterTheBatchInHand(t *testing.T) {
	// The batch in hand when ctx ends gets CloseTimeout more; a handler
	// that gives up then fails its messages, which are requeued.
	q := uniqueName("batches-unsettled")
	declareQueue(t, q, nil)
	p := newTestPublisher(t, PublisherConfig{}, nil)
	id := "u-" + randHex(3)
	if err := p.Publish(q, newMsg(id)); err != nil {
		t.Fatal(err)
	}
	c := newTestConsumers(t)
	ctx, cancel := context.WithCancel(context.Background())
	inHand := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- c.ConsumeBatches(ctx, BatchConfig{Queue: q, Size: 4, Wait: time.Millisecond, CloseTimeout: time.Millisecond},
			func(hctx context.Context, msgs []*message.Message) []error {
				close(inHand)
				cancel()
				<-hctx.Done() // cancelled CloseTimeout after ctx
				errs := make([]error, len(msgs))
				for i := range errs {
					errs[i] = hctx.Err()
				}
				return errs
			}, nil)
	}()
	<-inHand
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if got := queueIDs(t, q, map[string]bool{id: true}); got[id] != 1 {
		t.Fatalf("queue holds %v, want %s once", got, id)
	}
}

func TestConsumeBatchesRefusesBadConfig(t *testing.T) {
	c := newTestConsumers(t)
	ok := func(context.Context, []*message.Message) []error { return nil }
	for _, tc := range []struct {
		name   string
		cfg    BatchConfig
		handle BatchHandler
	}{
		{"no queue", BatchConfig{Size: 1, Wait: time.Millisecond}, ok},
		{"size 0", BatchConfig{Queue: "q", Wait: time.Millisecond}, ok},
		{"no wait", BatchConfig{Queue: "q", Size: 1}, ok},
		{"no handler", BatchConfig{Queue: "q", Size: 1, Wait: time.Millisecond}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := c.ConsumeBatches(t.Context(), tc.cfg, tc.handle, nil); !errors.Is(err, ErrBadBatchConfig) {
				t.Fatalf("err = %v, want ErrBadBatchConfig", err)
			}
		})
	}
}
