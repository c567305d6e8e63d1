// Package breach is the breach register (AVG art. 33(5)): every personal
// data breach with its facts, its assessment, whether and when the Dutch
// DPA (Autoriteit Persoonsgegevens, AP) and the data subjects were informed,
// and the 72 hours from awareness (art. 33(1)). sluis also proposes
// incidents from what it sees itself (signals.go) for a privacy officer to
// confirm or dismiss. The rules are in docs/breaches.md; this package holds
// them, the store keeps the incidents (Store), the API and the CLI call
// Register.
package breach

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/sluis-gateway/sluis/internal/category"
)

// Named errors.
var (
	// ErrNotFound: no incident with this id (or not one the caller may see).
	ErrNotFound = errors.New("breach incident not found")
	// ErrConflict: the incident changed since it was read (Version).
	ErrConflict = errors.New("breach incident changed since it was read")
	// ErrInvalid: a field is missing or out of range; the error names it.
	ErrInvalid = errors.New("invalid breach incident")
	// ErrState: the action does not fit the incident's state (confirming a
	// dismissed incident, say).
	ErrState = errors.New("action not allowed in the incident's state")
)

// InvalidError is an ErrInvalid. Reason names the field and its rule for
// the API, in English; Dutch says the same for the staff console, whose
// pages are Dutch. Neither holds a value.
type InvalidError struct {
	Reason string
	Dutch  string
}

func (e *InvalidError) Error() string { return ErrInvalid.Error() + ": " + e.Reason }

// Is matches ErrInvalid.
func (e *InvalidError) Is(target error) bool { return target == ErrInvalid }

func invalid(reason, dutch string) error { return &InvalidError{Reason: reason, Dutch: dutch} }

// fieldNL names a text field as the console's forms do.
var fieldNL = map[string]string{
	"summary": "de beschrijving van wat er gebeurd is", "consequences": "de waarschijnlijke gevolgen",
	"measures": "de genomen maatregelen", "reason": "de reden", "ap_reference": "het kenmerk van de AP",
	"ap_late_reason": "de reden van vertraging", "ap_not_required_reason": "de reden om niet te melden",
	"subjects_not_informed_reason": "de reden om betrokkenen niet te informeren",
}

func dutchField(name string) string {
	if nl, ok := fieldNL[name]; ok {
		return nl
	}
	return name
}

// State is an incident's place in its life.
type State string

// States. A recorded incident starts confirmed; a proposed one becomes
// confirmed or dismissed once, by a privacy officer.
const (
	Proposed  State = "proposed"
	Confirmed State = "confirmed"
	Dismissed State = "dismissed"
)

// States lists every state (for metrics).
var States = []State{Proposed, Confirmed, Dismissed}

// Source says who or what raised the incident.
type Source string

// Sources. Manual is a privacy officer's record; the others are sluis's own
// proposals (signals.go).
const (
	SourceManual = Source("manual")
	// SourceWrongParty: a provider answered, with a validly signed retour,
	// a message sluis sent to another provider: it holds what it should not.
	SourceWrongParty = Source("wrong_party_retour")
	// SourceForgedRetours: a burst of retours that fail signature or
	// publisher checks (ForgedBurst within ForgedWindow).
	SourceForgedRetours = Source("forged_retours")
	// SourceKeyCompromised: an operator declared the signing key
	// compromised: messages signed with it can no longer be trusted.
	SourceKeyCompromised = Source("key_compromised")
	// SourceRetentionOverdue: the retention job found personal data held
	// more than a year past the end of its retention term
	// (internal/retention, docs/retention.md).
	SourceRetentionOverdue = Source("retention_overdue")
)

// Kinds of breach (the AP form's "soort inbreuk").
const (
	KindConfidentiality = "confidentiality" // vertrouwelijkheid: seen by whom it should not
	KindIntegrity       = "integrity"       // integriteit: changed or forged
	KindAvailability    = "availability"    // beschikbaarheid: lost or unreachable
)

var kinds = []string{KindConfidentiality, KindIntegrity, KindAvailability}

