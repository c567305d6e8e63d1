package consent

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sluis-gateway/sluis/internal/calendar"
	"github.com/sluis-gateway/sluis/internal/category"
	"github.com/sluis-gateway/sluis/internal/disclosure"
)

const (
	clientKey = "ck-0001"
	agb       = "42420001"
	purpose   = "care_assignment"
	bsn       = "999900006"
	surname   = "Jansen"
	partner   = "Bakker"
	given     = "Pieter Jan"
	birth     = "1990-05-17"
	relName   = "Pietersen"
)

// at is a Dutch wall clock time.
func at(t testing.TB, s string) time.Time {
	t.Helper()
	v, err := time.ParseInLocation("2006-01-02 15:04", s, calendar.Location())
	if err != nil {
		t.Fatalf("bad test time %q: %v", s, err)
	}
	return v
}

func ptr(t time.Time) *time.Time { return &t }

// defaultOn is the moment of sharing unless a case says otherwise.
const defaultOn = "2026-11-23 10:00"

func baseRequest(basis string) disclosure.Request {
	r := disclosure.Request{
		Version:     1,
		ID:          "d-0001",
		Sender:      disclosure.Sender{Municipality: "0363", System: "regsys-a", Employee: "e-sender"},
		Recipient:   disclosure.Recipient{AGB: agb},
		Standard:    "iWmo",
		MessageType: "301",
		Purpose:     purpose,
		LegalBasis:  disclosure.LegalBasis{Kind: basis},
		Client: disclosure.Client{
			BSN: bsn, BirthDate: birth, Gender: "1",
			Name:     disclosure.Name{Surname: surname, SurnamePrefix: "van", PartnerSurname: partner, GivenNames: given, Initials: "PJ", NameUsage: "1"},
			Contacts: []disclosure.Contact{{Kind: "01", Address: &disclosure.Address{Street: "Kerklaan", City: "Amsterdam", Postcode: "9999XX"}}},
		},
		Assignment: disclosure.Assignment{Products: []disclosure.Product{{Number: 101, Start: "2026-12-01"}}},
	}
	switch basis {
	case disclosure.BasisConsent:
		r.LegalBasis.ConsentIDs = []string{"c-1"}
	case disclosure.BasisLegalObligation:
		r.LegalBasis.DecisionRef = "besluit-2026-0042"
	case disclosure.BasisSafetyOverride:
		r.LegalBasis.Consultation = &disclosure.Consultation{
			Consulted: "e-colleague", Role: "colleague", At: time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC),
			Note: "Risk for staff discussed with team lead; share is needed today.",
		}
		r.LegalBasis.Reason = "Acute risk to the safety of staff visiting the home."
		r.LegalBasis.Informed = &disclosure.ClientInformed{At: ptr(time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC))}
	}
	return r
}

// baseConsent is a period consent given a month before on, valid from a
// month before until 300 days after.
func baseConsent(on time.Time) Consent {
	day := time.Date(on.Year(), on.Month(), on.Day(), 0, 0, 0, 0, calendar.Location())
	return Consent{
		ID:         "c-1",
		ClientKey:  clientKey,
		GivenBy:    []Giver{GiverClient},
		GivenAt:    on.AddDate(0, -1, 0),
		Recipient:  agb,
		Purpose:    purpose,
		Categories: []category.Category{category.Identification, category.Contact, category.CareAssignment},
		ValidFrom:  day.AddDate(0, -1, 0),
		ValidUntil: day.AddDate(0, 0, 300),
	}
}

func register(cs ...Consent) Register { return Register{Consents: cs} }

type decideCase struct {
	name  string
	basis string
	on    string // "" = defaultOn
	mod   func(t testing.TB, r *disclosure.Request, reg *Register)
	// want is the exact list of codes; allowed is implied by wantAllowed.
	wantAllowed bool
	want        []Code
	noKey       bool // call Decide without a client key
}

// withBirth sets the client's birth date (and usage).
func withBirth(date, usage string) func(*disclosure.Request) {
	return func(r *disclosure.Request) { r.Client.BirthDate, r.Client.BirthDateUsage = date, usage }
}

// givers makes the single consent given by gs, with the client born on date.
func givers(date string, lrRecorded bool, gs ...Giver) func(testing.TB, *disclosure.Request, *Register) {
	return func(_ testing.TB, r *disclosure.Request, reg *Register) {
		withBirth(date, "")(r)
		reg.Consents[0].GivenBy = gs
		reg.LegalRepresentativeRecorded = lrRecorded
	}
}

var (
	parentOnly     = []Giver{GiverParentWithAuthority}
	parentAndChild = []Giver{GiverParentWithAuthority, GiverClient}
	childOnly      = []Giver{GiverClient}
)

