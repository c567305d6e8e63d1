package sqlite

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/sluis-gateway/sluis/adapters/store/internal/storecore"
	"github.com/sluis-gateway/sluis/internal/actor"
	"github.com/sluis-gateway/sluis/internal/receipts"
)

var _ receipts.Batcher = (*Store)(nil)

// Each batch call below is one writer op: one savepoint in the writer's
// group-commit transaction, so the whole batch is written, or (when a
// statement fails) none of it. Items that fail on their own fail before
// they write anything.

// RegisterBatch implements receipts.Batcher.
func (s *Store) RegisterBatch(ctx context.Context, items []receipts.Registration) ([]receipts.Registered, error) {
	ids := make([]string, len(items))
	for i, it := range items {
		ids[i] = it.Record.DisclosureID
	}
	if err := storecore.CheckBatch(ids, false); err != nil {
		return nil, fmt.Errorf("register batch: %w", err)
	}
	out := make([]receipts.Registered, len(items))
	err := s.wr.do(ctx, func(ctx context.Context, tx *wtx) error {
		for i, it := range items {
			out[i] = receipts.Registered{}
			if err := checkRegistration(it); err != nil {
				out[i].Err = err
				continue
			}
			rec, created, err := registerTx(ctx, tx, it.Actor, it.Record)
			switch {
			case errors.Is(err, receipts.ErrConflict):
				out[i].Err = err
			case err != nil:
				return err
			default:
				out[i].Record, out[i].Created = rec, created
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("register batch: %w", err)
	}
	return out, nil
}

// checkRegistration checks one item as Register checks its arguments.
func checkRegistration(it receipts.Registration) error {
	if !it.Actor.Valid() {
		return fmt.Errorf("register: %w", actor.ErrMissing)
	}
	if err := storecore.CheckRecord(it.Record); err != nil {
		return fmt.Errorf("register: %w", err)
	}
	return nil
}

// ClaimBatch implements receipts.Batcher.
func (s *Store) ClaimBatch(ctx context.Context, claims []receipts.ClaimRequest, until time.Time) ([]receipts.Claimed, error) {
	ids := make([]string, len(claims))
	for i, c := range claims {
		ids[i] = c.DisclosureID
	}
	if err := storecore.CheckBatch(ids, true); err != nil {
		return nil, fmt.Errorf("claim batch: %w", err)
	}
	out := make([]receipts.Claimed, len(claims))
	err := s.wr.do(ctx, func(ctx context.Context, tx *wtx) error {
		for i, c := range claims {
			out[i] = receipts.Claimed{}
			if err := storecore.CheckClaim(c.DisclosureID, c.Owner); err != nil {
				out[i].Err = fmt.Errorf("claim: %w", err)
				continue
			}
			rec, itemErr, err := claimTx(ctx, tx, c.DisclosureID, c.Owner, until)
			if err != nil {
				return err
			}
			out[i].Record, out[i].Err = rec, itemErr
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("claim batch: %w", err)
	}
	return out, nil
}

// MoveBatch implements receipts.Batcher.
func (s *Store) MoveBatch(ctx context.Context, moves []receipts.Moves) ([]receipts.Moved, error) {
	ids := make([]string, len(moves))
	for i, m := range moves {
		ids[i] = m.DisclosureID
	}
	if err := storecore.CheckBatch(ids, true); err != nil {
		return nil, fmt.Errorf("move batch: %w", err)
	}
	out := make([]receipts.Moved, len(moves))
	err := s.wr.do(ctx, func(ctx context.Context, tx *wtx) error {
		for i, m := range moves {
			out[i] = receipts.Moved{}
			if err := checkMoves(m); err != nil {
				out[i].Err = err
				continue
			}
			recs, itemErr, err := moveTx(ctx, tx, m.Actor, m.DisclosureID, m.Changes)
			if err != nil {
				return err
			}
			out[i].Records, out[i].Err = recs, itemErr
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("move batch: %w", err)
	}
	return out, nil
}

// checkMoves checks one item as MoveAll checks its arguments.
func checkMoves(m receipts.Moves) error {
	if !m.Actor.Valid() {
		return fmt.Errorf("move %s: %w", m.DisclosureID, actor.ErrMissing)
	}
	if err := storecore.CheckChanges(m.Changes); err != nil {
		return fmt.Errorf("move %s: %w", m.DisclosureID, err)
	}
	return nil
}

// ReleaseBatch implements receipts.Batcher.
func (s *Store) ReleaseBatch(ctx context.Context, releases []receipts.ReleaseRequest) error {
	ids := make([]string, len(releases))
	for i, r := range releases {
		ids[i] = r.DisclosureID
		if err := storecore.CheckClaim(r.DisclosureID, r.Owner); err != nil {
			return fmt.Errorf("release batch: %w", err)
		}
	}
	if err := storecore.CheckBatch(ids, true); err != nil {
		return fmt.Errorf("release batch: %w", err)
	}
	err := s.wr.do(ctx, func(ctx context.Context, tx *wtx) error {
		for _, r := range releases {
			if _, err := tx.ExecContext(ctx, qReleaseClaim, r.Announced, r.Owner, r.Owner, r.DisclosureID); err != nil {
				return fmt.Errorf("release %s: %w", r.DisclosureID, err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("release batch: %w", err)
	}
	return nil
}
