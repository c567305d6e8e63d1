package screen_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/sluis-gateway/sluis/internal/calendar"
	"github.com/sluis-gateway/sluis/internal/category"
	"github.com/sluis-gateway/sluis/internal/consent"
	"github.com/sluis-gateway/sluis/internal/disclosure"
	"github.com/sluis-gateway/sluis/internal/minimise"
	"github.com/sluis-gateway/sluis/internal/receipts"
	"github.com/sluis-gateway/sluis/internal/screen"
	"github.com/sluis-gateway/sluis/internal/testenv"
)

var clientKey = consent.ClientKey([]byte("0123456789abcdef0123456789abcdef"), "999900006")

// registerKey is the client's key in the register of the example's
// municipality (0363), under which its consents are recorded.
var registerKey = consent.RegisterKey("0363", clientKey)

// example is the iWmo 301 of the contract (legal obligation), with its
// receipt record as the pipeline registers it.
func example(t *testing.T) (disclosure.Request, receipts.Record) {
	t.Helper()
	dec, err := disclosure.NewDecoder()
	if err != nil {
		t.Fatal(err)
	}
	req, err := dec.Decode(testenv.ContractExample(t, "iwmo-301.json"))
	if err != nil {
		t.Fatal(err)
	}
	return req, receipts.Record{
		DisclosureID: req.ID, Municipality: req.Sender.Municipality, System: req.Sender.System,
		Recipient: req.Recipient.AGB, Standard: req.Standard, MessageType: "WMO301",
		Purpose: req.Purpose, Basis: req.LegalBasis.Kind, ClientKey: clientKey, State: receipts.Received,
	}
}

// periodConsent is the client's consent for the example's recipient and
// purpose, valid from a month ago for a year.
func periodConsent(id string) consent.Consent {
	now := time.Now()
	day := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, calendar.Location())
	return consent.Consent{
		ID: consent.StoredConsentID("0363", id), ClientKey: registerKey, GivenBy: []consent.Giver{consent.GiverClient},
		GivenAt: now.AddDate(0, -1, 0), Recipient: "42420001", Purpose: "care_assignment",
		Categories: []category.Category{category.Identification, category.Contact, category.CareAssignment},
		ValidFrom:  day.AddDate(0, -1, 0), ValidUntil: day.AddDate(1, 0, 0),
	}
}

func singleShare(id, usedBy string) consent.Consent {
	c := periodConsent(id)
	c.SingleShare = true
	c.UsedBy = usedBy
	return c
}

func onConsent(ids ...string) func(*disclosure.Request) {
	return func(r *disclosure.Request) {
		r.LegalBasis = disclosure.LegalBasis{Kind: disclosure.BasisConsent, ConsentIDs: ids}
	}
}

