// Package pipeline wires the stages a disclosure passes through, in one
// Watermill handler per intake message: decode and validate, register
// (idempotent), screen, compose, validate against the official XSD, sign,
// publish to the provider's queue with a broker confirm, keep the signed
// message in the evidence archive (archive.go), and a status event
// for every state change. HandleBatch (batch.go) takes a batch of intake
// messages through the same stages, each stage for the whole batch. The
// stages are values passed in; this package holds the order and the state
// machine, not the stages' rules.
package pipeline

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/sluis-gateway/sluis/internal/actor"
	"github.com/sluis-gateway/sluis/internal/bus"
	"github.com/sluis-gateway/sluis/internal/consent"
	"github.com/sluis-gateway/sluis/internal/disclosure"
	"github.com/sluis-gateway/sluis/internal/identity"
	"github.com/sluis-gateway/sluis/internal/logctx"
	"github.com/sluis-gateway/sluis/internal/receipts"
	"github.com/sluis-gateway/sluis/messages"
)

// ReasonNotConnected is the failure reason when no queue takes a message for
// the recipient.
const ReasonNotConnected = "recipient not connected"

// ReasonStoppedWhileSending starts the failure reason of a disclosure whose
// basis no longer held when sluis resumed sending it after a crash: the
// provider may have received it, and the sender should check with them.
const ReasonStoppedWhileSending = "stopped while being sent (the basis no longer holds); the provider may already have received it."

// Pipeline is the disclosure handler. Build it with New.
type Pipeline struct {
	dec       *disclosure.Decoder
	store     Store
	batcher   receipts.Batcher
	ledger    Ledger
	screen    Screener
	compose   Composer
	validate  Validator
	seal      Sealer
	pub       Publisher
	archive   Archiver
	answers   Answers
	clientKey []byte
	now       func() time.Time
	log       *slog.Logger
	metrics   *Metrics
	claimFor  time.Duration
	inflight  inflight
	owners    *owners
	// workers bounds the concurrent stages of HandleBatch (Config.Workers).
	workers chan struct{}
}

// Config holds the pipeline's parts. All are required except Now and Logger.
type Config struct {
	Decoder   *disclosure.Decoder
	Store     Store
	Screener  Screener
	Composer  Composer
	Validator Validator
	Sealer    Sealer
	Publisher Publisher
	// Archive keeps the signed message of every delivered disclosure
	// (see publish); nil archives nothing (component tests, benchmarks).
	Archive Archiver
	// Answers checks and links in_reply_to; nil: a request naming one is
	// refused (nothing could link it).
	Answers Answers
	// ClientKeySecret keys the hash of the BSN kept in the store.
	ClientKeySecret []byte
	Now             func() time.Time
	Logger          *slog.Logger
	Metrics         *Metrics
	// ClaimFor is how long a pass's claim on a disclosure lasts unless
	// released (claim.go); default DefaultClaimFor.
	ClaimFor time.Duration
	// Workers bounds how many messages of a batch (HandleBatch) are
	// decoded, screened and built at once, over all batches; default
	// DefaultWorkers (the gateway passes SLUIS_WORKERS).
	Workers int
}

// DefaultWorkers is Config.Workers when unset.
const DefaultWorkers = 32

