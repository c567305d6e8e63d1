package storetest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sluis-gateway/sluis/adapters/store/internal/storecore"
	"github.com/sluis-gateway/sluis/internal/actor"
	"github.com/sluis-gateway/sluis/internal/category"
	"github.com/sluis-gateway/sluis/internal/consent"
	"github.com/sluis-gateway/sluis/internal/ledger"
)

// ConsentStore is what the consent register suite tests: the consent port
// (consent.Store) and the ledger it writes to.
type ConsentStore interface {
	consent.Store
	ledger.Reader
}

// RunConsent runs the consent register contract suite; each subtest gets
// its own empty, migrated store, closed in t.Cleanup.
func RunConsent(t *testing.T, newStore func(t *testing.T) ConsentStore) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s ConsentStore)
	}{
		{"consent register round trip", testConsentRoundTrip},
		{"unknown client has an empty register", testConsentEmpty},
		{"record consent is idempotent for the same content", testConsentIdempotent},
		{"record consent of a used id with other content conflicts", testConsentConflict},
		{"withdraw consent", testConsentWithdraw},
		{"restrictions are recorded and only those in force lifted", testRestrictions},
		{"legal representative flag", testRepresentative},
		{"use consents is all or none", testUseAllOrNone},
		{"use consents again by the same disclosure is a no-op", testUseSameDisclosure},
		{"use consents refuses unknown and period consents", testUseRefused},
		{"20 concurrent uses of one single-share consent: one wins", testUseRace},
		{"missing actor changes nothing in the register", testConsentMissingActor},
		{"bad register arguments are refused", testConsentBadArguments},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newStore(t)
			tt.fn(t, s)
			entries := VerifyChain(t, s)
			assertNoClientKeys(t, entries)
		})
	}
}

// clientA and clientB are client keys (keyed BSN hashes in production).
const (
	clientA = "ck-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	clientB = "ck-bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
)

// assertNoClientKeys checks that no ledger entry carries a client key.
func assertNoClientKeys(t *testing.T, entries []ledger.Entry) {
	t.Helper()
	for _, e := range entries {
		for k, v := range e.Detail {
			if strings.Contains(v, "ck-") || strings.Contains(k, "client") {
				t.Errorf("ledger entry %d (%s) carries a client key in %s", e.Seq, e.Event, k)
			}
		}
		if strings.Contains(e.DisclosureID, "ck-") {
			t.Errorf("ledger entry %d (%s) carries a client key as disclosure id", e.Seq, e.Event)
		}
	}
}

var amsterdam = func() *time.Location {
	l, err := time.LoadLocation("Europe/Amsterdam")
	if err != nil {
		return time.FixedZone("CET", 3600)
	}
	return l
}()

// NewPeriodConsent returns a complete period consent of client for the
// recipient 42420001 and purpose toewijzing.
func NewPeriodConsent(id, client string) consent.Consent {
	return consent.Consent{
		ID:         id,
		ClientKey:  client,
		GivenBy:    []consent.Giver{consent.GiverParentWithAuthority, consent.GiverClient},
		GivenAt:    time.Date(2026, 3, 14, 9, 26, 53, 589793238, amsterdam),
		Recipient:  "42420001",
		Purpose:    "toewijzing",
		Categories: []category.Category{category.CareAssignment, category.Identification},
		ValidFrom:  time.Date(2026, 3, 14, 0, 0, 0, 0, amsterdam),
		ValidUntil: time.Date(2026, 12, 31, 0, 0, 0, 0, amsterdam),
	}
}

// NewSingleShareConsent returns a complete single-share consent without a
// period.
func NewSingleShareConsent(id, client string) consent.Consent {
	c := NewPeriodConsent(id, client)
	c.GivenBy = []consent.Giver{consent.GiverClient}
	c.SingleShare = true
	c.ValidFrom, c.ValidUntil = time.Time{}, time.Time{}
	return c
}