func decideCases() []decideCase {
	C, L, S := disclosure.BasisConsent, disclosure.BasisLegalObligation, disclosure.BasisSafetyOverride
	ok := []Code{CodeConsentOK}
	overrideOK := []Code{CodeFollowUpInformClient, CodeFollowUpCoordinatorReview}
	none := func(testing.TB, *disclosure.Request, *Register) {}
	noteRefused := []Code{CodeOverrideNoteHasPersonalData}
	return []decideCase{
		// --- basis consent: recipient, purpose, categories ---
		{name: "consent: covers recipient, purpose and every category", basis: C, mod: none, wantAllowed: true, want: ok},
		{name: "consent: none named", basis: C, mod: func(_ testing.TB, r *disclosure.Request, _ *Register) {
			r.LegalBasis.ConsentIDs = nil
		}, want: []Code{CodeConsentMissing}},
		{name: "consent: named consent not on record", basis: C, mod: func(_ testing.TB, r *disclosure.Request, _ *Register) {
			r.LegalBasis.ConsentIDs = []string{"c-404"}
		}, want: []Code{CodeConsentMissing}},
		{name: "consent: same id but another client's consent", basis: C, mod: func(_ testing.TB, _ *disclosure.Request, reg *Register) {
			reg.Consents[0].ClientKey = "ck-other"
		}, want: []Code{CodeConsentMissing}},
		{name: "consent: for another recipient", basis: C, mod: func(_ testing.TB, _ *disclosure.Request, reg *Register) {
			reg.Consents[0].Recipient = "42420002"
		}, want: []Code{CodeConsentWrongRecipient}},
		{name: "consent: for another purpose", basis: C, mod: func(_ testing.TB, _ *disclosure.Request, reg *Register) {
			reg.Consents[0].Purpose = "research"
		}, want: []Code{CodeConsentWrongPurpose}},
		{name: "consent: without recipient is not a consent for sharing", basis: C, mod: func(_ testing.TB, _ *disclosure.Request, reg *Register) {
			reg.Consents[0].Recipient = ""
		}, want: []Code{CodeConsentIncomplete}},
		{name: "consent: without purpose is not a consent for sharing", basis: C, mod: func(_ testing.TB, _ *disclosure.Request, reg *Register) {
			reg.Consents[0].Purpose = ""
		}, want: []Code{CodeConsentIncomplete}},
		{name: "consent: without giver", basis: C, mod: func(_ testing.TB, _ *disclosure.Request, reg *Register) {
			reg.Consents[0].GivenBy = nil
		}, want: []Code{CodeConsentIncomplete}},
		{name: "consent: period consent without end of period", basis: C, mod: func(_ testing.TB, _ *disclosure.Request, reg *Register) {
			reg.Consents[0].ValidUntil = time.Time{}
		}, want: []Code{CodeConsentIncomplete}},
		{name: "consent: does not cover contact", basis: C, mod: func(_ testing.TB, _ *disclosure.Request, reg *Register) {
			reg.Consents[0].Categories = []category.Category{category.Identification, category.CareAssignment}
		}, want: []Code{CodeConsentCategoryNotCovered}},
		{name: "consent: free text sent but not covered", basis: C, mod: func(_ testing.TB, r *disclosure.Request, _ *Register) {
			r.Assignment.Products[0].Comment = "Start after the holidays."
		}, want: []Code{CodeConsentCategoryNotCovered}},
		{name: "consent: free text sent and covered", basis: C, mod: func(_ testing.TB, r *disclosure.Request, reg *Register) {
			r.Assignment.Products[0].Comment = "Start after the holidays."
			reg.Consents[0].Categories = category.All()
		}, wantAllowed: true, want: ok},
		{name: "consent: two consents together cover every category", basis: C, mod: func(_ testing.TB, r *disclosure.Request, reg *Register) {
			second := reg.Consents[0]
			second.ID = "c-2"
			second.Categories = []category.Category{category.Contact}
			reg.Consents[0].Categories = []category.Category{category.Identification, category.CareAssignment}
			reg.Consents = append(reg.Consents, second)
			r.LegalBasis.ConsentIDs = []string{"c-1", "c-2"}
		}, wantAllowed: true, want: ok},
		{name: "consent: a second named consent is withdrawn, though the first would suffice", basis: C, mod: func(tb testing.TB, r *disclosure.Request, reg *Register) {
			second := reg.Consents[0]
			second.ID = "c-2"
			second.WithdrawnAt = ptr(at(tb, "2026-11-01 12:00"))
			reg.Consents = append(reg.Consents, second)
			r.LegalBasis.ConsentIDs = []string{"c-1", "c-2"}
		}, want: []Code{CodeConsentWithdrawn}},

		// --- given before the share, withdrawal ---
		{name: "consent: given after the share", basis: C, mod: func(tb testing.TB, _ *disclosure.Request, reg *Register) {
			reg.Consents[0].GivenAt = at(tb, "2026-11-23 10:01")
		}, want: []Code{CodeConsentNotYetGiven}},
		{name: "consent: given at the very moment of the share", basis: C, mod: func(tb testing.TB, _ *disclosure.Request, reg *Register) {
			reg.Consents[0].GivenAt = at(tb, defaultOn)
		}, wantAllowed: true, want: ok},
		{name: "consent: withdrawn before the share", basis: C, mod: func(tb testing.TB, _ *disclosure.Request, reg *Register) {
			reg.Consents[0].WithdrawnAt = ptr(at(tb, "2026-11-23 09:59"))
		}, want: []Code{CodeConsentWithdrawn}},
		{name: "consent: withdrawal stamped after the share still refuses (clock skew)", basis: C, mod: func(tb testing.TB, _ *disclosure.Request, reg *Register) {
			reg.Consents[0].WithdrawnAt = ptr(at(tb, "2026-11-23 10:00").Add(2 * time.Second))
		}, want: []Code{CodeConsentWithdrawn}},

		// --- bounded period, inclusive Dutch dates ---
		{name: "consent: last valid day is allowed", basis: C, mod: func(tb testing.TB, _ *disclosure.Request, reg *Register) {
			reg.Consents[0].ValidUntil = at(tb, "2026-11-23 00:00")
		}, on: "2026-11-23 23:59", wantAllowed: true, want: ok},
		{name: "consent: day after the last valid day is refused", basis: C, mod: func(tb testing.TB, _ *disclosure.Request, reg *Register) {
			reg.Consents[0].ValidUntil = at(tb, "2026-11-22 00:00")
		}, want: []Code{CodeConsentExpired}},
		{name: "consent: expiry read as a Dutch day, not a UTC day", basis: C, mod: func(_ testing.TB, _ *disclosure.Request, reg *Register) {
			// 23:30 UTC on 22 Nov is 00:30 on 23 Nov in Amsterdam: 23 Nov is
			// the last valid day.
			reg.Consents[0].ValidUntil = time.Date(2026, 11, 22, 23, 30, 0, 0, time.UTC)
		}, wantAllowed: true, want: ok},
		{name: "consent: first valid day is allowed", basis: C, mod: func(tb testing.TB, _ *disclosure.Request, reg *Register) {
			reg.Consents[0].ValidFrom = at(tb, "2026-11-23 18:00")
		}, wantAllowed: true, want: ok},
		{name: "consent: period starts the day after", basis: C, mod: func(tb testing.TB, _ *disclosure.Request, reg *Register) {
			reg.Consents[0].ValidFrom = at(tb, "2026-11-24 00:00")
		}, want: []Code{CodeConsentNotYetValid}},

		// --- single share ---
		{name: "consent: single share, unused", basis: C, mod: func(_ testing.TB, _ *disclosure.Request, reg *Register) {
			reg.Consents[0].SingleShare = true
			reg.Consents[0].ValidFrom, reg.Consents[0].ValidUntil = time.Time{}, time.Time{}
		}, wantAllowed: true, want: ok},
		{name: "consent: single share used by this same disclosure (redelivery)", basis: C, mod: func(_ testing.TB, _ *disclosure.Request, reg *Register) {
			reg.Consents[0].SingleShare = true
			reg.Consents[0].UsedBy = "d-0001"
		}, wantAllowed: true, want: ok},
		{name: "consent: single share used by another disclosure", basis: C, mod: func(_ testing.TB, _ *disclosure.Request, reg *Register) {
			reg.Consents[0].SingleShare = true
			reg.Consents[0].UsedBy = "d-0000"
		}, want: []Code{CodeConsentAlreadyUsed}},

		// --- who consents: under 12 ---
		{name: "givers: under 12, parent with authority", basis: C, mod: givers("2018-03-01", false, parentOnly...), wantAllowed: true, want: ok},
		{name: "givers: under 12, guardian", basis: C, mod: givers("2018-03-01", false, GiverGuardian), wantAllowed: true, want: ok},
		{name: "givers: under 12, only the child consented", basis: C, mod: givers("2018-03-01", false, childOnly...), want: []Code{CodeConsentWrongGiverUnder12}},
		{name: "givers: under 12, a legal representative does not count", basis: C, mod: givers("2018-03-01", true, GiverLegalRepresentative), want: []Code{CodeConsentWrongGiverUnder12}},

		// --- the 12th birthday (client born 2014-11-23; share on 2026-11-22/23/24) ---
		{name: "givers: day before the 12th birthday, parent only", basis: C, on: "2026-11-22 10:00", mod: givers("2014-11-23", false, parentOnly...), wantAllowed: true, want: ok},
		{name: "givers: on the 12th birthday, parent only", basis: C, mod: givers("2014-11-23", false, parentOnly...), want: []Code{CodeConsentChildMissing1215}},
		{name: "givers: on the 12th birthday, parent and child", basis: C, mod: givers("2014-11-23", false, parentAndChild...), wantAllowed: true, want: ok},
		{name: "givers: day after the 12th birthday, parent only", basis: C, on: "2026-11-24 10:00", mod: givers("2014-11-23", false, parentOnly...), want: []Code{CodeConsentChildMissing1215}},
		{name: "givers: 12 to 15, child only", basis: C, mod: givers("2012-01-10", false, childOnly...), want: []Code{CodeConsentParentMissing1215}},
		{name: "givers: 12 to 15, guardian and child", basis: C, mod: givers("2012-01-10", false, GiverGuardian, GiverClient), wantAllowed: true, want: ok},
		{name: "givers: 12 to 15, legal representative only", basis: C, mod: givers("2012-01-10", true, GiverLegalRepresentative), want: []Code{CodeConsentParentMissing1215, CodeConsentChildMissing1215}},
		{name: "givers: 12 to 15, parent and child in separate consents", basis: C, mod: func(tb testing.TB, r *disclosure.Request, reg *Register) {
			givers("2012-01-10", false, parentOnly...)(tb, r, reg)
			child := reg.Consents[0]
			child.ID, child.GivenBy = "c-2", childOnly
			reg.Consents = append(reg.Consents, child)
			r.LegalBasis.ConsentIDs = []string{"c-1", "c-2"}
		}, wantAllowed: true, want: ok},
		{name: "givers: 12 to 15, the child's separate consent misses a category", basis: C, mod: func(tb testing.TB, r *disclosure.Request, reg *Register) {
			givers("2012-01-10", false, parentOnly...)(tb, r, reg)
			child := reg.Consents[0]
			child.ID, child.GivenBy = "c-2", childOnly
			child.Categories = []category.Category{category.Identification, category.CareAssignment}
			reg.Consents = append(reg.Consents, child)
			r.LegalBasis.ConsentIDs = []string{"c-1", "c-2"}
		}, want: []Code{CodeConsentChildMissing1215}},

		// --- the 16th birthday (client born 2010-11-23) ---
		{name: "givers: day before the 16th birthday, client only", basis: C, on: "2026-11-22 10:00", mod: givers("2010-11-23", false, childOnly...), want: []Code{CodeConsentParentMissing1215}},
		{name: "givers: day before the 16th birthday, parent and child", basis: C, on: "2026-11-22 10:00", mod: givers("2010-11-23", false, parentAndChild...), wantAllowed: true, want: ok},
		{name: "givers: on the 16th birthday, client only", basis: C, mod: givers("2010-11-23", false, childOnly...), wantAllowed: true, want: ok},
		{name: "givers: on the 16th birthday, parent only", basis: C, mod: givers("2010-11-23", false, parentOnly...), want: []Code{CodeConsentClientMissing16}},
		{name: "givers: day after the 16th birthday, client only", basis: C, on: "2026-11-24 10:00", mod: givers("2010-11-23", false, childOnly...), wantAllowed: true, want: ok},
		{name: "givers: adult, legal representative recorded", basis: C, mod: givers(birth, true, GiverLegalRepresentative), wantAllowed: true, want: ok},
		{name: "givers: adult, legal representative not recorded", basis: C, mod: givers(birth, false, GiverLegalRepresentative), want: []Code{CodeConsentClientMissing16}},

		// --- 29 February births ---
		{name: "leap day: 12th birthday in a leap year, on 29 Feb, parent only", basis: C, on: "2024-02-29 10:00", mod: givers("2012-02-29", false, parentOnly...), want: []Code{CodeConsentChildMissing1215}},
		{name: "leap day: 12th birthday in a leap year, on 28 Feb, parent only", basis: C, on: "2024-02-28 10:00", mod: givers("2012-02-29", false, parentOnly...), wantAllowed: true, want: ok},
		{name: "leap day: 16th birthday in a leap year, on 29 Feb, client only", basis: C, on: "2024-02-29 10:00", mod: givers("2008-02-29", false, childOnly...), wantAllowed: true, want: ok},
		{name: "leap day: 16th birthday in a leap year, on 28 Feb, client only", basis: C, on: "2024-02-28 10:00", mod: givers("2008-02-29", false, childOnly...), want: []Code{CodeConsentParentMissing1215}},
		// 2100 is not a leap year: the only way a 12th or 16th birthday of a
		// 29 February child misses its day (births 1904-2096 always have it).
		{name: "leap day: 12th birthday in non-leap 2100, on 27 Feb, parent only", basis: C, on: "2100-02-27 10:00", mod: givers("2088-02-29", false, parentOnly...), wantAllowed: true, want: ok},
		{name: "leap day: 12th birthday in non-leap 2100, on 28 Feb, parent only (both readings need)", basis: C, on: "2100-02-28 10:00", mod: givers("2088-02-29", false, parentOnly...), want: []Code{CodeConsentChildMissing1215}},
		{name: "leap day: 12th birthday in non-leap 2100, on 28 Feb, parent and child", basis: C, on: "2100-02-28 10:00", mod: givers("2088-02-29", false, parentAndChild...), wantAllowed: true, want: ok},
		{name: "leap day: 12th birthday in non-leap 2100, on 1 Mar, parent only", basis: C, on: "2100-03-01 10:00", mod: givers("2088-02-29", false, parentOnly...), want: []Code{CodeConsentChildMissing1215}},
		{name: "leap day: 16th birthday in non-leap 2100, on 28 Feb, client only", basis: C, on: "2100-02-28 10:00", mod: givers("2084-02-29", false, childOnly...), want: []Code{CodeConsentParentMissing1215}},
		{name: "leap day: 16th birthday in non-leap 2100, on 1 Mar, client only", basis: C, on: "2100-03-01 10:00", mod: givers("2084-02-29", false, childOnly...), wantAllowed: true, want: ok},

		// --- partly known birth dates (COD170) ---
		{name: "birth date: day unknown, month straddles the 12th birthday, parent only", basis: C, mod: func(tb testing.TB, r *disclosure.Request, reg *Register) {
			givers("2014-11-01", false, parentOnly...)(tb, r, reg)
			r.Client.BirthDateUsage = "1"
		}, want: []Code{CodeConsentChildMissing1215}},
		{name: "birth date: day unknown, month straddles the 12th birthday, parent and child", basis: C, mod: func(tb testing.TB, r *disclosure.Request, reg *Register) {
			givers("2014-11-01", false, parentAndChild...)(tb, r, reg)
			r.Client.BirthDateUsage = "1"
		}, wantAllowed: true, want: ok},
		{name: "birth date: day unknown, month entirely before, parent only", basis: C, mod: func(tb testing.TB, r *disclosure.Request, reg *Register) {
			givers("2014-10-01", false, parentOnly...)(tb, r, reg)
			r.Client.BirthDateUsage = "1"
		}, want: []Code{CodeConsentChildMissing1215}},
		{name: "birth date: only year known, 16 or 15, client only", basis: C, mod: func(tb testing.TB, r *disclosure.Request, reg *Register) {
			givers("2010-01-01", false, childOnly...)(tb, r, reg)
			r.Client.BirthDateUsage = "2"
		}, want: []Code{CodeConsentParentMissing1215}},
		{name: "birth date: only year known, certainly adult, client only", basis: C, mod: func(tb testing.TB, r *disclosure.Request, reg *Register) {
			givers("1990-01-01", false, childOnly...)(tb, r, reg)
			r.Client.BirthDateUsage = "2"
		}, wantAllowed: true, want: ok},
		{name: "birth date: unknown", basis: C, mod: func(_ testing.TB, r *disclosure.Request, _ *Register) {
			r.Client.BirthDateUsage = "3"
		}, want: []Code{CodeConsentAgeUnknown}},
		{name: "birth date: after the share", basis: C, mod: func(_ testing.TB, r *disclosure.Request, _ *Register) {
			r.Client.BirthDate = "2027-01-01"
		}, want: []Code{CodeConsentAgeUnknown}},
		{name: "birth date: unreadable", basis: C, mod: func(_ testing.TB, r *disclosure.Request, _ *Register) {
			r.Client.BirthDate = "17-05-1990"
		}, want: []Code{CodeConsentAgeUnknown}},

		// --- relations ---
		{name: "relations: informed and agreed, consent covers relations", basis: C, mod: func(_ testing.TB, r *disclosure.Request, reg *Register) {
			r.Client.Relations = []disclosure.Relation{relation(true)}
			reg.Consents[0].Categories = append(reg.Consents[0].Categories, category.Relations)
		}, wantAllowed: true, want: ok},
		{name: "relations: agreed, but consent does not cover relations", basis: C, mod: func(_ testing.TB, r *disclosure.Request, _ *Register) {
			r.Client.Relations = []disclosure.Relation{relation(true)}
		}, want: []Code{CodeConsentCategoryNotCovered}},
		{name: "relations: relation 2 not agreed", basis: C, mod: func(_ testing.TB, r *disclosure.Request, reg *Register) {
			r.Client.Relations = []disclosure.Relation{relation(true), relation(false)}
			reg.Consents[0].Categories = append(reg.Consents[0].Categories, category.Relations)
		}, want: []Code{CodeRelationNotAgreed}},
		{name: "relations: not agreed under a legal obligation", basis: L, mod: func(_ testing.TB, r *disclosure.Request, _ *Register) {
			r.Client.Relations = []disclosure.Relation{relation(false)}
		}, want: []Code{CodeRelationNotAgreed}},
		{name: "relations: agreed under a legal obligation", basis: L, mod: func(_ testing.TB, r *disclosure.Request, _ *Register) {
			r.Client.Relations = []disclosure.Relation{relation(true)}
		}, wantAllowed: true, want: []Code{CodeNoticeMinimisationRequired}},
		{name: "relations: not agreed under a safety override", basis: S, mod: func(_ testing.TB, r *disclosure.Request, _ *Register) {
			r.Client.Relations = []disclosure.Relation{relation(false)}
		}, want: []Code{CodeRelationNotAgreed}},

		// --- basis legal obligation ---
		{name: "legal obligation: 301 after a decision", basis: L, mod: none, wantAllowed: true, want: []Code{CodeNoticeMinimisationRequired}},
		{name: "legal obligation: 319 after a decision", basis: L, mod: func(_ testing.TB, r *disclosure.Request, _ *Register) {
			r.MessageType = "319"
		}, wantAllowed: true, want: []Code{CodeNoticeMinimisationRequired}},
		{name: "legal obligation: 305 is not statutory after a decision", basis: L, mod: func(_ testing.TB, r *disclosure.Request, _ *Register) {
			r.MessageType = "305"
		}, want: []Code{CodeLegalObligationNotStatutory}},
		{name: "legal obligation: no decision reference", basis: L, mod: func(_ testing.TB, r *disclosure.Request, _ *Register) {
			r.LegalBasis.DecisionRef = " "
		}, want: []Code{CodeLegalObligationNoDecision}},
		{name: "legal obligation: neither statutory nor decided", basis: L, mod: func(_ testing.TB, r *disclosure.Request, _ *Register) {
			r.MessageType, r.LegalBasis.DecisionRef = "315", ""
		}, want: []Code{CodeLegalObligationNotStatutory, CodeLegalObligationNoDecision}},

		// --- basis safety override ---
		{name: "override: consulted a colleague before, client to be informed", basis: S, mod: none, wantAllowed: true, want: overrideOK},
		{name: "override: consulted a manager, client cannot be informed", basis: S, mod: func(_ testing.TB, r *disclosure.Request, _ *Register) {
			r.LegalBasis.Consultation.Role = "manager"
			r.LegalBasis.Informed = &disclosure.ClientInformed{NotPossibleBecause: "Informing now would raise the risk."}
		}, wantAllowed: true, want: overrideOK},
		{name: "override: no consultation", basis: S, mod: func(_ testing.TB, r *disclosure.Request, _ *Register) {
			r.LegalBasis.Consultation = nil
		}, want: []Code{CodeOverrideNoConsultation}},
		{name: "override: consultation names nobody", basis: S, mod: func(_ testing.TB, r *disclosure.Request, _ *Register) {
			r.LegalBasis.Consultation.Consulted = ""
		}, want: []Code{CodeOverrideNoConsultation}},
		{name: "override: consulted someone who is neither colleague nor manager", basis: S, mod: func(_ testing.TB, r *disclosure.Request, _ *Register) {
			r.LegalBasis.Consultation.Role = "friend"
		}, want: []Code{CodeOverrideNoConsultation}},
		{name: "override: the sender consulted themself", basis: S, mod: func(_ testing.TB, r *disclosure.Request, _ *Register) {
			r.LegalBasis.Consultation.Consulted = "e-sender"
		}, want: []Code{CodeOverrideSelfConsulted}},
		{name: "override: consulted after the share", basis: S, mod: func(tb testing.TB, r *disclosure.Request, _ *Register) {
			r.LegalBasis.Consultation.At = at(tb, "2026-11-23 10:05")
		}, want: []Code{CodeOverrideConsultedAfterShare}},
		{name: "override: consulted at the very moment of the share", basis: S, mod: func(tb testing.TB, r *disclosure.Request, _ *Register) {
			r.LegalBasis.Consultation.At = at(tb, defaultOn)
		}, wantAllowed: true, want: overrideOK},
		{name: "override: note names the client's surname (other case)", basis: S, mod: note("Discussed JANSEN with the team lead."), want: noteRefused},
		{name: "override: note names a given name", basis: S, mod: note("Discussed pieter's situation."), want: noteRefused},
		{name: "override: note names the partner surname", basis: S, mod: note("Risk at the Bakker household."), want: noteRefused},
		{name: "override: note names the surname with an accent", basis: S, mod: func(tb testing.TB, r *disclosure.Request, reg *Register) {
			r.Client.Name.Surname = "Müller"
			note("Discussed the muller case.")(tb, r, reg)
		}, want: noteRefused},
		{name: "override: note holds the BSN", basis: S, mod: note("Client 999900006 discussed."), want: noteRefused},
		{name: "override: note holds the BSN with spaces", basis: S, mod: note("Client 9999 00 006 discussed."), want: noteRefused},
		{name: "override: note holds the BSN with dots", basis: S, mod: note("Client 999.900.006 discussed."), want: noteRefused},
		{name: "override: note holds the birth date", basis: S, mod: note("Client born 17-05-1990 discussed."), want: noteRefused},
		{name: "override: note holds the birth date in ISO form", basis: S, mod: note("Client born 1990-05-17 discussed."), want: noteRefused},
		{name: "override: note with a word that only contains the surname", basis: S, mod: func(_ testing.TB, r *disclosure.Request, _ *Register) {
			r.LegalBasis.Consultation.Note = "Discussed with the Jansenhuis team; van der staff agreed."
		}, wantAllowed: true, want: overrideOK},
		{name: "override: note with other numbers", basis: S, mod: func(_ testing.TB, r *disclosure.Request, _ *Register) {
			r.LegalBasis.Consultation.Note = "Call at 10.30, case 99990 00 07."
		}, wantAllowed: true, want: overrideOK},
		{name: "override: no reason", basis: S, mod: func(_ testing.TB, r *disclosure.Request, _ *Register) {
			r.LegalBasis.Reason = ""
		}, want: []Code{CodeOverrideNoReason}},
		{name: "override: reason names the client", basis: S, mod: func(_ testing.TB, r *disclosure.Request, _ *Register) {
			r.LegalBasis.Reason = "Jansen threatened staff."
		}, want: []Code{CodeOverrideTextHasPersonalData}},
		{name: "override: no plan to inform the client", basis: S, mod: func(_ testing.TB, r *disclosure.Request, _ *Register) {
			r.LegalBasis.Informed = nil
		}, want: []Code{CodeOverrideNoInformPlan}},
		{name: "override: inform plan without time or reason", basis: S, mod: func(_ testing.TB, r *disclosure.Request, _ *Register) {
			r.LegalBasis.Informed = &disclosure.ClientInformed{NotPossibleBecause: "  "}
		}, want: []Code{CodeOverrideNoInformPlan}},
		{name: "override: everything missing", basis: S, mod: func(_ testing.TB, r *disclosure.Request, _ *Register) {
			r.LegalBasis = disclosure.LegalBasis{Kind: disclosure.BasisSafetyOverride}
		}, want: []Code{CodeOverrideNoConsultation, CodeOverrideNoReason, CodeOverrideNoInformPlan}},

		// --- restriction of processing ---
		{name: "restriction: in force refuses a consent share", basis: C, mod: restricted("2026-11-01 00:00", ""), want: []Code{CodeRestricted}},
		{name: "restriction: in force refuses a legal obligation share", basis: L, mod: restricted("2026-11-01 00:00", ""), want: []Code{CodeRestricted}},
		{name: "restriction: in force refuses a safety override", basis: S, mod: restricted("2026-11-01 00:00", ""), want: []Code{CodeRestricted}},
		{name: "restriction: from the very moment of the share", basis: C, mod: restricted(defaultOn, ""), want: []Code{CodeRestricted}},
		{name: "restriction: lifted before the share", basis: C, mod: restricted("2026-11-01 00:00", "2026-11-20 12:00"), wantAllowed: true, want: ok},
		{name: "restriction: lifted after the share", basis: C, mod: restricted("2026-11-01 00:00", "2026-11-23 10:30"), want: []Code{CodeRestricted}},
		{name: "restriction: starts after the share", basis: C, mod: restricted("2026-11-24 00:00", ""), wantAllowed: true, want: ok},
		{name: "restriction: of another client", basis: C, mod: func(tb testing.TB, r *disclosure.Request, reg *Register) {
			restricted("2026-11-01 00:00", "")(tb, r, reg)
			reg.Restrictions[0].ClientKey = "ck-other"
		}, wantAllowed: true, want: ok},
		{name: "restriction: and a withdrawn consent report both", basis: C, mod: func(tb testing.TB, r *disclosure.Request, reg *Register) {
			restricted("2026-11-01 00:00", "")(tb, r, reg)
			reg.Consents[0].WithdrawnAt = ptr(at(tb, "2026-11-02 00:00"))
		}, want: []Code{CodeRestricted, CodeConsentWithdrawn}},

		// --- objection (art. 21): every basis but a legal obligation ---
		{name: "objection: in force refuses a consent share", basis: C, mod: objected("2026-11-01 00:00", ""), want: []Code{CodeObjected}},
		{name: "objection: in force refuses a safety override", basis: S, mod: objected("2026-11-01 00:00", ""), want: []Code{CodeObjected}},
		{name: "objection: a legal obligation overrides it", basis: L, mod: objected("2026-11-01 00:00", ""),
			wantAllowed: true, want: []Code{CodeNoticeMinimisationRequired}},
		{name: "objection: from the very moment of the share", basis: C, mod: objected(defaultOn, ""), want: []Code{CodeObjected}},
		{name: "objection: lifted before the share", basis: C, mod: objected("2026-11-01 00:00", "2026-11-20 12:00"), wantAllowed: true, want: ok},
		{name: "objection: lifted after the share", basis: C, mod: objected("2026-11-01 00:00", "2026-11-23 10:30"), want: []Code{CodeObjected}},
		{name: "objection: starts after the share", basis: C, mod: objected("2026-11-24 00:00", ""), wantAllowed: true, want: ok},
		{name: "objection: of another client", basis: C, mod: func(tb testing.TB, r *disclosure.Request, reg *Register) {
			objected("2026-11-01 00:00", "")(tb, r, reg)
			reg.Objections[0].ClientKey = "ck-other"
		}, wantAllowed: true, want: ok},
		{name: "objection: and a restriction report both", basis: C, mod: func(tb testing.TB, r *disclosure.Request, reg *Register) {
			objected("2026-11-01 00:00", "")(tb, r, reg)
			restricted("2026-11-01 00:00", "")(tb, r, reg)
		}, want: []Code{CodeRestricted, CodeObjected}},
		{name: "objection: a restriction still refuses the legal obligation the objection lets through", basis: L, mod: func(tb testing.TB, r *disclosure.Request, reg *Register) {
			objected("2026-11-01 00:00", "")(tb, r, reg)
			restricted("2026-11-01 00:00", "")(tb, r, reg)
		}, want: []Code{CodeRestricted}},
		{name: "objection: with no client key still applies", basis: C, mod: func(tb testing.TB, r *disclosure.Request, reg *Register) {
			reg.Objections = []Objection{{From: at(tb, "2026-11-01 00:00")}}
		}, want: []Code{CodeObjected}},

		// --- input ---
		{name: "input: unknown basis", basis: "hunch", mod: none, want: []Code{CodeBasisUnknown}},
		{name: "input: no client key", basis: L, mod: none, noKey: true, want: []Code{CodeClientKeyMissing}},

		// --- a 319 carries no client: no client key under a legal obligation ---
		{name: "319 without client: legal obligation, no client key", basis: L, mod: answer319, noKey: true,
			wantAllowed: true, want: []Code{CodeNoticeMinimisationRequired}},
		{name: "319 without client: legal obligation, a client key given anyway", basis: L, mod: answer319,
			wantAllowed: true, want: []Code{CodeNoticeMinimisationRequired}},
		{name: "319 without client: legal obligation without decision", basis: L, noKey: true, mod: func(tb testing.TB, r *disclosure.Request, reg *Register) {
			answer319(tb, r, reg)
			r.LegalBasis.DecisionRef = ""
		}, want: []Code{CodeLegalObligationNoDecision}},
		{name: "319 without client: a restriction with no client key still applies", basis: L, noKey: true, mod: func(tb testing.TB, r *disclosure.Request, reg *Register) {
			answer319(tb, r, reg)
			reg.Restrictions = []Restriction{{From: at(tb, "2026-11-01 00:00")}}
		}, want: []Code{CodeRestricted}},
		{name: "319 with client data left in: legal obligation, no client key", basis: L, noKey: true, mod: func(tb testing.TB, r *disclosure.Request, reg *Register) {
			answer319(tb, r, reg)
			r.Client.BirthDate = birth
		}, want: []Code{CodeClientKeyMissing}},
		{name: "319 with an empty contact list left in: legal obligation, no client key", basis: L, noKey: true, mod: func(tb testing.TB, r *disclosure.Request, reg *Register) {
			answer319(tb, r, reg)
			r.Client.Contacts = []disclosure.Contact{}
		}, want: []Code{CodeClientKeyMissing}},
		{name: "319 without client: consent needs a client", basis: C, mod: answer319, noKey: true,
			want: []Code{CodeClientKeyMissing, CodeConsentMissing}},
		{name: "319 without client: a safety override needs a client", basis: S, mod: answer319, noKey: true,
			want: []Code{CodeClientKeyMissing}},
		// The rule is about the content, not the message type: the contract
		// and minimisation keep a 301 from arriving without its client.
		{name: "any request without client data: legal obligation, no client key", basis: L, noKey: true, mod: func(_ testing.TB, r *disclosure.Request, _ *Register) {
			r.Client = disclosure.Client{}
		}, wantAllowed: true, want: []Code{CodeNoticeMinimisationRequired}},
	}
}

