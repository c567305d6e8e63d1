package consent

import (
	"strings"
	"testing"

	"github.com/sluis-gateway/sluis/internal/disclosure"
)

// FuzzDecide feeds arbitrary free text and dates into a safety override and
// a consent share: Decide must not panic, and its sentence must never hold
// the BSN or the surname, whatever the input.
func FuzzDecide(f *testing.F) {
	f.Add("Discussed with the team lead.", "Acute risk.", birth, "", "301")
	f.Add("Jansen 999900006", "", "2088-02-29", "1", "319")
	f.Add("", "x", "2010-13-45", "2", "")
	f.Fuzz(func(t *testing.T, note, reason, birthDate, usage, msgType string) {
		on := at(t, defaultOn)
		for _, basis := range []string{disclosure.BasisSafetyOverride, disclosure.BasisConsent, disclosure.BasisLegalObligation} {
			r := baseRequest(basis)
			r.Client.BirthDate, r.Client.BirthDateUsage, r.MessageType = birthDate, usage, msgType
			if r.LegalBasis.Consultation != nil {
				r.LegalBasis.Consultation.Note = note
				r.LegalBasis.Reason = reason
			}
			d := Decide(r, register(baseConsent(on)), clientKey, on)
			if !d.Allowed && len(d.Codes) == 0 {
				t.Fatalf("refusal without codes: %+v", d)
			}
			for _, bad := range []string{bsn, surname} {
				if strings.Contains(d.Sentence, bad) {
					t.Fatalf("sentence %q holds %q", d.Sentence, bad)
				}
			}
		}
	})
}
