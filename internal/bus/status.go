package bus

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/sluis-gateway/sluis/internal/jsoncheck"
	"github.com/sluis-gateway/sluis/internal/receipts"
)

// Problem is one thing wrong with a request, by path and rule, no values.
type Problem = jsoncheck.Problem

// Event is a status event, version 1: what sluis tells a registration
// system about each state change of its disclosures and consent commands
// (AMQP exchange sluis.status, topic key "<municipality>.<system>.<state>").
// It carries ids, codes and states only: never personal data.
type Event struct {
	Version      int    `json:"version"`
	DisclosureID string `json:"disclosure_id,omitempty"`
	CommandID    string `json:"command_id,omitempty"` // consent register commands
	Command      string `json:"command,omitempty"`
	// InboundID is set on the events of a provider's inbound message
	// (states inbound_*, docs/inbound.md), Provider its sender.
	InboundID string `json:"inbound_id,omitempty"`
	Provider  string `json:"provider,omitempty"`
	State     string `json:"state"`
	// Sequence numbers a disclosure's states: 1 for received, one more
	// per state change (receipts.Record.Sequence). Absent on events that
	// are no state of a disclosure (invalid, a refusal before
	// registration, consent commands).
	Sequence      int64     `json:"sequence,omitempty"`
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
	// Due is when an inbound message's answer is due; AnsweredBy the
	// disclosure that answered it.
	Due        time.Time `json:"due,omitzero"`
	AnsweredBy string    `json:"answered_by,omitempty"`
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
		Sequence:      rec.Sequence,
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

// Message is the event's message on TopicStatus: JSON, its topic key in
// metadata RoutingKey, and a deterministic id, so a re-announced state
// carries the same id.
func (e Event) Message() *message.Message {
	m := message.NewMessage(e.id(), e.Marshal())
	RoutingKey.Set(m, e.RoutingKey())
	ContentType.Set(m, "application/json")
	return m
}

// id is "status-<disclosure or command id>-<state>". A request too broken
// to have a readable id gets a time-based id ("status-invalid-<ns>"); a
// consent command without one "status-unknown-<state>".
func (e Event) id() string {
	switch {
	case e.InboundID != "":
		return "status-" + e.InboundID + "-" + e.State
	case e.DisclosureID != "":
		return "status-" + e.DisclosureID + "-" + e.State
	case e.CommandID == "" && e.State == string(receipts.Invalid):
		return fmt.Sprintf("status-invalid-%d", e.At.UnixNano())
	}
	return "status-" + OrUnknown(e.CommandID) + "-" + e.State
}
