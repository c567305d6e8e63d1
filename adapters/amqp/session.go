package amqp

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/sluis-gateway/sluis/internal/bus"
)

// batch collects the outcomes of one PublishContext call.
type batch struct {
	errs      []error
	remaining atomic.Int64
	done      chan struct{}
}

// entry is one published message awaiting its confirm.
type entry struct {
	b        *batch
	i        int
	exchange string
	key      string
	sess     *session
	tag      uint64
	start    time.Time
	deadline time.Time
	returned *amqp.Return
}

// session is one connection with one confirm-mode channel.
type session struct {
	p    *Publisher
	conn *amqp.Connection
	ch   *amqp.Channel

	// pubSem (capacity 1) serialises publishes so that delivery tags are
	// predictable; a channel so that waiting for it honours ctx.
	pubSem  chan struct{}
	lastTag uint64 // guarded by pubSem

	blocked atomic.Bool // the broker sent connection.blocked (resource alarm)

	exchanges sync.Map // exchange name -> struct{}: known to exist

	pendMu  sync.Mutex
	pending map[uint64]*entry // guarded by pendMu
	dead    bool              // guarded by pendMu
	cause   error             // guarded by pendMu

	done  chan struct{} // closed when readConfirms returns
	swept chan struct{} // closed when sweep returns
}

// checkExchange makes sure exchange exists before the first publish to it
// on this session: publishing to a missing exchange would make the broker
// close the channel that every in-flight message shares.
func (s *session) checkExchange(exchange string) error {
	if exchange == "" || strings.HasPrefix(exchange, "amq.") {
		return nil
	}
	if _, ok := s.exchanges.Load(exchange); ok {
		return nil
	}
	ch, err := s.conn.Channel()
	if err != nil {
		return fmt.Errorf("%w: open channel to check exchange: %w", ErrNotConnected, err)
	}
	defer ch.Close()
	if err := ch.ExchangeDeclarePassive(exchange, "direct", true, false, false, false, nil); err != nil {
		var aerr *amqp.Error
		if errors.As(err, &aerr) && aerr.Code == amqp.NotFound {
			return fmt.Errorf("%w: %q", ErrNoExchange, exchange)
		}
		return fmt.Errorf("%w: check exchange %q: %w", ErrNotConnected, exchange, err)
	}
	s.exchanges.Store(exchange, struct{}{})
	return nil
}

func (s *session) isDead() bool {
	s.pendMu.Lock()
	defer s.pendMu.Unlock()
	return s.dead
}

func (s *session) deathCause() error {
	s.pendMu.Lock()
	defer s.pendMu.Unlock()
	return s.cause
}

func (s *session) wait() {
	<-s.done
	<-s.swept
}

// publish registers e under the next delivery tag and publishes it.
// registered=false with a nil error means the session was already dead.
func (s *session) publish(ctx context.Context, deadline <-chan time.Time, e *entry, pub amqp.Publishing) (registered bool, err error) {
	select {
	case s.pubSem <- struct{}{}:
	case <-ctx.Done():
		return false, fmt.Errorf("waiting to publish: %w", ctx.Err())
	case <-deadline:
		return false, fmt.Errorf("%w: channel busy for more than %s", ErrNotConnected, s.p.cfg.ConnectWait)
	case <-s.done:
		return false, nil
	}
	defer func() { <-s.pubSem }()

	tag := s.lastTag + 1
	pub.Headers[publishTagHeader] = int64(tag)
	now := time.Now()
	e.sess, e.tag, e.start, e.deadline, e.returned = s, tag, now, now.Add(s.p.cfg.ConfirmTimeout), nil

	s.pendMu.Lock()
	if s.dead {
		s.pendMu.Unlock()
		return false, nil
	}
	s.pending[tag] = e
	e.b.remaining.Add(1)
	s.pendMu.Unlock()
	s.p.metrics.inFlightAdd(1)

	dc, err := s.ch.PublishWithDeferredConfirm(e.exchange, e.key, true, false, pub)
	if err != nil {
		// Nothing was sent (amqp091 undoes its tag); fail e unless the
		// session's death already did.
		s.resolveTag(tag, fmt.Errorf("%w: publish: %w", ErrNotConnected, err))
		return true, nil
	}
	s.lastTag = tag
	if dc == nil || dc.DeliveryTag != tag {
		// Our tag bookkeeping and the channel's disagree: outcomes could be
		// misattributed, so drop the channel and fail everything in flight.
		s.p.logger.Error("AMQP publisher delivery tag mismatch, closing channel", nil, nil)
		s.kill(fmt.Errorf("%w: delivery tag mismatch", ErrNotConnected))
		_ = s.ch.Close()
	}
	return true, nil
}

// finish records the outcome of e; pendMu must be held and e already
// removed from pending.
func (s *session) finish(e *entry, err error) {
	e.b.errs[e.i] = err
	<-s.p.slots
	s.p.metrics.inFlightAdd(-1)
	if e.b.remaining.Add(-1) == 0 {
		close(e.b.done)
	}
}

