package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/sluis-gateway/sluis/internal/consent"
)

// testMunicipalityRegisters: what one municipality records for a client
// (under its consent.RegisterKey) is not found under another
// municipality's key for the same client: consents, restrictions, the
// legal representative; a withdrawal or lift under the other key changes
// nothing, and answers another's consent id as any unknown id.
func testMunicipalityRegisters(t *testing.T, s ConsentStore) {
	amsterdam, rotterdam := consent.RegisterKey("0363", clientA), consent.RegisterKey("0599", clientA)
	recordConsent(t, s, NewPeriodConsent("c-ams", amsterdam))
	t1 := time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)
	if err := s.RecordRestriction(Ctx(t), rotterdam, t1); err != nil {
		t.Fatal(err)
	}
	if err := s.SetLegalRepresentative(Ctx(t), rotterdam, true); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		id   string
	}{
		{"another municipality's consent", "c-ams"},
		{"an id nobody has", "c-nobody"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := s.WithdrawConsent(Ctx(t), rotterdam, tc.id, t1)
			if !errors.Is(err, consent.ErrUnknownConsent) {
				t.Fatalf("WithdrawConsent under 0599's key: %v, want %v", err, consent.ErrUnknownConsent)
			}
		})
	}
	if err := s.LiftRestriction(Ctx(t), amsterdam, t1.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	ams, rdam := consentRegister(t, s, amsterdam), consentRegister(t, s, rotterdam)
	if len(ams.Consents) != 1 || ams.Consents[0].WithdrawnAt != nil || len(ams.Restrictions) != 0 || ams.LegalRepresentativeRecorded {
		t.Fatalf("0363's register %+v: want its consent intact, no restriction, no representative", ams)
	}
	if len(rdam.Consents) != 0 || len(rdam.Restrictions) != 1 || rdam.Restrictions[0].LiftedAt != nil || !rdam.LegalRepresentativeRecorded {
		t.Fatalf("0599's register %+v: want no consent, its restriction in force, its representative", rdam)
	}
	if n := len(eventsNamed(t, s, "consent:withdrawn")); n != 0 {
		t.Fatalf("%d consent:withdrawn entries, want none", n)
	}
}