// Notification decision for the AP (art. 33(1)): required unless the breach
// is unlikely to result in a risk to the rights and freedoms of natural
// persons, which the privacy officer must then state.
const (
	APUndecided   = ""
	APRequired    = "required"
	APNotRequired = "not_required"
)

// Deadline is the AP notification term from awareness (AVG art. 33(1)).
const Deadline = 72 * time.Hour

// DueSoon is how long before the deadline an incident counts as due soon.
const DueSoon = 24 * time.Hour

// StaleProposal is how long a proposal may wait for a decision before it is
// counted as stale (the 72 hours cannot start while nobody looks).
const StaleProposal = 24 * time.Hour

// MaxText bounds every free-text field (characters).
const MaxText = 4000

// MaxRefs bounds the client keys and disclosure ids one incident lists.
const MaxRefs = 10000

// Incident is one entry of the register. Free-text fields are a privacy
// officer's words: they are kept in the store, shown to privacy officers,
// and never written to logs, metrics or the ledger.
type Incident struct {
	ID string `json:"id"`
	// Municipality is the gemeentecode of the controller whose register
	// holds it; empty for an incident of the gateway itself (a compromised
	// signing key, forged retours), which every privacy officer sees.
	Municipality string `json:"municipality"`
	State        State  `json:"state"`
	Source       Source `json:"source"`
	// Signal is what sluis saw, for a proposal: ids, reasons and counts,
	// never personal data.
	Signal map[string]string `json:"signal,omitempty"`
	// SignalKey makes a proposal unique (one per disclosure and provider,
	// one per hour of forged retours); empty for a manual record.
	SignalKey string `json:"-"`

	// ProposedAt is when sluis proposed it (zero for a manual record).
	ProposedAt time.Time `json:"proposed_at,omitzero"`
	// AwareAt is when the controller became aware: the 72 hours run from
	// it. Set when recorded or confirmed, to the moment of recording unless
	// the privacy officer gives an earlier one (never a later one).
	AwareAt time.Time `json:"aware_at,omitzero"`
	// OccurredFrom/OccurredUntil bound when the breach happened, if known.
	OccurredFrom  time.Time `json:"occurred_from,omitzero"`
	OccurredUntil time.Time `json:"occurred_until,omitzero"`

	Summary        string   `json:"summary"`
	Kinds          []string `json:"kinds"`
	Categories     []string `json:"data_categories"`
	SubjectsApprox int      `json:"subjects_approx"`
	RecordsApprox  int      `json:"records_approx"`
	// ClientKeys are the affected clients by key (consent.ClientKey);
	// DisclosureIDs the affected disclosures. Subjects derives the list
	// of data subjects from both and the ledger.
	ClientKeys    []string `json:"client_keys"`
	DisclosureIDs []string `json:"disclosure_ids"`
	Consequences  string   `json:"consequences"`
	Measures      string   `json:"measures"`

	// AP notification (art. 33).
	APNotification      string    `json:"ap_notification"`
	APNotRequiredReason string    `json:"ap_not_required_reason,omitempty"`
	APNotifiedAt        time.Time `json:"ap_notified_at,omitzero"`
	APNotifiedBy        string    `json:"ap_notified_by,omitempty"`
	APReference         string    `json:"ap_reference,omitempty"`
	APNotificationDelay string    `json:"ap_late_reason,omitempty"`
	SubjectsInformedAt  time.Time `json:"subjects_informed_at,omitzero"`
	SubjectsInformedBy  string    `json:"subjects_informed_by,omitempty"`
	SubjectsNotInformed string    `json:"subjects_not_informed_reason,omitempty"`
	DecidedAt           time.Time `json:"decided_at,omitzero"`
	DecidedBy           string    `json:"decided_by,omitempty"`
	DismissReason       string    `json:"dismiss_reason,omitempty"`
	RecordedBy          string    `json:"recorded_by"`
	CreatedAt           time.Time `json:"created_at"`
	UpdatedAt           time.Time `json:"updated_at"`
	Version             int       `json:"version"`
}