func recordConsent(t *testing.T, s ConsentStore, c consent.Consent) {
	t.Helper()
	if err := s.RecordConsent(Ctx(t), c); err != nil {
		t.Fatalf("RecordConsent(%s): %v", c.ID, err)
	}
}

func consentRegister(t *testing.T, s ConsentStore, client string) consent.Register {
	t.Helper()
	reg, err := s.ConsentRegister(Ctx(t), client)
	if err != nil {
		t.Fatalf("ConsentRegister: %v", err)
	}
	return reg
}

func findConsent(t *testing.T, s ConsentStore, client, id string) consent.Consent {
	t.Helper()
	for _, c := range consentRegister(t, s, client).Consents {
		if c.ID == id {
			return c
		}
	}
	t.Fatalf("consent %s not in the register", id)
	return consent.Consent{}
}

// eventsNamed returns the ledger entries of one event, in order.
func eventsNamed(t *testing.T, s ConsentStore, event string) []ledger.Entry {
	t.Helper()
	var out []ledger.Entry
	for _, e := range ReadLedger(t, s) {
		if e.Event == event {
			out = append(out, e)
		}
	}
	return out
}

// want is c as the register must return it: UTC microsecond times.
func want(c consent.Consent) consent.Consent {
	c = storecore.NormalizeConsent(c)
	return c
}

// diffConsent describes how two consents differ ("" when equal); times
// must be equal and UTC (the zero time counts as UTC).
func diffConsent(w, g consent.Consent) string {
	var d []string
	if w.ID != g.ID || w.ClientKey != g.ClientKey || w.Recipient != g.Recipient ||
		w.Purpose != g.Purpose || w.SingleShare != g.SingleShare || w.UsedBy != g.UsedBy {
		d = append(d, fmt.Sprintf("fields: want %s/%s/%s/%s/%v/%q, got %s/%s/%s/%s/%v/%q",
			w.ID, w.ClientKey, w.Recipient, w.Purpose, w.SingleShare, w.UsedBy,
			g.ID, g.ClientKey, g.Recipient, g.Purpose, g.SingleShare, g.UsedBy))
	}
	if !slices.Equal(w.GivenBy, g.GivenBy) {
		d = append(d, fmt.Sprintf("GivenBy: want %q, got %q", w.GivenBy, g.GivenBy))
	}
	if !slices.Equal(w.Categories, g.Categories) {
		d = append(d, fmt.Sprintf("Categories: want %q, got %q", w.Categories, g.Categories))
	}
	tm := func(name string, w, g time.Time) {
		if !w.Equal(g) || (!g.IsZero() && g.Location() != time.UTC) || w.IsZero() != g.IsZero() {
			d = append(d, fmt.Sprintf("%s: want %v, got %v", name, w, g))
		}
	}
	tm("GivenAt", w.GivenAt, g.GivenAt)
	tm("ValidFrom", w.ValidFrom, g.ValidFrom)
	tm("ValidUntil", w.ValidUntil, g.ValidUntil)
	switch {
	case (w.WithdrawnAt == nil) != (g.WithdrawnAt == nil):
		d = append(d, fmt.Sprintf("WithdrawnAt: want %v, got %v", w.WithdrawnAt, g.WithdrawnAt))
	case w.WithdrawnAt != nil:
		tm("WithdrawnAt", *w.WithdrawnAt, *g.WithdrawnAt)
	}
	return strings.Join(d, "; ")
}

