package retention

import (
	"slices"
	"strings"
	"time"

	"github.com/sluis-gateway/sluis/internal/consent"
	"github.com/sluis-gateway/sluis/internal/ledger"
	"github.com/sluis-gateway/sluis/internal/receipts"
)

// Kind names a kind of record, in metrics, ledger details and answers.
type Kind string

// The kinds of record retention destroys.
const (
	KindDisclosure      Kind = "disclosure"
	KindArchived        Kind = "archived_message"
	KindReviewItem      Kind = "review_item"
	KindConsent         Kind = "consent"
	KindRestriction     Kind = "restriction"
	KindObjection       Kind = "objection"
	KindRepresentative  Kind = "legal_representative"
	KindInbound         Kind = "inbound_message"
	KindRegister        Kind = "register" // Overdue: any register row
	standardNone             = "none"     // the standard label of register rows
	consentsDetailField      = "consents" // the state:allowed detail naming the consents relied on
)

// Kinds lists every kind a destruction counts (metrics).
var Kinds = []Kind{KindDisclosure, KindArchived, KindReviewItem, KindConsent, KindRestriction, KindObjection,
	KindRepresentative, KindInbound}

// Reason says why a record is kept (an erasure's answer). Codes are
// stable: callers depend on them.
type Reason string

// Reasons a record is kept.
const (
	// ReasonRetentionTerm: a disclosure that left sluis (handed to the
	// broker: published, delivered, answered) within its legal retention
	// term (YearsIJw, YearsIWmo), with its archived message.
	ReasonRetentionTerm Reason = "retention_term"
	// ReasonReliedOn: a consent a kept disclosure relied on, or the legal
	// representative mark beside a kept consent.
	ReasonReliedOn Reason = "relied_on"
	// ReasonInForce: a restriction of processing or an objection still in
	// force (erasing it would let shares go it now stops; lift it first).
	ReasonInForce Reason = "in_force"
	// ReasonInProgress: a disclosure still in progress (received, allowed,
	// published without a confirm): the erasure is refused as a whole.
	ReasonInProgress Reason = "in_progress"
)

// Holdings is everything one municipality holds of one client.
type Holdings struct {
	Client      Client
	Disclosures []receipts.Record
	// Archived holds the ids among Disclosures with an archived message.
	Archived map[string]bool
	// Relied maps a stored consent id to the disclosures (of Disclosures)
	// that relied on it: used it, or name it in their state:allowed entry.
	Relied   map[string][]string
	Register Register
}

// Kept is a record kept, with why.
type Kept struct {
	Kind   Kind
	Reason Reason
	ID     string // the record's id (never leaves sluis: answers count)
}

// Plan is what to destroy of one client's holdings, and what is kept.
type Plan struct {
	Disclosures    []receipts.Record
	ConsentIDs     []string
	RestrictionIDs []int64
	ObjectionIDs   []int64
	Representative bool
	Kept           []Kept
	// InProgress: an erasure refused because a disclosure is in progress;
	// nothing is destroyed.
	InProgress bool
}

// Empty reports whether the plan destroys nothing.
func (p Plan) Empty() bool {
	return len(p.Disclosures) == 0 && len(p.ConsentIDs) == 0 && len(p.RestrictionIDs) == 0 &&
		len(p.ObjectionIDs) == 0 && !p.Representative
}

// Ref is the ledger reference of what the plan destroys: the entries to
// redact.
func (p Plan) Ref() ledger.Ref {
	var r ledger.Ref
	for _, d := range p.Disclosures {
		r.DisclosureIDs = append(r.DisclosureIDs, d.DisclosureID)
	}
	r.ConsentIDs = slices.Clone(p.ConsentIDs)
	for _, id := range p.RestrictionIDs {
		r.RestrictionIDs = append(r.RestrictionIDs, itoa64(id))
	}
	for _, id := range p.ObjectionIDs {
		r.ObjectionIDs = append(r.ObjectionIDs, itoa64(id))
	}
	return r
}

// DueAt reports whether a disclosure's term has ended at now. A
// disclosure of a standard without a term is never due.
func DueAt(rec receipts.Record, now time.Time) bool {
	until, err := Until(rec.Standard, rec.CreatedAt)
	return err == nil && !now.Before(until)
}

// leftSluis reports whether a disclosure was handed to the broker: it may
// have reached its provider, so it is a record of a share.
func leftSluis(rec receipts.Record) bool {
	_, published := rec.At[receipts.Published]
	_, delivered := rec.At[receipts.Delivered]
	return published || delivered
}

// inProgress reports whether a disclosure is still moving through sluis.
func inProgress(rec receipts.Record) bool {
	switch rec.State {
	case receipts.Received, receipts.Allowed, receipts.Published:
		return true
	}
	return false
}

