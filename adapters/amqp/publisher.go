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
	"github.com/ThreeDotsLabs/watermill/message"
	amqp "github.com/rabbitmq/amqp091-go"
)

// Outcomes of a publish. Every message handed to Publish ends in exactly one
// of: nil (confirmed by the broker and taken by at least one queue) or an
// error matching one of these (errors.Is).
var (
	// ErrUnroutable: the broker returned the mandatory message (basic.return,
	// e.g. 312 NO_ROUTE): no queue is bound for it, i.e. the recipient is not
	// connected. Permanent for this route until the queue exists.
	ErrUnroutable = errors.New("amqp: message unroutable (returned by broker)")
	// ErrNacked: the broker refused the message (basic.nack), e.g. a full
	// queue with x-overflow reject-publish. May succeed later.
	ErrNacked = errors.New("amqp: message nacked by broker")
	// ErrConfirmTimeout: no confirm arrived within ConfirmTimeout. The
	// message may or may not have been stored: retry with the same message
	// id so that the receiver can deduplicate.
	ErrConfirmTimeout = errors.New("amqp: publisher confirm timed out")
	// ErrClosed: the publisher is closed.
	ErrClosed = errors.New("amqp: publisher closed")
	// ErrNotConnected: no connection, or the connection or channel was lost
	// while the message awaited its confirm. Retryable.
	ErrNotConnected = errors.New("amqp: not connected")
	// ErrNoExchange: Route named an exchange the broker does not have (a
	// configuration error; checked once per exchange and connection, so
	// that the broker's 404 never closes the shared channel).
	ErrNoExchange = errors.New("amqp: exchange does not exist")
	// ErrInvalidConfig: NewPublisher got a bad PublisherConfig.
	ErrInvalidConfig = errors.New("amqp: invalid publisher config")
)

// MetadataContentType is the watermill metadata key whose value becomes the
// AMQP content-type property (and is not copied to the headers).
const MetadataContentType = "content_type"

// DefaultContentType is used when a message has no content_type metadata.
const DefaultContentType = "application/octet-stream"

// publishTagHeader carries the channel delivery tag of each publish, so that
// a basic.return (which carries the message, not its tag) can be matched to
// the pending publish exactly. Consumers can ignore it; the subscriber
// marshaler drops it.
const publishTagHeader = "sluis-publish-tag"

// Backoff bounds the delay between reconnect attempts; it doubles from
// Initial up to Max.
type Backoff struct {
	Initial time.Duration // default 100ms
	Max     time.Duration // default 5s
}

// PublisherConfig configures a Publisher. Zero durations and counts take
// their defaults.
type PublisherConfig struct {
	// URL is the AMQP URL, e.g. amqp://user:pass@host:5672/vhost. Required.
	URL string
	// ConfirmTimeout bounds the wait for a publisher confirm; a message not
	// confirmed in time fails with ErrConfirmTimeout. Default 10s.
	ConfirmTimeout time.Duration
	// MaxInFlight is the window of unconfirmed messages; Publish blocks
	// (back-pressure) while it is full. Default 1024.
	MaxInFlight int
	// ReconnectBackoff bounds the delay between connection attempts.
	ReconnectBackoff Backoff
	// ConnectWait bounds how long Publish waits for a connection before a
	// message fails with ErrNotConnected. Default: ConfirmTimeout.
	ConnectWait time.Duration
	// Route maps a watermill topic and message to exchange and routing key.
	// Required. A message routed to an exchange that does not exist fails
	// with ErrNoExchange (see Topology for the exchanges).
	Route func(topic string, msg *message.Message) (exchange, key string, err error)
	// ConnectionName is shown in the broker's connection list.
	// Default "sluis-publisher".
	ConnectionName string

	// beforeConfirm, when set (tests only), runs in the confirm-reading
	// goroutine before each confirm is processed.
	beforeConfirm func()
}

// RouteTo returns a Route that publishes every topic to exchange with the
// topic as routing key (e.g. RouteTo(ExchangeOutbound) with the AGB code as
// topic, or RouteTo("") to address a queue by name on the default exchange).
func RouteTo(exchange string) func(string, *message.Message) (string, string, error) {
	return func(topic string, _ *message.Message) (string, string, error) {
		if topic == "" {
			return "", "", errors.New("empty topic")
		}
		return exchange, topic, nil
	}
}