// New checks the configuration and builds the pipeline.
func New(c Config) (*Pipeline, error) {
	switch {
	case c.Decoder == nil:
		return nil, errors.New("pipeline: no decoder")
	case c.Store == nil:
		return nil, errors.New("pipeline: no store")
	case c.Screener == nil:
		return nil, errors.New("pipeline: no screener")
	case c.Composer == nil:
		return nil, errors.New("pipeline: no composer")
	case c.Validator == nil:
		return nil, errors.New("pipeline: no validator")
	case c.Sealer == nil:
		return nil, errors.New("pipeline: no sealer")
	case c.Publisher == nil:
		return nil, errors.New("pipeline: no publisher")
	case len(c.ClientKeySecret) < 32:
		return nil, errors.New("pipeline: client key secret must be at least 32 bytes")
	case c.Metrics == nil:
		return nil, errors.New("pipeline: no metrics")
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.ClaimFor < 0 {
		return nil, errors.New("pipeline: negative claim duration")
	}
	if c.ClaimFor == 0 {
		c.ClaimFor = DefaultClaimFor
	}
	if c.Workers < 0 {
		return nil, errors.New("pipeline: negative workers")
	}
	if c.Workers == 0 {
		c.Workers = DefaultWorkers
	}
	own, err := newOwners()
	if err != nil {
		return nil, err
	}
	return &Pipeline{
		dec: c.Decoder, store: c.Store, batcher: c.Store, ledger: c.Store, screen: c.Screener, compose: c.Composer,
		validate: c.Validator, seal: c.Sealer, pub: c.Publisher, archive: c.Archive, answers: c.Answers,
		clientKey: c.ClientKeySecret, now: c.Now, log: c.Logger, metrics: c.Metrics,
		claimFor: c.ClaimFor, owners: own, workers: make(chan struct{}, c.Workers),
	}, nil
}

// ClientKey is the keyed hash of a BSN under which the store knows a client
// (consent.ClientKey under the pipeline's secret).
func (p *Pipeline) ClientKey(bsn string) string { return consent.ClientKey(p.clientKey, bsn) }

// Handle processes one intake message. It returns nil (ack) once the
// disclosure's outcome is durable in the store, and an error (nack, retry)
// when something transient failed before that.
//
// Status events of one pass are collected and published together at the
// end (one round of pipelined confirms instead of one per state change),
// also when the pass fails: the states they report are already stored.
//
// Every log line of the pass carries the disclosure's id (disclosure_id):
// handle puts a logger with it in the message's context (logctx), and the
// stages log through p.logger.
// The pass holds the disclosure's claim (claim.go) until they are
// confirmed, so another copy of the request never announces in between.
func (p *Pipeline) Handle(msg *message.Message) error {
	ctx := msg.Context()
	ob := &outbox{}
	err := p.handle(ctx, ob, msg)
	ferr := p.flush(msg.Context(), ob)
	p.release(msg.Context(), ob)
	if ferr != nil {
		err = errors.Join(err, ferr)
	}
	return err
}

// logger is the logger of the pass ctx belongs to (with its disclosure_id),
// else the pipeline's.
func (p *Pipeline) logger(ctx context.Context) *slog.Logger { return logctx.From(ctx, p.log) }

// withID returns ctx with the logger of the pass of disclosure id, and sets
// it as msg's context so that Handle and the router's middleware log with
// it too (the router logs a failed pass with it, internal/app).
func (p *Pipeline) withID(ctx context.Context, msg *message.Message, id string) context.Context {
	ctx = logctx.With(ctx, p.log.With("disclosure_id", id))
	msg.SetContext(ctx)
	return ctx
}

func (p *Pipeline) handle(ctx context.Context, ob *outbox, msg *message.Message) error {
	started := p.now()
	sys, err := identity.SystemFrom(ctx)
	if err != nil {
		return p.unauthenticated(ctx, msg.Payload)
	}
	req, err := p.dec.Decode(msg.Payload)
	if err != nil {
		var inv *disclosure.InvalidError
		if errors.As(err, &inv) {
			env := disclosure.Peek(msg.Payload)
			ctx = p.withID(ctx, msg, env.ID)
			env.Municipality, env.System = ownKey(sys, env.Municipality, env.System)
			return p.invalid(ctx, ob, channelOf(msg), env, inv.Problems, false)
		}
		return fmt.Errorf("decode: %w", err)
	}
	p.metrics.stage("decode", started, p.now())
	ctx = p.withID(ctx, msg, req.ID)
	if ctx, err = p.authorize(ctx, ob, sys, req); err != nil {
		var ref *identity.RefusedError
		if errors.As(err, &ref) {
			return nil // recorded and answered: ack
		}
		return err
	}

	rec, created, err := p.store.Register(ctx, p.record(req))
	if errors.Is(err, receipts.ErrConflict) {
		return p.conflict(ctx, ob, msg, req)
	}
	if err != nil {
		return fmt.Errorf("register %s: %w", req.ID, err)
	}
	if created {
		p.metrics.state(rec)
		p.logState(ctx, rec)
	} else {
		p.logger(ctx).Info("disclosure seen before", "state", rec.State)
	}
	if rec, err = p.claim(ctx, ob, rec.DisclosureID); err != nil {
		return err
	}
	if rec.Sequence > rec.Announced {
		// Registered by this pass, by the HTTP intake, or a state whose
		// event a crash or a broker failure kept from being confirmed.
		ob.announce(rec, nil, p.now())
	}
	return p.advance(ctx, ob, req, rec)
}

// Register registers req for the authenticated system sys, as the
// pipeline does when it takes the request from the intake queue: the HTTP
// intake calls it before it enqueues, so an id used for another request is
// refused (receipts.ErrConflict) while the caller waits. The received
// event is announced by the pass that takes the request from the queue.
func (p *Pipeline) Register(ctx context.Context, sys identity.System, req disclosure.Request) (receipts.Record, bool, error) {
	if err := identity.MaySend(sys, req.Sender.Municipality, req.Sender.System, req.LegalBasis.Kind); err != nil {
		return receipts.Record{}, false, err
	}
	ctx = actor.With(ctx, actor.SenderEmployee(sys.ID, req.Sender.Municipality, req.Sender.Employee))
	rec, created, err := p.store.Register(ctx, p.record(req))
	if err != nil {
		return receipts.Record{}, false, err
	}
	if created {
		p.metrics.state(rec)
		p.logState(logctx.With(ctx, p.log.With("disclosure_id", rec.DisclosureID)), rec)
	}
	return rec, created, nil
}

// conflict answers a request whose id is registered for a different
// request: an invalid event about this request (no state of the
// disclosure that has the id, which is not touched), counted and recorded
// like any invalid request.
func (p *Pipeline) conflict(ctx context.Context, ob *outbox, msg *message.Message, req disclosure.Request) error {
	return p.invalid(ctx, ob, channelOf(msg), disclosure.Envelope{ID: req.ID, Municipality: req.Sender.Municipality, System: req.Sender.System},
		[]disclosure.Problem{{Path: "/id", Rule: "idempotency", Message: ConflictMessage}}, true)
}

// ConflictMessage is the problem text of a request that reuses an id.
const ConflictMessage = "id already used for a different request; the disclosure with this id is not affected"

// advance moves a registered disclosure on from wherever it is. It is safe to
// call again after a crash at any point: the stored state says where to
// resume. A disclosure found allowed or published (a redelivery after a
// crash) is screened again before it is sent: the screening is
// deterministic for an unchanged register, and a withdrawal or restriction
// recorded meanwhile stops it.
//
// The message is built (composed, validated, signed) before anything is
// stored of the decision, so allowed and published are stored together, in
// one write, just before the publish: a crash before that write leaves the
// disclosure received and it is screened again.
func (p *Pipeline) advance(ctx context.Context, ob *outbox, req disclosure.Request, rec receipts.Record) error {
	switch rec.State {
	case receipts.Received, receipts.Allowed, receipts.Published:
	case receipts.Delivered, receipts.Accepted, receipts.Rejected, receipts.Overdue:
		// Delivered before: link the answer again (a crash may have come
		// between the delivery and the link), ack; the state was
		// announced above if it never was.
		return p.answered(ctx, req, rec)
	default:
		// Final or waiting: announced above if it never was; ack.
		return nil
	}
	if rec.State == receipts.Received && req.InReplyTo != "" {
		code, sentence := ReasonInReplyTo, "in_reply_to cannot be checked here"
		if p.answers != nil {
			var err error
			if code, sentence, err = p.answers.Check(ctx, req); err != nil {
				return fmt.Errorf("check in_reply_to of %s: %w", rec.DisclosureID, err)
			}
		}
		if code != "" {
			_, err := p.move(ctx, ob, rec, receipts.Change{To: receipts.Refused, Reason: sentence, ReasonCodes: []string{code}})
			return err
		}
	}
	t0 := p.now()
	s, err := p.screen.Screen(ctx, req, rec)
	if err != nil {
		return fmt.Errorf("screen %s: %w", rec.DisclosureID, err)
	}
	if rec.State == receipts.Received {
		p.metrics.stage("screen", t0, p.now())
	}
	if !s.Allowed {
		c := refusal(s)
		if rec.State == receipts.Published {
			// The message may already be in the provider's queue (a crash
			// between the broker's confirm and recording it), so "refused"
			// (never sent) would be untrue, and it cannot be rebuilt on the
			// changed basis.
			c.To = receipts.Failed
			c.Reason = ReasonStoppedWhileSending + " " + s.Sentence
		}
		_, err := p.move(ctx, ob, rec, c)
		return err
	}
	var before []receipts.Change
	if rec.State == receipts.Received {
		before = append(before, receipts.Change{To: receipts.Allowed, Detail: screeningDetail(s)})
	}
	signed, err := p.build(s.Checked, rec)
	if err != nil {
		var perm *permanentError
		if errors.As(err, &perm) {
			_, err = p.move(ctx, ob, rec, append(before, receipts.Change{To: receipts.Failed, Reason: perm.Error()})...)
		}
		return err
	}
	if rec.State != receipts.Published {
		if rec, err = p.move(ctx, ob, rec, append(before, receipts.Change{To: receipts.Published})...); err != nil {
			return err
		}
	}
	return p.publish(ctx, ob, req, rec, signed)
}

// ReasonInReplyTo is the reason code of a request refused because it names
// an in_reply_to nothing can check.
const ReasonInReplyTo = "in_reply_to"

// answered links a delivered answer to the inbound message it names.
func (p *Pipeline) answered(ctx context.Context, req disclosure.Request, rec receipts.Record) error {
	if req.InReplyTo == "" || p.answers == nil {
		return nil
	}
	if err := p.answers.Delivered(ctx, req, rec); err != nil {
		return fmt.Errorf("link %s to %s: %w", rec.DisclosureID, req.InReplyTo, err)
	}
	return nil
}

func refusal(s Screening) receipts.Change {
	return receipts.Change{To: receipts.Refused, Reason: s.Sentence, ReasonCodes: s.ReasonCodes, Detail: screeningDetail(s)}
}

// screeningDetail is what the ledger and the status event say about a
// decision: basis, consents, profile, stripped paths. No values.
func screeningDetail(s Screening) map[string]string {
	detail := map[string]string{"basis": s.Basis}
	for k, v := range s.Detail {
		detail[k] = v
	}
	if len(s.ConsentIDs) > 0 {
		detail["consents"] = strings.Join(s.ConsentIDs, ",")
	}
	return detail
}

// publish sends the signed message of a published disclosure to its
// provider's queue and records the outcome.
func (p *Pipeline) publish(ctx context.Context, ob *outbox, req disclosure.Request, rec receipts.Record, signed []byte) error {
	out := message.NewMessage(rec.MessageID, signed)
	bus.AGB.Set(out, rec.Recipient)
	bus.ContentType.Set(out, "application/xml")
	bus.MessageType.Set(out, rec.MessageType)
	t0 := p.now()
	err := p.pub.PublishContext(ctx, bus.TopicOutbound, out)[0]
	p.metrics.stage("publish", t0, p.now())
	switch {
	case err == nil:
		at := p.now()
		if err := p.archiveSigned(ctx, rec, signed); err != nil {
			return err
		}
		next, err := p.move(ctx, ob, rec, receipts.Change{To: receipts.Delivered, At: at, Detail: map[string]string{"message_id": rec.MessageID}})
		if err != nil {
			return err
		}
		return p.answered(ctx, req, next)
	case errors.Is(err, bus.ErrUnroutable):
		_, err = p.move(ctx, ob, rec, receipts.Change{To: receipts.Failed, Reason: ReasonNotConnected})
		return err
	default:
		return fmt.Errorf("publish %s: %w", rec.DisclosureID, err)
	}
}

// move records state changes (one write, all or none), then tells the
// sender of each. It returns the record after the last.
func (p *Pipeline) move(ctx context.Context, ob *outbox, rec receipts.Record, cs ...receipts.Change) (receipts.Record, error) {
	now := p.now()
	for i := range cs {
		if cs[i].At.IsZero() {
			cs[i].At = now
		}
	}
	recs, err := p.store.MoveAll(ctx, rec.DisclosureID, cs...)
	if err != nil {
		return rec, fmt.Errorf("move %s to %s: %w", rec.DisclosureID, cs[len(cs)-1].To, err)
	}
	for i, next := range recs {
		p.metrics.state(next)
		p.logState(ctx, next)
		ob.announce(next, cs[i].Detail, now)
	}
	return recs[len(recs)-1], nil
}

// logState logs a state change: a refusal with its reason codes, a
// failure with its reason code (FailureCode; the sentence stays in the
// record), never values.
func (p *Pipeline) logState(ctx context.Context, rec receipts.Record) {
	args := []any{"state", rec.State, "message_type", rec.MessageType, "recipient", rec.Recipient}
	switch rec.State {
	case receipts.Refused:
		args = append(args, "reason_codes", strings.Join(rec.ReasonCodes, ","))
	case receipts.Failed:
		args = append(args, "reason_code", FailureCode(rec.Reason))
	}
	p.logger(ctx).Info("disclosure state", args...)
}

// invalid records a request that could not be registered and tells its
// sender what is wrong, by path and rule.
func (p *Pipeline) invalid(ctx context.Context, ob *outbox, channel string, env disclosure.Envelope, problems []disclosure.Problem, conflict bool) error {
	if _, err := actor.From(ctx); err != nil {
		ctx = actor.With(ctx, actor.Sender(env.System, env.Municipality))
	}
	inv := &disclosure.InvalidError{Problems: problems}
	now := p.now()
	if err := p.store.RecordInvalid(ctx, receipts.InvalidRequest{
		DisclosureID: env.ID, Municipality: env.Municipality, System: env.System,
		Reason: inv.Error(), ReceivedAt: now, Conflict: conflict,
	}); err != nil {
		return fmt.Errorf("record invalid request: %w", err)
	}
	p.metrics.CountInvalid(channel)
	p.logger(ctx).Info("disclosure invalid", "problems", len(problems), "rules", problemRules(problems))
	ob.events = append(ob.events, bus.Event{
		DisclosureID: env.ID, State: string(receipts.Invalid), At: now,
		Municipality: env.Municipality, System: env.System, Reason: inv.Error(), Problems: problems,
	})
	return nil
}

// problemRules lists the distinct rules of problems ("schema,char:utf8"):
// names of checks, never values.
func problemRules(problems []disclosure.Problem) string {
	var rules []string
	for _, pr := range problems {
		if !slices.Contains(rules, pr.Rule) {
			rules = append(rules, pr.Rule)
		}
	}
	return strings.Join(rules, ",")
}

// channelOf is the channel a request came in by: "http" when the HTTP
// intake enqueued it (bus.System set by the gateway's own publish), else
// "amqp".
func channelOf(msg *message.Message) string {
	if bus.System.Get(msg) != "" {
		return ChannelHTTP
	}
	return ChannelAMQP
}

// record is the receipt record of a request. ClientKey is the keyed BSN
// hash when the request carries a BSN, and empty when it has no client (a
// 319): the hash of an empty BSN would be one shared key for every such
// request.
func (p *Pipeline) record(req disclosure.Request) receipts.Record {
	clientKey := ""
	if req.Client.BSN != "" {
		clientKey = p.ClientKey(req.Client.BSN)
	}
	return receipts.Record{
		DisclosureID: req.ID,
		Municipality: req.Sender.Municipality,
		System:       req.Sender.System,
		Recipient:    req.Recipient.AGB,
		Standard:     req.Standard,
		MessageType:  messages.MessageType(messages.Standard(req.Standard), req.MessageType),
		Purpose:      req.Purpose,
		Basis:        req.LegalBasis.Kind,
		ClientKey:    clientKey,
		RequestHash:  disclosure.Hash(req),
	}
}
