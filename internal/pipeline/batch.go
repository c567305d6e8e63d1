package pipeline

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/sluis-gateway/sluis/internal/actor"
	"github.com/sluis-gateway/sluis/internal/bus"
	"github.com/sluis-gateway/sluis/internal/disclosure"
	"github.com/sluis-gateway/sluis/internal/identity"
	"github.com/sluis-gateway/sluis/internal/receipts"
)

// A batched pass (HandleBatch) takes the intake messages of a batch
// through the same steps as Handle, in the same order for each
// disclosure, but step by step for the whole batch:
//
//  1. decode and authorize each message (concurrently);
//  2. register them all (Store.RegisterBatch: one transaction);
//  3. claim them all (the in-process lock, then Store.ClaimBatch);
//  4. screen and build (compose, validate, sign) each one concurrently,
//     at most Config.Workers at a time;
//  5. store every decision (allowed and published, or refused or failed)
//     in one Store.MoveBatch;
//  6. publish the signed messages with one call: one round of pipelined
//     confirms;
//  7. archive each delivered message (before it is marked delivered);
//  8. store the deliveries (and the unroutable failures) in one MoveBatch;
//  9. publish every status event of the batch (the passes' flushes at
//     once, so their confirms are awaited together), then release every
//     claim in one Store.ReleaseBatch.
//
// A message that takes another path than the usual one — not
// authenticated, invalid, refused to its system, an id used for another
// request, a copy of one already in the batch, a disclosure that another
// pass in this process or another process holds — is handled by Handle,
// alone, after the batch's claims are released; its outcome is Handle's.
// A message whose step failed transiently gets that error as its outcome,
// like Handle's, after its events were flushed and its claim released:
// what it stored holds, and a retry resumes from there (as after a crash).

// item is one message of a batched pass.
type item struct {
	msg    *message.Message
	ctx    context.Context
	ob     *outbox
	req    disclosure.Request
	rec    receipts.Record
	actor  actor.Actor
	signed []byte
	// moves are the changes the current step stores.
	moves []receipts.Change
	// publish: the record is published and signed holds its message.
	publish bool
	// err is the transient failure of the message (its outcome).
	err error
	// done: nothing more to do in this pass.
	done bool
	// alone: handled by Handle after the batch.
	alone bool
}

func (it *item) live() bool { return !it.done && !it.alone && it.err == nil }

// HandleBatch processes a batch of intake messages, each with the system
// that sent it in its context as for Handle, and returns one outcome per
// message, in order, as Handle would return it: nil once the disclosure's
// outcome is durable in the store (ack), an error when something transient
// failed before that (nack, retry). See the steps above.
func (p *Pipeline) HandleBatch(ctx context.Context, msgs []*message.Message) []error {
	items := make([]*item, len(msgs))
	for i, msg := range msgs {
		items[i] = &item{msg: msg, ctx: msg.Context(), ob: &outbox{}}
	}
	p.each(items, p.prepare)
	seen := map[string]bool{}
	for _, it := range items {
		if it.live() {
			if seen[it.req.ID] {
				it.alone = true // after the first copy's pass
				continue
			}
			seen[it.req.ID] = true
		}
	}
	p.registerBatch(ctx, items)
	p.claimBatch(ctx, items)
	p.each(items, p.decide)
	p.moveBatch(ctx, items, func(it *item, next receipts.Record) {
		if !it.publish {
			it.done = true
		}
	})
	p.publishBatch(ctx, items)
	p.each(items, p.archiveItem)
	p.moveBatch(ctx, items, func(it *item, next receipts.Record) {
		it.done = true
		if next.State == receipts.Delivered {
			if err := p.answered(it.ctx, it.req, next); err != nil {
				it.err = err
			}
		}
	})
	p.finishBatch(ctx, items)

	errs := make([]error, len(items))
	var wg sync.WaitGroup
	for i, it := range items {
		if it.alone {
			wg.Go(func() { errs[i] = p.Handle(it.msg) })
			continue
		}
		errs[i] = it.err
	}
	wg.Wait()
	return errs
}

// each runs fn for every live item, at most Config.Workers at a time.
func (p *Pipeline) each(items []*item, fn func(*item)) {
	var wg sync.WaitGroup
	for _, it := range items {
		if !it.live() {
			continue
		}
		p.workers <- struct{}{}
		wg.Go(func() {
			defer func() { <-p.workers }()
			fn(it)
		})
	}
	wg.Wait()
}

// prepare decodes and authorizes: step 1. Every other outcome than an
// authorized, valid request is left to Handle.
func (p *Pipeline) prepare(it *item) {
	started := p.now()
	sys, err := identity.SystemFrom(it.ctx)
	if err != nil {
		it.alone = true
		return
	}
	req, err := p.dec.Decode(it.msg.Payload)
	if err != nil {
		it.alone = true
		return
	}
	p.metrics.stage("decode", started, p.now())
	if identity.MaySend(sys, req.Sender.Municipality, req.Sender.System, req.LegalBasis.Kind) != nil {
		it.alone = true
		return
	}
	it.req = req
	it.actor = actor.SenderEmployee(sys.ID, req.Sender.Municipality, req.Sender.Employee)
	it.ctx = actor.With(p.withID(it.ctx, it.msg, req.ID), it.actor)
}

