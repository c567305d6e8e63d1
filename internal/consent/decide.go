package consent

import (
	"fmt"
	"strings"
	"time"

	"github.com/sluis-gateway/sluis/internal/calendar"
	"github.com/sluis-gateway/sluis/internal/category"
	"github.com/sluis-gateway/sluis/internal/disclosure"
)

// Decide decides whether request r may be shared at instant on, given the
// register reg the caller read for the client whose key is clientKey.
//
// on is the moment of the share: the screening time, and again the current
// time when a queued disclosure is screened once more before publishing (so a
// consent withdrawn in between stops it). Days ("the day of sharing", consent
// periods) are Dutch calendar days (Europe/Amsterdam).
//
// The rules, each refusing with its own codes (all problems are reported, not
// only the first):
//
//   - A client key is needed to read the register: CLIENT_KEY_MISSING. The
//     one exception is a request that carries no client data at all (a
//     319, which only answers the provider's request) on the basis of a
//     legal obligation: there is no client whose register could say no,
//     and the basis needs none. Consent and a safety override are about a
//     client and still refuse without one.
//   - A restriction of processing (AVG art. 18) in force on `on` refuses,
//     whatever the basis: RESTRICTED. Art. 18(2) allows some processing of
//     restricted data (with consent for that, for legal claims, to protect
//     another person, for an important public interest); judging that is
//     for the coordinator, not for this function, so the safe default is to
//     refuse every basis and let a person lift or handle it.
//   - An objection to processing (AVG art. 21) in force on `on` refuses
//     every basis but a legal obligation: OBJECTED. The client objects to
//     processing on the basis of consent or of the team's own judgement (a
//     safety override); a legal obligation (statutory traffic after a
//     municipal decision) is not processing the client can object to away
//     (art. 21(1): compelling grounds; art. 6(1)(c) is outside art. 21),
//     so it overrides the objection. A safety override is refused too: the
//     coordinator, not this function, weighs an acute risk against the
//     objection, and lifts or handles it.
//   - Relations are only sent when informed and agreed, whatever the basis:
//     RELATION_NOT_AGREED, naming them by position ("relation 2").
//   - Basis consent: see decideConsent.
//   - Basis legal obligation: only for StatutoryMessageTypes and only with a
//     decision reference. Allowed decisions carry
//     NOTICE_MINIMISATION_REQUIRED: the basis does not make every field
//     necessary; internal/minimise decides that.
//   - Basis safety override: see decideOverride.
//
// Decide never returns personal data in Sentence, Reasons or Codes.
func Decide(r disclosure.Request, reg Register, clientKey string, on time.Time) Decision {
	d := &decider{r: r, reg: reg, clientKey: clientKey, on: on, day: calendar.DateOf(on)}
	return d.decide()
}

type decider struct {
	r         disclosure.Request
	reg       Register
	clientKey string
	on        time.Time
	day       calendar.Date

	refusals []Reason
}

func (d *decider) refuse(c Code, format string, args ...any) {
	d.refusals = append(d.refusals, Reason{Code: c, Text: fmt.Sprintf(format, args...)})
}

func (d *decider) decide() Decision {
	basis := d.r.LegalBasis.Kind
	if d.clientKey == "" && !(basis == disclosure.BasisLegalObligation && d.r.Client.IsZero()) {
		d.refuse(CodeClientKeyMissing, "no client key was given to look up the register")
	}
	d.checkRestrictions()
	d.checkObjections(basis)
	d.checkRelations()

	var allowed Decision
	switch basis {
	case disclosure.BasisConsent:
		allowed = d.decideConsent()
	case disclosure.BasisLegalObligation:
		allowed = d.decideLegalObligation()
	case disclosure.BasisSafetyOverride:
		allowed = d.decideOverride()
	default:
		d.refuse(CodeBasisUnknown, "the legal basis is not one of consent, legal obligation or safety override")
	}

	if len(d.refusals) > 0 {
		return finish(Decision{Basis: basis, Reasons: d.refusals})
	}
	allowed.Allowed = true
	allowed.Basis = basis
	return finish(allowed)
}

// finish fills Codes and Sentence from Reasons.
func finish(dec Decision) Decision {
	seen := map[Code]bool{}
	texts := make([]string, 0, len(dec.Reasons))
	for _, r := range dec.Reasons {
		if !seen[r.Code] {
			seen[r.Code] = true
			dec.Codes = append(dec.Codes, r.Code)
		}
		texts = append(texts, r.Text)
	}
	if dec.Allowed {
		dec.Sentence = "Allowed: " + strings.Join(texts, "; ") + "."
	} else {
		dec.Sentence = "Refused: " + strings.Join(texts, "; ") + "."
	}
	return dec
}

func (d *decider) checkRestrictions() {
	for _, rs := range d.reg.Restrictions {
		// A restriction with no client key is applied rather than ignored.
		if rs.ClientKey != "" && rs.ClientKey != d.clientKey {
			continue
		}
		if rs.From.After(d.on) {
			continue
		}
		if rs.LiftedAt != nil && !rs.LiftedAt.After(d.on) {
			continue
		}
		d.refuse(CodeRestricted, "processing of the client's data is restricted (AVG article 18)")
		return
	}
}

func (d *decider) checkObjections(basis string) {
	if basis == disclosure.BasisLegalObligation {
		return // a legal obligation overrides an objection
	}
	for _, o := range d.reg.Objections {
		if inForce(Restriction(o), d.clientKey, d.on) {
			d.refuse(CodeObjected, "the client objected to the processing of their data (AVG article 21); only a legal obligation overrides that")
			return
		}
	}
}

