// Package consent decides whether a disclosure may be shared: the legal basis
// and consent rules of the teams' privacy statement (see
// docs/privacy-rules.md). Decide is a pure function of the request, what the
// caller read from the consent register for this client, and the moment of
// the share: no I/O, no clock, safe for concurrent use.
//
// Data minimisation (only what the purpose needs) is NOT decided here; that
// is internal/minimise. An Allowed decision means "there is a basis", not
// "every field may go".
package consent

import (
	"time"

	"github.com/sluis-gateway/sluis/internal/category"
)

// Giver is who gave a consent.
type Giver string

// The givers a consent can list.
const (
	GiverClient              Giver = "client"
	GiverParentWithAuthority Giver = "parent_with_authority" // ouder met gezag
	GiverGuardian            Giver = "guardian"              // voogd
	// GiverLegalRepresentative is a representative of an adult client
	// (curator, mentor, bewindvoerder as recorded). It only counts for a
	// client of 16 or older, and only when the register records that the
	// client has one (Register.LegalRepresentativeRecorded). For a minor the
	// representative is the parent with authority or the guardian, and must
	// be recorded as such.
	GiverLegalRepresentative Giver = "legal_representative"
)

// Consent is one consent for sharing as recorded in the register. Consent
// is per share: for one recipient, one purpose and named data categories.
type Consent struct {
	ID string
	// ClientKey is the keyed hash of the client's BSN; the register never
	// holds the BSN itself.
	ClientKey string
	// GivenBy lists who gave it; a consent given jointly by a parent and a
	// child lists both. Several consents may also together hold the givers
	// needed (see Decide).
	GivenBy []Giver
	GivenAt time.Time
	// Recipient is the AGB code of the care provider. Required: a consent
	// without recipient and purpose is not a consent for sharing.
	Recipient string
	// Purpose is the purpose code (as in the request). Required.
	Purpose    string
	Categories []category.Category
	// SingleShare marks a consent for one share only. Otherwise the consent
	// holds for the bounded period ValidFrom..ValidUntil (Dutch calendar
	// dates, both inclusive, both required). A single-share consent may also
	// carry a period; it is then checked too.
	SingleShare bool
	ValidFrom   time.Time
	ValidUntil  time.Time
	// UsedBy is the disclosure id that used a single-share consent; "" when
	// unused. After an Allowed decision the caller records
	// Decision.SingleShareIDs as used by the request's id.
	UsedBy string
	// WithdrawnAt is when the consent was withdrawn; nil when it was not.
	WithdrawnAt *time.Time
}

// Restriction is a restriction of processing (AVG art. 18) for a client.
type Restriction struct {
	ClientKey string
	From      time.Time
	LiftedAt  *time.Time
}

// Objection is an objection to processing (AVG art. 21) for a client,
// recorded and lifted like a restriction.
type Objection Restriction

// Register is what the caller read from the store for this client.
type Register struct {
	Consents     []Consent
	Restrictions []Restriction
	Objections   []Objection
	// LegalRepresentativeRecorded says the client (16 or older) has a legal
	// representative on record, whose consent then counts as the client's.
	LegalRepresentativeRecorded bool
}

// Code is a machine-readable reason for a refusal, or a notice on an allowed
// decision. Codes are stable: senders and dashboards depend on them. The list
// with their meaning is in docs/privacy-rules.md.
type Code string

// Refusal codes. Every refusal carries at least one.
const (
	// Input the decision cannot work without.
	CodeClientKeyMissing Code = "CLIENT_KEY_MISSING" // caller passed no client key
	CodeBasisUnknown     Code = "BASIS_UNKNOWN"      // legal_basis.kind is none of the three

	// Restriction of processing (AVG art. 18), whatever the basis.
	CodeRestricted Code = "RESTRICTED"

	// Objection (AVG art. 21): every basis but a legal obligation.
	CodeObjected Code = "OBJECTED"

	// Relations (persons around the client).
	CodeRelationNotAgreed Code = "RELATION_NOT_AGREED"

	// Basis consent: the consents named by the request.
	CodeConsentMissing            Code = "CONSENT_MISSING"    // none named, or a named one is not on record for this client
	CodeConsentIncomplete         Code = "CONSENT_INCOMPLETE" // no recipient, purpose, giver, date or (for a period consent) period
	CodeConsentWrongRecipient     Code = "CONSENT_WRONG_RECIPIENT"
	CodeConsentWrongPurpose       Code = "CONSENT_WRONG_PURPOSE"
	CodeConsentCategoryNotCovered Code = "CONSENT_CATEGORY_NOT_COVERED"
	CodeConsentNotYetGiven        Code = "CONSENT_NOT_YET_GIVEN" // given after the moment of the share
	CodeConsentNotYetValid        Code = "CONSENT_NOT_YET_VALID" // its period starts after the day of the share
	CodeConsentExpired            Code = "CONSENT_EXPIRED"       // its period ended before the day of the share
	CodeConsentWithdrawn          Code = "CONSENT_WITHDRAWN"
	CodeConsentAlreadyUsed        Code = "CONSENT_ALREADY_USED" // single-share consent used by another disclosure

	// Basis consent: who consented, by the client's age on the day of sharing.
	CodeConsentAgeUnknown        Code = "CONSENT_AGE_UNKNOWN"          // birth date unknown (COD170 3), unreadable, or after the share
	CodeConsentWrongGiverUnder12 Code = "CONSENT_WRONG_GIVER_UNDER_12" // no parent with authority or guardian consented
	CodeConsentChildMissing1215  Code = "CONSENT_CHILD_MISSING_12_15"
	CodeConsentParentMissing1215 Code = "CONSENT_PARENT_MISSING_12_15"
	CodeConsentClientMissing16   Code = "CONSENT_CLIENT_MISSING_16_PLUS"

	// Basis legal obligation.
	CodeLegalObligationNotStatutory Code = "LEGAL_OBLIGATION_NOT_STATUTORY"
	CodeLegalObligationNoDecision   Code = "LEGAL_OBLIGATION_NO_DECISION"

	// Basis safety override.
	CodeOverrideNoConsultation      Code = "OVERRIDE_NO_CONSULTATION" // none, or no consulted id, role or time
	CodeOverrideSelfConsulted       Code = "OVERRIDE_SELF_CONSULTED"
	CodeOverrideConsultedAfterShare Code = "OVERRIDE_CONSULTED_AFTER_SHARE"
	CodeOverrideNoteHasPersonalData Code = "OVERRIDE_NOTE_HAS_PERSONAL_DATA"
	CodeOverrideNoReason            Code = "OVERRIDE_NO_REASON"
	CodeOverrideTextHasPersonalData Code = "OVERRIDE_TEXT_HAS_PERSONAL_DATA" // reason or not-possible text names the client
	CodeOverrideNoInformPlan        Code = "OVERRIDE_NO_INFORM_PLAN"
)