// registerBatch is step 2.
func (p *Pipeline) registerBatch(ctx context.Context, items []*item) {
	var live []*item
	var regs []receipts.Registration
	for _, it := range items {
		if it.live() {
			live = append(live, it)
			regs = append(regs, receipts.Registration{Actor: it.actor, Record: p.record(it.req)})
		}
	}
	if len(live) == 0 {
		return
	}
	got, err := p.batcher.RegisterBatch(ctx, regs)
	for k, it := range live {
		switch {
		case err != nil:
			it.err = fmt.Errorf("register %s: %w", it.req.ID, err)
		case errors.Is(got[k].Err, receipts.ErrConflict):
			it.alone = true // Handle answers the conflict
		case got[k].Err != nil:
			it.err = fmt.Errorf("register %s: %w", it.req.ID, got[k].Err)
		case got[k].Created:
			it.rec = got[k].Record
			p.metrics.state(it.rec)
			p.logState(it.ctx, it.rec)
		default:
			it.rec = got[k].Record
			p.logger(it.ctx).Info("disclosure seen before", "state", it.rec.State)
		}
	}
}

// claimBatch is step 3: a disclosure that another pass of this process
// holds, or another process, is left to Handle (which waits for it).
func (p *Pipeline) claimBatch(ctx context.Context, items []*item) {
	var (
		live    []*item
		claims  []receipts.ClaimRequest
		unlocks []func()
	)
	for _, it := range items {
		if !it.live() {
			continue
		}
		unlock, ok := p.inflight.tryLock(it.rec.DisclosureID)
		if !ok {
			it.alone = true
			continue
		}
		live = append(live, it)
		unlocks = append(unlocks, unlock)
		claims = append(claims, receipts.ClaimRequest{DisclosureID: it.rec.DisclosureID, Owner: p.owners.next()})
	}
	if len(live) == 0 {
		return
	}
	got, err := p.batcher.ClaimBatch(ctx, claims, p.now().Add(p.claimFor))
	for k, it := range live {
		switch {
		case err != nil:
			unlocks[k]()
			it.err = fmt.Errorf("claim %s: %w", it.rec.DisclosureID, err)
		case errors.Is(got[k].Err, receipts.ErrClaimed):
			unlocks[k]()
			it.alone = true
		case got[k].Err != nil:
			unlocks[k]()
			it.err = fmt.Errorf("claim %s: %w", it.rec.DisclosureID, got[k].Err)
		default:
			rec := got[k].Record
			it.ob.claim = &claimed{id: rec.DisclosureID, owner: claims[k].Owner, unlock: unlocks[k], announced: rec.Announced}
			it.rec = rec
			if rec.Sequence > rec.Announced {
				it.ob.announce(rec, nil, p.now())
			}
		}
	}
}

// decide is step 4, advance up to its first write: the changes to store
// (it.moves) and, for a message to send, it.signed.
func (p *Pipeline) decide(it *item) {
	ctx, rec, req := it.ctx, it.rec, it.req
	switch rec.State {
	case receipts.Received, receipts.Allowed, receipts.Published:
	case receipts.Delivered, receipts.Accepted, receipts.Rejected, receipts.Overdue:
		it.err, it.done = p.answered(ctx, req, rec), true
		return
	default:
		it.done = true
		return
	}
	if rec.State == receipts.Received && req.InReplyTo != "" {
		code, sentence := ReasonInReplyTo, "in_reply_to cannot be checked here"
		if p.answers != nil {
			var err error
			if code, sentence, err = p.answers.Check(ctx, req); err != nil {
				it.err = fmt.Errorf("check in_reply_to of %s: %w", rec.DisclosureID, err)
				return
			}
		}
		if code != "" {
			it.moves = []receipts.Change{{To: receipts.Refused, Reason: sentence, ReasonCodes: []string{code}}}
			return
		}
	}
	t0 := p.now()
	s, err := p.screen.Screen(ctx, req, rec)
	if err != nil {
		it.err = fmt.Errorf("screen %s: %w", rec.DisclosureID, err)
		return
	}
	if rec.State == receipts.Received {
		p.metrics.stage("screen", t0, p.now())
	}
	if !s.Allowed {
		c := refusal(s)
		if rec.State == receipts.Published {
			c.To = receipts.Failed
			c.Reason = ReasonStoppedWhileSending + " " + s.Sentence
		}
		it.moves = []receipts.Change{c}
		return
	}
	var before []receipts.Change
	if rec.State == receipts.Received {
		before = append(before, receipts.Change{To: receipts.Allowed, Detail: screeningDetail(s)})
	}
	signed, err := p.build(s.Checked, rec)
	if err != nil {
		var perm *permanentError
		if !errors.As(err, &perm) {
			it.err = err
			return
		}
		it.moves = append(before, receipts.Change{To: receipts.Failed, Reason: perm.Error()})
		return
	}
	it.signed, it.publish = signed, true
	if rec.State != receipts.Published {
		it.moves = append(before, receipts.Change{To: receipts.Published})
	}
}