// answer319 turns the base request into a 319: no client, no assignment,
// an answer.
func answer319(_ testing.TB, r *disclosure.Request, _ *Register) {
	r.MessageType = "319"
	r.Client = disclosure.Client{}
	r.Assignment = disclosure.Assignment{}
	r.Answer = &disclosure.Answer{ProviderReference: "VOT-1", Answer: "1", RejectionReason: "3"}
}

func relation(agreed bool) disclosure.Relation {
	return disclosure.Relation{
		Number: "1", Kind: "02",
		Name:              disclosure.Name{Surname: relName, GivenNames: "Anna", NameUsage: "1"},
		Contact:           disclosure.Contact{Kind: "01", Phones: []disclosure.Phone{{Number: "0612345678"}}},
		InformedAndAgreed: agreed,
	}
}

// note sets the consultation note.
func note(text string) func(testing.TB, *disclosure.Request, *Register) {
	return func(_ testing.TB, r *disclosure.Request, _ *Register) { r.LegalBasis.Consultation.Note = text }
}

func restricted(from, lifted string) func(testing.TB, *disclosure.Request, *Register) {
	return func(tb testing.TB, _ *disclosure.Request, reg *Register) {
		rs := Restriction{ClientKey: clientKey, From: at(tb, from)}
		if lifted != "" {
			rs.LiftedAt = ptr(at(tb, lifted))
		}
		reg.Restrictions = append(reg.Restrictions, rs)
	}
}

