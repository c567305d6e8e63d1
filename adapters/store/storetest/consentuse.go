package storetest

import (
	"context"
	"errors"
	"reflect"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/sluis-gateway/sluis/adapters/store/internal/storecore"
	"github.com/sluis-gateway/sluis/internal/actor"
	"github.com/sluis-gateway/sluis/internal/category"
	"github.com/sluis-gateway/sluis/internal/consent"
	"github.com/sluis-gateway/sluis/internal/ledger"
)

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
