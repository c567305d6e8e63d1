package breach_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/sluis-gateway/sluis/adapters/store/sqlite"
	"github.com/sluis-gateway/sluis/internal/actor"
	"github.com/sluis-gateway/sluis/internal/breach"
	"github.com/sluis-gateway/sluis/internal/ledger"
	"github.com/sluis-gateway/sluis/internal/receipts"
	"github.com/sluis-gateway/sluis/internal/retour"
)

var t0 = time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)

// clock is the injected clock of the tests.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Add(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.now = c.now.Add(d) }
func ptr[T any](v T) *T              { return &v }
func key(n int) string               { return fmt.Sprintf("%064x", n) }
func officerCtx(t *testing.T, municipality string) context.Context {
	t.Helper()
	return actor.With(context.Background(), actor.Staff("po-"+municipality, "privacy_officer", municipality))
}

type env struct {
	t     *testing.T
	store *sqlite.Store
	reg   *breach.Register
	sig   *breach.Signals
	clock *clock
	prom  *prometheus.Registry
}

func newEnv(t *testing.T) *env {
	t.Helper()
	s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "sluis.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	e := &env{t: t, store: s, clock: &clock{now: t0}, prom: prometheus.NewRegistry()}
	m, err := breach.NewMetrics(e.prom)
	if err != nil {
		t.Fatal(err)
	}
	if e.reg, err = breach.New(breach.Config{Store: s, Ledger: s, Receipts: s, Metrics: m, Now: e.clock.Now,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}); err != nil {
		t.Fatal(err)
	}
	e.sig = breach.NewSignals(e.reg)
	return e
}

// disclosure registers a disclosure of municipality to agb, moved through
// states.
func (e *env) disclosure(id, municipality, agb, client string, states ...receipts.State) {
	e.t.Helper()
	ctx := actor.With(context.Background(), actor.Sender("regsys-a", municipality))
	if _, _, err := e.store.Register(ctx, receipts.Record{DisclosureID: id, Municipality: municipality, System: "regsys-a",
		Recipient: agb, Standard: "iWmo", MessageType: "WMO301", Purpose: "toewijzing", Basis: "legal_obligation",
		ClientKey: client, RequestHash: "hash-" + id}); err != nil {
		e.t.Fatal(err)
	}
	for _, s := range states {
		if _, err := e.store.Move(ctx, id, receipts.Change{To: s}); err != nil {
			e.t.Fatal(err)
		}
	}
}

func (e *env) gauge(name, label, value string) float64 {
	e.t.Helper()
	if err := e.reg.Refresh(context.Background()); err != nil {
		e.t.Fatal(err)
	}
	mfs, err := e.prom.Gather()
	if err != nil {
		e.t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if label == "" || (l.GetName() == label && l.GetValue() == value) {
					return m.GetGauge().GetValue() + m.GetCounter().GetValue()
				}
			}
			if label == "" {
				return m.GetGauge().GetValue()
			}
		}
	}
	e.t.Fatalf("no metric %s{%s=%q}", name, label, value)
	return 0
}

func facts() breach.Facts {
	return breach.Facts{Summary: ptr("USB-stick met overdrachtsdossiers verloren"), Kinds: []string{breach.KindConfidentiality},
		Categories: []string{"identification", "care_assignment"}, SubjectsApprox: ptr(12), RecordsApprox: ptr(12)}
}