func testConsentRoundTrip(t *testing.T, s ConsentStore) {
	period := NewPeriodConsent("c-period", clientA)
	single := NewSingleShareConsent("c-single", clientA)
	single.Categories = []category.Category{category.Relations, category.Contact} // order kept as given
	bare := consent.Consent{ID: "c-bare", ClientKey: clientA}                     // incomplete: Decide refuses it, the store keeps it
	other := NewPeriodConsent("c-other", clientB)
	for _, c := range []consent.Consent{period, single, bare, other} {
		recordConsent(t, s, c)
	}
	withdrawnAt := time.Date(2026, 4, 1, 12, 0, 0, 123456789, amsterdam)
	if err := s.WithdrawConsent(Ctx(t), clientA, "c-period", withdrawnAt); err != nil {
		t.Fatalf("WithdrawConsent: %v", err)
	}
	if err := s.UseConsents(Ctx(t), "d-1", []string{"c-single"}); err != nil {
		t.Fatalf("UseConsents: %v", err)
	}
	from := time.Date(2026, 5, 1, 8, 0, 0, 999, amsterdam)
	if err := s.RecordRestriction(Ctx(t), clientA, from); err != nil {
		t.Fatalf("RecordRestriction: %v", err)
	}
	if err := s.SetLegalRepresentative(Ctx(t), clientA, true); err != nil {
		t.Fatalf("SetLegalRepresentative: %v", err)
	}

	reg := consentRegister(t, s, clientA)
	wp, ws, wb := want(period), want(single), want(bare)
	w := storecore.Trunc(withdrawnAt)
	wp.WithdrawnAt = &w
	ws.UsedBy = "d-1"
	wantConsents := []consent.Consent{wp, ws, wb}
	if len(reg.Consents) != len(wantConsents) {
		t.Fatalf("register has %d consents, want %d", len(reg.Consents), len(wantConsents))
	}
	for i, wc := range wantConsents {
		if d := diffConsent(wc, reg.Consents[i]); d != "" {
			t.Errorf("consent %d (%s): %s", i, wc.ID, d)
		}
	}
	if len(reg.Restrictions) != 1 {
		t.Fatalf("register has %d restrictions, want 1", len(reg.Restrictions))
	}
	r := reg.Restrictions[0]
	if r.ClientKey != clientA || !r.From.Equal(storecore.Trunc(from)) || r.From.Location() != time.UTC || r.LiftedAt != nil {
		t.Errorf("restriction %+v, want from %v, not lifted", r, storecore.Trunc(from))
	}
	if !reg.LegalRepresentativeRecorded {
		t.Error("LegalRepresentativeRecorded = false, want true")
	}
	if regB := consentRegister(t, s, clientB); len(regB.Consents) != 1 || regB.Consents[0].ID != "c-other" ||
		regB.Restrictions != nil || regB.LegalRepresentativeRecorded {
		t.Errorf("client B's register %+v, want only c-other", regB)
	}

	// The ledger: what was recorded, with consent facts and the actor.
	rec := eventsNamed(t, s, "consent:recorded")
	if len(rec) != 4 {
		t.Fatalf("%d consent:recorded entries, want 4", len(rec))
	}
	wantDetail := map[string]string{"consent_id": "c-single", "recipient": "42420001",
		"purpose": "toewijzing", "categories": "relations,contact"}
	if !reflect.DeepEqual(rec[1].Detail, wantDetail) || rec[1].Actor != Actor.String() || rec[1].DisclosureID != "" {
		t.Errorf("consent:recorded entry %+v, want detail %v by %s", rec[1], wantDetail, Actor)
	}
	used := eventsNamed(t, s, "consent:used")
	if len(used) != 1 || used[0].DisclosureID != "d-1" || used[0].Detail["consent_id"] != "c-single" {
		t.Errorf("consent:used entries %+v, want one for d-1 and c-single", used)
	}
	wd := eventsNamed(t, s, "consent:withdrawn")
	if len(wd) != 1 || wd[0].Detail["consent_id"] != "c-period" ||
		wd[0].Detail["categories"] != "care_assignment,identification" {
		t.Errorf("consent:withdrawn entries %+v", wd)
	}
	for _, ev := range []string{"restriction:recorded", "representative:recorded"} {
		if n := len(eventsNamed(t, s, ev)); n != 1 {
			t.Errorf("%d %s entries, want 1", n, ev)
		}
	}
}

