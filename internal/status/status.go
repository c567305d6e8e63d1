// Package status defines the status event sluis sends to a registration
// system for every state change of its disclosures (AMQP exchange
// sluis.status, topic key "<municipality>.<system>.<state>").
package status

import (
	"encoding/json"
	"time"

	"github.com/sluis-gateway/sluis/internal/receipts"
)

// Problem is one thing wrong with a request, by path and rule, no values.
type Problem struct {
	Path    string `json:"path"`
	Rule    string `json:"rule"`
	Message string `json:"message"`
}

// Event is a status event, version 1. It carries ids, codes and states only:
// never personal data.
type Event struct {
	Version       int       `json:"version"`
	DisclosureID  string    `json:"disclosure_id,omitempty"`
	CommandID     string    `json:"command_id,omitempty"` // consent register commands
	Command       string    `json:"command,omitempty"`
	State         string    `json:"state"`
	At            time.Time `json:"at"`
	Municipality  string    `json:"municipality,omitempty"`
	System        string    `json:"system,omitempty"`
	Recipient     string    `json:"recipient,omitempty"`
	MessageType   string    `json:"message_type,omitempty"`
	Identificatie string    `json:"identificatie,omitempty"`
	MessageID     string    `json:"message_id,omitempty"`
	Basis         string    `json:"basis,omitempty"`
	Profile       string    `json:"profile,omitempty"`    // purpose profile name@version
	Stripped      []string  `json:"stripped,omitempty"`   // JSON paths minimisation removed
	FollowUps     []string  `json:"follow_ups,omitempty"` // e.g. inform_client, coordinator_review
	Reason        string    `json:"reason,omitempty"`
	ReasonCodes   []string  `json:"reason_codes,omitempty"`
	RetourCodes   []string  `json:"retour_codes,omitempty"`
	Problems      []Problem `json:"problems,omitempty"`
}

// RoutingKey is "<municipality>.<system>.<state>"; unknown parts are
// "unknown" (a request so broken its sender cannot be read).
func (e Event) RoutingKey() string {
	return OrUnknown(e.Municipality) + "." + OrUnknown(e.System) + "." + e.State
}

// OrUnknown is s, or "unknown" when s is empty: the placeholder of a part
// of a routing key or message id that could not be read.
func OrUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

// Marshal encodes the event.
func (e Event) Marshal() []byte {
	e.Version = 1
	b, _ := json.Marshal(e) // plain struct: cannot fail
	return b
}

// Parse decodes an event.
func Parse(b []byte) (Event, error) {
	var e Event
	err := json.Unmarshal(b, &e)
	return e, err
}

// Of is the status event of a record's current state (At is the time it
// entered that state).
func Of(rec receipts.Record) Event {
	return Event{
		DisclosureID:  rec.DisclosureID,
		State:         string(rec.State),
		At:            rec.At[rec.State],
		Municipality:  rec.Municipality,
		System:        rec.System,
		Recipient:     rec.Recipient,
		MessageType:   rec.MessageType,
		Identificatie: rec.Identificatie,
		MessageID:     rec.MessageID,
		Basis:         rec.Basis,
		Reason:        rec.Reason,
		ReasonCodes:   rec.ReasonCodes,
		RetourCodes:   rec.RetourCodes,
	}
}
