// Package register is the consent register's front door: commands from
// registration systems (record or withdraw a consent, record or lift a
// restriction of processing or an objection, record that a client has a
// legal representative), checked against docs/contract/consent-v1.schema.json and
// applied to the store. The register keeps a keyed hash of the client's BSN,
// never the BSN.
package register

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/sluis-gateway/sluis/docs/contract"
	"github.com/sluis-gateway/sluis/internal/actor"
	"github.com/sluis-gateway/sluis/internal/calendar"
	"github.com/sluis-gateway/sluis/internal/category"
	"github.com/sluis-gateway/sluis/internal/consent"
	"github.com/sluis-gateway/sluis/internal/identity"
	"github.com/sluis-gateway/sluis/internal/jsoncheck"
	"github.com/sluis-gateway/sluis/messages"
)

// Commands.
const (
	RecordConsent             = "record_consent"
	WithdrawConsent           = "withdraw_consent"
	RecordRestriction         = "record_restriction"
	LiftRestriction           = "lift_restriction"
	RecordObjection           = "record_objection"
	LiftObjection             = "lift_objection"
	RecordLegalRepresentative = "record_legal_representative"
)

// ErrInvalid is matched by every *InvalidError. The store's errors
// (consent.ErrUnknownConsent, consent.ErrConflict) belong to the consent port.
var ErrInvalid = errors.New("invalid consent command")

// Command is a consent register command, contract version 1.
type Command struct {
	Version             int          `json:"version"`
	ID                  string       `json:"id"`
	Command             string       `json:"command"`
	Sender              Sender       `json:"sender"`
	Client              Client       `json:"client"`
	At                  time.Time    `json:"at"`
	Consent             *ConsentBody `json:"consent,omitempty"`
	ConsentID           string       `json:"consent_id,omitempty"`
	LegalRepresentative *bool        `json:"legal_representative,omitempty"`
}

// Sender is the registration system.
type Sender struct {
	Municipality string `json:"municipality"`
	System       string `json:"system"`
	Employee     string `json:"employee"`
}

// Client identifies the client; the BSN is hashed before anything is kept.
type Client struct {
	BSN string `json:"bsn"`
}

// ConsentBody is what a consent covers.
type ConsentBody struct {
	ID         string   `json:"id"`
	GivenBy    []string `json:"given_by"`
	Recipient  string   `json:"recipient"`
	Purpose    string   `json:"purpose"`
	Categories []string `json:"categories"`
	Scope      Scope    `json:"scope"`
}

// Scope is a single share or a bounded period (dates inclusive).
type Scope struct {
	SingleShare bool   `json:"single_share,omitempty"`
	From        string `json:"from,omitempty"`
	Until       string `json:"until,omitempty"`
}

// InvalidError lists a command's problems, by path and rule, never by value.
type InvalidError = jsoncheck.InvalidError[command]

// command is the Kind of a consent command's InvalidError.
type command struct{}

func (command) Err() error { return ErrInvalid }

// Service checks and applies commands. Safe for concurrent use.
type Service struct {
	schema    *jsoncheck.Schema
	store     consent.CommandStore
	clientKey func(bsn string) string
}

// New builds the service; clientKey is the keyed BSN hash the pipeline uses.
func New(store consent.CommandStore, clientKey func(bsn string) string) (*Service, error) {
	if store == nil || clientKey == nil {
		return nil, errors.New("register: store and client key are required")
	}
	s, err := jsoncheck.Compile("urn:sluis:contract:consent:1", contract.ConsentV1)
	if err != nil {
		return nil, err
	}
	return &Service{schema: s, store: store, clientKey: clientKey}, nil
}