// moveBatch stores the moves of every live item in one MoveBatch (steps 5
// and 8), announces them as move does, and calls then for each item moved.
func (p *Pipeline) moveBatch(ctx context.Context, items []*item, then func(it *item, next receipts.Record)) {
	var (
		live  []*item
		moves []receipts.Moves
	)
	now := p.now()
	for _, it := range items {
		if !it.live() || len(it.moves) == 0 {
			continue
		}
		for i := range it.moves {
			if it.moves[i].At.IsZero() {
				it.moves[i].At = now
			}
		}
		live = append(live, it)
		moves = append(moves, receipts.Moves{Actor: it.actor, DisclosureID: it.rec.DisclosureID, Changes: it.moves})
	}
	if len(live) == 0 {
		return
	}
	got, err := p.batcher.MoveBatch(ctx, moves)
	for k, it := range live {
		cs := it.moves
		it.moves = nil
		if err == nil {
			err := got[k].Err
			if err == nil {
				for i, next := range got[k].Records {
					p.metrics.state(next)
					p.logState(it.ctx, next)
					it.ob.announce(next, cs[i].Detail, now)
				}
				it.rec = got[k].Records[len(got[k].Records)-1]
				then(it, it.rec)
				continue
			}
			it.err = fmt.Errorf("move %s to %s: %w", it.rec.DisclosureID, cs[len(cs)-1].To, err)
			continue
		}
		it.err = fmt.Errorf("move %s to %s: %w", it.rec.DisclosureID, cs[len(cs)-1].To, err)
	}
}

// publishBatch is step 6: every signed message in one publish call.
func (p *Pipeline) publishBatch(ctx context.Context, items []*item) {
	var (
		live []*item
		outs []*message.Message
	)
	for _, it := range items {
		if !it.live() || !it.publish {
			continue
		}
		out := message.NewMessage(it.rec.MessageID, it.signed)
		bus.AGB.Set(out, it.rec.Recipient)
		bus.ContentType.Set(out, "application/xml")
		bus.MessageType.Set(out, it.rec.MessageType)
		live, outs = append(live, it), append(outs, out)
	}
	if len(live) == 0 {
		return
	}
	t0 := p.now()
	errs := p.pub.PublishContext(ctx, bus.TopicOutbound, outs...)
	t1 := p.now()
	for k, it := range live {
		p.metrics.stage("publish", t0, t1)
		err := errs[k]
		switch {
		case err == nil:
		case errors.Is(err, bus.ErrUnroutable):
			it.publish = false
			it.moves = []receipts.Change{{To: receipts.Failed, Reason: ReasonNotConnected}}
		default:
			it.err = fmt.Errorf("publish %s: %w", it.rec.DisclosureID, err)
		}
	}
}

// archiveItem is step 7 for a message the broker confirmed.
func (p *Pipeline) archiveItem(it *item) {
	if !it.publish {
		return
	}
	at := p.now()
	if err := p.archiveSigned(it.ctx, it.rec, it.signed); err != nil {
		it.err = err
		return
	}
	it.moves = []receipts.Change{{To: receipts.Delivered, At: at, Detail: map[string]string{"message_id": it.rec.MessageID}}}
}

// finishBatch is step 9: flush every pass's status events at once, then
// release every claim in one write. A failed release only delays another
// copy until the lease lapses; it is logged, not retried (as release).
func (p *Pipeline) finishBatch(ctx context.Context, items []*item) {
	var wg sync.WaitGroup
	for _, it := range items {
		if it.alone || (len(it.ob.events) == 0 && it.ob.claim == nil) {
			continue
		}
		wg.Go(func() {
			if ferr := p.flush(it.ctx, it.ob); ferr != nil {
				it.err = errors.Join(it.err, ferr)
			}
		})
	}
	wg.Wait()
	var (
		rels    []receipts.ReleaseRequest
		unlocks []func()
	)
	for _, it := range items {
		if c := it.ob.claim; c != nil {
			rels = append(rels, receipts.ReleaseRequest{DisclosureID: c.id, Owner: c.owner, Announced: c.announced})
			unlocks = append(unlocks, c.unlock)
		}
	}
	if len(rels) == 0 {
		return
	}
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), releaseTimeout)
	defer cancel()
	if err := p.batcher.ReleaseBatch(rctx, rels); err != nil {
		p.log.Warn("release claims", "disclosures", len(rels), "err", err)
	}
	for _, unlock := range unlocks {
		unlock()
	}
}
