package retention

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strconv"
	"time"

	"github.com/sluis-gateway/sluis/internal/actor"
	"github.com/sluis-gateway/sluis/internal/ledger"
	"github.com/sluis-gateway/sluis/internal/receipts"
)

// Signals takes the breach signal of personal data held past its
// retention (breach.Signals): records of municipality whose term ended
// more than DestroyWithinYears ago, the oldest term ending at since. It
// proposes once per municipality and calendar month of now.
type Signals interface {
	RetentionOverdue(ctx context.Context, municipality string, since time.Time, records int, now time.Time) error
}

// Config configures New. Store, Records, Archive, Ledger, Redactor and
// Metrics are required.
type Config struct {
	Store    Store
	Records  Records
	Archive  ArchiveLister
	Ledger   Ledger
	Redactor ledger.Redactor
	Metrics  *Metrics
	// Signals takes the overdue breach signal; nil: none is proposed.
	Signals Signals
	// ClientKey is the keyed BSN hash the pipeline uses; required for
	// Erase.
	ClientKey func(bsn string) string
	// Interval between passes of the job; default 24 hours.
	Interval time.Duration
	// Batch bounds one pass: at most Batch clients destroyed, and Batch
	// records without a client and Batch inbound messages; default 200.
	// The rest waits for the next pass.
	Batch int
	// Now is the clock; default time.Now.
	Now    func() time.Time
	Logger *slog.Logger
}

// Service destroys what has reached the end of its term (Run, Pass) and
// answers erasure requests (Erase). Safe for concurrent use, also by
// several sluis instances on one database.
type Service struct {
	store     Store
	records   Records
	archive   ArchiveLister
	ledger    Ledger
	redactor  ledger.Redactor
	metrics   *Metrics
	signals   Signals
	clientKey func(string) string
	interval  time.Duration
	batch     int
	now       func() time.Time
	log       *slog.Logger
}