func objected(from, lifted string) func(testing.TB, *disclosure.Request, *Register) {
	return func(tb testing.TB, _ *disclosure.Request, reg *Register) {
		o := Objection{ClientKey: clientKey, From: at(tb, from)}
		if lifted != "" {
			o.LiftedAt = ptr(at(tb, lifted))
		}
		reg.Objections = append(reg.Objections, o)
	}
}

// run builds the case's request and register and decides.
func (tc decideCase) run(t testing.TB) (disclosure.Request, Decision) {
	on := tc.on
	if on == "" {
		on = defaultOn
	}
	r := baseRequest(tc.basis)
	reg := register(baseConsent(at(t, on)))
	tc.mod(t, &r, &reg)
	key := clientKey
	if tc.noKey {
		key = ""
	}
	return r, Decide(r, reg, key, at(t, on))
}

func TestDecide(t *testing.T) {
	for _, tc := range decideCases() {
		t.Run(tc.name, func(t *testing.T) {
			r, d := tc.run(t)
			if d.Allowed != tc.wantAllowed {
				t.Fatalf("Allowed = %v, want %v; codes %v; %s", d.Allowed, tc.wantAllowed, d.Codes, d.Sentence)
			}
			if !slices.Equal(d.Codes, tc.want) {
				t.Errorf("Codes = %v, want %v; %s", d.Codes, tc.want, d.Sentence)
			}
			if d.Basis != r.LegalBasis.Kind {
				t.Errorf("Basis = %q, want %q", d.Basis, r.LegalBasis.Kind)
			}
			prefix := "Refused: "
			if d.Allowed {
				prefix = "Allowed: "
			}
			if !strings.HasPrefix(d.Sentence, prefix) || !strings.HasSuffix(d.Sentence, ".") || strings.Count(d.Sentence, ".") != 1 {
				t.Errorf("Sentence %q is not one sentence starting %q", d.Sentence, prefix)
			}
			if !d.Allowed && (len(d.ConsentIDs) > 0 || len(d.FollowUps) > 0 || len(d.SingleShareIDs) > 0) {
				t.Errorf("refusal carries consents or follow-ups: %+v", d)
			}
			if d.Allowed && r.LegalBasis.Kind == disclosure.BasisConsent && !slices.Equal(d.ConsentIDs, r.LegalBasis.ConsentIDs) {
				t.Errorf("ConsentIDs = %v, want %v", d.ConsentIDs, r.LegalBasis.ConsentIDs)
			}
		})
	}
}

