// Package rights answers a client's rights from what sluis knows of every
// share: access (AVG art. 15) and portability (art. 20) as one report, and
// the recipients to inform of a rectification or erasure (art. 19). See
// docs/client-rights.md.
//
// A client is found by the keyed hash of their BSN (consent.ClientKey);
// the BSN itself is never kept, logged or written to the ledger. Every
// answer covers only the asking employee's municipality and is itself a
// ledger entry, written before the answer is returned.
package rights

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"time"

	"github.com/sluis-gateway/sluis/internal/casework"
	"github.com/sluis-gateway/sluis/internal/ledger"
	"github.com/sluis-gateway/sluis/internal/provider"
	"github.com/sluis-gateway/sluis/internal/receipts"
	"github.com/sluis-gateway/sluis/messages"
)

// Ledger events of the answers. Their detail holds the municipality, the
// request reference and counts: never the BSN or the client key.
const (
	EventAccess     = "rights:access"
	EventRecipients = "rights:recipients"
)

// Named errors.
var (
	// ErrBadRequest: the question is not answerable as asked (a BSN that
	// fails the 11-proef, a missing or unprintable reference, no
	// municipality). Matched by every *RequestError.
	ErrBadRequest = errors.New("bad rights request")
	// ErrUnavailable: the store, the ledger or the archive did not answer.
	ErrUnavailable = errors.New("rights answer unavailable")
)

// RequestError names the refused field of a question, never its value:
// Reason in English for the API, Dutch the same for the staff console.
type RequestError struct {
	Field  string
	Reason string
	Dutch  string
}

func (e *RequestError) Error() string { return e.Field + ": " + e.Reason }

// Is matches ErrBadRequest.
func (e *RequestError) Is(target error) bool { return target == ErrBadRequest }

// Check refuses an asker without a municipality: every answer is about
// the disclosures of the asker's municipality.
func (a Asker) Check() error {
	if a.Municipality == "" {
		return &RequestError{Field: "municipality", Reason: "the staff member has no municipality",
			Dutch: "u hoort bij geen gemeente"}
	}
	return nil
}

// Records is what the answers need of the receipts store. Implementations
// are safe for concurrent use.
type Records interface {
	// ByClient returns the disclosures of municipality for the client
	// with clientKey, in registration order; none is an empty list. An
	// empty client key is a bad argument.
	ByClient(ctx context.Context, municipality, clientKey string) ([]receipts.Record, error)
}

// Ledger is what the answers need of the ledger: a disclosure's entries,
// and appending the answer itself (the actor taken from ctx; without one
// it fails with actor.ErrMissing).
type Ledger interface {
	EntriesFor(ctx context.Context, disclosureID string) ([]ledger.Entry, error)
	Append(ctx context.Context, disclosureID, event string, detail map[string]string) (ledger.Entry, error)
}

// Archive reads a disclosure's archived signed message (internal/archive:
// archive.ErrNotFound when none, archive.ErrShredded after crypto-shredding).
type Archive interface {
	Get(ctx context.Context, disclosureID string) ([]byte, error)
}

// Glass opens the break-glass item of a read of archived content by
// someone but the sending employee (casework.Store).
type Glass interface {
	OpenItem(ctx context.Context, it casework.Item) (casework.Item, bool, error)
}

// Providers names a care provider by AGB code (provider.ErrUnknown when it
// is not, or no longer, registered).
type Providers interface {
	Get(agb string) (provider.Provider, error)
}

// Question is what an employee asks on behalf of a client.
type Question struct {
	// BSN finds the client (through the keyed hash); it must pass the
	// 11-proef.
	BSN string `json:"bsn"`
	// Reference is the municipality's reference of the client's request
	// (its case number, ValidReference), never personal data. It goes to
	// the ledger with the answer.
	Reference string `json:"request_reference"`
}

// Check reports what is wrong with q, as a *RequestError.
func (q Question) Check() error {
	if !messages.ValidBSN(q.BSN) {
		return &RequestError{Field: "bsn", Reason: "not a BSN (9 digits passing the 11-proef)",
			Dutch: "dit is geen BSN (9 cijfers die de 11-proef doorstaan)"}
	}
	if !ValidReference(q.Reference) {
		return &RequestError{Field: "request_reference", Reason: "a case number of 1 to 64 letters, digits, '.', '_', '/' or '-' required",
			Dutch: "het kenmerk van het verzoek is verplicht: een zaaknummer van 1 tot 64 letters, cijfers, '.', '_', '/' of '-'"}
	}
	return nil
}

var referenceRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._/-]{0,63}$`)

// ValidReference reports whether s is a case number: 1 to 64 letters,
// digits, '.', '_', '/' or '-', starting with a letter or digit (no spaces:
// a reference, not a text).
func ValidReference(s string) bool { return referenceRe.MatchString(s) }

// Service answers rights questions. Safe for concurrent use.
type Service struct {
	records   Records
	ledger    Ledger
	archive   Archive
	providers Providers
	glass     Glass
	clientKey func(bsn string) string
	now       func() time.Time
}

// Config configures New. Every field but Now is required.
type Config struct {
	Records   Records
	Ledger    Ledger
	Archive   Archive
	Providers Providers
	// Glass opens break-glass items for the archived messages an access
	// report hands to someone but their sending employee.
	Glass Glass
	// ClientKey is the keyed BSN hash the pipeline uses.
	ClientKey func(bsn string) string
	// Now is the clock (tests); nil: time.Now.
	Now func() time.Time
}

// New builds the service.
func New(c Config) (*Service, error) {
	if c.Records == nil || c.Ledger == nil || c.Archive == nil || c.Providers == nil || c.Glass == nil || c.ClientKey == nil {
		return nil, errors.New("rights: records, ledger, archive, providers, glass and client key are required")
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return &Service{records: c.Records, ledger: c.Ledger, archive: c.Archive, providers: c.Providers, glass: c.Glass,
		clientKey: c.ClientKey, now: c.Now}, nil
}

// disclosuresOf reads the municipality's disclosures of the client.
func (s *Service) disclosuresOf(ctx context.Context, municipality string, q Question) ([]receipts.Record, error) {
	if err := q.Check(); err != nil {
		return nil, err
	}
	if err := (Asker{Municipality: municipality}).Check(); err != nil {
		return nil, err
	}
	recs, err := s.records.ByClient(ctx, municipality, s.clientKey(q.BSN))
	if err != nil {
		return nil, fmt.Errorf("%w: disclosures: %w", ErrUnavailable, err)
	}
	return recs, nil
}

// record appends the answer's ledger entry.
func (s *Service) record(ctx context.Context, event, municipality string, q Question, detail map[string]string) error {
	d := map[string]string{"municipality": municipality, "request_reference": q.Reference}
	for k, v := range detail {
		d[k] = v
	}
	if _, err := s.ledger.Append(ctx, "", event, d); err != nil {
		return fmt.Errorf("%w: record the answer: %w", ErrUnavailable, err)
	}
	return nil
}

func itoa(n int) string { return strconv.Itoa(n) }