func testConsentEmpty(t *testing.T, s ConsentStore) {
	recordConsent(t, s, NewPeriodConsent("c-1", clientA))
	reg, err := s.ConsentRegister(Ctx(t), "ck-unknown")
	if err != nil {
		t.Fatalf("ConsentRegister: %v", err)
	}
	if reg.Consents != nil || reg.Restrictions != nil || reg.LegalRepresentativeRecorded {
		t.Fatalf("register of an unknown client %+v, want empty", reg)
	}
}

func testConsentIdempotent(t *testing.T, s ConsentStore) {
	c := NewPeriodConsent("c-1", clientA)
	recordConsent(t, s, c)
	tests := []struct {
		name   string
		modify func(c *consent.Consent)
	}{
		{"same consent", func(*consent.Consent) {}},
		{"same instant in another zone", func(c *consent.Consent) { c.GivenAt = c.GivenAt.UTC() }},
		{"below microsecond precision", func(c *consent.Consent) { c.GivenAt = c.GivenAt.Truncate(time.Microsecond) }},
		{"register state is ignored", func(c *consent.Consent) {
			c.UsedBy = "d-x"
			w := time.Now()
			c.WithdrawnAt = &w
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			again := NewPeriodConsent("c-1", clientA)
			tt.modify(&again)
			if err := s.RecordConsent(Ctx(t), again); err != nil {
				t.Fatalf("RecordConsent again: %v", err)
			}
		})
	}
	if d := diffConsent(want(c), findConsent(t, s, clientA, "c-1")); d != "" {
		t.Fatalf("stored consent changed: %s", d)
	}
	if n := len(eventsNamed(t, s, "consent:recorded")); n != 1 {
		t.Fatalf("%d consent:recorded entries, want 1", n)
	}
}

func testConsentConflict(t *testing.T, s ConsentStore) {
	c := NewPeriodConsent("c-1", clientA)
	recordConsent(t, s, c)
	tests := []struct {
		name   string
		modify func(c *consent.Consent)
	}{
		{"other client", func(c *consent.Consent) { c.ClientKey = clientB }},
		{"other recipient", func(c *consent.Consent) { c.Recipient = "42420002" }},
		{"other purpose", func(c *consent.Consent) { c.Purpose = "wijziging" }},
		{"one category more", func(c *consent.Consent) { c.Categories = append(c.Categories, category.Relations) }},
		{"givers in another order", func(c *consent.Consent) { slices.Reverse(c.GivenBy) }},
		{"other giver", func(c *consent.Consent) { c.GivenBy = []consent.Giver{consent.GiverGuardian} }},
		{"given a microsecond later", func(c *consent.Consent) { c.GivenAt = c.GivenAt.Add(time.Microsecond) }},
		{"single share", func(c *consent.Consent) { c.SingleShare = true }},
		{"other period end", func(c *consent.Consent) { c.ValidUntil = c.ValidUntil.AddDate(0, 0, 1) }},
		{"no period", func(c *consent.Consent) { c.ValidFrom, c.ValidUntil = time.Time{}, time.Time{} }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			other := NewPeriodConsent("c-1", clientA)
			tt.modify(&other)
			if err := s.RecordConsent(Ctx(t), other); !errors.Is(err, consent.ErrConflict) {
				t.Fatalf("RecordConsent: %v, want ErrConflict", err)
			}
		})
	}
	if d := diffConsent(want(c), findConsent(t, s, clientA, "c-1")); d != "" {
		t.Fatalf("stored consent changed: %s", d)
	}
	if reg := consentRegister(t, s, clientB); reg.Consents != nil {
		t.Fatalf("client B has consents %+v", reg.Consents)
	}
	if n := len(eventsNamed(t, s, "consent:recorded")); n != 1 {
		t.Fatalf("%d consent:recorded entries, want 1", n)
	}
}