// TestSentenceHasNoPersonalData runs every case and checks that neither the
// sentence nor any reason holds the client's or a relation's personal data.
func TestSentenceHasNoPersonalData(t *testing.T) {
	forbidden := []string{bsn, "9999", surname, partner, "Pieter", relName, "Anna", birth, "17-05-1990", "1990", "Kerklaan", "9999XX", "0612345678", "Müller", "Muller"}
	for _, tc := range decideCases() {
		t.Run(tc.name, func(t *testing.T) {
			r, d := tc.run(t)
			texts := []string{d.Sentence}
			for _, rs := range d.Reasons {
				texts = append(texts, rs.Text, string(rs.Code))
			}
			extra := []string{r.Client.BirthDate}
			if r.Client.BirthDate == "" {
				extra = nil
			}
			for _, text := range texts {
				for _, bad := range append(slices.Clone(forbidden), extra...) {
					if strings.Contains(strings.ToLower(text), strings.ToLower(bad)) {
						t.Errorf("%q contains personal data %q", text, bad)
					}
				}
			}
		})
	}
}

func TestDecideNamesRelationsByPosition(t *testing.T) {
	r := baseRequest(disclosure.BasisLegalObligation)
	r.Client.Relations = []disclosure.Relation{relation(false), relation(true), relation(false)}
	d := Decide(r, Register{}, clientKey, at(t, defaultOn))
	if d.Allowed {
		t.Fatal("allowed with relations that did not agree")
	}
	if !strings.Contains(d.Sentence, "relation 1 and relation 3") || strings.Contains(d.Sentence, "relation 2") {
		t.Errorf("Sentence %q should name relations 1 and 3 only", d.Sentence)
	}
}