// Decode checks a command against the contract. Any failure is an *InvalidError.
func (s *Service) Decode(data []byte) (Command, error) {
	if len(data) > 64<<10 {
		return Command{}, &InvalidError{Problems: []jsoncheck.Problem{{Rule: "size", Message: "command larger than 64 KiB"}}}
	}
	if ps := s.schema.Check(data); len(ps) > 0 {
		return Command{}, &InvalidError{Problems: ps}
	}
	var c Command
	if err := jsoncheck.Decode(data, &c); err != nil {
		return Command{}, &InvalidError{Problems: []jsoncheck.Problem{{Rule: "json", Message: "does not decode into the contract types"}}}
	}
	var ps []jsoncheck.Problem
	if !messages.ValidBSN(c.Client.BSN) {
		ps = append(ps, jsoncheck.Problem{Path: "/client/bsn", Rule: "CS002", Message: "BSN fails the 11-proef (CS002)"})
	}
	if b := c.Consent; b != nil && !b.Scope.SingleShare && b.Scope.Until < b.Scope.From {
		ps = append(ps, jsoncheck.Problem{Path: "/consent/scope", Rule: "period", Message: "until is before from"})
	}
	if len(ps) > 0 {
		return Command{}, &InvalidError{Problems: ps}
	}
	return c, nil
}

// Apply decodes and applies one command of the authenticated system in ctx
// (identity.WithSystem). A command whose sender the system may not act for
// fails with an error matching identity.ErrSenderNotAllowed (a
// *identity.RefusedError naming the field); without a system in ctx with
// identity.ErrUnauthenticated. The command works on the sender
// municipality's own register (consent.RegisterKey): a withdrawal or a
// lift never reaches another municipality's consents or restrictions, and
// another municipality's consent id is as unknown as any. The ledger actor
// is the system for the municipality on behalf of sender.employee.
func (s *Service) Apply(ctx context.Context, data []byte) (Command, error) {
	c, err := s.Decode(data)
	if err != nil {
		return Command{}, err
	}
	sys, err := identity.SystemFrom(ctx)
	if err != nil {
		return c, fmt.Errorf("%s %s: %w", c.Command, c.ID, err)
	}
	if err := identity.MayActFor(sys, c.Sender.Municipality, c.Sender.System); err != nil {
		return c, fmt.Errorf("%s %s: %w", c.Command, c.ID, err)
	}
	ctx = actor.With(ctx, actor.SenderEmployee(sys.ID, c.Sender.Municipality, c.Sender.Employee))
	key := consent.RegisterKey(c.Sender.Municipality, s.clientKey(c.Client.BSN))
	switch c.Command {
	case RecordConsent:
		err = s.store.RecordConsent(ctx, toConsent(c, key))
	case WithdrawConsent:
		err = s.store.WithdrawConsent(ctx, key, consent.StoredConsentID(c.Sender.Municipality, c.ConsentID), c.At)
	case RecordRestriction:
		err = s.store.RecordRestriction(ctx, key, c.At)
	case LiftRestriction:
		err = s.store.LiftRestriction(ctx, key, c.At)
	case RecordObjection:
		err = s.store.RecordObjection(ctx, key, c.At)
	case LiftObjection:
		err = s.store.LiftObjection(ctx, key, c.At)
	case RecordLegalRepresentative:
		err = s.store.SetLegalRepresentative(ctx, key, *c.LegalRepresentative)
	default:
		err = fmt.Errorf("%w: unknown command", ErrInvalid)
	}
	if err != nil {
		return c, fmt.Errorf("%s %s: %w", c.Command, c.ID, err)
	}
	return c, nil
}

func toConsent(c Command, clientKey string) consent.Consent {
	b := c.Consent
	out := consent.Consent{
		ID:          consent.StoredConsentID(c.Sender.Municipality, b.ID),
		ClientKey:   clientKey,
		GivenAt:     c.At,
		Recipient:   b.Recipient,
		Purpose:     b.Purpose,
		SingleShare: b.Scope.SingleShare,
	}
	for _, g := range b.GivenBy {
		out.GivenBy = append(out.GivenBy, consent.Giver(g))
	}
	for _, cat := range b.Categories {
		out.Categories = append(out.Categories, category.Category(cat))
	}
	slices.Sort(out.Categories)
	if !b.Scope.SingleShare {
		out.ValidFrom, _ = time.ParseInLocation(time.DateOnly, b.Scope.From, calendar.Location()) // checked by the schema
		out.ValidUntil, _ = time.ParseInLocation(time.DateOnly, b.Scope.Until, calendar.Location())
	}
	return out
}
