package amqp

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/sluis-gateway/sluis/internal/bus"
)

// Outcomes of a publish. Every message handed to Publish ends in exactly one
// of: nil (confirmed by the broker and taken by at least one queue),
// bus.ErrUnroutable (the broker returned the mandatory message: basic.return,
// e.g. 312 NO_ROUTE; no queue is bound for it, i.e. the recipient is not
// connected; permanent for this route until the queue exists) or an error
// matching one of these (errors.Is).
var (
	// ErrNacked: the broker refused the message (basic.nack), e.g. a full
	// queue whose policy sets overflow reject-publish. May succeed later.
	// It matches bus.ErrRefused.
	ErrNacked = fmt.Errorf("amqp: message nacked by broker: %w", bus.ErrRefused)
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

// Publisher is a watermill message.Publisher over amqp091 with persistent,
// mandatory publishes and pipelined publisher confirms: all messages of a
// call are published first, then their confirms are awaited together.
// Returned (unroutable) messages are reported as bus.ErrUnroutable, never as
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
		pub := publishing(msg)
		if pub.UserId == "" {
			pub.UserId = p.cfg.UserID
		}
		if err := p.publishOne(ctx, e, pub); err != nil {
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
// UUID, content type from metadata, metadata bus.UserID as the user-id
// property (RabbitMQ refuses it unless it is the connection's user), other
// metadata as headers.
func publishing(msg *message.Message) amqp.Publishing {
	headers := make(amqp.Table, len(msg.Metadata)+1)
	contentType, userID := DefaultContentType, ""
	for k, v := range msg.Metadata {
		switch k {
		case MetadataContentType:
			if v != "" {
				contentType = v
			}
			continue
		case metadataUserID:
			userID = v
			continue
		}
		headers[k] = v
	}
	return amqp.Publishing{
		UserId:       userID,
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

// Connected reports whether the publisher holds a live session now (its
// connection and channel open), without dialling: what a readiness probe
// asks.
func (p *Publisher) Connected() bool {
	p.mu.Lock()
	s := p.sess
	p.mu.Unlock()
	return s != nil && !s.conn.IsClosed()
}
