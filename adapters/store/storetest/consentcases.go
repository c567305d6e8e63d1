package storetest

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/sluis-gateway/sluis/adapters/store/internal/storecore"
	"github.com/sluis-gateway/sluis/internal/category"
	"github.com/sluis-gateway/sluis/internal/consent"
)

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

// testObjections: objections (art. 21) are kept like restrictions, in their
// own list: recording and lifting one never touches the other.
func testObjections(t *testing.T, s ConsentStore) {
	t1 := time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)
	t2, t3 := t1.AddDate(0, 1, 0), t1.AddDate(0, 2, 0)
	steps := []struct {
		name string
		do   func(ctx context.Context) error
	}{
		{"a restriction from t1 (left alone by the objection commands)", func(ctx context.Context) error { return s.RecordRestriction(ctx, clientA, t1) }},
		{"record one from t1", func(ctx context.Context) error { return s.RecordObjection(ctx, clientA, t1) }},
		{"record one from t3", func(ctx context.Context) error { return s.RecordObjection(ctx, clientA, t3) }},
		{"record the t1 one again (no-op)", func(ctx context.Context) error { return s.RecordObjection(ctx, clientA, t1) }},
		{"record one for client B from t1", func(ctx context.Context) error { return s.RecordObjection(ctx, clientB, t1) }},
		{"lift at t2", func(ctx context.Context) error { return s.LiftObjection(ctx, clientA, t2) }},
		{"lift at t2 again (nothing in force)", func(ctx context.Context) error { return s.LiftObjection(ctx, clientA, t2) }},
		{"lift for a client without objections", func(ctx context.Context) error { return s.LiftObjection(ctx, "ck-none", t2) }},
	}
	for _, st := range steps {
		if err := st.do(Ctx(t)); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
	}
	reg := consentRegister(t, s, clientA)
	if len(reg.Objections) != 2 {
		t.Fatalf("%d objections, want 2: %+v", len(reg.Objections), reg.Objections)
	}
	o1, o3 := reg.Objections[0], reg.Objections[1]
	if !o1.From.Equal(t1) || o1.LiftedAt == nil || !o1.LiftedAt.Equal(t2) || o1.ClientKey != clientA {
		t.Errorf("first objection %+v, want from t1 lifted at t2", o1)
	}
	if !o3.From.Equal(t3) || o3.LiftedAt != nil {
		t.Errorf("second objection %+v, want from t3, in force", o3)
	}
	if len(reg.Restrictions) != 1 || reg.Restrictions[0].LiftedAt != nil {
		t.Errorf("restrictions %+v, want the one from t1 still in force", reg.Restrictions)
	}
	if b := consentRegister(t, s, clientB).Objections; len(b) != 1 || b[0].LiftedAt != nil {
		t.Errorf("client B's objections %+v, want one in force", b)
	}
	if n := len(eventsNamed(t, s, "objection:recorded")); n != 3 {
		t.Errorf("%d objection:recorded entries, want 3", n)
	}
	if n := len(eventsNamed(t, s, "objection:lifted")); n != 1 {
		t.Errorf("%d objection:lifted entries, want 1", n)
	}
	if err := s.RecordObjection(context.Background(), clientA, t2); err == nil {
		t.Error("an objection without an actor was recorded")
	}
}