func testConsentWithdraw(t *testing.T, s ConsentStore) {
	recordConsent(t, s, NewPeriodConsent("c-1", clientA))
	recordConsent(t, s, NewPeriodConsent("c-b", clientB))
	first := time.Date(2026, 4, 1, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		client string
		id     string
		at     time.Time
		want   error
	}{
		{"unknown id", clientA, "c-unknown", first, consent.ErrUnknownConsent},
		{"another client's consent", clientA, "c-b", first, consent.ErrUnknownConsent},
		{"first withdrawal", clientA, "c-1", first, nil},
		{"second withdrawal keeps the first", clientA, "c-1", first.Add(time.Hour), nil},
		{"earlier withdrawal after the first keeps the first", clientA, "c-1", first.Add(-time.Hour), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := s.WithdrawConsent(Ctx(t), tt.client, tt.id, tt.at); !errors.Is(err, tt.want) {
				t.Fatalf("WithdrawConsent: %v, want %v", err, tt.want)
			}
		})
	}
	got := findConsent(t, s, clientA, "c-1")
	if got.WithdrawnAt == nil || !got.WithdrawnAt.Equal(first) {
		t.Fatalf("WithdrawnAt %v, want %v", got.WithdrawnAt, first)
	}
	if b := findConsent(t, s, clientB, "c-b"); b.WithdrawnAt != nil {
		t.Fatalf("client B's consent withdrawn at %v", b.WithdrawnAt)
	}
	wd := eventsNamed(t, s, "consent:withdrawn")
	if len(wd) != 1 || wd[0].Detail["withdrawn_at"] != first.Format(time.RFC3339Nano) {
		t.Fatalf("consent:withdrawn entries %+v, want one at %v", wd, first)
	}
}

func testRestrictions(t *testing.T, s ConsentStore) {
	t1 := time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)
	t2, t3 := t1.AddDate(0, 1, 0), t1.AddDate(0, 2, 0)
	steps := []struct {
		name string
		do   func(ctx context.Context) error
	}{
		{"record one from t1", func(ctx context.Context) error { return s.RecordRestriction(ctx, clientA, t1) }},
		{"record one from t3", func(ctx context.Context) error { return s.RecordRestriction(ctx, clientA, t3) }},
		{"record the t1 one again (no-op)", func(ctx context.Context) error { return s.RecordRestriction(ctx, clientA, t1) }},
		{"record one for client B from t1", func(ctx context.Context) error { return s.RecordRestriction(ctx, clientB, t1) }},
		{"lift at t2", func(ctx context.Context) error { return s.LiftRestriction(ctx, clientA, t2) }},
		{"lift at t2 again (nothing in force)", func(ctx context.Context) error { return s.LiftRestriction(ctx, clientA, t2) }},
		{"lift for a client without restrictions", func(ctx context.Context) error { return s.LiftRestriction(ctx, "ck-none", t2) }},
	}
	for _, st := range steps {
		if err := st.do(Ctx(t)); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
	}
	reg := consentRegister(t, s, clientA)
	if len(reg.Restrictions) != 2 {
		t.Fatalf("%d restrictions, want 2: %+v", len(reg.Restrictions), reg.Restrictions)
	}
	r1, r3 := reg.Restrictions[0], reg.Restrictions[1]
	if !r1.From.Equal(t1) || r1.LiftedAt == nil || !r1.LiftedAt.Equal(t2) {
		t.Errorf("first restriction %+v, want from t1 lifted at t2", r1)
	}
	if !r3.From.Equal(t3) || r3.LiftedAt != nil {
		t.Errorf("second restriction %+v, want from t3, in force", r3)
	}
	if b := consentRegister(t, s, clientB).Restrictions; len(b) != 1 || b[0].LiftedAt != nil {
		t.Errorf("client B's restrictions %+v, want one in force", b)
	}
	// Lifting later lifts the t3 one, leaving the lifted one as it was.
	if err := s.LiftRestriction(Ctx(t), clientA, t3.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	reg = consentRegister(t, s, clientA)
	if l := reg.Restrictions[0].LiftedAt; l == nil || !l.Equal(t2) {
		t.Errorf("first restriction lifted at %v, want t2", l)
	}
	if l := reg.Restrictions[1].LiftedAt; l == nil || !l.Equal(t3.Add(time.Second)) {
		t.Errorf("second restriction lifted at %v, want t3+1s", l)
	}
	if n := len(eventsNamed(t, s, "restriction:recorded")); n != 3 {
		t.Errorf("%d restriction:recorded entries, want 3", n)
	}
	if n := len(eventsNamed(t, s, "restriction:lifted")); n != 2 {
		t.Errorf("%d restriction:lifted entries, want 2", n)
	}
}

