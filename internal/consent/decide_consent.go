package consent

import (
	"fmt"

	"github.com/sluis-gateway/sluis/internal/calendar"
	"github.com/sluis-gateway/sluis/internal/category"
)

// Every consent named by the request must be on record for this client, have
// a recipient, purpose, giver and date (and a period when not single-share),
// be for this recipient and this purpose, be given no later than the share,
// not be withdrawn, have a period that contains the day of sharing (first
// and last day included), and, when single-share, not be used by another
// disclosure (its use by this same disclosure id is a redelivery and passes).
// A named consent that fails any of this refuses the share, even when the
// other named consents would suffice: the request claims it as its basis.
//
// Withdrawal: ANY recorded withdrawal refuses, also one stamped after `on`.
// The register the caller read already holds it, so it was known before the
// share; a later stamp can only be clock skew or a replay of an old decision,
// and in both the safe answer is no.
//
// Then, for every data category the request carries (category.Of), the
// consents that cover it must together have the right givers for the
// client's age on the day of sharing (see checkGivers).
func (d *decider) decideConsent() Decision {
	ids := d.r.LegalBasis.ConsentIDs
	if len(ids) == 0 {
		d.refuse(CodeConsentMissing, "no consent is named for this share")
		return Decision{}
	}
	before := len(d.refusals)
	var used []Consent
	for i, id := range ids {
		c, ok := d.find(id)
		if !ok {
			d.refuse(CodeConsentMissing, "consent %d named by the request is not on record for this client", i+1)
			continue
		}
		d.checkOne(i+1, c)
		used = append(used, c)
	}
	if len(d.refusals) > before {
		// Coverage and givers would only repeat the problem.
		return Decision{}
	}

	lo, hi, ageKnown := ageRange(d.r.Client.BirthDate, d.r.Client.BirthDateUsage, d.day)
	if !ageKnown {
		d.refuse(CodeConsentAgeUnknown, "the client's age on the day of sharing cannot be told, so it is unknown who must consent")
	}
	for _, cat := range category.Of(d.r) {
		var givers []Giver
		covered := false
		for _, c := range used {
			if containsCategory(c.Categories, cat) {
				covered = true
				givers = append(givers, c.GivenBy...)
			}
		}
		if !covered {
			d.refuse(CodeConsentCategoryNotCovered, "the consent does not cover data category %s", cat)
			continue
		}
		if ageKnown {
			d.checkGivers(cat, givers, lo, hi)
		}
	}
	if len(d.refusals) > before {
		return Decision{}
	}

	dec := Decision{}
	for _, c := range used {
		dec.ConsentIDs = append(dec.ConsentIDs, c.ID)
		if c.SingleShare {
			dec.SingleShareIDs = append(dec.SingleShareIDs, c.ID)
		}
	}
	text := "the consent covers this recipient, purpose and every data category sent"
	if len(used) > 1 {
		text = fmt.Sprintf("%d consents together cover this recipient, purpose and every data category sent", len(used))
	}
	dec.Reasons = []Reason{{Code: CodeConsentOK, Text: text}}
	return dec
}

func (d *decider) find(id string) (Consent, bool) {
	for _, c := range d.reg.Consents {
		if c.ID == id && c.ClientKey == d.clientKey && d.clientKey != "" {
			return c, true
		}
	}
	return Consent{}, false
}

// checkOne checks one named consent; n is its 1-based position in the
// request.
func (d *decider) checkOne(n int, c Consent) {
	if c.Recipient == "" || c.Purpose == "" || len(c.GivenBy) == 0 || c.GivenAt.IsZero() ||
		(!c.SingleShare && (c.ValidFrom.IsZero() || c.ValidUntil.IsZero())) {
		d.refuse(CodeConsentIncomplete, "consent %d lacks a recipient, purpose, giver, date or period, so it is not a consent for sharing", n)
	}
	if c.Recipient != "" && c.Recipient != d.r.Recipient.AGB {
		d.refuse(CodeConsentWrongRecipient, "consent %d is for another recipient", n)
	}
	if c.Purpose != "" && c.Purpose != d.r.Purpose {
		d.refuse(CodeConsentWrongPurpose, "consent %d is for another purpose", n)
	}
	if !c.GivenAt.IsZero() && c.GivenAt.After(d.on) {
		d.refuse(CodeConsentNotYetGiven, "consent %d was given after the moment of sharing", n)
	}
	if c.WithdrawnAt != nil {
		d.refuse(CodeConsentWithdrawn, "consent %d was withdrawn", n)
	}
	if !c.ValidFrom.IsZero() && d.day.Before(calendar.DateOf(c.ValidFrom)) {
		d.refuse(CodeConsentNotYetValid, "consent %d is not yet valid on the day of sharing", n)
	}
	if !c.ValidUntil.IsZero() && d.day.After(calendar.DateOf(c.ValidUntil)) {
		d.refuse(CodeConsentExpired, "consent %d expired before the day of sharing", n)
	}
	if c.SingleShare && c.UsedBy != "" && c.UsedBy != d.r.ID {
		d.refuse(CodeConsentAlreadyUsed, "consent %d was for a single share and was already used by another disclosure", n)
	}
}

// checkGivers checks who consented to category cat, for the client's age
// range lo..hi on the day of sharing:
//
//	under 12:  a parent with authority or a guardian
//	12 to 15:  both a parent with authority or guardian, and the child
//	16 and up: the client, or the legal representative when one is recorded
//
// When the age is uncertain (birth date partly unknown, or a 29 February
// birth on 28 February of a year without one) the range spans two bands and
// the consents for both are required: the privacy-safe reading.
func (d *decider) checkGivers(cat category.Category, givers []Giver, lo, hi int) {
	has := func(g Giver) bool {
		for _, x := range givers {
			if x == g {
				return true
			}
		}
		return false
	}
	parent := has(GiverParentWithAuthority) || has(GiverGuardian)
	bands := bandsIn(lo, hi)
	uncertain := ""
	if len(bands) > 1 {
		uncertain = " (the client's age is on a boundary that day, so the consents for both ages are needed)"
	}
	needParent, needChild := false, false
	for _, b := range bands {
		switch b {
		case bandUnder12:
			if !parent {
				d.refuse(CodeConsentWrongGiverUnder12, "for data category %s no parent with authority or guardian consented, as needed for a client under 12%s", cat, uncertain)
			}
		case band12to15:
			needParent, needChild = true, true
		case band16Plus:
			if !has(GiverClient) && !(d.reg.LegalRepresentativeRecorded && has(GiverLegalRepresentative)) {
				// For 12-15 the child's own consent is reported below.
				if !needChild {
					d.refuse(CodeConsentClientMissing16, "for data category %s the client did not consent, as needed from 16%s", cat, uncertain)
				}
			}
		}
	}
	if needParent && !parent {
		d.refuse(CodeConsentParentMissing1215, "for data category %s no parent with authority or guardian consented, as needed together with the child from 12 to 15%s", cat, uncertain)
	}
	if needChild && !has(GiverClient) {
		d.refuse(CodeConsentChildMissing1215, "for data category %s the child did not consent, as needed together with a parent or guardian from 12 to 15%s", cat, uncertain)
	}
}
