package casework_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/sluis-gateway/sluis/adapters/store/sqlite"
	"github.com/sluis-gateway/sluis/internal/actor"
	"github.com/sluis-gateway/sluis/internal/archive"
	"github.com/sluis-gateway/sluis/internal/bus"
	"github.com/sluis-gateway/sluis/internal/casework"
	"github.com/sluis-gateway/sluis/internal/identity"
	"github.com/sluis-gateway/sluis/internal/ledger"
	"github.com/sluis-gateway/sluis/internal/receipts"
)

// statusSink records what the service publishes (a fake of our own port;
// the end-to-end test publishes to RabbitMQ).
type statusSink struct {
	mu   sync.Mutex
	fail error
	got  []bus.Event
}

func (p *statusSink) PublishContext(_ context.Context, topic string, msgs ...*message.Message) []error {
	p.mu.Lock()
	defer p.mu.Unlock()
	errs := make([]error, len(msgs))
	for i, m := range msgs {
		if p.fail != nil {
			errs[i] = p.fail
			continue
		}
		ev, err := bus.Parse(m.Payload)
		if err != nil || topic != bus.TopicStatus {
			errs[i] = errors.New("bad status message")
			continue
		}
		p.got = append(p.got, ev)
	}
	return errs
}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

type fixture struct {
	store   *sqlite.Store
	archive *archive.Archive
	svc     *casework.Service
	tracker *casework.Tracker
	pub     *statusSink
	clock   *clock
	reg     *prometheus.Registry
}

// t0 is the start of the test clock: now, as the store stamps ledger
// entries (the tracker dates a review from its override's entry).
var t0 = time.Now().UTC().Truncate(time.Second)

func staff(id string, role identity.Role, municipality string) identity.Staff {
	return identity.Staff{ID: id, Municipality: municipality, Roles: []identity.Role{role}}
}

// as is a context with staff acting in their first role, as RequireRole
// leaves it.
func as(s identity.Staff) context.Context {
	return identity.WithStaffRole(context.Background(), s, s.Roles[0])
}

var (
	sender      = staff("e-7f3a", identity.RoleEmployee, "0363") // the sending employee
	colleague   = staff("e-0b11", identity.RoleEmployee, "0363")
	coordinator = staff("c-1", identity.RoleCoordinator, "0363")
	otherCoord  = staff("c-9", identity.RoleCoordinator, "0599")
)

func newFixture(t *testing.T) *fixture {
	t.Helper()
	s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "sluis.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	m, err := archive.GenerateMasterKey()
	if err != nil {
		t.Fatal(err)
	}
	a, err := archive.New(s, m)
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{store: s, archive: a, pub: &statusSink{}, clock: &clock{t: t0}, reg: prometheus.NewRegistry()}
	if f.svc, err = casework.NewService(casework.Config{Store: s, Receipts: s, Ledger: s, Archive: a, Publisher: f.pub, Now: f.clock.now}); err != nil {
		t.Fatal(err)
	}
	if f.tracker, err = casework.NewTracker(casework.TrackerConfig{Store: s, Receipts: s, Ledger: s, Registerer: f.reg, Now: f.clock.now}); err != nil {
		t.Fatal(err)
	}
	return f
}

// share registers a disclosure of municipality sent by employee e-7f3a and
// moves it through cs, archiving a delivered one's message.
func (f *fixture) share(t *testing.T, id, municipality, basis string, cs ...receipts.Change) {
	t.Helper()
	ctx := actor.With(context.Background(), actor.SenderEmployee("regsys-demo", municipality, "e-7f3a"))
	if _, _, err := f.store.Register(ctx, receipts.Record{DisclosureID: id, Municipality: municipality, System: "regsys-demo",
		Recipient: "42420001", Standard: "iWmo", MessageType: "WMO301", Purpose: "care_assignment", Basis: basis,
		ClientKey: "ck-1", RequestHash: "h-" + id}); err != nil {
		t.Fatal(err)
	}
	rs, err := f.store.MoveAll(ctx, id, cs...)
	if err != nil {
		t.Fatal(err)
	}
	if rs[len(rs)-1].State == receipts.Delivered {
		if err := f.archive.Put(ctx, id, "ck-1", []byte("<signed "+id+"/>"), t0.AddDate(15, 0, 0)); err != nil {
			t.Fatal(err)
		}
	}
}

