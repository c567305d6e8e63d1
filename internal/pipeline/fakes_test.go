package pipeline_test

// In-memory fakes of the pipeline's ports (and of the consent store the
// real screener needs), kept thin: they hold what a test asserts (records,
// ledger entries, published messages) and keep the ports' contracts, not
// the adapters' behaviour.

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/sluis-gateway/sluis/internal/bus"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/sluis-gateway/sluis/internal/actor"
	"github.com/sluis-gateway/sluis/internal/archive"
	"github.com/sluis-gateway/sluis/internal/consent"
	"github.com/sluis-gateway/sluis/internal/disclosure"
	"github.com/sluis-gateway/sluis/internal/identity"
	"github.com/sluis-gateway/sluis/internal/ledger"
	"github.com/sluis-gateway/sluis/internal/pipeline"
	"github.com/sluis-gateway/sluis/internal/receipts"
	"github.com/sluis-gateway/sluis/internal/signing"
	"github.com/sluis-gateway/sluis/internal/testenv"
)

// entry is one ledger entry the fake store appended.
type entry struct {
	Actor, DisclosureID, Event string
	Detail                     map[string]string
}

// receiptStore is an in-memory pipeline.Store: records by id, a ledger
// entry for every change (with the actor from ctx, which it requires), and
// transitions checked with receipts.CanMove, all or none.
type receiptStore struct {
	mu       sync.Mutex
	recs     map[string]receipts.Record
	ledger   []entry
	invalids []receipts.InvalidRequest
	next     int
	moveErr  error // returned by MoveAll (a store that is down)
	claims   map[string]string
}

func newReceiptStore() *receiptStore { return &receiptStore{recs: map[string]receipts.Record{}} }

// seed stores rec as if an earlier pass had left it there (no ledger entry).
func (s *receiptStore) seed(rec receipts.Record) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.recs[rec.DisclosureID] = rec
}

func (s *receiptStore) get(id string) receipts.Record {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.recs[id]
}

func (s *receiptStore) entries() []entry {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.ledger)
}