func (s *session) resolveTag(tag uint64, err error) {
	s.pendMu.Lock()
	defer s.pendMu.Unlock()
	if e, ok := s.pending[tag]; ok {
		delete(s.pending, tag)
		s.finish(e, err)
	}
}

// abandon fails e with err if it is still pending.
func (s *session) abandon(e *entry, err error) {
	s.pendMu.Lock()
	defer s.pendMu.Unlock()
	if s.pending[e.tag] == e {
		delete(s.pending, e.tag)
		s.finish(e, err)
	}
}

// kill marks the session dead and fails everything pending with err.
func (s *session) kill(err error) {
	s.pendMu.Lock()
	defer s.pendMu.Unlock()
	if !s.dead {
		s.dead = true
		s.cause = err
	}
	for tag, e := range s.pending {
		delete(s.pending, tag)
		s.finish(e, err)
	}
}

func (s *session) onReturn(r amqp.Return) {
	s.p.metrics.returned(r.Exchange)
	tag, ok := r.Headers[publishTagHeader].(int64)
	if !ok {
		s.p.logger.Error("AMQP return without publish tag", nil, watermill.LogFields{"message_id": r.MessageId})
		return
	}
	s.pendMu.Lock()
	defer s.pendMu.Unlock()
	if e, ok := s.pending[uint64(tag)]; ok && e.tag == uint64(tag) {
		e.returned = &r
	}
}

func (s *session) onConfirm(c amqp.Confirmation) {
	s.pendMu.Lock()
	defer s.pendMu.Unlock()
	e, ok := s.pending[c.DeliveryTag]
	if !ok {
		return // timed out or abandoned earlier
	}
	delete(s.pending, c.DeliveryTag)
	switch {
	case !c.Ack:
		s.p.metrics.nacked()
		s.finish(e, ErrNacked)
	case e.returned != nil:
		s.finish(e, fmt.Errorf("amqp: %w (returned by broker): %d %s (exchange %q, key %q)",
			bus.ErrUnroutable, e.returned.ReplyCode, e.returned.ReplyText, e.exchange, e.key))
	default:
		s.p.metrics.observeConfirm(time.Since(e.start))
		s.finish(e, nil)
	}
}

// drainReturns handles every return already queued. The broker sends a
// message's basic.return before its basic.ack, and amqp091's reader hands
// the return to our buffered channel before it hands over the ack, so after
// receiving an ack its return (if any) is already in the buffer.
func (s *session) drainReturns(returns <-chan amqp.Return) {
	for {
		select {
		case r, ok := <-returns:
			if !ok {
				return
			}
			s.onReturn(r)
		default:
			return
		}
	}
}

// readConfirms is the only reader of the channel's confirms and returns.
func (s *session) readConfirms(confirms <-chan amqp.Confirmation, returns <-chan amqp.Return, chClosed, connClosed <-chan *amqp.Error, blockings <-chan amqp.Blocking) {
	defer close(s.done)
	lost := func(what string, amqpErr *amqp.Error) {
		// Confirms and returns that arrived before the close are buffered:
		// honour them, then fail the rest as retryable.
	drain:
		for {
			s.drainReturns(returns)
			select {
			case c, ok := <-confirms:
				if !ok {
					break drain
				}
				s.onConfirm(c)
			default:
				break drain
			}
		}
		if amqpErr != nil {
			s.kill(fmt.Errorf("%w: %s closed: %w", ErrNotConnected, what, amqpErr))
		} else {
			s.kill(fmt.Errorf("%w: %s closed", ErrNotConnected, what))
		}
	}
	for {
		select {
		case r, ok := <-returns:
			if !ok {
				returns = nil
				continue
			}
			s.onReturn(r)
		case c, ok := <-confirms:
			if !ok {
				lost("channel", nil)
				return
			}
			if hook := s.p.cfg.beforeConfirm; hook != nil {
				hook()
			}
			s.drainReturns(returns)
			s.onConfirm(c)
		case err := <-chClosed:
			lost("channel", err)
			return
		case err := <-connClosed:
			lost("connection", err)
			return
		case b, ok := <-blockings:
			if !ok {
				blockings = nil
				continue
			}
			// Messages already sent still get confirms (or time out);
			// new ones wait in waitSession instead of in a blocked write.
			s.blocked.Store(b.Active)
			if b.Active {
				s.p.logger.Error("AMQP broker blocks publishing (resource alarm)", nil, watermill.LogFields{"reason": b.Reason})
			} else {
				s.p.logger.Info("AMQP broker unblocked publishing", nil)
			}
			s.p.wakeWaiters()
		}
	}
}

// sweep fails entries whose confirm is overdue.
func (s *session) sweep() {
	defer close(s.swept)
	interval := max(s.p.cfg.ConfirmTimeout/10, time.Millisecond)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-s.done:
			return
		case now := <-t.C:
			s.pendMu.Lock()
			for tag, e := range s.pending {
				if now.After(e.deadline) {
					delete(s.pending, tag)
					s.p.metrics.timedOut()
					s.finish(e, fmt.Errorf("%w after %s", ErrConfirmTimeout, s.p.cfg.ConfirmTimeout))
				}
			}
			s.pendMu.Unlock()
		}
	}
}