// inForce reports whether a restriction or objection of clientKey holds at
// on. One with no client key is applied rather than ignored.
func inForce(rs Restriction, clientKey string, on time.Time) bool {
	if rs.ClientKey != "" && rs.ClientKey != clientKey {
		return false
	}
	if rs.From.After(on) {
		return false
	}
	return rs.LiftedAt == nil || rs.LiftedAt.After(on)
}

func (d *decider) checkRelations() {
	var missing []string
	for i, rel := range d.r.Client.Relations {
		if !rel.InformedAndAgreed {
			missing = append(missing, fmt.Sprintf("relation %d", i+1))
		}
	}
	switch len(missing) {
	case 0:
	case 1:
		d.refuse(CodeRelationNotAgreed, "%s was not informed or did not agree to being included", missing[0])
	default:
		d.refuse(CodeRelationNotAgreed, "%s were not informed or did not agree to being included", joinAnd(missing))
	}
}

func (d *decider) decideLegalObligation() Decision {
	lb := d.r.LegalBasis
	ok := true
	if !StatutoryMessageTypes[d.r.MessageType] {
		d.refuse(CodeLegalObligationNotStatutory, "message type %s is not statutory traffic after a municipal decision (only 301, 319 and 325 are)", safeToken(d.r.MessageType))
		ok = false
	}
	if strings.TrimSpace(lb.DecisionRef) == "" {
		d.refuse(CodeLegalObligationNoDecision, "a legal obligation needs the reference of the municipal decision")
		ok = false
	}
	if !ok {
		return Decision{}
	}
	return Decision{Reasons: []Reason{{
		Code: CodeNoticeMinimisationRequired,
		Text: fmt.Sprintf("statutory message %s after a municipal decision; only the data the purpose needs may go", d.r.MessageType),
	}}}
}

// decideOverride checks a safety override: a consultation of a colleague or
// manager other than the sender, held no later than the share, recorded with
// a note that does not name the client (surname, given names, partner
// surname, BSN, birth date); a reason; and when the client was or will be
// informed, or why that is not possible. The reason and the not-possible text
// may not name the client either. An allowed override leaves two follow-ups:
// inform the client, and a coordinator review.
func (d *decider) decideOverride() Decision {
	lb := d.r.LegalBasis
	c := lb.Consultation
	switch {
	case c == nil || strings.TrimSpace(c.Consulted) == "" || c.At.IsZero():
		d.refuse(CodeOverrideNoConsultation, "a safety override needs a recorded consultation of a colleague or manager")
	case c.Role != "colleague" && c.Role != "manager":
		d.refuse(CodeOverrideNoConsultation, "the consultation must be with a colleague or a manager")
	}
	if c != nil {
		if c.Consulted != "" && c.Consulted == d.r.Sender.Employee {
			d.refuse(CodeOverrideSelfConsulted, "the employee consulted must be someone other than the sender")
		}
		if !c.At.IsZero() && c.At.After(d.on) {
			d.refuse(CodeOverrideConsultedAfterShare, "the consultation must take place before the share")
		}
		if namesClient(c.Note, d.r.Client) {
			d.refuse(CodeOverrideNoteHasPersonalData, "the consultation note names or identifies the client")
		}
	}
	if strings.TrimSpace(lb.Reason) == "" {
		d.refuse(CodeOverrideNoReason, "a safety override needs a reason")
	} else if namesClient(lb.Reason, d.r.Client) {
		d.refuse(CodeOverrideTextHasPersonalData, "the reason names or identifies the client")
	}
	inf := lb.Informed
	switch {
	case inf == nil || (inf.At == nil && strings.TrimSpace(inf.NotPossibleBecause) == ""):
		d.refuse(CodeOverrideNoInformPlan, "a safety override must say when the client was or will be informed, or why that is not possible")
	case inf.At == nil && namesClient(inf.NotPossibleBecause, d.r.Client):
		d.refuse(CodeOverrideTextHasPersonalData, "the explanation why the client cannot be informed names or identifies the client")
	}
	if len(d.refusals) > 0 {
		return Decision{}
	}

	inform := FollowUp{Kind: FollowUpInformClient}
	informText := "the client cannot be informed (reason recorded)"
	if inf.At != nil {
		due := *inf.At
		inform.Due = &due
		informText = "the client is to be informed (planned time recorded)"
		if !due.After(d.on) {
			informText = "the client was informed"
		}
	} else {
		inform.NotPossible = true
	}
	return Decision{
		Reasons: []Reason{
			{Code: CodeFollowUpInformClient, Text: "safety override after consultation; " + informText},
			{Code: CodeFollowUpCoordinatorReview, Text: "the coordinator reviews this override"},
		},
		FollowUps: []FollowUp{inform, {Kind: FollowUpCoordinatorReview}},
	}
}

// decideConsent checks the consent basis.
func containsCategory(cs []category.Category, c category.Category) bool {
	for _, x := range cs {
		if x == c {
			return true
		}
	}
	return false
}

func joinAnd(items []string) string {
	if len(items) <= 1 {
		return strings.Join(items, "")
	}
	return strings.Join(items[:len(items)-1], ", ") + " and " + items[len(items)-1]
}

// safeToken returns s when it is a short code of letters and digits, so it
// can go in a sentence; otherwise a placeholder (never echo free text).
func safeToken(s string) string {
	if s == "" || len(s) > 8 {
		return "(unknown)"
	}
	for _, r := range s {
		if !(r >= '0' && r <= '9' || r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z') {
			return "(unknown)"
		}
	}
	return s
}