func (c PublisherConfig) withDefaults() (PublisherConfig, error) {
	var bad []string
	if c.URL == "" {
		bad = append(bad, "URL is empty")
	} else if _, err := amqp.ParseURI(c.URL); err != nil {
		bad = append(bad, "URL does not parse") // the error would echo the password
	}
	if c.Route == nil {
		bad = append(bad, "Route is nil")
	}
	if c.ConfirmTimeout < 0 {
		bad = append(bad, "ConfirmTimeout is negative")
	}
	if c.MaxInFlight < 0 {
		bad = append(bad, "MaxInFlight is negative")
	}
	if c.ConnectWait < 0 {
		bad = append(bad, "ConnectWait is negative")
	}
	if c.ReconnectBackoff.Initial < 0 || c.ReconnectBackoff.Max < 0 {
		bad = append(bad, "ReconnectBackoff is negative")
	}
	if c.ReconnectBackoff.Max > 0 && c.ReconnectBackoff.Initial > c.ReconnectBackoff.Max {
		bad = append(bad, "ReconnectBackoff.Initial exceeds ReconnectBackoff.Max")
	}
	if len(bad) > 0 {
		return c, fmt.Errorf("%w: %s", ErrInvalidConfig, strings.Join(bad, "; "))
	}
	if c.ConfirmTimeout == 0 {
		c.ConfirmTimeout = 10 * time.Second
	}
	if c.MaxInFlight == 0 {
		c.MaxInFlight = 1024
	}
	if c.ConnectWait == 0 {
		c.ConnectWait = c.ConfirmTimeout
	}
	if c.ReconnectBackoff.Initial == 0 {
		c.ReconnectBackoff.Initial = 100 * time.Millisecond
	}
	if c.ReconnectBackoff.Max == 0 {
		c.ReconnectBackoff.Max = 5 * time.Second
	}
	if c.ReconnectBackoff.Initial > c.ReconnectBackoff.Max {
		c.ReconnectBackoff.Initial = c.ReconnectBackoff.Max
	}
	if c.ConnectionName == "" {
		c.ConnectionName = "sluis-publisher"
	}
	return c, nil
}

// Publisher is a watermill message.Publisher over amqp091 with persistent,
// mandatory publishes and pipelined publisher confirms: all messages of a
// call are published first, then their confirms are awaited together.
// Returned (unroutable) messages are reported as ErrUnroutable, never as
// delivered. It connects in the background and reconnects with backoff.
// Safe for concurrent use.
type Publisher struct {
	cfg     PublisherConfig
	logger  watermill.LoggerAdapter
	metrics *PublisherMetrics

	slots chan struct{} // in-flight window

	mu      sync.Mutex
	sess    *session      // live session or nil
	changed chan struct{} // closed and replaced when sess changes
	closing bool
	active  sync.WaitGroup // running Publish calls

	closed      chan struct{} // closed by Close
	stop        context.CancelFunc
	managerDone chan struct{}
	closeOnce   sync.Once
}

// NewPublisher validates cfg and starts connecting in the background; it
// does not fail when the broker is down. logger and metrics may be nil.
func NewPublisher(cfg PublisherConfig, logger watermill.LoggerAdapter, metrics *PublisherMetrics) (*Publisher, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if logger == nil {
		logger = watermill.NopLogger{}
	}
	ctx, stop := context.WithCancel(context.Background())
	p := &Publisher{
		cfg:         cfg,
		logger:      logger.With(watermill.LogFields{"component": "amqp_publisher", "connection_name": cfg.ConnectionName}),
		metrics:     metrics,
		slots:       make(chan struct{}, cfg.MaxInFlight),
		changed:     make(chan struct{}),
		closed:      make(chan struct{}),
		stop:        stop,
		managerDone: make(chan struct{}),
	}
	go p.manage(ctx)
	return p, nil
}

// Publish publishes msgs to topic and returns when every message has been
// confirmed by the broker and was not returned. On failure the error joins
// one error per failed message (errors.Is works on each sentinel); a message
// not mentioned succeeded. Use PublishContext for per-message outcomes.
func (p *Publisher) Publish(topic string, msgs ...*message.Message) error {
	errs := p.PublishContext(context.Background(), topic, msgs...)
	var failed []error
	for i, err := range errs {
		if err == nil {
			continue
		}
		id := "<nil>"
		if msgs[i] != nil {
			id = msgs[i].UUID
		}
		failed = append(failed, fmt.Errorf("publish message %s: %w", id, err))
	}
	return errors.Join(failed...)
}