func (s *receiptStore) Register(ctx context.Context, r receipts.Record) (receipts.Record, bool, error) {
	a, err := actor.From(ctx)
	if err != nil {
		return receipts.Record{}, false, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if old, ok := s.recs[r.DisclosureID]; ok {
		if old.RequestHash != r.RequestHash {
			return receipts.Record{}, false, fmt.Errorf("register %s: %w", r.DisclosureID, receipts.ErrConflict)
		}
		return old, false, nil
	}
	s.next++
	now := time.Now().UTC()
	r.State = receipts.Received
	r.Sequence, r.Announced = 1, 0
	r.Identificatie = fmt.Sprint(s.next)
	r.MessageID = r.MessageType + "-" + r.Municipality + "-" + r.Identificatie
	r.At = map[receipts.State]time.Time{receipts.Received: now}
	r.CreatedAt, r.UpdatedAt = now, now
	s.recs[r.DisclosureID] = r
	s.ledger = append(s.ledger, entry{a.String(), r.DisclosureID, "state:received", nil})
	return r, true, nil
}

func (s *receiptStore) MoveAll(ctx context.Context, id string, cs ...receipts.Change) ([]receipts.Record, error) {
	a, err := actor.From(ctx)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.moveErr != nil {
		return nil, s.moveErr
	}
	rec, ok := s.recs[id]
	if !ok || len(cs) == 0 {
		return nil, fmt.Errorf("move %s: %w", id, receipts.ErrNotFound)
	}
	var out []receipts.Record
	var added []entry
	for _, c := range cs {
		if !receipts.CanMove(rec.State, c.To) {
			return nil, fmt.Errorf("move %s from %s to %s: %w", id, rec.State, c.To, receipts.ErrInvalidTransition)
		}
		d := maps.Clone(c.Detail)
		if d == nil {
			d = map[string]string{}
		}
		d["from"] = string(rec.State)
		if c.Reason != "" {
			d["reason"] = c.Reason
			rec.Reason = c.Reason
		}
		if len(c.ReasonCodes) > 0 {
			rec.ReasonCodes = slices.Clone(c.ReasonCodes)
		}
		rec.State = c.To
		rec.Sequence++
		rec.At = maps.Clone(rec.At)
		rec.At[c.To] = c.At
		rec.UpdatedAt = c.At
		out = append(out, rec)
		added = append(added, entry{a.String(), id, "state:" + string(c.To), d})
	}
	s.recs[id] = rec
	s.ledger = append(s.ledger, added...)
	return out, nil
}

func (s *receiptStore) Claim(_ context.Context, id, owner string, _ time.Time) (receipts.Record, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rec, ok := s.recs[id]
	if !ok {
		return receipts.Record{}, receipts.ErrNotFound
	}
	if s.claims == nil {
		s.claims = map[string]string{}
	}
	if h := s.claims[id]; h != "" && h != owner {
		return receipts.Record{}, receipts.ErrClaimed
	}
	s.claims[id] = owner
	return rec, nil
}

func (s *receiptStore) Release(_ context.Context, id, owner string, announced int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.claims[id] == owner {
		delete(s.claims, id)
	}
	if rec, ok := s.recs[id]; ok && announced > rec.Announced {
		rec.Announced = announced
		s.recs[id] = rec
	}
	return nil
}

func (s *receiptStore) MarkAnnounced(_ context.Context, id string, seq int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if rec, ok := s.recs[id]; ok && seq > rec.Announced {
		rec.Announced = seq
		s.recs[id] = rec
	}
	return nil
}

// The batch methods are the single ones in turn (the fake needs no
// transaction); batchErr fails a whole batch call.
func (s *receiptStore) RegisterBatch(ctx context.Context, items []receipts.Registration) ([]receipts.Registered, error) {
	out := make([]receipts.Registered, len(items))
	for i, it := range items {
		out[i].Record, out[i].Created, out[i].Err = s.Register(actor.With(ctx, it.Actor), it.Record)
	}
	return out, nil
}

func (s *receiptStore) ClaimBatch(ctx context.Context, claims []receipts.ClaimRequest, until time.Time) ([]receipts.Claimed, error) {
	out := make([]receipts.Claimed, len(claims))
	for i, c := range claims {
		out[i].Record, out[i].Err = s.Claim(ctx, c.DisclosureID, c.Owner, until)
	}
	return out, nil
}

func (s *receiptStore) MoveBatch(ctx context.Context, moves []receipts.Moves) ([]receipts.Moved, error) {
	s.mu.Lock()
	err := s.moveErr
	s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	out := make([]receipts.Moved, len(moves))
	for i, m := range moves {
		out[i].Records, out[i].Err = s.MoveAll(actor.With(ctx, m.Actor), m.DisclosureID, m.Changes...)
	}
	return out, nil
}

func (s *receiptStore) ReleaseBatch(ctx context.Context, rs []receipts.ReleaseRequest) error {
	for _, r := range rs {
		if err := s.Release(ctx, r.DisclosureID, r.Owner, r.Announced); err != nil {
			return err
		}
	}
	return nil
}

func (s *receiptStore) RecordInvalid(ctx context.Context, r receipts.InvalidRequest) error {
	a, err := actor.From(ctx)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.invalids = append(s.invalids, r)
	event, d := r.Event, maps.Clone(r.Detail)
	if event == "" {
		event = "invalid"
	}
	if d == nil {
		d = map[string]string{}
	}
	d["reason"] = r.Reason
	s.ledger = append(s.ledger, entry{a.String(), r.DisclosureID, event, d})
	return nil
}

func (s *receiptStore) Append(ctx context.Context, disclosureID, event string, detail map[string]string) (ledger.Entry, error) {
	a, err := actor.From(ctx)
	if err != nil {
		return ledger.Entry{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ledger = append(s.ledger, entry{a.String(), disclosureID, event, maps.Clone(detail)})
	return ledger.Entry{Actor: a.String(), DisclosureID: disclosureID, Event: event, Detail: detail}, nil
}

// demo is the principal of the tests' intake messages: regsys-demo of the
// development registry (0363, every basis).
var demo = identity.System{ID: "regsys-demo", Municipalities: []string{"0363"},
	LegalBases: []string{identity.BasisConsent, identity.BasisLegalObligation, identity.BasisSafetyOverride}}

// intake is an intake message published by demo.
func intake(uuid string, body []byte) *message.Message {
	m := message.NewMessage(uuid, body)
	m.SetContext(identity.WithSystem(context.Background(), demo))
	return m
}

// screener returns one scripted screening and counts its calls.
type screener struct {
	mu    sync.Mutex
	out   pipeline.Screening
	calls int
}

func (s *screener) Screen(_ context.Context, req disclosure.Request, _ receipts.Record) (pipeline.Screening, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	out := s.out
	if out.Allowed {
		out.Checked = req
	}
	return out, nil
}

// composer, validator and sealer build a stand-in message, or fail with err.
type composer struct{ err error }

func (c composer) Compose(_ disclosure.Request, rec receipts.Record) ([]byte, error) {
	if c.err != nil {
		return nil, c.err
	}
	return []byte("<Bericht id=\"" + rec.Identificatie + "\"/>"), nil
}

type validator struct{ err error }

func (v validator) Validate([]byte) error { return v.err }

type sealer struct{ err error }

func (s sealer) Seal(m signing.Meta, bericht []byte) ([]byte, error) {
	if s.err != nil {
		return nil, s.err
	}
	return append([]byte("<Envelope message_id=\""+m.MessageID+"\">"), append(bericht, "</Envelope>"...)...), nil
}

// publisher keeps what was published per topic; outbound publishes fail
// with the errors in outboundErrs, one per publish, in turn (nil: confirmed).
type publisher struct {
	mu           sync.Mutex
	published    map[string][]*message.Message
	outboundErrs []error
}

func (p *publisher) PublishContext(_ context.Context, topic string, msgs ...*message.Message) []error {
	p.mu.Lock()
	defer p.mu.Unlock()
	errs := make([]error, len(msgs))
	for i, m := range msgs {
		if topic == bus.TopicOutbound && len(p.outboundErrs) > 0 {
			errs[i], p.outboundErrs = p.outboundErrs[0], p.outboundErrs[1:]
		}
		if errs[i] == nil {
			if p.published == nil {
				p.published = map[string][]*message.Message{}
			}
			p.published[topic] = append(p.published[topic], m)
		}
	}
	return errs
}

func (p *publisher) on(topic string) []*message.Message {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.published[topic])
}

// consents is an in-memory consent.UseStore for the real screener: one register,
// single-share uses by disclosure id, and consents another disclosure uses
// between the register's read and the use (usedMeanwhile).
type consents struct {
	mu            sync.Mutex
	reg           consent.Register
	usedMeanwhile map[string]string
}

func (c *consents) ConsentRegister(context.Context, string) (consent.Register, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	reg := c.reg
	reg.Consents = slices.Clone(c.reg.Consents)
	return reg, nil
}

func (c *consents) UseConsents(_ context.Context, disclosureID string, ids []string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i := range c.reg.Consents {
		if by, ok := c.usedMeanwhile[c.reg.Consents[i].ID]; ok {
			c.reg.Consents[i].UsedBy = by
		}
	}
	for _, cs := range c.reg.Consents {
		if slices.Contains(ids, cs.ID) && cs.UsedBy != "" && cs.UsedBy != disclosureID {
			return fmt.Errorf("consent %s: %w", cs.ID, consent.ErrConsentUsed)
		}
	}
	for i := range c.reg.Consents {
		if slices.Contains(ids, c.reg.Consents[i].ID) {
			c.reg.Consents[i].UsedBy = disclosureID
		}
	}
	return nil
}

// archived is one message the archive fake kept.
type archived struct {
	ClientKey   string
	Signed      []byte
	RetainUntil time.Time
}

// archiveFake is an in-memory pipeline.Archiver: messages by disclosure id,
// idempotent for the same bytes; Puts fail with the errors in putErrs, one
// per call, in turn (nil: stored).
type archiveFake struct {
	mu      sync.Mutex
	kept    map[string]archived
	putErrs []error
	puts    int
}

func (a *archiveFake) Put(_ context.Context, id, clientKey string, signed []byte, until time.Time) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.puts++
	if len(a.putErrs) > 0 {
		err := a.putErrs[0]
		a.putErrs = a.putErrs[1:]
		if err != nil {
			return err
		}
	}
	if old, ok := a.kept[id]; ok {
		if old.ClientKey != clientKey || string(old.Signed) != string(signed) {
			return fmt.Errorf("archive %s: %w", id, archive.ErrConflict)
		}
		return nil
	}
	if a.kept == nil {
		a.kept = map[string]archived{}
	}
	a.kept[id] = archived{ClientKey: clientKey, Signed: slices.Clone(signed), RetainUntil: until}
	return nil
}

func (a *archiveFake) get(id string) (archived, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	k, ok := a.kept[id]
	return k, ok
}

// handle hands msg to p as the gateway would: to Handle, or with
// SLUIS_TEST_INTAKE_BATCH_SIZE set (testenv.BatchSize) to HandleBatch as a
// batch of one.
func handle(p *pipeline.Pipeline, msg *message.Message) error {
	if testenv.BatchSize() > 0 {
		return p.HandleBatch(msg.Context(), []*message.Message{msg})[0]
	}
	return p.Handle(msg)
}
