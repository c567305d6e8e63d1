package pipeline

import (
	"context"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/sluis-gateway/sluis/internal/disclosure"
	"github.com/sluis-gateway/sluis/internal/receipts"
	"github.com/sluis-gateway/sluis/internal/signing"
)

// Publisher publishes messages and reports, per message, whether the broker
// confirmed it into a queue (nil), returned it (bus.ErrUnroutable) or failed
// otherwise (retryable). It routes bus.TopicOutbound by metadata bus.AGB and
// bus.TopicStatus by bus.RoutingKey. Safe for concurrent use.
type Publisher interface {
	PublishContext(ctx context.Context, topic string, msgs ...*message.Message) []error
}

// Store is what the pipeline needs of the receipts store.
type Store interface {
	Register(ctx context.Context, r receipts.Record) (receipts.Record, bool, error)
	MoveAll(ctx context.Context, id string, cs ...receipts.Change) ([]receipts.Record, error)
	RecordInvalid(ctx context.Context, r receipts.InvalidRequest) error
	receipts.Claimer
	// Batcher is what HandleBatch writes with: each step of a batch in one
	// transaction.
	receipts.Batcher
	Ledger
}

// Screening is the outcome of the screen stage.
type Screening struct {
	Allowed bool
	// Checked is the request as minimisation let it through (stripped of
	// what the purpose profile strips). It is the only input composition
	// takes, so no field can slip past the check.
	Checked     disclosure.Request
	Basis       string
	ConsentIDs  []string
	ReasonCodes []string
	Sentence    string // plain, no personal data
	Detail      map[string]string
}

// Screener decides whether a disclosure may leave (legal basis, consent,
// minimisation). Safe for concurrent use.
type Screener interface {
	Screen(ctx context.Context, req disclosure.Request, rec receipts.Record) (Screening, error)
}

// Answers knows what a disclosure answers: its in_reply_to, a provider's
// inbound message (internal/inbound). Safe for concurrent use.
type Answers interface {
	// Check returns "" when req names nothing or what it may answer;
	// otherwise a reason code and a sentence (no personal data) to refuse
	// it with. An error is transient.
	Check(ctx context.Context, req disclosure.Request) (code, sentence string, err error)
	// Delivered records that rec, delivered, answered req.InReplyTo; it is
	// called again after a redelivery and must be idempotent.
	Delivered(ctx context.Context, req disclosure.Request, rec receipts.Record) error
}

// Composer turns an allowed request into the Bericht's XML. An error that is
// the request's fault (a rule of the standard) is permanent: the disclosure
// fails with the error's text as reason, which must hold no personal data.
type Composer interface {
	Compose(req disclosure.Request, rec receipts.Record) ([]byte, error)
}

// Validator validates a document against its official schema.
type Validator interface {
	Validate(doc []byte) error
}

// Sealer wraps a Bericht in the signed envelope.
type Sealer interface {
	Seal(m signing.Meta, bericht []byte) ([]byte, error)
}

// Archiver keeps the exact signed message of a delivered disclosure for its
// retention period (the evidence archive, internal/archive). Put of the
// same disclosure id and bytes again is a no-op. Safe for concurrent use.
type Archiver interface {
	Put(ctx context.Context, disclosureID, clientKey string, signed []byte, retainUntil time.Time) error
}