func testRepresentative(t *testing.T, s ConsentStore) {
	steps := []struct {
		name    string
		set     bool
		entries int
	}{
		{"set", true, 1},
		{"set again (no-op)", true, 1},
		{"clear", false, 2},
		{"clear again (no-op)", false, 2},
	}
	for _, st := range steps {
		if err := s.SetLegalRepresentative(Ctx(t), clientA, st.set); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if got := consentRegister(t, s, clientA).LegalRepresentativeRecorded; got != st.set {
			t.Fatalf("%s: flag %v, want %v", st.name, got, st.set)
		}
		es := eventsNamed(t, s, "representative:recorded")
		if len(es) != st.entries {
			t.Fatalf("%s: %d representative:recorded entries, want %d", st.name, len(es), st.entries)
		}
		if got := es[len(es)-1].Detail["legal_representative"]; got != strconv.FormatBool(st.set) {
			t.Fatalf("%s: last entry's detail %q, want %v", st.name, got, st.set)
		}
	}
	if consentRegister(t, s, clientB).LegalRepresentativeRecorded {
		t.Fatal("client B has the flag")
	}
}

func testUseAllOrNone(t *testing.T, s ConsentStore) {
	recordConsent(t, s, NewSingleShareConsent("c-1", clientA))
	recordConsent(t, s, NewSingleShareConsent("c-2", clientA))
	if err := s.UseConsents(Ctx(t), "d-other", []string{"c-1"}); err != nil {
		t.Fatalf("UseConsents(d-other): %v", err)
	}
	if err := s.UseConsents(Ctx(t), "d-1", []string{"c-2", "c-1"}); !errors.Is(err, consent.ErrConsentUsed) {
		t.Fatalf("UseConsents(d-1): %v, want ErrConsentUsed", err)
	}
	if got := findConsent(t, s, clientA, "c-1").UsedBy; got != "d-other" {
		t.Fatalf("c-1 used by %q, want d-other", got)
	}
	if got := findConsent(t, s, clientA, "c-2").UsedBy; got != "" {
		t.Fatalf("c-2 used by %q, want unused", got)
	}
	if es := mustEntriesForC(t, s, "d-1"); len(es) != 0 {
		t.Fatalf("ledger has %d entries for d-1, want 0", len(es))
	}
}

func mustEntriesForC(t *testing.T, s ConsentStore, id string) []ledger.Entry {
	t.Helper()
	es, err := s.EntriesFor(Ctx(t), id)
	if err != nil {
		t.Fatalf("EntriesFor(%s): %v", id, err)
	}
	return es
}

func testUseSameDisclosure(t *testing.T, s ConsentStore) {
	recordConsent(t, s, NewSingleShareConsent("c-1", clientA))
	recordConsent(t, s, NewSingleShareConsent("c-2", clientA))
	steps := []struct {
		name    string
		ids     []string
		entries int
	}{
		{"use c-1", []string{"c-1"}, 1},
		{"use c-1 again", []string{"c-1"}, 1},
		{"use c-1 twice in one call", []string{"c-1", "c-1"}, 1},
		{"use c-1 and c-2", []string{"c-1", "c-2"}, 2},
		{"use none", nil, 2},
	}
	for _, st := range steps {
		if err := s.UseConsents(Ctx(t), "d-1", st.ids); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		es := mustEntriesForC(t, s, "d-1")
		if len(es) != st.entries {
			t.Fatalf("%s: %d ledger entries for d-1, want %d", st.name, len(es), st.entries)
		}
	}
	es := mustEntriesForC(t, s, "d-1")
	for i, id := range []string{"c-1", "c-2"} {
		if es[i].Event != "consent:used" || es[i].Detail["consent_id"] != id {
			t.Errorf("entry %d: %s %v, want consent:used of %s", i, es[i].Event, es[i].Detail, id)
		}
		if got := findConsent(t, s, clientA, id).UsedBy; got != "d-1" {
			t.Errorf("%s used by %q, want d-1", id, got)
		}
	}
}

