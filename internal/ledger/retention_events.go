package ledger

// Events of retention and erasure (internal/retention, docs/retention.md).
// Their detail holds the municipality, counts per kind and standard, and
// for an erasure the request reference and outcome: never a client key or
// the ids of what was destroyed.
const (
	// EventRetentionDestroyed: records destroyed at the end of their
	// retention term (the destruction job).
	EventRetentionDestroyed = "retention:destroyed"
	// EventRightsErasure: a client's request for erasure (AVG art. 17)
	// and its outcome, with what it destroyed.
	EventRightsErasure = "rights:erasure"
)