// Facts are the fields a privacy officer records or changes. A nil pointer
// leaves a field as it is.
type Facts struct {
	AwareAt        *time.Time `json:"aware_at,omitempty"`
	OccurredFrom   *time.Time `json:"occurred_from,omitempty"`
	OccurredUntil  *time.Time `json:"occurred_until,omitempty"`
	Summary        *string    `json:"summary,omitempty"`
	Kinds          []string   `json:"kinds,omitempty"`
	Categories     []string   `json:"data_categories,omitempty"`
	SubjectsApprox *int       `json:"subjects_approx,omitempty"`
	RecordsApprox  *int       `json:"records_approx,omitempty"`
	ClientKeys     []string   `json:"client_keys,omitempty"`
	DisclosureIDs  []string   `json:"disclosure_ids,omitempty"`
	Consequences   *string    `json:"consequences,omitempty"`
	Measures       *string    `json:"measures,omitempty"`
}

// Notice records the notifications (art. 33 and 34).
type Notice struct {
	// APNotification is "required" or "not_required" (with
	// APNotRequiredReason).
	APNotification      *string    `json:"ap_notification,omitempty"`
	APNotRequiredReason *string    `json:"ap_not_required_reason,omitempty"`
	APNotifiedAt        *time.Time `json:"ap_notified_at,omitempty"`
	APReference         *string    `json:"ap_reference,omitempty"`
	// APLateReason is required when the AP is notified after the 72 hours
	// (art. 33(1): "accompanied by reasons for the delay").
	APLateReason        *string    `json:"ap_late_reason,omitempty"`
	SubjectsInformedAt  *time.Time `json:"subjects_informed_at,omitempty"`
	SubjectsNotInformed *string    `json:"subjects_not_informed_reason,omitempty"`
}

// APDue is when the AP must have been notified (AwareAt + 72 h); zero while
// the incident is not confirmed.
func (i Incident) APDue() time.Time {
	if i.State != Confirmed || i.AwareAt.IsZero() {
		return time.Time{}
	}
	return i.AwareAt.Add(Deadline)
}

// APPending reports whether the AP still has to be notified: confirmed, not
// decided "not required", not yet notified.
func (i Incident) APPending() bool {
	return i.State == Confirmed && i.APNotification != APNotRequired && i.APNotifiedAt.IsZero()
}

// Deadline states of an incident at a moment, for the list and the metrics.
const (
	DeadlineNone    = ""         // nothing due (not confirmed, notified, or not required)
	DeadlineOpen    = "open"     // due in more than DueSoon
	DeadlineSoon    = "due_soon" // due within DueSoon
	DeadlineOverdue = "overdue"  // past AwareAt + 72 h, not notified
)

// DeadlineAt says where the incident stands against the 72 hours at now.
func (i Incident) DeadlineAt(now time.Time) string {
	if !i.APPending() {
		return DeadlineNone
	}
	due := i.APDue()
	switch {
	case !now.Before(due):
		return DeadlineOverdue
	case due.Sub(now) <= DueSoon:
		return DeadlineSoon
	default:
		return DeadlineOpen
	}
}