// PlanTerms decides, at now, what of h has reached the end of its term:
// a disclosure (whatever its state) its standard's term from its
// registration, with its archived message and review items; a register
// row RegisterYears after it ended, and a consent only once no kept
// disclosure relied on it; the legal representative mark RegisterYears
// after it was last set and only when nothing else of the client is kept.
func PlanTerms(h Holdings, now time.Time) Plan {
	var p Plan
	kept := map[string]bool{}
	for _, d := range h.Disclosures {
		if DueAt(d, now) {
			p.Disclosures = append(p.Disclosures, d)
			continue
		}
		kept[d.DisclosureID] = true
		p.Kept = append(p.Kept, Kept{Kind: KindDisclosure, Reason: ReasonRetentionTerm, ID: d.DisclosureID})
	}
	for _, c := range h.Register.Consents {
		if reliedOnKept(h.Relied[c.ID], kept) {
			p.Kept = append(p.Kept, Kept{Kind: KindConsent, Reason: ReasonReliedOn, ID: c.ID})
			continue
		}
		if ended, ok := c.Ended(); ok && !now.Before(RegisterUntil(ended)) {
			p.ConsentIDs = append(p.ConsentIDs, c.ID)
			continue
		}
		p.Kept = append(p.Kept, Kept{Kind: KindConsent, Reason: ReasonRetentionTerm, ID: c.ID})
	}
	pauses := func(ps []Pause, kind Kind) []int64 {
		var out []int64
		for _, r := range ps {
			if !r.LiftedAt.IsZero() && !now.Before(RegisterUntil(r.LiftedAt)) {
				out = append(out, r.ID)
				continue
			}
			p.Kept = append(p.Kept, Kept{Kind: kind, Reason: ReasonRetentionTerm, ID: itoa64(r.ID)})
		}
		return out
	}
	p.RestrictionIDs = pauses(h.Register.Restrictions, KindRestriction)
	p.ObjectionIDs = pauses(h.Register.Objections, KindObjection)
	if rep := h.Register.Representative; rep != nil {
		if len(p.Kept) == 0 && !now.Before(RegisterUntil(rep.UpdatedAt)) {
			p.Representative = true
		} else {
			p.Kept = append(p.Kept, Kept{Kind: KindRepresentative, Reason: ReasonRetentionTerm})
		}
	}
	return p
}

// PlanErasure decides what of h an erasure request (AVG art. 17) at now
// destroys. A disclosure in progress refuses the request as a whole. Kept,
// with the reason: a disclosure that left sluis and is within its term
// (retention_term) with its archived message; a consent a kept disclosure
// relied on and the legal representative mark beside a kept consent
// (relied_on); a restriction or objection in force (in_force). Everything
// else is destroyed: disclosures that never left sluis, disclosures past
// their term, consents no kept disclosure relies on (ended or not),
// lifted restrictions and objections.
func PlanErasure(h Holdings, now time.Time) Plan {
	var p Plan
	for _, d := range h.Disclosures {
		if inProgress(d) {
			p.InProgress = true
			p.Kept = append(p.Kept, Kept{Kind: KindDisclosure, Reason: ReasonInProgress, ID: d.DisclosureID})
		}
	}
	if p.InProgress {
		return p
	}
	kept := map[string]bool{}
	for _, d := range h.Disclosures {
		if leftSluis(d) && !DueAt(d, now) {
			kept[d.DisclosureID] = true
			p.Kept = append(p.Kept, Kept{Kind: KindDisclosure, Reason: ReasonRetentionTerm, ID: d.DisclosureID})
			if h.Archived[d.DisclosureID] {
				p.Kept = append(p.Kept, Kept{Kind: KindArchived, Reason: ReasonRetentionTerm, ID: d.DisclosureID})
			}
			continue
		}
		p.Disclosures = append(p.Disclosures, d)
	}
	keptConsent := false
	for _, c := range h.Register.Consents {
		if reliedOnKept(h.Relied[c.ID], kept) {
			keptConsent = true
			p.Kept = append(p.Kept, Kept{Kind: KindConsent, Reason: ReasonReliedOn, ID: c.ID})
			continue
		}
		p.ConsentIDs = append(p.ConsentIDs, c.ID)
	}
	pauses := func(ps []Pause, kind Kind) []int64 {
		var out []int64
		for _, r := range ps {
			if r.LiftedAt.IsZero() {
				p.Kept = append(p.Kept, Kept{Kind: kind, Reason: ReasonInForce, ID: itoa64(r.ID)})
				continue
			}
			out = append(out, r.ID)
		}
		return out
	}
	p.RestrictionIDs = pauses(h.Register.Restrictions, KindRestriction)
	p.ObjectionIDs = pauses(h.Register.Objections, KindObjection)
	if h.Register.Representative != nil {
		if keptConsent {
			p.Kept = append(p.Kept, Kept{Kind: KindRepresentative, Reason: ReasonReliedOn})
		} else {
			p.Representative = true
		}
	}
	return p
}

// reliedOnKept reports whether one of the disclosures that relied on a
// consent is kept. A disclosure not among the holdings (never the case
// within one municipality) counts as kept: the safe side.
func reliedOnKept(by []string, kept map[string]bool) bool {
	for _, id := range by {
		if kept[id] {
			return true
		}
	}
	return false
}

// ReliedOn adds to relied the consents a disclosure relied on, by stored
// id: the single-share consents it used (found by the caller in the
// register) and those its state:allowed ledger entry names (detail
// "consents", the municipality's own ids).
func ReliedOn(relied map[string][]string, rec receipts.Record, entries []ledger.Entry) {
	for _, e := range entries {
		if e.Event != ledger.StateEvent(string(receipts.Allowed)) {
			continue
		}
		for _, id := range strings.Split(e.Detail[consentsDetailField], ",") {
			if id == "" {
				continue
			}
			stored := consent.StoredConsentID(rec.Municipality, id)
			if !slices.Contains(relied[stored], rec.DisclosureID) {
				relied[stored] = append(relied[stored], rec.DisclosureID)
			}
		}
	}
}