func TestDeadlineAt(t *testing.T) {
	confirmed := breach.Incident{State: breach.Confirmed, AwareAt: t0}
	cases := []struct {
		name string
		inc  breach.Incident
		at   time.Time
		want string
	}{
		{"a proposal has no deadline yet", breach.Incident{State: breach.Proposed, ProposedAt: t0}, t0.Add(100 * time.Hour), breach.DeadlineNone},
		{"just confirmed", confirmed, t0, breach.DeadlineOpen},
		{"47 h 59 after awareness", confirmed, t0.Add(48*time.Hour - time.Minute), breach.DeadlineOpen},
		{"48 h after awareness: due within 24 h", confirmed, t0.Add(48 * time.Hour), breach.DeadlineSoon},
		{"71 h 59", confirmed, t0.Add(72*time.Hour - time.Minute), breach.DeadlineSoon},
		{"72 h: overdue", confirmed, t0.Add(72 * time.Hour), breach.DeadlineOverdue},
		{"notified", breach.Incident{State: breach.Confirmed, AwareAt: t0, APNotifiedAt: t0.Add(time.Hour)}, t0.Add(80 * time.Hour), breach.DeadlineNone},
		{"decided not to notify", breach.Incident{State: breach.Confirmed, AwareAt: t0, APNotification: breach.APNotRequired}, t0.Add(80 * time.Hour), breach.DeadlineNone},
		{"dismissed", breach.Incident{State: breach.Dismissed, AwareAt: t0}, t0.Add(80 * time.Hour), breach.DeadlineNone},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.inc.DeadlineAt(tc.at); got != tc.want {
				t.Fatalf("DeadlineAt = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestRecordRefuses(t *testing.T) {
	e := newEnv(t)
	ctx := officerCtx(t, "0363")
	o := breach.Officer{Municipality: "0363"}
	cases := []struct {
		name  string
		edit  func(f *breach.Facts)
		want  string
		dutch string // what the console says
	}{
		{"no summary", func(f *breach.Facts) { f.Summary = nil }, "summary is required", "de beschrijving van wat er gebeurd is ontbreekt"},
		{"no kind", func(f *breach.Facts) { f.Kinds = nil }, "kinds is required", "kies ten minste één soort inbreuk"},
		{"unknown kind", func(f *breach.Facts) { f.Kinds = []string{"leak"} }, "kinds: a value is not one of", "een gekozen soort inbreuk bestaat niet"},
		{"unknown category", func(f *breach.Facts) { f.Categories = []string{"bsn"} }, "data_categories", "een gekozen soort persoonsgegevens bestaat niet"},
		{"awareness in the future", func(f *breach.Facts) { f.AwareAt = ptr(t0.Add(time.Hour)) }, "aware_at is in the future", "het moment van ontdekking ligt in de toekomst"},
		{"negative count", func(f *breach.Facts) { f.SubjectsApprox = ptr(-1) }, "subjects_approx is negative", "het aantal betrokkenen is negatief"},
		{"not a client key", func(f *breach.Facts) { f.ClientKeys = []string{"999900006"} }, "client_keys", "een cliëntsleutel heeft niet de vorm"},
		{"too long", func(f *breach.Facts) { f.Measures = ptr(strings.Repeat("x", breach.MaxText+1)) }, "measures is longer than", "de genomen maatregelen: meer dan"},
		{"period backwards", func(f *breach.Facts) {
			f.OccurredFrom, f.OccurredUntil = ptr(t0.Add(-time.Hour)), ptr(t0.Add(-2*time.Hour))
		}, "occurred_until is before", "het lek eindigt vóór het begon"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := facts()
			tc.edit(&f)
			_, err := e.reg.Record(ctx, o, f)
			if !errors.Is(err, breach.ErrInvalid) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Record = %v, want ErrInvalid naming %q", err, tc.want)
			}
			var inv *breach.InvalidError
			if !errors.As(err, &inv) || !strings.HasPrefix(inv.Dutch, tc.dutch) {
				t.Fatalf("Record = %#v, want an InvalidError saying in Dutch %q", err, tc.dutch)
			}
			if strings.Contains(err.Error(), "999900006") || strings.Contains(err.Error(), "bsn") {
				t.Fatalf("the error repeats the value: %v", err)
			}
		})
	}
	if all, _ := e.store.BreachList(context.Background()); len(all) != 0 {
		t.Fatalf("refused records were stored: %d", len(all))
	}
}

// TestDeadlineOnTheClock: a recorded breach runs its 72 hours on the
// injected clock: open, due soon after 48 h, overdue at 72 h, in the
// gauges; a late notification needs its reason.
func TestDeadlineOnTheClock(t *testing.T) {
	e := newEnv(t)
	ctx := officerCtx(t, "0363")
	o := breach.Officer{Municipality: "0363"}
	inc, err := e.reg.Record(ctx, o, facts())
	if err != nil {
		t.Fatal(err)
	}
	if !inc.AwareAt.Equal(t0) || !inc.APDue().Equal(t0.Add(72*time.Hour)) || inc.State != breach.Confirmed {
		t.Fatalf("recorded %+v", inc)
	}
	pending := func(d string) float64 { return e.gauge("sluis_breach_ap_notification_pending", "deadline", d) }
	steps := []struct {
		after               time.Duration
		open, soon, overdue float64
	}{
		{0, 1, 0, 0}, {48 * time.Hour, 0, 1, 0}, {24*time.Hour - time.Second, 0, 1, 0}, {time.Second, 0, 0, 1},
	}
	for _, s := range steps {
		e.clock.Add(s.after)
		if got := [3]float64{pending("open"), pending("due_soon"), pending("overdue")}; got != [3]float64{s.open, s.soon, s.overdue} {
			t.Fatalf("at %s: open, due_soon, overdue = %v, want %v", e.clock.Now().Sub(t0), got,
				[3]float64{s.open, s.soon, s.overdue})
		}
	}
	// 72 h passed: notifying without the reason for the delay is refused.
	at := e.clock.Now()
	if _, err := e.reg.Notify(ctx, o, inc.ID, inc.Version, breach.Notice{APNotifiedAt: &at, APReference: ptr("AP-2026-1")}); !errors.Is(err, breach.ErrInvalid) ||
		!strings.Contains(err.Error(), "ap_late_reason") {
		t.Fatalf("late notice without reason: %v", err)
	}
	got, err := e.reg.Notify(ctx, o, inc.ID, inc.Version, breach.Notice{APNotifiedAt: &at, APReference: ptr("AP-2026-1"),
		APLateReason: ptr("het incident werd pas na het weekend volledig duidelijk")})
	if err != nil {
		t.Fatal(err)
	}
	if got.APNotification != breach.APRequired || got.APNotifiedBy == "" || got.Version != 2 {
		t.Fatalf("after notice: %+v", got)
	}
	if pending("overdue") != 0 {
		t.Fatal("still overdue after the notification")
	}
	// A stale version is refused.
	if _, err := e.reg.Update(ctx, o, inc.ID, 1, breach.Facts{Measures: ptr("x")}); !errors.Is(err, breach.ErrConflict) {
		t.Fatalf("stale version: %v", err)
	}
}

func TestProposalLifecycle(t *testing.T) {
	e := newEnv(t)
	ctx := actor.With(context.Background(), actor.System)
	p := breach.Proposal{Municipality: "0363", Source: breach.SourceWrongParty, SignalKey: "wrong_party:d-1:42420002",
		Summary: "x", Kinds: []string{breach.KindConfidentiality}, DisclosureIDs: []string{"d-1"}}
	inc, created, err := e.reg.Propose(ctx, p)
	if err != nil || !created {
		t.Fatal(created, err)
	}
	if _, again, err := e.reg.Propose(ctx, p); err != nil || again {
		t.Fatalf("second proposal of one signal: created %v, %v", again, err)
	}
	if e.gauge("sluis_breach_incidents", "state", "proposed") != 1 || e.gauge("sluis_breach_proposals_stale", "", "") != 0 {
		t.Fatal("proposal not counted")
	}
	e.clock.Add(breach.StaleProposal)
	if e.gauge("sluis_breach_proposals_stale", "", "") != 1 {
		t.Fatal("a proposal undecided for 24 h is not stale")
	}
	octx, o := officerCtx(t, "0363"), breach.Officer{Municipality: "0363"}
	if _, err := e.reg.Dismiss(octx, o, inc.ID, inc.Version, "  "); !errors.Is(err, breach.ErrInvalid) {
		t.Fatalf("dismiss without a reason: %v", err)
	}
	if _, err := e.reg.Confirm(officerCtx(t, "0599"), breach.Officer{Municipality: "0599"}, inc.ID, inc.Version, breach.Facts{}); !errors.Is(err, breach.ErrNotFound) {
		t.Fatalf("another municipality's officer confirms: %v", err)
	}
	earlier := e.clock.Now().Add(-2 * time.Hour)
	got, err := e.reg.Confirm(octx, o, inc.ID, inc.Version, breach.Facts{AwareAt: &earlier})
	if err != nil {
		t.Fatal(err)
	}
	if got.State != breach.Confirmed || !got.AwareAt.Equal(earlier) || !strings.Contains(got.DecidedBy, "po-0363") {
		t.Fatalf("confirmed: %+v", got)
	}
	if _, err := e.reg.Confirm(octx, o, inc.ID, got.Version, breach.Facts{}); !errors.Is(err, breach.ErrState) {
		t.Fatalf("confirm twice: %v", err)
	}
	later := e.clock.Now().Add(-time.Hour)
	if _, err := e.reg.Update(octx, o, inc.ID, got.Version, breach.Facts{AwareAt: &later}); !errors.Is(err, breach.ErrInvalid) {
		t.Fatalf("awareness moved later: %v", err)
	}
	// The ledger has proposal and confirmation, by sluis and the officer,
	// and none of the text.
	var events []string
	all, err := e.store.Entries(context.Background(), 1, 1000)
	if err != nil {
		t.Fatal(err)
	}
	for _, en := range all {
		if en.Detail["incident"] == inc.ID {
			events = append(events, en.Event+" "+en.Actor)
		}
		if strings.Contains(fmt.Sprint(en.Detail), "x ") {
			t.Fatalf("free text in the ledger: %v", en.Detail)
		}
	}
	if len(events) != 2 || !strings.HasPrefix(events[0], breach.EventProposed+" system:sluis") ||
		!strings.HasPrefix(events[1], breach.EventConfirmed+" staff:po-0363") {
		t.Fatalf("ledger: %v", events)
	}
	if err := ledger.Verify(all); err != nil {
		t.Fatal(err)
	}
}

// TestScoping: an officer sees their municipality's incidents and the
// gateway's, never another municipality's.
func TestScoping(t *testing.T) {
	e := newEnv(t)
	mine, err := e.reg.Record(officerCtx(t, "0363"), breach.Officer{Municipality: "0363"}, facts())
	if err != nil {
		t.Fatal(err)
	}
	e.clock.Add(time.Minute)
	theirs, err := e.reg.Record(officerCtx(t, "0599"), breach.Officer{Municipality: "0599"}, facts())
	if err != nil {
		t.Fatal(err)
	}
	e.clock.Add(time.Minute)
	gw, _, err := e.sig.KeyCompromised(actor.With(context.Background(), actor.Staff("op-1", "operator", "")), t0.Add(-time.Hour), "")
	if err != nil {
		t.Fatal(err)
	}
	list, err := e.reg.List(officerCtx(t, "0363"), breach.Officer{Municipality: "0363"})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, inc := range list {
		ids = append(ids, inc.ID)
	}
	if !slices.Equal(ids, []string{mine.ID, gw.ID}) {
		t.Fatalf("0363 sees %v, want its own %s and the gateway's %s (not %s)", ids, mine.ID, gw.ID, theirs.ID)
	}
	for _, fn := range []func() error{
		func() error {
			_, err := e.reg.Get(officerCtx(t, "0363"), breach.Officer{Municipality: "0363"}, theirs.ID)
			return err
		},
		func() error {
			_, err := e.reg.Subjects(officerCtx(t, "0363"), breach.Officer{Municipality: "0363"}, theirs.ID)
			return err
		},
		func() error {
			_, err := e.reg.APExport(officerCtx(t, "0363"), breach.Officer{Municipality: "0363"}, theirs.ID)
			return err
		},
	} {
		if err := fn(); !errors.Is(err, breach.ErrNotFound) {
			t.Fatalf("another municipality's incident: %v, want ErrNotFound", err)
		}
	}
}

// TestSubjectsFromTheLedger: the data subjects of a confirmed breach are
// the clients of its disclosures of the officer's municipality, each with
// the ledger's delivered entry; for a compromised key every disclosure the
// ledger shows delivered since.
func TestSubjectsFromTheLedger(t *testing.T) {
	e := newEnv(t)
	sent := []receipts.State{receipts.Allowed, receipts.Published, receipts.Delivered}
	e.disclosure("d-1", "0363", "42420001", key(1), sent...)
	e.disclosure("d-2", "0363", "42420001", key(1), sent...)
	e.disclosure("d-3", "0363", "42420002", key(2), sent...)
	e.disclosure("d-4", "0599", "42420001", key(3), sent...)
	e.disclosure("d-5", "0363", "42420001", key(4), receipts.Refused)
	octx, o := officerCtx(t, "0363"), breach.Officer{Municipality: "0363"}
	f := facts()
	f.DisclosureIDs = []string{"d-1", "d-3", "d-4", "unknown"}
	f.ClientKeys = []string{key(9)}
	inc, err := e.reg.Record(octx, o, f)
	if err != nil {
		t.Fatal(err)
	}
	got, err := e.reg.Subjects(octx, o, inc.ID)
	if err != nil {
		t.Fatal(err)
	}
	// What the ledger says was delivered, for the disclosures named.
	want := map[string]int64{}
	for _, d := range []string{"d-1", "d-3"} {
		es, _ := e.store.EntriesFor(context.Background(), d)
		for _, en := range es {
			if en.Event == "state:delivered" {
				want[d] = en.Seq
			}
		}
	}
	var keys []string
	seen := map[string]int64{}
	for _, s := range got {
		keys = append(keys, s.ClientKey)
		for _, d := range s.Disclosures {
			seen[d.DisclosureID] = d.LedgerSeq
			if d.Municipality != "0363" || d.State != "delivered" || d.DeliveredAt.IsZero() {
				t.Fatalf("subject disclosure %+v", d)
			}
		}
	}
	if !slices.Equal(keys, []string{key(1), key(2), key(9)}) || fmt.Sprint(seen) != fmt.Sprint(want) {
		t.Fatalf("subjects %v with %v, want keys 1, 2, 9 with %v (not 0599's d-4)", keys, seen, want)
	}

	// A compromised key: every disclosure delivered since, of this
	// municipality (d-1, d-2, d-3; not the refused d-5, not 0599's d-4).
	gw, _, err := e.sig.KeyCompromised(actor.With(context.Background(), actor.Staff("op-1", "operator", "")), t0.Add(-24*time.Hour), "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.reg.Subjects(octx, o, gw.ID); !errors.Is(err, breach.ErrState) {
		t.Fatalf("subjects of a proposal: %v", err)
	}
	gw, err = e.reg.Confirm(octx, o, gw.ID, gw.Version, breach.Facts{})
	if err != nil {
		t.Fatal(err)
	}
	got, err = e.reg.Subjects(octx, o, gw.ID)
	if err != nil {
		t.Fatal(err)
	}
	var ds []string
	for _, s := range got {
		for _, d := range s.Disclosures {
			ds = append(ds, d.DisclosureID)
		}
	}
	slices.Sort(ds)
	if !slices.Equal(ds, []string{"d-1", "d-2", "d-3"}) {
		t.Fatalf("key compromise subjects' disclosures %v", ds)
	}
	reads := 0
	all, _ := e.store.Entries(context.Background(), 1, 1000)
	for _, en := range all {
		if en.Event == breach.EventSubjectsRead {
			reads++
		}
	}
	if reads != 2 {
		t.Fatalf("%d subject reads in the ledger, want 2", reads)
	}
}

func TestSignals(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.disclosure("d-1", "0363", "42420001", key(1), receipts.Allowed, receipts.Published, receipts.Delivered)

	t.Run("a provider answering another's message", func(t *testing.T) {
		p := retour.ParkedRetour{Reason: retour.ReasonProviderMismatch, MessageID: "m-1", DisclosureID: "d-1", Signer: "42420002"}
		for range 3 { // redeliveries propose once
			if err := e.sig.RetourParked(ctx, p); err != nil {
				t.Fatal(err)
			}
		}
		list, err := e.reg.List(officerCtx(t, "0363"), breach.Officer{Municipality: "0363"})
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 1 || list[0].Source != breach.SourceWrongParty || list[0].State != breach.Proposed ||
			list[0].Signal["answered_by"] != "42420002" || list[0].Signal["sent_to"] != "42420001" ||
			!slices.Equal(list[0].DisclosureIDs, []string{"d-1"}) {
			t.Fatalf("proposals %+v", list)
		}
		if testutil.ToFloat64(counter(t, e, "wrong_party_retour")) != 1 {
			t.Fatal("proposal not counted")
		}
	})
	t.Run("a burst of forged retours, once per hour", func(t *testing.T) {
		forged := func(n int) {
			for i := range n {
				r := breach.ForgedReasons[i%len(breach.ForgedReasons)]
				if err := e.sig.RetourParked(ctx, retour.ParkedRetour{Reason: r, MessageID: fmt.Sprint("f-", i)}); err != nil {
					t.Fatal(err)
				}
			}
		}
		count := func() int {
			n := 0
			all, _ := e.store.BreachList(ctx)
			for _, inc := range all {
				if inc.Source == breach.SourceForgedRetours {
					n++
					if inc.Municipality != "" {
						t.Fatalf("a forged-retour burst is the gateway's: %+v", inc)
					}
				}
			}
			return n
		}
		forged(breach.ForgedBurst - 1)
		// Other reasons are not forgeries.
		if err := e.sig.RetourParked(ctx, retour.ParkedRetour{Reason: retour.ReasonUnmatched}); err != nil {
			t.Fatal(err)
		}
		if count() != 0 {
			t.Fatal("proposed below the burst")
		}
		forged(3 * breach.ForgedBurst)
		if count() != 1 {
			t.Fatalf("%d proposals in one hour, want 1", count())
		}
		e.clock.Add(breach.ForgedWindow)
		forged(breach.ForgedBurst)
		if count() != 2 {
			t.Fatalf("%d proposals after a second hour, want 2", count())
		}
	})
	t.Run("data held past its retention, once per municipality and month", func(t *testing.T) {
		since := t0.AddDate(-2, 0, 0)
		may, june := time.Date(2046, 5, 3, 0, 0, 0, 0, time.UTC), time.Date(2046, 6, 1, 0, 0, 0, 0, time.UTC)
		for _, c := range []struct {
			municipality string
			at           time.Time
		}{{"0363", may}, {"0363", may.Add(48 * time.Hour)}, {"0599", may}, {"0363", june}} {
			if err := e.sig.RetentionOverdue(ctx, c.municipality, since, 3, c.at); err != nil {
				t.Fatal(err)
			}
		}
		var of0363 []breach.Incident
		all, _ := e.store.BreachList(ctx)
		for _, inc := range all {
			if inc.Source == breach.SourceRetentionOverdue && inc.Municipality == "0363" {
				of0363 = append(of0363, inc)
			}
		}
		if len(of0363) != 2 || of0363[0].Signal["records"] != "3" || of0363[0].State != breach.Proposed ||
			!of0363[0].OccurredFrom.Equal(since.Truncate(time.Second)) {
			t.Fatalf("0363's proposals %+v, want one in May and one in June", of0363)
		}
		if testutil.ToFloat64(counter(t, e, "retention_overdue")) != 3 {
			t.Fatal("proposals not counted")
		}
	})
}

func counter(t *testing.T, e *env, source string) prometheus.Collector {
	t.Helper()
	mfs, _ := e.prom.Gather()
	for _, mf := range mfs {
		if mf.GetName() == "sluis_breach_proposals_total" {
			for _, m := range mf.GetMetric() {
				if m.GetLabel()[0].GetValue() == source {
					g := prometheus.NewGauge(prometheus.GaugeOpts{Name: "x"})
					g.Set(m.GetCounter().GetValue())
					return g
				}
			}
		}
	}
	t.Fatalf("no sluis_breach_proposals_total{source=%q}", source)
	return nil
}

func TestAPExport(t *testing.T) {
	e := newEnv(t)
	octx, o := officerCtx(t, "0363"), breach.Officer{Municipality: "0363"}
	f := facts()
	f.Consequences, f.Measures = ptr("mogelijke inzage door derden"), ptr("stick laten blokkeren")
	inc, err := e.reg.Record(octx, o, f)
	if err != nil {
		t.Fatal(err)
	}
	form, err := e.reg.APExport(octx, o, inc.ID)
	if err != nil {
		t.Fatal(err)
	}
	if form.Organisatie.Gemeentecode != "0363" || form.Organisatie.Naam != "Amsterdam" ||
		form.Tijdlijn.Ontdekt != t0.Format(time.RFC3339) || form.Tijdlijn.UiterlijkAP != t0.Add(72*time.Hour).Format(time.RFC3339) ||
		form.Melding.Meldplichtig != "nog niet beoordeeld" || form.Betrokkenen.AantalPersonen != 12 ||
		len(form.Inbreuk.Soort) != 1 || len(form.Inbreuk.Persoonsgegevens) != 2 || form.Gevolgen == "" || form.Bron.Incident != inc.ID {
		t.Fatalf("AP form %+v", form)
	}
}