func testUseRefused(t *testing.T, s ConsentStore) {
	recordConsent(t, s, NewSingleShareConsent("c-single", clientA))
	recordConsent(t, s, NewPeriodConsent("c-period", clientA))
	tests := []struct {
		name string
		ids  []string
		want error
	}{
		{"unknown consent", []string{"c-single", "c-unknown"}, consent.ErrUnknownConsent},
		{"period consent", []string{"c-single", "c-period"}, storecore.ErrBadArgument},
		{"empty id", []string{"c-single", ""}, storecore.ErrBadArgument},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := s.UseConsents(Ctx(t), "d-1", tt.ids); !errors.Is(err, tt.want) {
				t.Fatalf("UseConsents: %v, want %v", err, tt.want)
			}
		})
	}
	if err := s.UseConsents(Ctx(t), "", []string{"c-single"}); !errors.Is(err, storecore.ErrBadArgument) {
		t.Fatalf("UseConsents without disclosure id: %v, want ErrBadArgument", err)
	}
	for _, c := range consentRegister(t, s, clientA).Consents {
		if c.UsedBy != "" {
			t.Errorf("%s used by %q, want unused", c.ID, c.UsedBy)
		}
	}
	if n := len(eventsNamed(t, s, "consent:used")); n != 0 {
		t.Fatalf("%d consent:used entries, want 0", n)
	}
}

func testUseRace(t *testing.T, s ConsentStore) {
	RaceUseConsents(t, []ConsentStore{s}, 20)
}

// RaceUseConsents records one single-share consent (through stores[0]) and
// lets n goroutines, spread over stores, use it for n different
// disclosures at once: exactly one must win, the others get
// consent.ErrConsentUsed, and the ledger holds one consent:used entry.
func RaceUseConsents(t *testing.T, stores []ConsentStore, n int) {
	t.Helper()
	recordConsent(t, stores[0], NewSingleShareConsent("c-race", clientA))
	recordConsent(t, stores[0], NewSingleShareConsent("c-race-2", clientA))
	ctx := Ctx(t)
	start := make(chan struct{})
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		s := stores[i%len(stores)]
		wg.Go(func() {
			<-start
			errs[i] = s.UseConsents(ctx, "d-race-"+strconv.Itoa(i), []string{"c-race-2", "c-race"})
		})
	}
	close(start)
	wg.Wait()
	winner := -1
	for i, err := range errs {
		switch {
		case err == nil && winner >= 0:
			t.Errorf("disclosures %d and %d both used the consent", winner, i)
		case err == nil:
			winner = i
		case !errors.Is(err, consent.ErrConsentUsed):
			t.Errorf("disclosure %d: %v, want nil or ErrConsentUsed", i, err)
		}
	}
	if winner < 0 {
		t.Fatal("no disclosure used the consent")
	}
	for _, id := range []string{"c-race", "c-race-2"} {
		if got := findConsent(t, stores[0], clientA, id).UsedBy; got != "d-race-"+strconv.Itoa(winner) {
			t.Errorf("%s used by %q, want the winner d-race-%d", id, got, winner)
		}
	}
	used := eventsNamed(t, stores[0], "consent:used")
	if len(used) != 2 {
		t.Fatalf("%d consent:used entries, want 2", len(used))
	}
	for _, e := range used {
		if e.DisclosureID != "d-race-"+strconv.Itoa(winner) {
			t.Errorf("consent:used entry for %s, want the winner", e.DisclosureID)
		}
	}
}

