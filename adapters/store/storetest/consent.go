package storetest

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sluis-gateway/sluis/adapters/store/internal/storecore"
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
		{"objections are kept like restrictions, apart from them", testObjections},
		{"legal representative flag", testRepresentative},
		{"each municipality's register is its own", testMunicipalityRegisters},
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