var (
	allow   = receipts.Change{To: receipts.Allowed, Detail: map[string]string{"basis": "consent"}}
	publish = receipts.Change{To: receipts.Published}
	deliver = receipts.Change{To: receipts.Delivered}
	refuse  = receipts.Change{To: receipts.Refused, Reason: "Refused: no consent.", ReasonCodes: []string{"CONSENT_MISSING"}}
)

func overrideAllowed(due string, notPossible bool) receipts.Change {
	d := map[string]string{"basis": "safety_override", "follow_up": "inform_client,coordinator_review"}
	if due != "" {
		d["inform_client_due"] = due
	}
	if notPossible {
		d["inform_client_not_possible"] = "true"
	}
	return receipts.Change{To: receipts.Allowed, Detail: d}
}

func (f *fixture) events(t *testing.T, event string) []ledger.Entry {
	t.Helper()
	es, err := f.store.Entries(context.Background(), 1, 10000)
	if err != nil {
		t.Fatal(err)
	}
	if err := ledger.Verify(es); err != nil {
		t.Fatal(err)
	}
	var out []ledger.Entry
	for _, e := range es {
		if e.Event == event {
			out = append(out, e)
		}
	}
	return out
}

func (f *fixture) list(t *testing.T, s identity.Staff, kind casework.Kind) []casework.Item {
	t.Helper()
	items, err := f.svc.List(as(s), s, kind, true)
	if err != nil {
		t.Fatal(err)
	}
	return items
}

func TestBreakGlass(t *testing.T) {
	f := newFixture(t)
	f.share(t, "d-1", "0363", "consent", allow, publish, deliver)
	f.share(t, "d-refused", "0363", "consent", refuse)
	f.share(t, "d-0599", "0599", "consent", allow, publish, deliver)

	cases := []struct {
		name    string
		who     identity.Staff
		id      string
		reason  string
		wantErr error
		glass   bool
	}{
		{"the sending employee reads without a reason: logged, not listed", sender, "d-1", "", nil, false},
		{"a colleague without a reason is refused", colleague, "d-1", "", casework.ErrBadRequest, false},
		{"a colleague with a reason not on the list is refused", colleague, "d-1", "curious", casework.ErrBadRequest, false},
		{"a colleague with a reason breaks the glass", colleague, "d-1", "colleague_absent", nil, true},
		{"a coordinator breaks the glass too", coordinator, "d-1", "complaint", nil, true},
		{"another municipality's disclosure is unknown", colleague, "d-0599", "client_request", casework.ErrNotFound, false},
		{"an unknown disclosure", colleague, "d-none", "client_request", casework.ErrNotFound, false},
		{"nothing archived of a refused share", colleague, "d-refused", "client_request", casework.ErrNoContent, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r, err := f.svc.ReadArchive(as(tc.who), tc.who, tc.id, tc.reason, "ZK-3")
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("err %v, want %v", err, tc.wantErr)
			}
			if err != nil {
				return
			}
			if string(r.Content) != "<signed "+tc.id+"/>" || (r.BreakGlass != nil) != tc.glass {
				t.Fatalf("read %+v", r)
			}
			if tc.glass && (r.BreakGlass.Reason != tc.reason || !r.BreakGlass.Open() || r.BreakGlass.Due == nil) {
				t.Fatalf("break-glass item %+v", r.BreakGlass)
			}
		})
	}
	if own := f.events(t, casework.EventArchiveRead); len(own) != 1 || !strings.Contains(own[0].Actor, "e-7f3a") || own[0].DisclosureID != "d-1" {
		t.Fatalf("own reads in the ledger: %+v", own)
	}
	if opened := f.events(t, "break_glass:opened"); len(opened) != 2 {
		t.Fatalf("break-glass reads in the ledger: %+v", opened)
	}

	// On the coordinator's list until judged; not on another municipality's.
	items := f.list(t, coordinator, casework.KindBreakGlass)
	if len(items) != 2 {
		t.Fatalf("list %+v", items)
	}
	if got := f.list(t, otherCoord, ""); len(got) != 0 {
		t.Fatalf("0599's coordinator sees %+v", got)
	}
	byColleague, byCoordinator := items[0], items[1]
	judge := []struct {
		name    string
		who     identity.Staff
		id      string
		outcome string
		wantErr error
	}{
		{"an employee does not judge", colleague, byColleague.ID, "justified", identity.ErrRoleNotAllowed},
		{"another municipality's coordinator does not see it", otherCoord, byColleague.ID, "justified", casework.ErrNotFound},
		{"an outcome of another kind", coordinator, byColleague.ID, "upheld", casework.ErrBadRequest},
		{"not their own read", coordinator, byCoordinator.ID, "justified", casework.ErrOwnItem},
		{"judged", coordinator, byColleague.ID, "unjustified", nil},
		{"judged once only", coordinator, byColleague.ID, "justified", casework.ErrClosed},
	}
	for _, tc := range judge {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := f.svc.Judge(as(tc.who), tc.who, tc.id, tc.outcome, "ZK-4"); !errors.Is(err, tc.wantErr) {
				t.Fatalf("err %v, want %v", err, tc.wantErr)
			}
		})
	}
	if left := f.list(t, coordinator, casework.KindBreakGlass); len(left) != 1 || left[0].ID != byCoordinator.ID {
		t.Fatalf("open after judging: %+v", left)
	}
	closed := f.events(t, "break_glass:closed")
	if len(closed) != 1 || closed[0].Detail["outcome"] != "unjustified" || !strings.Contains(closed[0].Actor, "c-1") {
		t.Fatalf("judgement in the ledger: %+v", closed)
	}
	if reads := f.events(t, casework.EventItemsRead); len(reads) != 3 {
		t.Fatalf("%d list reads in the ledger, want 3", len(reads))
	}
}

