package storetest

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sluis-gateway/sluis/internal/actor"
	"github.com/sluis-gateway/sluis/internal/archive"
	"github.com/sluis-gateway/sluis/internal/casework"
	"github.com/sluis-gateway/sluis/internal/consent"
	"github.com/sluis-gateway/sluis/internal/inbound"
	"github.com/sluis-gateway/sluis/internal/ledger"
	"github.com/sluis-gateway/sluis/internal/receipts"
	"github.com/sluis-gateway/sluis/internal/retention"
	"github.com/sluis-gateway/sluis/internal/rights"
)

// RetentionStore is what the retention suite tests: everything sluis keeps
// of a client, the retention port and the ledger redaction.
type RetentionStore interface {
	Store
	consent.Store
	archive.Store
	casework.Store
	inbound.Store
	retention.Store
	ledger.Redactor
}

// RunRetention runs the retention contract suite (internal/retention,
// docs/retention.md); each subtest gets its own empty, migrated store,
// closed in t.Cleanup.
func RunRetention(t *testing.T, newStore func(t *testing.T) RetentionStore) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s RetentionStore)
	}{
		{"due clients by standard and creation time, in pages", testRetentionDue},
		{"a consent is due once no retained disclosure relied on it", testRetentionDueConsents},
		{"the register with the end of each row", testRetentionRegister},
		{"destroy: the rows, archive entries, review items, one ledger entry, idempotent", testRetentionDestroy},
		{"destroy touches no other client, shreds once nothing is left", testRetentionDestroyScope},
		{"disclosures without a client and inbound messages by their term", testRetentionUnkeyedInbound},
		{"overdue counts", testRetentionOverdue},
		{"without an actor nothing is destroyed", testRetentionNoActor},
		{"21 years: every record goes at its term (stand-in redactor)", testRetentionAcceptanceStandIn},
		{"21 years: every record goes at its term, the ledger verifies", testRetentionAcceptance},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.fn(t, newStore(t))
		})
	}
}

// Client keys of the suite (keyed-hash shaped).
const (
	retClientA = "aa11aa11aa11aa11aa11aa11aa11aa11aa11aa11aa11aa11aa11aa11aa11aa11"
	retClientB = "bb22bb22bb22bb22bb22bb22bb22bb22bb22bb22bb22bb22bb22bb22bb22bb22"
	retClientC = "cc33cc33cc33cc33cc33cc33cc33cc33cc33cc33cc33cc33cc33cc33cc33cc33"
)

// retRecord is a disclosure of client of municipality under standard.
func retRecord(id, municipality, standard, client string) receipts.Record {
	r := NewRecord(id, municipality, "WMO301")
	r.Standard, r.ClientKey, r.Basis = standard, client, "consent"
	if standard == "iJw" {
		r.MessageType = "JW301"
	}
	return r
}

// deliver registers r and moves it to delivered; consents are named in
// its state:allowed entry as screening does.
func deliver(t *testing.T, s RetentionStore, r receipts.Record, consents ...string) receipts.Record {
	t.Helper()
	register(t, s, r)
	detail := map[string]string{"basis": r.Basis}
	if len(consents) > 0 {
		detail["consents"] = strings.Join(consents, ",")
	}
	for _, c := range []receipts.Change{{To: receipts.Allowed, Detail: detail}, {To: receipts.Published}, {To: receipts.Delivered}} {
		if _, err := s.Move(Ctx(t), r.DisclosureID, c); err != nil {
			t.Fatalf("Move(%s, %s): %v", r.DisclosureID, c.To, err)
		}
	}
	return get(t, s, r.DisclosureID)
}

// years is the moment that many years after the store's registrations
// (the store's own clock: now).
func years(n int, days int) time.Time { return time.Now().UTC().AddDate(n, 0, days) }

func due(t *testing.T, s RetentionStore, at time.Time) []retention.Client {
	t.Helper()
	var all []retention.Client
	after := retention.Client{}
	for {
		page, err := s.RetentionDue(Ctx(t), retention.CutoffsAt(at), after, 2)
		if err != nil {
			t.Fatalf("RetentionDue: %v", err)
		}
		all = append(all, page...)
		if len(page) < 2 {
			return all
		}
		after = page[len(page)-1]
	}
}

