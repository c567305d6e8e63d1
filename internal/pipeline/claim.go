package pipeline

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sluis-gateway/sluis/internal/receipts"
)

// One outcome per request id. Two copies of one request (a retry over HTTP,
// the same request over AMQP, a redelivery) may be taken by two workers at
// once, in this process or in another gateway on the same store. Two things
// keep them from both moving the disclosure on:
//
//   - in this process, a per-id lock (inflight): the second copy waits for
//     the first pass to end, then finds its outcome in the store;
//   - across processes, the store's claim (receipts.Claimer): a lease on the
//     disclosure row taken before any state change and released after the
//     pass's status events are confirmed. A copy that finds another live
//     claim polls until it ends, or until the lease lapses (its holder
//     died) and it takes over.
//
// A pass announces a state only while its sequence is above the stored
// Announced mark, and raises the mark on release: a copy that finds the work
// done and announced says nothing.

// DefaultClaimFor is how long a claim lasts unless released; longer than any
// pass (a publish waits at most its confirm timeout and the connect wait).
const DefaultClaimFor = 30 * time.Second

// ErrClaimWait: a copy waited for another worker's claim as long as a claim
// lasts and it still did not end (nack; redelivered later).
var ErrClaimWait = errors.New("pipeline: disclosure still claimed by another worker")

// inflight is the per-id lock of this process.
type inflight struct {
	mu  sync.Mutex
	ids map[string]chan struct{}
}

// lock waits until no other pass of id runs in this process, then takes
// id; the returned func gives it back.
func (f *inflight) lock(ctx context.Context, id string) (func(), error) {
	for {
		f.mu.Lock()
		if f.ids == nil {
			f.ids = map[string]chan struct{}{}
		}
		busy, ok := f.ids[id]
		if !ok {
			done := make(chan struct{})
			f.ids[id] = done
			f.mu.Unlock()
			return func() {
				f.mu.Lock()
				delete(f.ids, id)
				f.mu.Unlock()
				close(done)
			}, nil
		}
		f.mu.Unlock()
		select {
		case <-busy:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// tryLock takes id when no other pass of id runs in this process; ok is
// false (and nothing taken) otherwise. A batch takes its ids with tryLock:
// waiting for one while holding others could deadlock two batches.
func (f *inflight) tryLock(id string) (unlock func(), ok bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.ids == nil {
		f.ids = map[string]chan struct{}{}
	}
	if _, busy := f.ids[id]; busy {
		return nil, false
	}
	done := make(chan struct{})
	f.ids[id] = done
	return func() {
		f.mu.Lock()
		delete(f.ids, id)
		f.mu.Unlock()
		close(done)
	}, true
}

// owners names claim holders: this process's random id and a counter.
type owners struct {
	prefix string
	n      atomic.Uint64
}

func newOwners() (*owners, error) {
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		return nil, fmt.Errorf("pipeline: claim owner id: %w", err)
	}
	return &owners{prefix: hex.EncodeToString(b)}, nil
}

func (o *owners) next() string { return fmt.Sprintf("%s-%d", o.prefix, o.n.Add(1)) }

// claimed is the claim a pass holds: released by Handle after the status
// events are flushed.
type claimed struct {
	id, owner string
	unlock    func()
	announced int64 // the stored mark when claimed, raised by a confirmed flush
}

// claim takes id for this pass: first the in-process lock, then the
// store's claim, polling while another process holds it. It returns the
// record as stored once claimed.
func (p *Pipeline) claim(ctx context.Context, ob *outbox, id string) (receipts.Record, error) {
	unlock, err := p.inflight.lock(ctx, id)
	if err != nil {
		return receipts.Record{}, fmt.Errorf("wait for %s: %w", id, err)
	}
	owner := p.owners.next()
	giveUp := p.now().Add(p.claimFor + p.claimFor/2)
	wait := 20 * time.Millisecond
	for {
		rec, err := p.store.Claim(ctx, id, owner, p.now().Add(p.claimFor))
		if err == nil {
			ob.claim = &claimed{id: id, owner: owner, unlock: unlock, announced: rec.Announced}
			return rec, nil
		}
		if !errors.Is(err, receipts.ErrClaimed) {
			unlock()
			return receipts.Record{}, fmt.Errorf("claim %s: %w", id, err)
		}
		if p.now().After(giveUp) {
			unlock()
			return receipts.Record{}, fmt.Errorf("%s: %w", id, ErrClaimWait)
		}
		p.metrics.claimWaits.Inc()
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			unlock()
			return receipts.Record{}, fmt.Errorf("wait for the claim of %s: %w", id, ctx.Err())
		}
		wait = min(2*wait, 500*time.Millisecond)
	}
}

// releaseTimeout bounds a release of claims.
const releaseTimeout = 10 * time.Second

// release ends the pass's claim, raising the announced mark to what its
// flush confirmed. A failed release only delays another copy until the
// lease lapses; it is logged, not retried.
func (p *Pipeline) release(ctx context.Context, ob *outbox) {
	c := ob.claim
	if c == nil {
		return
	}
	defer c.unlock()
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), releaseTimeout)
	defer cancel()
	if err := p.store.Release(ctx, c.id, c.owner, c.announced); err != nil {
		p.log.Warn("release claim", "disclosure_id", c.id, "err", err)
	}
}
