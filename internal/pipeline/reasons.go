package pipeline

import "strings"

// Failure reason codes: why a disclosure ended failed, as the label
// "reason" of sluis_disclosure_failures_total and the field reason_code of
// its log line (docs/operations.md). The record and the status event keep
// the full sentence (Reason); these name its kind.
const (
	FailureNotConnected        = "not_connected"         // no queue takes messages for the recipient
	FailureStandard            = "standard"              // the request breaks a rule of the standard (compose)
	FailureSchema              = "xsd"                   // the composed message fails the official XSD
	FailureEnvelope            = "envelope"              // the signed envelope cannot carry the message
	FailureStoppedWhileSending = "stopped_while_sending" // the basis no longer held when sending resumed after a crash
	// ReasonOther is the label of a reason code outside the known set.
	ReasonOther = "other"
)

// Beginnings of the failure reasons of build (permanentError).
const (
	reasonStandard = "does not meet the standard: "
	reasonSchema   = "composed message fails the official XSD: "
	reasonEnvelope = "the signed envelope cannot carry this message: "
)

// FailureCodes lists the failure reason codes, the bounded label set of
// the failure metric (with ReasonOther).
var FailureCodes = []string{FailureNotConnected, FailureStandard, FailureSchema, FailureEnvelope, FailureStoppedWhileSending}

// FailureCode is the code of a failed disclosure's Reason, ReasonOther for
// a reason it does not know.
func FailureCode(reason string) string {
	switch {
	case reason == ReasonNotConnected:
		return FailureNotConnected
	case strings.HasPrefix(reason, reasonStandard):
		return FailureStandard
	case strings.HasPrefix(reason, reasonSchema):
		return FailureSchema
	case strings.HasPrefix(reason, reasonEnvelope):
		return FailureEnvelope
	case strings.HasPrefix(reason, ReasonStoppedWhileSending):
		return FailureStoppedWhileSending
	}
	return ReasonOther
}