// PublishContext publishes msgs to topic and returns one outcome per
// message, in order: nil means confirmed by the broker and routed to a queue.
// ctx bounds the whole call; a message still unconfirmed when ctx ends fails
// with ctx's error (it may still have reached the broker).
func (p *Publisher) PublishContext(ctx context.Context, topic string, msgs ...*message.Message) []error {
	errs := make([]error, len(msgs))
	p.mu.Lock()
	if p.closing {
		p.mu.Unlock()
		for i := range errs {
			errs[i] = ErrClosed
		}
		return errs
	}
	p.active.Add(1)
	p.mu.Unlock()
	defer p.active.Done()

	b := &batch{errs: errs, done: make(chan struct{})}
	b.remaining.Store(1) // held by this call until every message is handed over
	var entries []*entry
	for i, msg := range msgs {
		if msg == nil {
			errs[i] = errors.New("nil message")
			continue
		}
		exchange, key, err := p.cfg.Route(topic, msg)
		if err != nil {
			errs[i] = fmt.Errorf("route topic %q: %w", topic, err)
			continue
		}
		e := &entry{b: b, i: i, exchange: exchange, key: key}
		if err := p.publishOne(ctx, e, publishing(msg)); err != nil {
			errs[i] = err
			continue
		}
		entries = append(entries, e)
	}
	if b.remaining.Add(-1) == 0 {
		close(b.done)
	}

	select {
	case <-b.done:
	case <-ctx.Done():
		// Give up on what is left; later confirms for it are ignored.
		for _, e := range entries {
			e.sess.abandon(e, fmt.Errorf("awaiting confirm: %w", ctx.Err()))
		}
		<-b.done
	}
	return errs
}

// publishing builds the AMQP message: persistent, message id = watermill
// UUID, content type from metadata, other metadata as headers.
func publishing(msg *message.Message) amqp.Publishing {
	headers := make(amqp.Table, len(msg.Metadata)+1)
	contentType := DefaultContentType
	for k, v := range msg.Metadata {
		if k == MetadataContentType {
			if v != "" {
				contentType = v
			}
			continue
		}
		headers[k] = v
	}
	return amqp.Publishing{
		Headers:      headers,
		ContentType:  contentType,
		DeliveryMode: amqp.Persistent,
		MessageId:    msg.UUID,
		Timestamp:    time.Now().UTC(),
		Body:         msg.Payload,
	}
}

// publishOne takes a window slot, waits for a live session and publishes
// e on it. A nil return means e is registered and will be resolved exactly
// once (confirm, return+confirm, nack, timeout, connection loss or abandon).
func (p *Publisher) publishOne(ctx context.Context, e *entry, pub amqp.Publishing) error {
	select {
	case p.slots <- struct{}{}:
	case <-ctx.Done():
		return fmt.Errorf("waiting for in-flight window: %w", ctx.Err())
	case <-p.closed:
		return ErrClosed
	}
	connectDeadline := time.NewTimer(p.cfg.ConnectWait)
	defer connectDeadline.Stop()
	for {
		s, err := p.waitSession(ctx, connectDeadline.C)
		if err != nil {
			<-p.slots
			return err
		}
		if err := s.checkExchange(e.exchange); err != nil {
			<-p.slots
			return err
		}
		registered, err := s.publish(ctx, connectDeadline.C, e, pub)
		if registered {
			return nil
		}
		if err != nil {
			<-p.slots
			return err
		}
		// The session died before the publish; wait for the next one.
	}
}

// waitSession returns the live session, waiting for one until ctx ends, the
// connect deadline fires or the publisher closes.
func (p *Publisher) waitSession(ctx context.Context, deadline <-chan time.Time) (*session, error) {
	for {
		p.mu.Lock()
		s, changed := p.sess, p.changed
		p.mu.Unlock()
		blocked := false
		if s != nil && !s.isDead() {
			if !s.blocked.Load() {
				return s, nil
			}
			blocked = true
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return nil, fmt.Errorf("%w: waiting for connection: %w", ErrNotConnected, ctx.Err())
		case <-deadline:
			if blocked {
				return nil, fmt.Errorf("%w: broker blocks publishing (resource alarm) for more than %s", ErrNotConnected, p.cfg.ConnectWait)
			}
			return nil, fmt.Errorf("%w: no connection within %s", ErrNotConnected, p.cfg.ConnectWait)
		case <-p.closed:
			return nil, ErrClosed
		}
	}
}