func testConsentMissingActor(t *testing.T, s ConsentStore) {
	recordConsent(t, s, NewSingleShareConsent("c-1", clientA))
	if err := s.RecordRestriction(Ctx(t), clientA, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	before := consentRegister(t, s, clientA)
	n := len(ReadLedger(t, s))
	contexts := []struct {
		name string
		ctx  context.Context
	}{
		{"no actor", context.Background()},
		{"actor without id", actor.With(context.Background(), actor.Actor{Kind: "system"})},
	}
	at := time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)
	for _, c := range contexts {
		calls := []struct {
			name string
			call func() error
		}{
			{"record consent", func() error { return s.RecordConsent(c.ctx, NewPeriodConsent("c-new", clientA)) }},
			{"withdraw consent", func() error { return s.WithdrawConsent(c.ctx, clientA, "c-1", at) }},
			{"record restriction", func() error { return s.RecordRestriction(c.ctx, clientA, at) }},
			{"lift restriction", func() error { return s.LiftRestriction(c.ctx, clientA, at) }},
			{"set legal representative", func() error { return s.SetLegalRepresentative(c.ctx, clientA, true) }},
			{"use consents", func() error { return s.UseConsents(c.ctx, "d-1", []string{"c-1"}) }},
		}
		for _, tt := range calls {
			t.Run(c.name+", "+tt.name, func(t *testing.T) {
				if err := tt.call(); !errors.Is(err, actor.ErrMissing) {
					t.Fatalf("got %v, want actor.ErrMissing", err)
				}
			})
		}
	}
	if after := consentRegister(t, s, clientA); !reflect.DeepEqual(before, after) {
		t.Fatalf("register changed:\nbefore %+v\nafter  %+v", before, after)
	}
	if got := len(ReadLedger(t, s)); got != n {
		t.Fatalf("ledger has %d entries, want %d", got, n)
	}
}

func testConsentBadArguments(t *testing.T, s ConsentStore) {
	bad := func(change func(c *consent.Consent)) consent.Consent {
		c := NewPeriodConsent("c-x", clientA)
		change(&c)
		return c
	}
	at := time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		call func(ctx context.Context) error
	}{
		{"consent without id", func(ctx context.Context) error {
			return s.RecordConsent(ctx, bad(func(c *consent.Consent) { c.ID = "" }))
		}},
		{"consent without client key", func(ctx context.Context) error {
			return s.RecordConsent(ctx, bad(func(c *consent.Consent) { c.ClientKey = "" }))
		}},
		{"consent with invalid utf-8 purpose", func(ctx context.Context) error {
			return s.RecordConsent(ctx, bad(func(c *consent.Consent) { c.Purpose = "\xff" }))
		}},
		{"consent with a nul in a category", func(ctx context.Context) error {
			return s.RecordConsent(ctx, bad(func(c *consent.Consent) { c.Categories = []category.Category{"a\x00"} }))
		}},
		{"withdraw without client key", func(ctx context.Context) error { return s.WithdrawConsent(ctx, "", "c-x", at) }},
		{"restriction without client key", func(ctx context.Context) error { return s.RecordRestriction(ctx, "", at) }},
		{"restriction without start", func(ctx context.Context) error { return s.RecordRestriction(ctx, clientA, time.Time{}) }},
		{"lift without time", func(ctx context.Context) error { return s.LiftRestriction(ctx, clientA, time.Time{}) }},
		{"representative without client key", func(ctx context.Context) error { return s.SetLegalRepresentative(ctx, "", true) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.call(Ctx(t)); !errors.Is(err, storecore.ErrBadArgument) {
				t.Fatalf("got %v, want ErrBadArgument", err)
			}
		})
	}
	if reg := consentRegister(t, s, clientA); reg.Consents != nil || reg.Restrictions != nil || reg.LegalRepresentativeRecorded {
		t.Fatalf("register %+v, want empty", reg)
	}
	if n := len(ReadLedger(t, s)); n != 0 {
		t.Fatalf("ledger has %d entries, want 0", n)
	}
}
