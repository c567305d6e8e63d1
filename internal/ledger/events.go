package ledger

// Event names the stores write. A state change is "state:" followed by the
// state it enters (see StateEvent).
const (
	EventIntakeInvalid = "intake:invalid"
	// EventIntakeInvalidOverflow: a principal reached the number of invalid
	// requests recorded in full per window; later ones in the window are
	// counted only (receipts.InvalidRecordedPerWindow).
	EventIntakeInvalidOverflow  = "intake:invalid_overflow"
	EventConsentRecorded        = "consent:recorded"
	EventConsentWithdrawn       = "consent:withdrawn"
	EventConsentUsed            = "consent:used"
	EventRestrictionRecorded    = "restriction:recorded"
	EventRestrictionLifted      = "restriction:lifted"
	EventObjectionRecorded      = "objection:recorded"
	EventObjectionLifted        = "objection:lifted"
	EventRepresentativeRecorded = "representative:recorded"
)

// StateEvent is the event name of a disclosure entering state, e.g.
// "state:delivered".
func StateEvent(state string) string { return "state:" + state }

// EventCountersRaised is an operator raising the Identificatie counters
// (after restoring an older backup: docs/operations.md).
const EventCountersRaised = "store:counters_raised"