// RefusalCodes lists every refusal code above, in the order of
// docs/privacy-rules.md "Codes" (a test keeps the two equal). Metrics use it
// as their bounded label set.
var RefusalCodes = []Code{
	CodeClientKeyMissing, CodeBasisUnknown, CodeRestricted, CodeObjected, CodeRelationNotAgreed,
	CodeConsentMissing, CodeConsentIncomplete, CodeConsentWrongRecipient, CodeConsentWrongPurpose,
	CodeConsentCategoryNotCovered, CodeConsentNotYetGiven, CodeConsentNotYetValid, CodeConsentExpired,
	CodeConsentWithdrawn, CodeConsentAlreadyUsed, CodeConsentAgeUnknown, CodeConsentWrongGiverUnder12,
	CodeConsentChildMissing1215, CodeConsentParentMissing1215, CodeConsentClientMissing16,
	CodeLegalObligationNotStatutory, CodeLegalObligationNoDecision,
	CodeOverrideNoConsultation, CodeOverrideSelfConsulted, CodeOverrideConsultedAfterShare,
	CodeOverrideNoteHasPersonalData, CodeOverrideNoReason, CodeOverrideTextHasPersonalData,
	CodeOverrideNoInformPlan,
}

// Notice codes on allowed decisions.
const (
	CodeConsentOK                  Code = "CONSENT_OK" // basis consent: the named consents suffice
	CodeFollowUpInformClient       Code = "FOLLOW_UP_INFORM_CLIENT"
	CodeFollowUpCoordinatorReview  Code = "FOLLOW_UP_COORDINATOR_REVIEW"
	CodeNoticeMinimisationRequired Code = "NOTICE_MINIMISATION_REQUIRED" // legal obligation: minimise before composing
)

// StatutoryMessageTypes are the message types that are statutory traffic
// after a municipal decision, and so may go on the basis of a legal
// obligation: 301 (toewijzing, assignment) and 319 (antwoordbericht, the
// answer to a request for assignment or change).
var StatutoryMessageTypes = map[string]bool{"301": true, "319": true, "325": true}

// FollowUpKind names what must happen after an allowed decision.
type FollowUpKind string

// Follow-up kinds.
const (
	FollowUpInformClient      FollowUpKind = "inform_client"
	FollowUpCoordinatorReview FollowUpKind = "coordinator_review"
)

// FollowUp is work an allowed decision leaves behind.
type FollowUp struct {
	Kind FollowUpKind
	// Due is, for inform_client, when the client was or will be informed, as
	// the request said; nil when informing is not possible.
	Due *time.Time
	// NotPossible is set on inform_client when the request says the client
	// cannot be informed (its reason stays in the request: it is free text).
	NotPossible bool
}

// Reason is one reason behind a decision: a code and a plain English clause
// that names fields by position and category, never by value.
type Reason struct {
	Code Code
	Text string
}

// Decision is the outcome of Decide.
type Decision struct {
	Allowed bool
	// Basis is the request's legal_basis.kind (disclosure.BasisConsent,
	// BasisLegalObligation or BasisSafetyOverride).
	Basis string
	// ConsentIDs are the consents the decision rests on (basis consent,
	// allowed only), in request order.
	ConsentIDs []string
	// SingleShareIDs are the single-share consents among ConsentIDs; the
	// caller records them as used by this disclosure.
	SingleShareIDs []string
	// Codes are the distinct codes of Reasons, in order of first appearance:
	// refusal codes when refused, notices when allowed.
	Codes   []Code
	Reasons []Reason
	// Sentence is one plain English sentence saying what was decided and why.
	// It never holds personal data (names, BSN, birth dates, addresses).
	Sentence  string
	FollowUps []FollowUp
}

// Has reports whether the decision carries code c.
func (d Decision) Has(c Code) bool {
	for _, x := range d.Codes {
		if x == c {
			return true
		}
	}
	return false
}