func TestDecideOverrideFollowUps(t *testing.T) {
	t.Run("informed later", func(t *testing.T) {
		r := baseRequest(disclosure.BasisSafetyOverride)
		d := Decide(r, Register{}, clientKey, at(t, defaultOn))
		if !d.Allowed || len(d.FollowUps) != 2 {
			t.Fatalf("decision %+v", d)
		}
		inform, review := d.FollowUps[0], d.FollowUps[1]
		if inform.Kind != FollowUpInformClient || inform.Due == nil || !inform.Due.Equal(*r.LegalBasis.Informed.At) || inform.NotPossible {
			t.Errorf("inform follow-up %+v", inform)
		}
		if review.Kind != FollowUpCoordinatorReview {
			t.Errorf("review follow-up %+v", review)
		}
		// The follow-up must not alias the request's time.
		*r.LegalBasis.Informed.At = time.Time{}
		if inform.Due.IsZero() {
			t.Error("Due aliases the request")
		}
	})
	t.Run("cannot be informed", func(t *testing.T) {
		r := baseRequest(disclosure.BasisSafetyOverride)
		r.LegalBasis.Informed = &disclosure.ClientInformed{NotPossibleBecause: "Would raise the risk."}
		d := Decide(r, Register{}, clientKey, at(t, defaultOn))
		if !d.Allowed || len(d.FollowUps) != 2 || d.FollowUps[0].Due != nil || !d.FollowUps[0].NotPossible {
			t.Fatalf("decision %+v", d)
		}
		if strings.Contains(d.Sentence, "raise the risk") {
			t.Errorf("Sentence copies free text: %q", d.Sentence)
		}
	})
}