func (p *Publisher) setSession(s *session) {
	p.mu.Lock()
	p.sess = s
	close(p.changed)
	p.changed = make(chan struct{})
	p.mu.Unlock()
}

// wakeWaiters lets waitSession callers re-examine the session.
func (p *Publisher) wakeWaiters() {
	p.mu.Lock()
	close(p.changed)
	p.changed = make(chan struct{})
	p.mu.Unlock()
}

// Close stops accepting messages, waits for running Publish calls to get
// their outcomes (bounded by ConfirmTimeout and ConnectWait), then closes the
// connection and stops every goroutine it started.
func (p *Publisher) Close() error {
	p.closeOnce.Do(func() {
		p.mu.Lock()
		p.closing = true
		close(p.closed)
		p.mu.Unlock()
		p.active.Wait()
		p.stop()
		<-p.managerDone
	})
	return nil
}

// manage keeps one session alive until ctx ends.
func (p *Publisher) manage(ctx context.Context) {
	defer close(p.managerDone)
	delay := p.cfg.ReconnectBackoff.Initial
	connectedBefore := false
	for {
		s, err := p.connect()
		if err != nil {
			p.logger.Error("AMQP publisher connect failed, retrying", err, watermill.LogFields{"retry_in": delay.String()})
			t := time.NewTimer(delay)
			select {
			case <-t.C:
			case <-ctx.Done():
				t.Stop()
				return
			}
			delay = min(2*delay, p.cfg.ReconnectBackoff.Max)
			continue
		}
		delay = p.cfg.ReconnectBackoff.Initial
		if connectedBefore {
			p.metrics.reconnected()
			p.logger.Info("AMQP publisher reconnected", nil)
		} else {
			p.logger.Info("AMQP publisher connected", nil)
		}
		connectedBefore = true
		p.setSession(s)

		select {
		case <-s.done:
			p.setSession(nil)
			p.logger.Error("AMQP publisher lost its channel or connection", s.deathCause(), nil)
			_ = s.conn.Close()
			s.wait()
		case <-ctx.Done():
			p.setSession(nil)
			s.kill(ErrClosed)
			_ = s.conn.Close()
			s.wait()
			return
		}
	}
}

// connect dials, opens a confirm-mode channel and starts its goroutines.
func (p *Publisher) connect() (*session, error) {
	props := amqp.NewConnectionProperties()
	props.SetClientConnectionName(p.cfg.ConnectionName)
	conn, err := amqp.DialConfig(p.cfg.URL, amqp.Config{
		Heartbeat:  10 * time.Second,
		Locale:     "en_US",
		Properties: props,
		Dial:       amqp.DefaultDial(5 * time.Second),
	})
	if err != nil {
		return nil, fmt.Errorf("dial: %w", err)
	}
	ch, err := conn.Channel()
	if err != nil {
		_ = conn.Close()
		return nil, fmt.Errorf("open channel: %w", err)
	}
	// Buffers hold more than the window so that amqp091's reader never has
	// to wait on us (it drops notifications after waiting 5s).
	n := 2*p.cfg.MaxInFlight + 64
	confirms := ch.NotifyPublish(make(chan amqp.Confirmation, n))
	returns := ch.NotifyReturn(make(chan amqp.Return, n))
	chClosed := ch.NotifyClose(make(chan *amqp.Error, 1))
	connClosed := conn.NotifyClose(make(chan *amqp.Error, 1))
	blockings := conn.NotifyBlocked(make(chan amqp.Blocking, 4))
	if err := ch.Confirm(false); err != nil {
		_ = conn.Close()
		return nil, fmt.Errorf("confirm mode: %w", err)
	}
	s := &session{
		p:       p,
		conn:    conn,
		ch:      ch,
		pending: make(map[uint64]*entry),
		pubSem:  make(chan struct{}, 1),
		done:    make(chan struct{}),
		swept:   make(chan struct{}),
	}
	go s.readConfirms(confirms, returns, chClosed, connClosed, blockings)
	go s.sweep()
	return s, nil
}

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
		s.finish(e, fmt.Errorf("%w: %d %s (exchange %q, key %q)",
			ErrUnroutable, e.returned.ReplyCode, e.returned.ReplyText, e.exchange, e.key))
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