func testRetentionDue(t *testing.T, s RetentionStore) {
	deliver(t, s, retRecord("d-wmo-a", "0363", "iWmo", retClientA))
	deliver(t, s, retRecord("d-ijw-b", "0363", "iJw", retClientB))
	deliver(t, s, retRecord("d-wmo-c", "0599", "iWmo", retClientC))
	deliver(t, s, retRecord("d-wmo-c2", "0363", "iWmo", retClientC))
	register(t, s, retRecord("d-unkeyed", "0363", "iWmo", ""))
	tests := []struct {
		name string
		at   time.Time
		want []retention.Client
	}{
		{"fourteen years: nothing", years(14, 0), nil},
		{"fifteen years: the iWmo clients, per municipality, in order", years(15, 1), []retention.Client{
			{Municipality: "0363", ClientKey: retClientA}, {Municipality: "0363", ClientKey: retClientC},
			{Municipality: "0599", ClientKey: retClientC}}},
		{"twenty years: the iJw client too", years(20, 1), []retention.Client{
			{Municipality: "0363", ClientKey: retClientA}, {Municipality: "0363", ClientKey: retClientB},
			{Municipality: "0363", ClientKey: retClientC}, {Municipality: "0599", ClientKey: retClientC}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := due(t, s, tc.at); !slices.Equal(got, tc.want) {
				t.Fatalf("due %v, want %v", got, tc.want)
			}
		})
	}
}

func testRetentionDueConsents(t *testing.T, s RetentionStore) {
	ctx := Ctx(t)
	keyA, keyB := consent.RegisterKey("0363", retClientA), consent.RegisterKey("0363", retClientB)
	// A: a single-share consent used by an iJw disclosure; B: a period
	// consent an iJw disclosure names in its state:allowed entry.
	recordConsent(t, s, NewSingleShareConsent("0363:s-1", keyA))
	rec := retRecord("d-a", "0363", "iJw", retClientA)
	register(t, s, rec)
	if err := s.UseConsents(ctx, "d-a", []string{"0363:s-1"}); err != nil {
		t.Fatal(err)
	}
	recordConsent(t, s, NewPeriodConsent("0363:p-1", keyB))
	deliver(t, s, retRecord("d-b", "0363", "iJw", retClientB), "p-1")
	// C: a withdrawn consent nothing relied on.
	keyC := consent.RegisterKey("0363", retClientC)
	recordConsent(t, s, NewPeriodConsent("0363:w-1", keyC))
	if err := s.WithdrawConsent(ctx, keyC, "0363:w-1", time.Now()); err != nil {
		t.Fatal(err)
	}
	if got := due(t, s, years(4, 0)); len(got) != 0 {
		t.Fatalf("four years: due %v", got)
	}
	if got, want := due(t, s, years(6, 0)), []retention.Client{{Municipality: "0363", ClientKey: retClientC}}; !slices.Equal(got, want) {
		t.Fatalf("six years: due %v, want only C (A's and B's consents are relied on)", got)
	}
}

