package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sluis-gateway/sluis/adapters/store/internal/storecore"
	"github.com/sluis-gateway/sluis/internal/actor"
	"github.com/sluis-gateway/sluis/internal/consent"
	"github.com/sluis-gateway/sluis/internal/ledger"
)

// Compile-time check that Store implements the consent port.
var _ consent.Store = (*Store)(nil)

// The consent register's concurrency, across processes:
//   - RecordConsent inserts with ON CONFLICT DO NOTHING; a concurrent
//     record of the same id waits for the other and compares with it.
//   - WithdrawConsent and LiftRestriction are conditional UPDATEs (... IS
//     NULL): the row lock makes a second caller re-check and do nothing.
//   - UseConsents locks the consent rows in id order (SELECT ... ORDER BY
//     consent_id FOR UPDATE), checks them all, then marks the unused ones
//     with a conditional UPDATE whose row count must match: all or none,
//     one winner per single-share consent, no deadlocks.
// Every change journals its ledger entry in its own transaction (ledger.go).

const consentColumns = `consent_id, client_key, given_by::text, given_at, recipient, purpose,
	categories::text, single_share, valid_from, valid_until, used_by, withdrawn_at`

// nullTime is t for a timestamptz parameter, NULL for the zero time.
func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return storecore.Trunc(t)
}

func fromNullTime(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return storecore.Trunc(*t)
}

func scanConsent(row pgx.Row) (consent.Consent, error) {
	var (
		c                               consent.Consent
		givenBy, cats                   string
		givenAt, from, until, withdrawn *time.Time
		usedBy                          *string
	)
	if err := row.Scan(&c.ID, &c.ClientKey, &givenBy, &givenAt, &c.Recipient, &c.Purpose,
		&cats, &c.SingleShare, &from, &until, &usedBy, &withdrawn); err != nil {
		return consent.Consent{}, err
	}
	var err error
	if c.GivenBy, err = storecore.DecodeGivers(givenBy); err != nil {
		return consent.Consent{}, fmt.Errorf("consent %s: %w", c.ID, err)
	}
	if c.Categories, err = storecore.DecodeCategories(cats); err != nil {
		return consent.Consent{}, fmt.Errorf("consent %s: %w", c.ID, err)
	}
	c.GivenAt = fromNullTime(givenAt)
	c.ValidFrom = fromNullTime(from)
	c.ValidUntil = fromNullTime(until)
	if usedBy != nil {
		c.UsedBy = *usedBy
	}
	if withdrawn != nil {
		w := storecore.Trunc(*withdrawn)
		c.WithdrawnAt = &w
	}
	return c, nil
}