// apply sets the given facts on i and checks them.
func (i *Incident) apply(f Facts, now time.Time) error {
	if f.AwareAt != nil {
		if f.AwareAt.After(now) {
			return invalid("aware_at is in the future", "het moment van ontdekking ligt in de toekomst")
		}
		if !i.AwareAt.IsZero() && f.AwareAt.After(i.AwareAt) {
			return invalid("aware_at may only move earlier (the 72 hours never restart)",
				"het moment van ontdekking mag alleen eerder worden gezet (de 72 uur beginnen nooit opnieuw)")
		}
		i.AwareAt = f.AwareAt.UTC()
	}
	if f.OccurredFrom != nil {
		i.OccurredFrom = f.OccurredFrom.UTC()
	}
	if f.OccurredUntil != nil {
		i.OccurredUntil = f.OccurredUntil.UTC()
	}
	if !i.OccurredFrom.IsZero() && !i.OccurredUntil.IsZero() && i.OccurredUntil.Before(i.OccurredFrom) {
		return invalid("occurred_until is before occurred_from", "het lek eindigt vóór het begon")
	}
	for name, p := range map[string]struct {
		dst *string
		src *string
	}{
		"summary": {&i.Summary, f.Summary}, "consequences": {&i.Consequences, f.Consequences},
		"measures": {&i.Measures, f.Measures},
	} {
		if p.src == nil {
			continue
		}
		if err := checkText(name, *p.src); err != nil {
			return err
		}
		*p.dst = strings.TrimSpace(*p.src)
	}
	if f.Kinds != nil {
		for _, k := range f.Kinds {
			if !slices.Contains(kinds, k) {
				return invalid("kinds: a value is not one of "+strings.Join(kinds, ", "), "een gekozen soort inbreuk bestaat niet")
			}
		}
		i.Kinds = dedupe(f.Kinds)
	}
	if f.Categories != nil {
		for _, c := range f.Categories {
			if !category.Category(c).Valid() {
				return invalid("data_categories: a value is not a data category ("+categoryNames()+")", "een gekozen soort persoonsgegevens bestaat niet")
			}
		}
		i.Categories = dedupe(f.Categories)
	}
	if f.SubjectsApprox != nil {
		if *f.SubjectsApprox < 0 {
			return invalid("subjects_approx is negative", "het aantal betrokkenen is negatief")
		}
		i.SubjectsApprox = *f.SubjectsApprox
	}
	if f.RecordsApprox != nil {
		if *f.RecordsApprox < 0 {
			return invalid("records_approx is negative", "het aantal records is negatief")
		}
		i.RecordsApprox = *f.RecordsApprox
	}
	if f.ClientKeys != nil {
		for _, k := range f.ClientKeys {
			if !isClientKey(k) {
				return invalid("client_keys: not a client key (64 lower-case hex characters)", "een cliëntsleutel heeft niet de vorm van 64 hexadecimale tekens")
			}
		}
		i.ClientKeys = dedupe(append(i.ClientKeys, f.ClientKeys...))
	}
	if f.DisclosureIDs != nil {
		for _, d := range f.DisclosureIDs {
			if d == "" || len(d) > 128 {
				return invalid("disclosure_ids: an id is empty or longer than 128", "een berichtnummer is leeg of langer dan 128 tekens")
			}
		}
		i.DisclosureIDs = dedupe(append(i.DisclosureIDs, f.DisclosureIDs...))
	}
	if len(i.ClientKeys) > MaxRefs || len(i.DisclosureIDs) > MaxRefs {
		return invalid(fmt.Sprintf("at most %d client keys and %d disclosure ids", MaxRefs, MaxRefs),
			fmt.Sprintf("ten hoogste %d cliëntsleutels en %d berichtnummers", MaxRefs, MaxRefs))
	}
	return nil
}

// complete checks what a confirmed incident must hold.
func (i Incident) complete() error {
	switch {
	case i.Summary == "":
		return invalid("summary is required", dutchField("summary")+" ontbreekt")
	case len(i.Kinds) == 0:
		return invalid("kinds is required ("+strings.Join(kinds, ", ")+")", "kies ten minste één soort inbreuk")
	case i.AwareAt.IsZero():
		return invalid("aware_at is required", "het moment van ontdekking ontbreekt")
	}
	return nil
}

func checkText(name, s string) error {
	if !utf8.ValidString(s) {
		return invalid(name+" is not UTF-8", "in "+dutchField(name)+" staan tekens die geen tekst zijn")
	}
	if utf8.RuneCountInString(s) > MaxText {
		return invalid(fmt.Sprintf("%s is longer than %d characters", name, MaxText), fmt.Sprintf("%s: meer dan %d tekens", dutchField(name), MaxText))
	}
	return nil
}

func isClientKey(k string) bool {
	if len(k) != 64 {
		return false
	}
	for _, c := range k {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

func dedupe(s []string) []string {
	out := make([]string, 0, len(s))
	for _, v := range s {
		if !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}

func categoryNames() string {
	var names []string
	for _, c := range category.All() {
		names = append(names, string(c))
	}
	return strings.Join(names, ", ")
}