func TestHumanReview(t *testing.T) {
	f := newFixture(t)
	f.share(t, "d-refused", "0363", "consent", refuse)
	f.share(t, "d-override", "0363", "safety_override", overrideAllowed("2026-11-24T09:00:00Z", false), publish, deliver)
	f.share(t, "d-consent", "0363", "consent", allow, publish, deliver)
	f.share(t, "d-0599", "0599", "consent", refuse)

	cases := []struct {
		name    string
		id      string
		wantErr error
	}{
		{"a refusal", "d-refused", nil},
		{"an allowed safety override", "d-override", nil},
		{"an allowed consent share is no decision to review", "d-consent", casework.ErrNotReviewable},
		{"another municipality's", "d-0599", casework.ErrNotFound},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			it, created, err := f.svc.RequestHumanReview(as(colleague), colleague, tc.id, "ZK-5")
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("err %v, want %v", err, tc.wantErr)
			}
			if err == nil && (!created || it.Kind != casework.KindHumanReview || it.Due == nil || !it.Due.Equal(t0.Add(casework.HumanReviewWithin))) {
				t.Fatalf("item %+v created %v", it, created)
			}
		})
	}
	if _, created, err := f.svc.RequestHumanReview(as(sender), sender, "d-refused", ""); err != nil || created {
		t.Fatalf("asking again: created %v, %v", created, err)
	}

	// A failed status event changes nothing.
	f.pub.fail = errors.New("broker away")
	if _, err := f.svc.Judge(as(coordinator), coordinator, "human_review:d-refused", "overturned", ""); !errors.Is(err, casework.ErrUnavailable) {
		t.Fatalf("judge with the broker away: %v", err)
	}
	if it, _ := f.store.GetItem(context.Background(), "human_review:d-refused"); !it.Open() {
		t.Fatal("closed although the sender was not told")
	}
	f.pub.fail = nil
	it, err := f.svc.Judge(as(coordinator), coordinator, "human_review:d-refused", "overturned", "ZK-6")
	if err != nil || it.Outcome != "overturned" {
		t.Fatalf("judge: %+v %v", it, err)
	}
	if len(f.pub.got) != 1 {
		t.Fatalf("status events %+v", f.pub.got)
	}
	ev := f.pub.got[0]
	if ev.DisclosureID != "d-refused" || ev.State != "review_overturned" || ev.RoutingKey() != "0363.regsys-demo.review_overturned" {
		t.Fatalf("status event %+v", ev)
	}
	if closed := f.events(t, "human_review:closed"); len(closed) != 1 || closed[0].DisclosureID != "d-refused" || closed[0].Detail["outcome"] != "overturned" {
		t.Fatalf("outcome in the ledger: %+v", closed)
	}
}

