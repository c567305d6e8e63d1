package receipts

import (
	"context"
	"errors"
	"time"

	"github.com/sluis-gateway/sluis/internal/actor"
)

// MaxBatch bounds the items of one Batcher call.
const MaxBatch = 1024

// ErrBadBatch: a Batcher call with no items, more than MaxBatch, or one
// disclosure twice where that is not allowed (MoveBatch, ClaimBatch,
// ReleaseBatch). Nothing was written.
var ErrBadBatch = errors.New("bad batch")

// Batcher is the batch form of Register, Claim, MoveAll and Release: the
// intake's batched passes (docs/broker.md, "Batched intake") write each
// step of a batch of disclosures in one transaction instead of one per
// disclosure. Each item gets the outcome the single call would have given
// it (its own error in the result: ErrConflict, ErrClaimed, ErrNotFound,
// ErrInvalidTransition, a bad argument); the returned error means the
// whole call failed and nothing of it was written. An item that fails on
// its own writes nothing of its own and does not stop the others. Every
// state change writes its ledger entry, with the item's actor, in the same
// transaction. Safe for concurrent use, as the single calls are.
type Batcher interface {
	// RegisterBatch registers each item as Register would, in order: an id
	// that appears twice is registered by the first and found (or in
	// conflict) by the second.
	RegisterBatch(ctx context.Context, items []Registration) ([]Registered, error)
	// ClaimBatch claims each disclosure for its owner until the deadline, as
	// Claim would; each disclosure at most once per call.
	ClaimBatch(ctx context.Context, claims []ClaimRequest, until time.Time) ([]Claimed, error)
	// MoveBatch applies each item's changes as MoveAll would (all of an
	// item's changes or none of them); each disclosure at most once per
	// call.
	MoveBatch(ctx context.Context, moves []Moves) ([]Moved, error)
	// ReleaseBatch releases each claim as Release would; each disclosure
	// at most once per call.
	ReleaseBatch(ctx context.Context, releases []ReleaseRequest) error
}

// Registration is one item of RegisterBatch: the record and who registers
// it (the actor of its ledger entry; Register takes it from ctx).
type Registration struct {
	Actor  actor.Actor
	Record Record
}

// Registered is the outcome of one Registration, as Register returns it.
type Registered struct {
	Record  Record
	Created bool
	Err     error
}

// ClaimRequest is one item of ClaimBatch.
type ClaimRequest struct {
	DisclosureID string
	Owner        string
}

// Claimed is the outcome of one ClaimRequest, as Claim returns it.
type Claimed struct {
	Record Record
	Err    error
}

// Moves is one item of MoveBatch: the changes of one disclosure and who
// makes them.
type Moves struct {
	Actor        actor.Actor
	DisclosureID string
	Changes      []Change
}

// Moved is the outcome of one Moves, as MoveAll returns it: the record
// after each change.
type Moved struct {
	Records []Record
	Err     error
}

// ReleaseRequest is one item of ReleaseBatch.
type ReleaseRequest struct {
	DisclosureID string
	Owner        string
	Announced    int64
}