func testRetentionRegister(t *testing.T, s RetentionStore) {
	ctx := Ctx(t)
	key := consent.RegisterKey("0363", retClientA)
	recordConsent(t, s, NewPeriodConsent("0363:p-1", key))
	recordConsent(t, s, NewSingleShareConsent("0363:s-1", key))
	register(t, s, retRecord("d-1", "0363", "iWmo", retClientA))
	if err := s.UseConsents(ctx, "d-1", []string{"0363:s-1"}); err != nil {
		t.Fatal(err)
	}
	from := time.Now().Add(-time.Hour).UTC().Truncate(time.Microsecond)
	if err := s.RecordRestriction(ctx, key, from); err != nil {
		t.Fatal(err)
	}
	if err := s.LiftRestriction(ctx, key, from.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := s.RecordObjection(ctx, key, from); err != nil {
		t.Fatal(err)
	}
	if err := s.SetLegalRepresentative(ctx, key, true); err != nil {
		t.Fatal(err)
	}
	reg, err := s.RetentionRegister(ctx, retention.Client{Municipality: "0363", ClientKey: retClientA})
	if err != nil {
		t.Fatal(err)
	}
	if len(reg.Consents) != 2 || reg.Consents[0].ID != "0363:p-1" || reg.Consents[1].ID != "0363:s-1" {
		t.Fatalf("consents %+v", reg.Consents)
	}
	if ended, ok := reg.Consents[0].Ended(); !ok || !ended.Equal(NewPeriodConsent("", "").ValidUntil.UTC().AddDate(0, 0, 1)) {
		t.Errorf("period consent ended %s, %v; want the day after its last day", ended, ok)
	}
	if c := reg.Consents[1]; c.UsedBy != "d-1" || c.UsedAt.IsZero() || !c.SingleShare {
		t.Errorf("used consent %+v", c)
	}
	if len(reg.Restrictions) != 1 || reg.Restrictions[0].ID == 0 || !reg.Restrictions[0].LiftedAt.Equal(from.Add(time.Minute)) {
		t.Errorf("restrictions %+v", reg.Restrictions)
	}
	if len(reg.Objections) != 1 || !reg.Objections[0].LiftedAt.IsZero() || !reg.Objections[0].From.Equal(from) {
		t.Errorf("objections %+v", reg.Objections)
	}
	if reg.Representative == nil || !reg.Representative.Recorded || reg.Representative.UpdatedAt.IsZero() {
		t.Errorf("representative %+v", reg.Representative)
	}
	other, err := s.RetentionRegister(ctx, retention.Client{Municipality: "0599", ClientKey: retClientA})
	if err != nil || len(other.Consents)+len(other.Restrictions)+len(other.Objections) != 0 || other.Representative != nil {
		t.Fatalf("another municipality's register: %+v, %v", other, err)
	}
}

// putArchived archives a message of rec as the pipeline does.
func putArchived(t *testing.T, a *archive.Archive, rec receipts.Record) {
	t.Helper()
	until, err := retention.Until(rec.Standard, rec.CreatedAt)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Put(Ctx(t), rec.DisclosureID, rec.ClientKey, signedMessage(rec.DisclosureID), until); err != nil {
		t.Fatal(err)
	}
}

func testRetentionDestroy(t *testing.T, s RetentionStore) {
	ctx := Ctx(t)
	a, _ := newArchive(t, s)
	key := consent.RegisterKey("0363", retClientA)
	rec := deliver(t, s, retRecord("d-1", "0363", "iWmo", retClientA))
	putArchived(t, a, rec)
	keep := deliver(t, s, retRecord("d-2", "0363", "iJw", retClientA))
	putArchived(t, a, keep)
	it := newItem("break_glass:1", casework.KindBreakGlass, "0363")
	it.DisclosureID = "d-1"
	openItem(t, s, it)
	recordConsent(t, s, NewPeriodConsent("0363:p-1", key))
	from := time.Now().Add(-time.Hour).UTC()
	if err := s.RecordRestriction(ctx, key, from); err != nil {
		t.Fatal(err)
	}
	if err := s.LiftRestriction(ctx, key, from.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := s.SetLegalRepresentative(ctx, key, false); err != nil {
		t.Fatal(err)
	}
	reg, err := s.RetentionRegister(ctx, retention.Client{Municipality: "0363", ClientKey: retClientA})
	if err != nil {
		t.Fatal(err)
	}
	before := len(ReadLedger(t, s))
	d := retention.Destruction{Client: retention.Client{Municipality: "0363", ClientKey: retClientA},
		DisclosureIDs: []string{"d-1"}, ConsentIDs: []string{"0363:p-1"}, RestrictionIDs: []int64{reg.Restrictions[0].ID},
		Representative: true, At: time.Now(), Event: ledger.EventRetentionDestroyed, Detail: map[string]string{"cause": "term"}}
	got, err := s.RetentionDestroy(ctx, d)
	if err != nil {
		t.Fatal(err)
	}
	if got.Disclosures["iWmo"] != 1 || got.ArchivedMessages["iWmo"] != 1 || got.ReviewItems["iWmo"] != 1 ||
		got.Consents != 1 || got.Restrictions != 1 || got.Representative != 1 || got.Shredded {
		t.Fatalf("destroyed %+v", got)
	}
	if _, err := s.Get(ctx, "d-1"); !errors.Is(err, receipts.ErrNotFound) {
		t.Errorf("Get(d-1) after destroy: %v, want not found", err)
	}
	if _, err := s.ArchiveGet(ctx, "d-1"); !errors.Is(err, archive.ErrNotFound) {
		t.Errorf("ArchiveGet(d-1): %v, want not found", err)
	}
	if _, err := s.GetItem(ctx, it.ID); !errors.Is(err, casework.ErrNotFound) {
		t.Errorf("GetItem: %v, want not found", err)
	}
	archiveGet(t, a, "d-2", signedMessage("d-2")) // the client's other message: the key is not shredded
	if reg, err := s.RetentionRegister(ctx, d.Client); err != nil || len(reg.Consents) != 0 || len(reg.Restrictions) != 0 || reg.Representative != nil {
		t.Errorf("register after destroy: %+v, %v", reg, err)
	}
	entries := ReadLedger(t, s)
	if len(entries) != before+1 {
		t.Fatalf("%d ledger entries written, want 1", len(entries)-before)
	}
	e := entries[len(entries)-1]
	wantDetail := map[string]string{"cause": "term", "municipality": "0363", "disclosures_iWmo": "1",
		"archived_messages_iWmo": "1", "review_items_iWmo": "1", "consents": "1", "restrictions": "1", "legal_representative": "1"}
	if e.Event != ledger.EventRetentionDestroyed || e.DisclosureID != "" || !mapsEqual(e.Detail, wantDetail) {
		t.Errorf("entry %s %q %v, want %v", e.Event, e.DisclosureID, e.Detail, wantDetail)
	}
	assertNoneOf(t, entries, retClientA)
	VerifyChain(t, s)

	// Again: nothing left to destroy, no entry.
	again, err := s.RetentionDestroy(ctx, d)
	if err != nil || again.Any() {
		t.Fatalf("second destroy: %+v, %v", again, err)
	}
	if n := len(ReadLedger(t, s)); n != before+1 {
		t.Fatalf("second destroy wrote %d entries", n-before-1)
	}
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func testRetentionDestroyScope(t *testing.T, s RetentionStore) {
	ctx := Ctx(t)
	a, _ := newArchive(t, s)
	recA := deliver(t, s, retRecord("d-a", "0363", "iWmo", retClientA))
	putArchived(t, a, recA)
	recA2 := deliver(t, s, retRecord("d-a2", "0599", "iWmo", retClientA))
	putArchived(t, a, recA2)
	recB := deliver(t, s, retRecord("d-b", "0363", "iWmo", retClientB))
	putArchived(t, a, recB)
	keyB := consent.RegisterKey("0363", retClientB)
	recordConsent(t, s, NewPeriodConsent("0363:b-1", keyB))

	// Ids of another client, or of another municipality, are skipped.
	d := retention.Destruction{Client: retention.Client{Municipality: "0363", ClientKey: retClientA},
		DisclosureIDs: []string{"d-b", "d-a2"}, ConsentIDs: []string{"0363:b-1"}, At: time.Now(),
		Event: ledger.EventRetentionDestroyed}
	if got, err := s.RetentionDestroy(ctx, d); err != nil || sum(got.Disclosures) != 0 || got.Consents != 0 {
		t.Fatalf("destroying another client's ids: %+v, %v", got, err)
	}
	get(t, s, "d-b")
	get(t, s, "d-a2")
	// A of 0363: its archive key stays while A has a disclosure in 0599.
	d.DisclosureIDs = []string{"d-a"}
	if got, err := s.RetentionDestroy(ctx, d); err != nil || got.Disclosures["iWmo"] != 1 || got.Shredded {
		t.Fatalf("destroy A of 0363: %+v, %v", got, err)
	}
	archiveGet(t, a, "d-a2", signedMessage("d-a2"))
	// A of 0599: the last of A, the key is shredded.
	d.Client.Municipality, d.DisclosureIDs = "0599", []string{"d-a2"}
	if got, err := s.RetentionDestroy(ctx, d); err != nil || !got.Shredded {
		t.Fatalf("destroy A of 0599: %+v, %v", got, err)
	}
	if _, err := s.ArchiveLiveKey(ctx, retClientA); !errors.Is(err, archive.ErrNotFound) {
		t.Errorf("A's live key after the last destruction: %v, want none", err)
	}
	archiveGet(t, a, "d-b", signedMessage("d-b"))
	if reg := consentRegister(t, s, keyB); len(reg.Consents) != 1 {
		t.Errorf("B's register touched: %+v", reg)
	}
}

func testRetentionUnkeyedInbound(t *testing.T, s RetentionStore) {
	ctx := Ctx(t)
	register(t, s, retRecord("u-wmo", "0363", "iWmo", ""))
	register(t, s, retRecord("u-ijw", "0363", "iJw", ""))
	register(t, s, retRecord("k-wmo", "0363", "iWmo", retClientA))
	in := NewInbound("in-1", "P1")
	in.ReceivedAt = time.Now().UTC()
	recordInbound(t, s, in)
	in2 := NewInbound("in-2", "P2")
	in2.Standard, in2.MessageType, in2.ReceivedAt = "iJw", "JW315", time.Now().UTC()
	recordInbound(t, s, in2)

	ids := func(recs []receipts.Record) []string {
		var out []string
		for _, r := range recs {
			out = append(out, r.DisclosureID)
		}
		return out
	}
	for _, tc := range []struct {
		name     string
		at       time.Time
		unkeyed  []string
		inbounds int
	}{
		{"before any term", years(14, 0), nil, 0},
		{"fifteen years", years(15, 1), []string{"u-wmo"}, 1},
		{"twenty years", years(20, 1), []string{"u-wmo", "u-ijw"}, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			recs, err := s.RetentionUnkeyed(ctx, retention.CutoffsAt(tc.at), 10)
			if err != nil {
				t.Fatal(err)
			}
			if got := ids(recs); !slices.Equal(got, tc.unkeyed) {
				t.Errorf("unkeyed %v, want %v", got, tc.unkeyed)
			}
			ins, err := s.RetentionInbound(ctx, retention.CutoffsAt(tc.at), 10)
			if err != nil || len(ins) != tc.inbounds {
				t.Errorf("inbound %d, %v; want %d", len(ins), err, tc.inbounds)
			}
		})
	}
	got, err := s.RetentionDestroy(ctx, retention.Destruction{Client: retention.Client{Municipality: "0363"},
		DisclosureIDs: []string{"u-wmo", "k-wmo"}, InboundIDs: []string{"in-1", "in-2"}, At: time.Now(), Event: ledger.EventRetentionDestroyed})
	if err != nil || got.Disclosures["iWmo"] != 1 || got.Inbound["iWmo"] != 1 || got.Inbound["iJw"] != 1 {
		t.Fatalf("destroy: %+v, %v (the keyed disclosure is not in an unkeyed destruction)", got, err)
	}
	get(t, s, "k-wmo")
	if _, err := s.GetInbound(ctx, "in-1"); !errors.Is(err, inbound.ErrNotFound) {
		t.Errorf("inbound after destroy: %v", err)
	}
	if _, err := s.RetentionDestroy(ctx, retention.Destruction{Client: retention.Client{Municipality: "0363"},
		ConsentIDs: []string{"0363:x"}, Event: ledger.EventRetentionDestroyed}); err == nil {
		t.Error("register rows without a client key: no error")
	}
}

func testRetentionOverdue(t *testing.T, s RetentionStore) {
	deliver(t, s, retRecord("d-1", "0363", "iWmo", retClientA))
	deliver(t, s, retRecord("d-2", "0363", "iWmo", retClientB))
	deliver(t, s, retRecord("d-3", "0599", "iJw", retClientC))
	key := consent.RegisterKey("0599", retClientA)
	recordConsent(t, s, NewPeriodConsent("0599:p-1", key))
	groups, err := s.RetentionOverdue(Ctx(t), retention.CutoffsAt(years(15, 1)))
	if err != nil {
		t.Fatal(err)
	}
	var disclosures, register int
	for _, g := range groups {
		switch g.Kind {
		case retention.KindDisclosure:
			if g.Municipality != "0363" || g.Standard != "iWmo" || g.Records != 2 || g.Oldest.IsZero() {
				t.Errorf("disclosures %+v", g)
			}
			disclosures += g.Records
		case retention.KindRegister:
			if g.Municipality != "0599" || g.Records != 1 {
				t.Errorf("register %+v", g)
			}
			register += g.Records
		default:
			t.Errorf("unexpected group %+v", g)
		}
	}
	if disclosures != 2 || register != 1 {
		t.Fatalf("overdue %+v", groups)
	}
}

func testRetentionNoActor(t *testing.T, s RetentionStore) {
	deliver(t, s, retRecord("d-1", "0363", "iWmo", retClientA))
	_, err := s.RetentionDestroy(context.Background(), retention.Destruction{
		Client:        retention.Client{Municipality: "0363", ClientKey: retClientA},
		DisclosureIDs: []string{"d-1"}, Event: ledger.EventRetentionDestroyed})
	if !errors.Is(err, actor.ErrMissing) {
		t.Fatalf("without an actor: %v, want actor.ErrMissing", err)
	}
	get(t, s, "d-1")
}

// standInRedactor records what it is asked to redact, and checks that
// nothing of it is deleted yet (redaction comes first). It stands in for
// the store's ledger redaction where that is not what is tested.
type standInRedactor struct {
	t    *testing.T
	s    RetentionStore
	mu   sync.Mutex
	refs []ledger.Ref
}

func (r *standInRedactor) RedactAbout(ctx context.Context, ref ledger.Ref, _ time.Time) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, id := range ref.DisclosureIDs {
		_, err := r.s.Get(ctx, id)
		_, ierr := r.s.GetInbound(ctx, id)
		if err != nil && ierr != nil {
			r.t.Errorf("redact %s: the record is gone already (%v)", id, err)
		}
	}
	r.refs = append(r.refs, ref)
	return 0, nil
}

func (r *standInRedactor) redacted() ledger.Ref {
	r.mu.Lock()
	defer r.mu.Unlock()
	var all ledger.Ref
	for _, ref := range r.refs {
		all.DisclosureIDs = append(all.DisclosureIDs, ref.DisclosureIDs...)
		all.ConsentIDs = append(all.ConsentIDs, ref.ConsentIDs...)
		all.RestrictionIDs = append(all.RestrictionIDs, ref.RestrictionIDs...)
		all.ObjectionIDs = append(all.ObjectionIDs, ref.ObjectionIDs...)
	}
	return all
}

func sum(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// bsnB is the test BSN the suite's client-key function gives client B.
const bsnB = "999993653"

func newRetentionService(t *testing.T, s RetentionStore, red ledger.Redactor, now *time.Time) *retention.Service {
	t.Helper()
	m, err := retention.NewMetrics(prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	svc, err := retention.New(retention.Config{Store: s, Records: s, Archive: s, Ledger: s, Redactor: red, Metrics: m,
		ClientKey: func(bsn string) string {
			if bsn == bsnB {
				return retClientB
			}
			return "ff" + bsn
		},
		Now: func() time.Time { return *now }})
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

func testRetentionAcceptanceStandIn(t *testing.T, s RetentionStore) {
	red := &standInRedactor{t: t, s: s}
	acceptance(t, s, red)
	got := red.redacted()
	for _, id := range []string{"a-wmo", "a-ijw", "b-ijw", "in-1"} {
		if !slices.Contains(got.DisclosureIDs, id) {
			t.Errorf("%s was destroyed without its ledger entries redacted first: %v", id, got.DisclosureIDs)
		}
	}
	for _, id := range []string{"0363:a-used", "0363:a-period", "0363:b-1"} {
		if !slices.Contains(got.ConsentIDs, id) {
			t.Errorf("consent %s destroyed without redaction: %v", id, got.ConsentIDs)
		}
	}
	if len(got.RestrictionIDs) != 1 {
		t.Errorf("restrictions redacted %v, want the lifted one", got.RestrictionIDs)
	}
	for _, id := range got.DisclosureIDs {
		if strings.HasPrefix(id, "c-") {
			t.Errorf("client C's %s redacted", id)
		}
	}
}

// testRetentionAcceptance is issue 17's acceptance against the store's own
// ledger redaction.
func testRetentionAcceptance(t *testing.T, s RetentionStore) {
	acceptance(t, s, s)
	// No entry refers to what was destroyed any more.
	for _, id := range []string{"a-wmo", "a-ijw", "b-ijw", "in-1"} {
		es, err := s.EntriesFor(Ctx(t), id)
		if err != nil || len(es) != 0 {
			t.Errorf("EntriesFor(%s) after redaction: %d entries, %v", id, len(es), err)
		}
	}
	for _, e := range ReadLedger(t, s) {
		for k, v := range e.Detail {
			for _, id := range []string{"0363:a-used", "0363:a-period", "0363:b-1", "a-wmo", "a-ijw", "b-ijw"} {
				if strings.Contains(v, id) {
					t.Errorf("entry %d (%s) still names %s in %s", e.Seq, e.Event, id, k)
				}
			}
		}
	}
	named := 0
	for _, e := range ReadLedger(t, s) {
		if e.Detail["consent_id"] == "0363:c-open" {
			named++
		}
	}
	if named == 0 {
		t.Error("client C's consent entries were redacted")
	}
}

// acceptance moves the clock 21 years over three clients of 0363: A with
// an iWmo and an iJw disclosure (archived; a review item; a single-share
// consent the iWmo one used, a period consent the iJw one relied on; a
// lifted restriction), B with an iJw disclosure and the consent it relied
// on, C with an open consent and an objection in force (never due); and
// an inbound iWmo message.
func acceptance(t *testing.T, s RetentionStore, red ledger.Redactor) {
	ctx := Ctx(t)
	now := time.Now().UTC()
	svc := newRetentionService(t, s, red, &now)
	a, _ := newArchive(t, s)
	keyA, keyB, keyC := consent.RegisterKey("0363", retClientA), consent.RegisterKey("0363", retClientB), consent.RegisterKey("0363", retClientC)

	recordConsent(t, s, NewSingleShareConsent("0363:a-used", keyA))
	register(t, s, retRecord("a-wmo", "0363", "iWmo", retClientA))
	if err := s.UseConsents(ctx, "a-wmo", []string{"0363:a-used"}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []receipts.Change{{To: receipts.Allowed}, {To: receipts.Published}, {To: receipts.Delivered}} {
		if _, err := s.Move(ctx, "a-wmo", c); err != nil {
			t.Fatal(err)
		}
	}
	putArchived(t, a, get(t, s, "a-wmo"))
	it := newItem("break_glass:a", casework.KindBreakGlass, "0363")
	it.DisclosureID = "a-wmo"
	openItem(t, s, it)
	recordConsent(t, s, NewPeriodConsent("0363:a-period", keyA))
	putArchived(t, a, deliver(t, s, retRecord("a-ijw", "0363", "iJw", retClientA), "a-period"))
	from := now.Add(-time.Hour)
	if err := s.RecordRestriction(ctx, keyA, from); err != nil {
		t.Fatal(err)
	}
	if err := s.LiftRestriction(ctx, keyA, from.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	recordConsent(t, s, NewPeriodConsent("0363:b-1", keyB))
	putArchived(t, a, deliver(t, s, retRecord("b-ijw", "0363", "iJw", retClientB), "b-1"))
	in := NewInbound("in-1", "P1")
	in.ReceivedAt = now
	recordInbound(t, s, in)
	if err := s.RecordObjection(ctx, keyC, from); err != nil {
		t.Fatal(err)
	}
	recordConsent(t, s, NewSingleShareConsent("0363:c-open", keyC))

	pass := func(at time.Time) retention.PassResult {
		t.Helper()
		now = at
		res, err := svc.Pass(ctx, at)
		if err != nil {
			t.Fatalf("Pass at %s: %v", at, err)
		}
		return res
	}
	exists := func(id string) bool {
		_, err := s.Get(ctx, id)
		return err == nil
	}

	// Erasure inside a retention duty is refused with its reason.
	now = now.AddDate(1, 0, 0)
	er, err := svc.Erase(ctx, rights.Asker{ID: "e-1", Municipality: "0363"}, rights.Question{BSN: bsnB, Reference: "ZK-1"})
	if err != nil {
		t.Fatal(err)
	}
	if er.Outcome != retention.OutcomeRefused || !slices.Contains(er.Kept, retention.KeptCount{Kind: retention.KindDisclosure, Reason: retention.ReasonRetentionTerm, Count: 1}) ||
		!slices.Contains(er.Kept, retention.KeptCount{Kind: retention.KindConsent, Reason: retention.ReasonReliedOn, Count: 1}) {
		t.Fatalf("erasure of B within the term: %+v", er)
	}
	if !exists("b-ijw") {
		t.Fatal("refused erasure destroyed B's disclosure")
	}

	if res := pass(years(6, 0)); res.Clients != 1 {
		t.Fatalf("6 years: %+v, want A's lifted restriction destroyed", res)
	}
	if res := pass(years(14, 0)); res.Clients != 0 {
		t.Fatalf("14 years: %+v", res)
	}
	// 15 years: A's iWmo disclosure with its archived message, its review
	// item and the consent it used; the inbound iWmo message.
	res := pass(years(15, 1))
	if res.Clients != 1 || res.Inbound != 1 {
		t.Fatalf("15 years: %+v", res)
	}
	if exists("a-wmo") || !exists("a-ijw") || !exists("b-ijw") {
		t.Fatal("15 years: wrong disclosures destroyed")
	}
	if _, err := a.Get(ctx, "a-wmo"); !errors.Is(err, archive.ErrNotFound) {
		t.Errorf("A's iWmo message after 15 years: %v, want gone", err)
	}
	archiveGet(t, a, "a-ijw", signedMessage("a-ijw"))
	if reg := consentRegister(t, s, keyA); len(reg.Consents) != 1 || reg.Consents[0].ID != "0363:a-period" {
		t.Errorf("A's register after 15 years: %+v", reg.Consents)
	}
	// 21 years: the iJw disclosures of A and B, their messages, consents;
	// both archive keys shredded. C's open consent and objection stay.
	pass(years(21, 0))
	for _, id := range []string{"a-ijw", "b-ijw"} {
		if exists(id) {
			t.Errorf("%s kept after 21 years", id)
		}
		if _, err := a.Get(ctx, id); !errors.Is(err, archive.ErrNotFound) && !errors.Is(err, archive.ErrShredded) {
			t.Errorf("message %s after 21 years: %v, want unreadable", id, err)
		}
	}
	for _, ck := range []string{retClientA, retClientB} {
		if _, err := s.ArchiveLiveKey(ctx, ck); !errors.Is(err, archive.ErrNotFound) {
			t.Errorf("live archive key after 21 years: %v, want shredded", err)
		}
	}
	if reg := consentRegister(t, s, keyA); len(reg.Consents)+len(reg.Restrictions) != 0 {
		t.Errorf("A's register after 21 years: %+v", reg)
	}
	if reg := consentRegister(t, s, keyC); len(reg.Consents) != 1 || len(reg.Objections) != 1 {
		t.Errorf("C's register touched: %+v", reg)
	}
	// The ledger verifies end to end; every destruction is an entry with
	// counts, none names a client key.
	cp, err := ledger.VerifyReader(ctx, s, ledger.Start, 97)
	if err != nil {
		t.Fatalf("ledger after the destructions: %v", err)
	}
	entries := ReadLedger(t, s)
	if cp.Seq != entries[len(entries)-1].Seq {
		t.Fatalf("verified to %d of %d", cp.Seq, entries[len(entries)-1].Seq)
	}
	destroyed := 0
	for _, e := range entries {
		if e.Event == ledger.EventRetentionDestroyed {
			destroyed++
		}
	}
	if destroyed < 4 {
		t.Errorf("%d retention:destroyed entries, want one per destruction (at least 4)", destroyed)
	}
	assertNoneOf(t, entries, retClientA, retClientB, retClientC)
}

// assertNoneOf checks that no ledger entry carries one of keys.
func assertNoneOf(t *testing.T, entries []ledger.Entry, keys ...string) {
	t.Helper()
	for _, e := range entries {
		for _, k := range keys {
			if strings.Contains(e.DisclosureID, k) {
				t.Errorf("entry %d (%s) carries a client key as its disclosure id", e.Seq, e.Event)
			}
			for f, v := range e.Detail {
				if strings.Contains(v, k) {
					t.Errorf("entry %d (%s) carries a client key in %s", e.Seq, e.Event, f)
				}
			}
		}
	}
}