// A safety override's follow-ups: opened by the tracker from the ledger,
// overdue after their due time (injected clock), on the list and in the
// metric, until completed.
func TestFollowUps(t *testing.T) {
	f := newFixture(t)
	due := t0.Add(24 * time.Hour)
	f.share(t, "d-override", "0363", "safety_override", overrideAllowed(due.Format(time.RFC3339), false), publish, deliver)
	f.share(t, "d-not-possible", "0363", "safety_override", overrideAllowed("", true), publish, deliver)
	f.share(t, "d-consent", "0363", "consent", allow, publish, deliver)

	n, err := f.tracker.Scan(context.Background())
	if err != nil || n != 4 {
		t.Fatalf("scan opened %d, %v; want 4 (two per override)", n, err)
	}
	if n, err := f.tracker.Scan(context.Background()); err != nil || n != 0 {
		t.Fatalf("second scan opened %d, %v", n, err)
	}
	inform := f.list(t, coordinator, casework.KindInformClient)
	if len(inform) != 1 || inform[0].DisclosureID != "d-override" || !inform[0].Due.Equal(due) {
		t.Fatalf("open inform_client items %+v (the not-possible one closed at once)", inform)
	}
	if it, _ := f.store.GetItem(context.Background(), "inform_client:d-not-possible"); it.Open() || it.OutcomeReason != casework.ReasonStatedAtDecision {
		t.Fatalf("not-possible item %+v", it)
	}
	if reviews := f.list(t, coordinator, casework.KindCoordinatorReview); len(reviews) != 2 {
		t.Fatalf("coordinator reviews %+v", reviews)
	}

	overdue := func(kind casework.Kind) float64 {
		t.Helper()
		return testutil.ToFloat64(gaugeOf(t, f.reg, string(kind)))
	}
	steps := []struct {
		name          string
		advance       time.Duration
		inform, rview float64
	}{
		{"before the planned time", 23 * time.Hour, 0, 0},
		{"past the planned time", 2 * time.Hour, 1, 0},
		{"past the review deadline too", casework.ReviewWithin, 1, 2},
	}
	for _, st := range steps {
		f.clock.add(st.advance)
		if got := overdue(casework.KindInformClient); got != st.inform {
			t.Fatalf("%s: inform_client overdue %v, want %v", st.name, got, st.inform)
		}
		if got := overdue(casework.KindCoordinatorReview); got != st.rview {
			t.Fatalf("%s: coordinator_review overdue %v, want %v", st.name, got, st.rview)
		}
	}
	if items := f.list(t, coordinator, casework.KindInformClient); len(items) != 1 || !items[0].Overdue(f.clock.now()) {
		t.Fatalf("the overdue item on the list: %+v", items)
	}

	// Completing them.
	bad := []struct {
		name, outcome, reason string
	}{
		{"unknown outcome", "forgot", ""},
		{"not possible without a reason", "not_possible", ""},
		{"not possible with a reason not on the list", "not_possible", "busy"},
		{"informed with a reason", "informed", "unreachable"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := f.svc.RecordInformed(as(sender), sender, "d-override", tc.outcome, tc.reason, ""); !errors.Is(err, casework.ErrBadRequest) {
				t.Fatalf("err %v", err)
			}
		})
	}
	if _, err := f.svc.RecordInformed(as(sender), sender, "d-override", "informed", "", "ZK-7"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.RecordInformed(as(sender), sender, "d-override", "informed", "", ""); !errors.Is(err, casework.ErrClosed) {
		t.Fatalf("informing twice: %v", err)
	}
	if _, err := f.svc.Judge(as(coordinator), coordinator, "coordinator_review:d-override", "justified", ""); err != nil {
		t.Fatal(err)
	}
	if got := overdue(casework.KindInformClient); got != 0 {
		t.Fatalf("inform_client overdue after completion: %v", got)
	}
	if got := overdue(casework.KindCoordinatorReview); got != 1 {
		t.Fatalf("coordinator_review overdue after one review: %v", got)
	}
	if _, err := f.svc.Judge(as(coordinator), coordinator, "inform_client:d-override", "justified", ""); !errors.Is(err, casework.ErrBadRequest) {
		t.Fatalf("judging an inform_client item: %v", err)
	}
}

func gaugeOf(t *testing.T, reg *prometheus.Registry, kind string) prometheus.Collector {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "sluis_review_items_overdue" {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "kind" && l.GetValue() == kind {
					return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "x"}, func() float64 { return m.GetGauge().GetValue() })
				}
			}
		}
	}
	t.Fatalf("no sluis_review_items_overdue{kind=%q}", kind)
	return nil
}
