package minimise

import (
	"slices"
	"time"

	"github.com/sluis-gateway/sluis/internal/category"
	"github.com/sluis-gateway/sluis/internal/consent"
	"github.com/sluis-gateway/sluis/internal/disclosure"
)

// BasisOf derives what the request's legal basis covers, from the consent
// register the caller read for this client (clientKey is the keyed BSN
// hash, as for consent.Decide) and the moment of the share.
//
//   - consent: Covered is the union of the categories of the consents the
//     request names that are on record for this client (unknown ids add
//     nothing; consent.Decide refuses them). FreeTextAbout is ["client"]
//     when they cover free_text: the client consented to free text. No
//     relation is covered: a relation agreed to being included, not to
//     free text about them.
//   - legal obligation, safety override (and anything else): Covered is nil
//     (not limited by categories: the profile alone decides), FreeTextAbout
//     is empty: OP191 asks for the person's consent for free text about
//     them, and neither basis is that.
//
// It does not judge whether the consents are valid (recipient, period,
// withdrawal, givers): that is consent.Decide's.
func BasisOf(r disclosure.Request, reg consent.Register, clientKey string, on time.Time) Basis {
	b := Basis{Kind: r.LegalBasis.Kind, On: on}
	if r.LegalBasis.Kind != disclosure.BasisConsent {
		return b
	}
	b.Covered = []category.Category{}
	for _, id := range r.LegalBasis.ConsentIDs {
		for _, c := range reg.Consents {
			if c.ID != id || clientKey == "" || c.ClientKey != clientKey {
				continue
			}
			for _, cat := range c.Categories {
				if !slices.Contains(b.Covered, cat) {
					b.Covered = append(b.Covered, cat)
				}
			}
		}
	}
	slices.Sort(b.Covered)
	if slices.Contains(b.Covered, category.FreeText) {
		b.FreeTextAbout = []string{"client"}
	}
	return b
}