// newScreener is the screener on the embedded purpose profiles.
func newScreener(t *testing.T, store consent.UseStore) *screen.Screener {
	t.Helper()
	profiles, err := minimise.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	s, err := screen.New(store, profiles)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestScreen(t *testing.T) {
	withdrawn := periodConsent("c-1")
	yesterday := time.Now().AddDate(0, 0, -1)
	withdrawn.WithdrawnAt = &yesterday

	cases := []struct {
		name  string
		store *consents
		mod   func(*disclosure.Request)

		wantAllowed  bool
		wantBasis    string
		wantCodes    []string
		wantConsents []string
		wantUse      [][]string // UseConsents calls (the ids the register keeps)
		wantUsedBy   string     // of consent c-1 afterwards
		wantProfile  string
	}{
		{
			name: "legal obligation after a municipal decision: allowed, no consent used", store: &consents{},
			wantAllowed: true, wantBasis: disclosure.BasisLegalObligation,
			wantCodes: []string{string(consent.CodeNoticeMinimisationRequired)}, wantProfile: "iwmo-301-care_assignment@1",
		},
		{
			name:  "a period consent: allowed, nothing marked used",
			store: &consents{reg: consent.Register{Consents: []consent.Consent{periodConsent("c-1")}}}, mod: onConsent("c-1"),
			wantAllowed: true, wantBasis: disclosure.BasisConsent, wantConsents: []string{"c-1"},
			wantCodes: []string{string(consent.CodeConsentOK)}, wantProfile: "iwmo-301-care_assignment@1",
		},
		{
			name:  "an unused single-share consent: allowed and marked used by this disclosure",
			store: &consents{reg: consent.Register{Consents: []consent.Consent{singleShare("c-1", "")}}}, mod: onConsent("c-1"),
			wantAllowed: true, wantBasis: disclosure.BasisConsent, wantConsents: []string{"c-1"},
			wantCodes: []string{string(consent.CodeConsentOK)}, wantUse: [][]string{{"0363:c-1"}},
			wantUsedBy: "6f1c2a3e-8b4d-4c1a-9e2f-3a5b7c9d1e01", wantProfile: "iwmo-301-care_assignment@1",
		},
		{
			name:  "a single-share consent this disclosure used before (a redelivery): allowed again",
			store: &consents{reg: consent.Register{Consents: []consent.Consent{singleShare("c-1", "6f1c2a3e-8b4d-4c1a-9e2f-3a5b7c9d1e01")}}}, mod: onConsent("c-1"),
			wantAllowed: true, wantBasis: disclosure.BasisConsent, wantConsents: []string{"c-1"},
			wantCodes: []string{string(consent.CodeConsentOK)}, wantUse: [][]string{{"0363:c-1"}},
			wantUsedBy: "6f1c2a3e-8b4d-4c1a-9e2f-3a5b7c9d1e01", wantProfile: "iwmo-301-care_assignment@1",
		},
		{
			name: "a single-share consent used by another disclosure between screening and storing: refused",
			store: &consents{
				reg:           consent.Register{Consents: []consent.Consent{singleShare("c-1", "")}},
				usedMeanwhile: map[string]string{"0363:c-1": "other-disclosure"},
			},
			mod:       onConsent("c-1"),
			wantBasis: disclosure.BasisConsent, wantConsents: []string{"c-1"},
			wantCodes: []string{string(consent.CodeConsentAlreadyUsed)}, wantUse: [][]string{{"0363:c-1"}},
			wantUsedBy: "other-disclosure", wantProfile: "iwmo-301-care_assignment@1",
		},
		{
			name:  "a single-share consent already used by another disclosure on record: refused, not used again",
			store: &consents{reg: consent.Register{Consents: []consent.Consent{singleShare("c-1", "other-disclosure")}}}, mod: onConsent("c-1"),
			wantBasis: disclosure.BasisConsent, wantConsents: nil,
			wantCodes:  []string{string(consent.CodeConsentAlreadyUsed)},
			wantUsedBy: "other-disclosure", wantProfile: "iwmo-301-care_assignment@1",
		},
		{
			name:  "a withdrawn consent: refused",
			store: &consents{reg: consent.Register{Consents: []consent.Consent{withdrawn}}}, mod: onConsent("c-1"),
			wantBasis: disclosure.BasisConsent,
			wantCodes: []string{string(consent.CodeConsentWithdrawn)}, wantProfile: "iwmo-301-care_assignment@1",
		},
		{
			// Minimisation refuses too (no category covered); the basis's
			// code comes first, it explains more.
			name: "a consent not on record: refused, the basis's code first", store: &consents{}, mod: onConsent("c-1"),
			wantBasis: disclosure.BasisConsent,
			wantCodes: []string{string(consent.CodeConsentMissing), "CATEGORY_NOT_COVERED"}, wantProfile: "iwmo-301-care_assignment@1",
		},
		{
			name:  "NO_PROFILE: no purpose profile for this purpose and message type",
			store: &consents{reg: consent.Register{Consents: []consent.Consent{singleShare("c-1", "")}}},
			mod: func(r *disclosure.Request) {
				onConsent("c-1")(r)
				r.Purpose = "research"
			},
			wantBasis: disclosure.BasisConsent, wantCodes: []string{"NO_PROFILE"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req, rec := example(t)
			if tc.mod != nil {
				tc.mod(&req)
			}
			s := newScreener(t, tc.store)
			got, err := s.Screen(context.Background(), req, rec)
			if err != nil {
				t.Fatalf("Screen: %v", err)
			}
			if got.Allowed != tc.wantAllowed {
				t.Errorf("allowed %v (%s), want %v", got.Allowed, got.Sentence, tc.wantAllowed)
			}
			if got.Basis != tc.wantBasis {
				t.Errorf("basis %q, want %q", got.Basis, tc.wantBasis)
			}
			if !slices.Equal(got.ReasonCodes, tc.wantCodes) {
				t.Errorf("codes %v, want %v", got.ReasonCodes, tc.wantCodes)
			}
			for _, c := range got.ReasonCodes {
				if !got.Allowed && !slices.Contains(screen.Codes(), c) {
					t.Errorf("refusal code %s is not in screen.Codes (the metric would count it as other)", c)
				}
			}
			if !slices.Equal(got.ConsentIDs, tc.wantConsents) {
				t.Errorf("consents %v, want %v", got.ConsentIDs, tc.wantConsents)
			}
			if got.Sentence == "" {
				t.Error("no sentence")
			}
			if p := got.Detail["profile"]; p != tc.wantProfile {
				t.Errorf("profile %q, want %q", p, tc.wantProfile)
			}
			if tc.wantAllowed && got.Checked.ID != req.ID {
				t.Errorf("allowed without the checked request (id %q)", got.Checked.ID)
			}
			if !slices.EqualFunc(tc.store.useCalls, tc.wantUse, slices.Equal[[]string]) {
				t.Errorf("UseConsents calls %v, want %v", tc.store.useCalls, tc.wantUse)
			}
			if by := tc.store.usedBy(consent.StoredConsentID("0363", "c-1")); by != tc.wantUsedBy {
				t.Errorf("c-1 used by %q, want %q", by, tc.wantUsedBy)
			}
		})
	}
}

// TestScreenStoreErrors: a store failure is an error (the pipeline retries),
// never a decision.
func TestScreenStoreErrors(t *testing.T) {
	errDown := errors.New("store down")
	cases := []struct {
		name  string
		store *consents
	}{
		{"the register cannot be read", &consents{registerErr: errDown}},
		{"the use cannot be stored", &consents{
			reg:    consent.Register{Consents: []consent.Consent{singleShare("c-1", "")}},
			useErr: errDown,
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req, rec := example(t)
			onConsent("c-1")(&req)
			s := newScreener(t, tc.store)
			got, err := s.Screen(context.Background(), req, rec)
			if !errors.Is(err, errDown) {
				t.Fatalf("err %v, want the store's error", err)
			}
			if got.Allowed {
				t.Error("allowed on a store error")
			}
		})
	}
}

func TestNewNeedsItsParts(t *testing.T) {
	profiles, err := minimise.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name     string
		store    consent.UseStore
		profiles *minimise.Profiles
	}{
		{"no store", nil, profiles},
		{"no profiles", &consents{}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := screen.New(tc.store, tc.profiles); err == nil {
				t.Fatal("New accepted a missing part")
			}
		})
	}
}