func TestDecideSingleShareIDs(t *testing.T) {
	r := baseRequest(disclosure.BasisConsent)
	r.LegalBasis.ConsentIDs = []string{"c-1", "c-2"}
	c1, c2 := baseConsent(at(t, defaultOn)), baseConsent(at(t, defaultOn))
	c2.ID, c2.SingleShare = "c-2", true
	d := Decide(r, register(c1, c2), clientKey, at(t, defaultOn))
	if !d.Allowed {
		t.Fatalf("refused: %s", d.Sentence)
	}
	if !slices.Equal(d.SingleShareIDs, []string{"c-2"}) || !slices.Equal(d.ConsentIDs, []string{"c-1", "c-2"}) {
		t.Errorf("ConsentIDs %v SingleShareIDs %v", d.ConsentIDs, d.SingleShareIDs)
	}
	if !d.Has(CodeConsentOK) || d.Has(CodeRestricted) {
		t.Errorf("Has() disagrees with Codes %v", d.Codes)
	}
}

// TestDecideDoesNotModifyInput guards purity: the register and request the
// caller passes are not changed.
func TestDecideDoesNotModifyInput(t *testing.T) {
	r := baseRequest(disclosure.BasisConsent)
	reg := register(baseConsent(at(t, defaultOn)))
	before := baseConsent(at(t, defaultOn))
	Decide(r, reg, clientKey, at(t, defaultOn))
	if !slices.Equal(reg.Consents[0].Categories, before.Categories) || reg.Consents[0].UsedBy != "" {
		t.Error("Decide modified the register")
	}
}

func BenchmarkDecideConsent(b *testing.B) {
	r := baseRequest(disclosure.BasisConsent)
	on := at(b, defaultOn)
	reg := register(baseConsent(on))
	for b.Loop() {
		Decide(r, reg, clientKey, on)
	}
}