// getConsent reads one consent; found=false when the id is not on record.
func getConsent(ctx context.Context, q queryer, id string) (consent.Consent, bool, error) {
	c, err := scanConsent(q.QueryRow(ctx, `SELECT `+consentColumns+` FROM consents WHERE consent_id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return consent.Consent{}, false, nil
	}
	if err != nil {
		return consent.Consent{}, false, fmt.Errorf("get consent %s: %w", id, err)
	}
	return c, true, nil
}

// change runs fn in a transaction and commits it; wrote=true wakes the
// sealer after the commit.
func (s *Store) change(ctx context.Context, what string, fn func(tx pgx.Tx) (wrote bool, err error)) error {
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{})
	if err != nil {
		return fmt.Errorf("%s: begin: %w", what, err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // after Commit this is a no-op
	wrote, err := fn(tx)
	if err != nil {
		return err
	}
	if !wrote {
		return nil
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("%s: commit: %w", what, err)
	}
	s.sealer.wake()
	return nil
}

// RecordConsent implements consent.CommandStore. UsedBy and WithdrawnAt of c are
// ignored: a consent is recorded unused and not withdrawn.
func (s *Store) RecordConsent(ctx context.Context, c consent.Consent) error {
	a, err := actor.From(ctx)
	if err != nil {
		return fmt.Errorf("record consent: %w", err)
	}
	if err := storecore.CheckConsent(c); err != nil {
		return fmt.Errorf("record consent: %w", err)
	}
	c = storecore.NormalizeConsent(c)
	var inserted bool
	err = s.change(ctx, "record consent "+c.ID, func(tx pgx.Tx) (bool, error) {
		now := storecore.Now()
		tag, err := tx.Exec(ctx, `INSERT INTO consents (consent_id, client_key, given_by, given_at,
			recipient, purpose, categories, single_share, valid_from, valid_until, recorded_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
			ON CONFLICT (consent_id) DO NOTHING`,
			c.ID, c.ClientKey, storecore.EncodeGivers(c.GivenBy), nullTime(c.GivenAt), c.Recipient,
			c.Purpose, storecore.EncodeCategories(c.Categories), c.SingleShare,
			nullTime(c.ValidFrom), nullTime(c.ValidUntil), now)
		if err != nil {
			return false, fmt.Errorf("record consent %s: insert: %w", c.ID, err)
		}
		if tag.RowsAffected() == 0 {
			return false, nil // on record already (perhaps just now, by another caller)
		}
		if err := journal(ctx, tx, now, a.String(), "", ledger.EventConsentRecorded,
			storecore.ConsentDetail(c)); err != nil {
			return false, fmt.Errorf("record consent %s: %w", c.ID, err)
		}
		inserted = true
		return true, nil
	})
	if err != nil || inserted {
		return err
	}
	stored, found, err := getConsent(ctx, s.pool, c.ID)
	if err != nil {
		return fmt.Errorf("record consent: %w", err)
	}
	if !found || !storecore.SameConsent(stored, c) {
		// !found: a consent row is never deleted, so this cannot happen.
		return fmt.Errorf("record consent %s: %w", c.ID, consent.ErrConflict)
	}
	return nil
}

// WithdrawConsent implements consent.CommandStore. A zero at means now.
func (s *Store) WithdrawConsent(ctx context.Context, clientKey, consentID string, at time.Time) error {
	a, err := actor.From(ctx)
	if err != nil {
		return fmt.Errorf("withdraw consent: %w", err)
	}
	if err := errors.Join(storecore.CheckKey("client_key", clientKey), storecore.CheckKey("consent_id", consentID)); err != nil {
		return fmt.Errorf("withdraw consent: %w", err)
	}
	now := storecore.Now()
	at = storecore.TruncOrZero(at)
	if at.IsZero() {
		at = now
	}
	return s.change(ctx, "withdraw consent "+consentID, func(tx pgx.Tx) (bool, error) {
		c, err := scanConsent(tx.QueryRow(ctx, `UPDATE consents SET withdrawn_at = $1
			WHERE consent_id = $2 AND client_key = $3 AND withdrawn_at IS NULL
			RETURNING `+consentColumns, at, consentID, clientKey))
		if errors.Is(err, pgx.ErrNoRows) {
			stored, found, err := getConsent(ctx, tx, consentID)
			switch {
			case err != nil:
				return false, fmt.Errorf("withdraw consent: %w", err)
			case !found || stored.ClientKey != clientKey:
				// Another client's consent is unknown to this one.
				return false, fmt.Errorf("withdraw consent %s: %w", consentID, consent.ErrUnknownConsent)
			}
			// Withdrawn already: the first withdrawal counts.
			return false, nil
		}
		if err != nil {
			return false, fmt.Errorf("withdraw consent %s: update: %w", consentID, err)
		}
		if err := journal(ctx, tx, now, a.String(), "", ledger.EventConsentWithdrawn,
			storecore.WithdrawDetail(c, at)); err != nil {
			return false, fmt.Errorf("withdraw consent %s: %w", consentID, err)
		}
		return true, nil
	})
}

// pause is a register entry that stops shares while in force: a
// restriction of processing (art. 18) or an objection (art. 21). Both are
// kept alike, each in its own table.
type pause struct {
	table, what      string
	recorded, lifted string // ledger events
	detail           func(id int64, from time.Time, liftedAt *time.Time) map[string]string
}

var (
	restriction = pause{"restrictions", "restriction", ledger.EventRestrictionRecorded, ledger.EventRestrictionLifted, storecore.RestrictionDetail}
	objection   = pause{"objections", "objection", ledger.EventObjectionRecorded, ledger.EventObjectionLifted, storecore.ObjectionDetail}
)

// RecordRestriction implements consent.CommandStore. Recording a restriction of
// the client with the same start again is a no-op (a redelivered command),
// also when that restriction was lifted meanwhile.
func (s *Store) RecordRestriction(ctx context.Context, clientKey string, from time.Time) error {
	return s.recordPause(ctx, restriction, clientKey, from)
}

// LiftRestriction implements consent.CommandStore: every restriction of the
// client in force at at (started at or before at, not lifted) is lifted at
// at, with one ledger entry each. None in force is a no-op.
func (s *Store) LiftRestriction(ctx context.Context, clientKey string, at time.Time) error {
	return s.liftPause(ctx, restriction, clientKey, at)
}

// RecordObjection implements consent.CommandStore, as RecordRestriction.
func (s *Store) RecordObjection(ctx context.Context, clientKey string, from time.Time) error {
	return s.recordPause(ctx, objection, clientKey, from)
}

// LiftObjection implements consent.CommandStore, as LiftRestriction.
func (s *Store) LiftObjection(ctx context.Context, clientKey string, at time.Time) error {
	return s.liftPause(ctx, objection, clientKey, at)
}

func (s *Store) recordPause(ctx context.Context, k pause, clientKey string, from time.Time) error {
	op := "record " + k.what
	a, err := actor.From(ctx)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	if err := storecore.CheckKey("client_key", clientKey); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	if from.IsZero() {
		return fmt.Errorf("%s: %w: from is zero", op, storecore.ErrBadArgument)
	}
	from = storecore.Trunc(from)
	return s.change(ctx, op, func(tx pgx.Tx) (bool, error) {
		now := storecore.Now()
		var id int64
		err := tx.QueryRow(ctx, `INSERT INTO `+k.table+` (client_key, from_at, recorded_at)
			VALUES ($1, $2, $3) ON CONFLICT (client_key, from_at) DO NOTHING RETURNING id`,
			clientKey, from, now).Scan(&id)
		if errors.Is(err, pgx.ErrNoRows) {
			return false, nil // already on record
		}
		if err != nil {
			return false, fmt.Errorf("%s: insert: %w", op, err)
		}
		if err := journal(ctx, tx, now, a.String(), "", k.recorded, k.detail(id, from, nil)); err != nil {
			return false, fmt.Errorf("%s: %w", op, err)
		}
		return true, nil
	})
}

func (s *Store) liftPause(ctx context.Context, k pause, clientKey string, at time.Time) error {
	op := "lift " + k.what
	a, err := actor.From(ctx)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	if err := storecore.CheckKey("client_key", clientKey); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	if at.IsZero() {
		return fmt.Errorf("%s: %w: at is zero", op, storecore.ErrBadArgument)
	}
	at = storecore.Trunc(at)
	return s.change(ctx, op, func(tx pgx.Tx) (bool, error) {
		rows, err := tx.Query(ctx, `UPDATE `+k.table+` SET lifted_at = $1
			WHERE client_key = $2 AND from_at <= $1 AND lifted_at IS NULL RETURNING id, from_at`,
			at, clientKey)
		if err != nil {
			return false, fmt.Errorf("%s: update: %w", op, err)
		}
		type lifted struct {
			id   int64
			from time.Time
		}
		ls, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (lifted, error) {
			var l lifted
			err := r.Scan(&l.id, &l.from)
			return l, err
		})
		if err != nil {
			return false, fmt.Errorf("%s: update: %w", op, err)
		}
		now := storecore.Now()
		for _, l := range ls {
			if err := journal(ctx, tx, now, a.String(), "", k.lifted, k.detail(l.id, l.from, &at)); err != nil {
				return false, fmt.Errorf("%s: %w", op, err)
			}
		}
		return len(ls) > 0, nil
	})
}

// SetLegalRepresentative implements consent.CommandStore. Setting the value the
// client already has on record is a no-op.
func (s *Store) SetLegalRepresentative(ctx context.Context, clientKey string, recorded bool) error {
	a, err := actor.From(ctx)
	if err != nil {
		return fmt.Errorf("set legal representative: %w", err)
	}
	if err := storecore.CheckKey("client_key", clientKey); err != nil {
		return fmt.Errorf("set legal representative: %w", err)
	}
	return s.change(ctx, "set legal representative", func(tx pgx.Tx) (bool, error) {
		now := storecore.Now()
		tag, err := tx.Exec(ctx, `INSERT INTO legal_representatives AS l (client_key, recorded, updated_at)
			VALUES ($1, $2, $3)
			ON CONFLICT (client_key) DO UPDATE SET recorded = EXCLUDED.recorded, updated_at = EXCLUDED.updated_at
			WHERE l.recorded <> EXCLUDED.recorded`, clientKey, recorded, now)
		if err != nil {
			return false, fmt.Errorf("set legal representative: %w", err)
		}
		if tag.RowsAffected() == 0 {
			return false, nil // unchanged
		}
		if err := journal(ctx, tx, now, a.String(), "", ledger.EventRepresentativeRecorded,
			storecore.RepresentativeDetail(recorded)); err != nil {
			return false, fmt.Errorf("set legal representative: %w", err)
		}
		return true, nil
	})
}