// New checks the configuration and builds the service.
func New(c Config) (*Service, error) {
	switch {
	case c.Store == nil || c.Records == nil || c.Archive == nil || c.Ledger == nil || c.Redactor == nil:
		return nil, errors.New("retention: store, records, archive, ledger and redactor are required")
	case c.Metrics == nil:
		return nil, errors.New("retention: metrics are required")
	case c.Interval < 0 || c.Batch < 0:
		return nil, errors.New("retention: interval and batch must not be negative")
	}
	s := &Service{store: c.Store, records: c.Records, archive: c.Archive, ledger: c.Ledger, redactor: c.Redactor,
		metrics: c.Metrics, signals: c.Signals, clientKey: c.ClientKey, interval: c.Interval, batch: c.Batch,
		now: c.Now, log: c.Logger}
	if s.interval == 0 {
		s.interval = 24 * time.Hour
	}
	if s.batch == 0 {
		s.batch = 200
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	return s, nil
}

// Run passes at once and then every Interval until ctx ends; it returns nil
// then. A failed pass is logged and counted; what it did not destroy is due
// again on the next.
func (s *Service) Run(ctx context.Context) error {
	t := time.NewTicker(s.interval)
	defer t.Stop()
	for {
		if _, err := s.Pass(ctx, s.now()); err != nil && ctx.Err() == nil {
			s.log.Error("retention pass failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// PassResult is what one pass did.
type PassResult struct {
	// Clients destroyed of (some of their records), Unkeyed disclosures
	// without a client, Inbound messages.
	Clients, Unkeyed, Inbound int
	// Failed destructions (logged, counted, retried next pass).
	Failed int
	// OldestOverdue is how long ago the oldest term of what is still held
	// past it ended (0: nothing).
	OldestOverdue time.Duration
}

// Pass destroys, as of now, what has reached the end of its term, bounded
// by Batch, then measures what is still held past its term and proposes a
// breach for what is held more than DestroyWithinYears past it. One
// destruction that fails does not stop the others; the pass then returns
// an error naming how many failed.
func (s *Service) Pass(ctx context.Context, now time.Time) (PassResult, error) {
	if _, err := actor.From(ctx); err != nil {
		ctx = actor.With(ctx, actor.System)
	}
	res, err := s.pass(ctx, now.UTC())
	if err == nil && res.Failed > 0 {
		err = fmt.Errorf("retention pass: %d destructions failed", res.Failed)
	}
	if err != nil {
		s.metrics.passes.WithLabelValues("error").Inc()
		return res, err
	}
	s.metrics.passes.WithLabelValues("ok").Inc()
	s.metrics.lastPass.Set(float64(s.now().UnixNano()) / 1e9)
	return res, nil
}

// pageSize is how many due clients are read per query.
const pageSize = 100

func (s *Service) pass(ctx context.Context, now time.Time) (PassResult, error) {
	var res PassResult
	cut := CutoffsAt(now)
	after := Client{}
clients:
	for {
		page, err := s.store.RetentionDue(ctx, cut, after, pageSize)
		if err != nil {
			return res, fmt.Errorf("retention: due clients: %w", err)
		}
		for _, c := range page {
			after = c
			done, err := s.destroyClient(ctx, c, now)
			if err != nil {
				s.fail(c.Municipality, "client", err)
				res.Failed++
			} else if done {
				res.Clients++
			}
			if res.Clients+res.Failed >= s.batch {
				break clients
			}
		}
		if len(page) < pageSize {
			break
		}
	}
	n, failed, err := s.destroyUnkeyed(ctx, cut, now)
	res.Unkeyed, res.Failed = n, res.Failed+failed
	if err != nil {
		return res, err
	}
	n, failed, err = s.destroyInbound(ctx, cut, now)
	res.Inbound, res.Failed = n, res.Failed+failed
	if err != nil {
		return res, err
	}
	oldest, err := s.overdue(ctx, now)
	res.OldestOverdue = oldest
	return res, err
}

func (s *Service) fail(municipality, what string, err error) {
	s.metrics.failures.Inc()
	// Errors of the store name ids and fields, never a client key.
	s.log.Error("retention destruction failed", "municipality", municipality, "of", what, "err", err)
}

// destroyClient destroys what of one client is due at now; done is false
// when nothing was (a consent another instance destroyed first, say).
func (s *Service) destroyClient(ctx context.Context, c Client, now time.Time) (bool, error) {
	h, err := s.Holdings(ctx, c)
	if err != nil {
		return false, err
	}
	p := PlanTerms(h, now)
	if p.Empty() {
		return false, nil
	}
	d, err := s.destroy(ctx, c, p, nil, ledger.EventRetentionDestroyed, map[string]string{"cause": CauseTerm}, now)
	if err != nil {
		return false, err
	}
	s.metrics.count(d, CauseTerm)
	return d.Any(), nil
}

// Holdings reads everything one municipality holds of one client, and
// which disclosures relied on which consents.
func (s *Service) Holdings(ctx context.Context, c Client) (Holdings, error) {
	h := Holdings{Client: c, Archived: map[string]bool{}, Relied: map[string][]string{}}
	if c.ClientKey == "" || c.Municipality == "" {
		return h, errors.New("retention: holdings need a municipality and a client key")
	}
	var err error
	if h.Disclosures, err = s.records.ByClient(ctx, c.Municipality, c.ClientKey); err != nil {
		return h, fmt.Errorf("retention: disclosures: %w", err)
	}
	if h.Register, err = s.store.RetentionRegister(ctx, c); err != nil {
		return h, fmt.Errorf("retention: register: %w", err)
	}
	entries, err := s.archive.ArchiveList(ctx, c.ClientKey)
	if err != nil {
		return h, fmt.Errorf("retention: archive: %w", err)
	}
	mine := map[string]bool{}
	for _, d := range h.Disclosures {
		mine[d.DisclosureID] = true
	}
	for _, e := range entries {
		if mine[e.DisclosureID] {
			h.Archived[e.DisclosureID] = true
		}
	}
	for _, co := range h.Register.Consents {
		if co.UsedBy != "" && mine[co.UsedBy] {
			h.Relied[co.ID] = append(h.Relied[co.ID], co.UsedBy)
		}
	}
	for _, d := range h.Disclosures {
		if d.Basis != "consent" {
			continue
		}
		es, err := s.ledger.EntriesFor(ctx, d.DisclosureID)
		if err != nil {
			return h, fmt.Errorf("retention: ledger of %s: %w", d.DisclosureID, err)
		}
		ReliedOn(h.Relied, d, es)
	}
	return h, nil
}

// destroy redacts the ledger entries about what p destroys, then deletes
// it in one transaction with its ledger entry. The order makes a crash
// safe: redaction is idempotent and its own transaction, so a crash after
// it leaves the rows, which the next pass (or request) finds and finishes.
func (s *Service) destroy(ctx context.Context, c Client, p Plan, inboundIDs []string, event string, detail map[string]string, now time.Time) (Destroyed, error) {
	ref := p.Ref()
	ref.DisclosureIDs = append(ref.DisclosureIDs, inboundIDs...) // entries about an inbound message carry its id there
	if !ref.Empty() {
		if _, err := s.redactor.RedactAbout(ctx, ref, now); err != nil {
			return Destroyed{}, fmt.Errorf("retention: redact the ledger: %w", err)
		}
	}
	d := Destruction{Client: c, ConsentIDs: p.ConsentIDs, RestrictionIDs: p.RestrictionIDs,
		ObjectionIDs: p.ObjectionIDs, Representative: p.Representative, InboundIDs: inboundIDs, At: now,
		Event: event, Detail: maps.Clone(detail)}
	if d.Detail == nil {
		d.Detail = map[string]string{}
	}
	d.Detail["municipality"] = c.Municipality
	for _, rec := range p.Disclosures {
		d.DisclosureIDs = append(d.DisclosureIDs, rec.DisclosureID)
	}
	out, err := s.store.RetentionDestroy(ctx, d)
	if err != nil {
		return Destroyed{}, fmt.Errorf("retention: destroy: %w", err)
	}
	return out, nil
}

// destroyUnkeyed destroys due disclosures without a client, per
// municipality.
func (s *Service) destroyUnkeyed(ctx context.Context, cut Cutoffs, now time.Time) (n, failed int, err error) {
	recs, err := s.store.RetentionUnkeyed(ctx, cut, s.batch)
	if err != nil {
		return 0, 0, fmt.Errorf("retention: disclosures without a client: %w", err)
	}
	by := map[string][]receipts.Record{}
	for _, r := range recs {
		if DueAt(r, now) {
			by[r.Municipality] = append(by[r.Municipality], r)
		}
	}
	for _, m := range slices.Sorted(maps.Keys(by)) {
		d, err := s.destroy(ctx, Client{Municipality: m}, Plan{Disclosures: by[m]}, nil, ledger.EventRetentionDestroyed,
			map[string]string{"cause": CauseTerm}, now)
		if err != nil {
			s.fail(m, "disclosures without a client", err)
			failed++
			continue
		}
		s.metrics.count(d, CauseTerm)
		n += sum(d.Disclosures)
	}
	return n, failed, nil
}

// destroyInbound destroys providers' inbound messages past their term,
// per municipality.
func (s *Service) destroyInbound(ctx context.Context, cut Cutoffs, now time.Time) (n, failed int, err error) {
	recs, err := s.store.RetentionInbound(ctx, cut, s.batch)
	if err != nil {
		return 0, 0, fmt.Errorf("retention: inbound messages: %w", err)
	}
	by := map[string][]string{}
	for _, r := range recs {
		if until, err := Until(r.Standard, r.ReceivedAt); err == nil && !now.Before(until) {
			by[r.Municipality] = append(by[r.Municipality], r.ID)
		}
	}
	for _, m := range slices.Sorted(maps.Keys(by)) {
		d, err := s.destroy(ctx, Client{Municipality: m}, Plan{}, by[m], ledger.EventRetentionDestroyed,
			map[string]string{"cause": CauseTerm}, now)
		if err != nil {
			s.fail(m, "inbound messages", err)
			failed++
			continue
		}
		s.metrics.count(d, CauseTerm)
		n += sum(d.Inbound)
	}
	return n, failed, nil
}

// overdue sets the gauge of the oldest record held past its term, and
// proposes a breach per municipality for what is held more than
// DestroyWithinYears past it.
func (s *Service) overdue(ctx context.Context, now time.Time) (time.Duration, error) {
	groups, err := s.store.RetentionOverdue(ctx, CutoffsAt(now))
	if err != nil {
		return 0, fmt.Errorf("retention: overdue: %w", err)
	}
	var oldest time.Duration
	type late struct {
		since   time.Time
		records int
	}
	lateBy := map[string]*late{}
	for _, g := range groups {
		until, ok := groupUntil(g)
		if !ok || now.Before(until) {
			continue
		}
		oldest = max(oldest, now.Sub(until))
		if now.Before(DestroyBy(until)) {
			continue
		}
		l := lateBy[g.Municipality]
		if l == nil {
			l = &late{since: until}
			lateBy[g.Municipality] = l
		}
		l.since = minTime(l.since, until)
		l.records += g.Records
	}
	s.metrics.oldest.Set(oldest.Seconds())
	if s.signals == nil {
		return oldest, nil
	}
	for _, m := range slices.Sorted(maps.Keys(lateBy)) {
		l := lateBy[m]
		if err := s.signals.RetentionOverdue(ctx, m, l.since, l.records, now); err != nil {
			return oldest, fmt.Errorf("retention: overdue signal: %w", err)
		}
	}
	return oldest, nil
}

// groupUntil is when the term of an overdue group's oldest record ended.
// Its Records counts the group at the pass's cutoffs, so those held more
// than a year past are counted among them: the signal's count is of what
// is held past its term, the oldest being more than a year past.
func groupUntil(g Overdue) (time.Time, bool) {
	switch g.Kind {
	case KindDisclosure, KindInbound:
		u, err := Until(g.Standard, g.Oldest)
		return u, err == nil
	}
	return RegisterUntil(g.Oldest), true
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func itoa64(n int64) string { return strconv.FormatInt(n, 10) }
