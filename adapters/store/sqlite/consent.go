package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/sluis-gateway/sluis/adapters/store/internal/storecore"
	"github.com/sluis-gateway/sluis/internal/actor"
	"github.com/sluis-gateway/sluis/internal/consent"
	"github.com/sluis-gateway/sluis/internal/ledger"
)

// Compile-time check that Store implements the consent port.
var _ consent.Store = (*Store)(nil)

const consentColumns = `consent_id, client_key, given_by, given_at, recipient, purpose,
	categories, single_share, valid_from, valid_until, used_by, withdrawn_at`

func nullMicros(t time.Time) sql.NullInt64 {
	if t.IsZero() {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: storecore.Micros(t), Valid: true}
}

func fromNullMicros(n sql.NullInt64) time.Time {
	if !n.Valid {
		return time.Time{}
	}
	return storecore.FromMicros(n.Int64)
}

func scanConsent(row scanner) (consent.Consent, error) {
	var (
		c                               consent.Consent
		givenBy, cats                   string
		single                          bool
		givenAt, from, until, withdrawn sql.NullInt64
		usedBy                          sql.NullString
	)
	if err := row.Scan(&c.ID, &c.ClientKey, &givenBy, &givenAt, &c.Recipient, &c.Purpose,
		&cats, &single, &from, &until, &usedBy, &withdrawn); err != nil {
		return consent.Consent{}, err
	}
	var err error
	if c.GivenBy, err = storecore.DecodeGivers(givenBy); err != nil {
		return consent.Consent{}, fmt.Errorf("consent %s: %w", c.ID, err)
	}
	if c.Categories, err = storecore.DecodeCategories(cats); err != nil {
		return consent.Consent{}, fmt.Errorf("consent %s: %w", c.ID, err)
	}
	c.SingleShare = single
	c.GivenAt = fromNullMicros(givenAt)
	c.ValidFrom = fromNullMicros(from)
	c.ValidUntil = fromNullMicros(until)
	c.UsedBy = usedBy.String
	if withdrawn.Valid {
		w := storecore.FromMicros(withdrawn.Int64)
		c.WithdrawnAt = &w
	}
	return c, nil
}

// getConsent reads one consent; found=false when the id is not on record.
func getConsent(ctx context.Context, q queryer, id string) (consent.Consent, bool, error) {
	c, err := scanConsent(q.QueryRowContext(ctx, `SELECT `+consentColumns+` FROM consents WHERE consent_id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return consent.Consent{}, false, nil
	}
	if err != nil {
		return consent.Consent{}, false, fmt.Errorf("get consent %s: %w", id, err)
	}
	return c, true, nil
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
	return s.wr.do(ctx, func(ctx context.Context, tx *wtx) error {
		stored, found, err := getConsent(ctx, tx, c.ID)
		if err != nil {
			return fmt.Errorf("record consent: %w", err)
		}
		if found {
			if storecore.SameConsent(stored, c) {
				return nil
			}
			return fmt.Errorf("record consent %s: %w", c.ID, consent.ErrConflict)
		}
		now := storecore.Now()
		if _, err := tx.ExecContext(ctx, `INSERT INTO consents (consent_id, client_key, given_by,
			given_at, recipient, purpose, categories, single_share, valid_from, valid_until, recorded_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			c.ID, c.ClientKey, storecore.EncodeGivers(c.GivenBy), nullMicros(c.GivenAt), c.Recipient,
			c.Purpose, storecore.EncodeCategories(c.Categories), c.SingleShare,
			nullMicros(c.ValidFrom), nullMicros(c.ValidUntil), storecore.Micros(now)); err != nil {
			return fmt.Errorf("record consent %s: insert: %w", c.ID, err)
		}
		if _, err := appendEntry(ctx, tx, now, a.String(), "", ledger.EventConsentRecorded,
			storecore.ConsentDetail(c)); err != nil {
			return fmt.Errorf("record consent %s: %w", c.ID, err)
		}
		return nil
	})
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
	return s.wr.do(ctx, func(ctx context.Context, tx *wtx) error {
		c, found, err := getConsent(ctx, tx, consentID)
		if err != nil {
			return fmt.Errorf("withdraw consent: %w", err)
		}
		if !found || c.ClientKey != clientKey {
			return fmt.Errorf("withdraw consent %s: %w", consentID, consent.ErrUnknownConsent)
		}
		if c.WithdrawnAt != nil {
			return nil // the first withdrawal counts
		}
		if _, err := tx.ExecContext(ctx, `UPDATE consents SET withdrawn_at = ?
			WHERE consent_id = ? AND withdrawn_at IS NULL`, storecore.Micros(at), consentID); err != nil {
			return fmt.Errorf("withdraw consent %s: update: %w", consentID, err)
		}
		if _, err := appendEntry(ctx, tx, now, a.String(), "", ledger.EventConsentWithdrawn,
			storecore.WithdrawDetail(c, at)); err != nil {
			return fmt.Errorf("withdraw consent %s: %w", consentID, err)
		}
		return nil
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
	return s.wr.do(ctx, func(ctx context.Context, tx *wtx) error {
		now := storecore.Now()
		var id int64
		err := tx.QueryRowContext(ctx, `INSERT INTO `+k.table+` (client_key, from_at, recorded_at)
			VALUES (?, ?, ?) ON CONFLICT (client_key, from_at) DO NOTHING RETURNING id`,
			clientKey, storecore.Micros(from), storecore.Micros(now)).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			return nil // already on record
		}
		if err != nil {
			return fmt.Errorf("%s: insert: %w", op, err)
		}
		if _, err := appendEntry(ctx, tx, now, a.String(), "", k.recorded, k.detail(id, from, nil)); err != nil {
			return fmt.Errorf("%s: %w", op, err)
		}
		return nil
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
	return s.wr.do(ctx, func(ctx context.Context, tx *wtx) error {
		rows, err := tx.QueryContext(ctx, `UPDATE `+k.table+` SET lifted_at = ?
			WHERE client_key = ? AND from_at <= ? AND lifted_at IS NULL RETURNING id, from_at`,
			storecore.Micros(at), clientKey, storecore.Micros(at))
		if err != nil {
			return fmt.Errorf("%s: update: %w", op, err)
		}
		type lifted struct {
			id   int64
			from int64
		}
		var ls []lifted
		for rows.Next() {
			var l lifted
			if err := rows.Scan(&l.id, &l.from); err != nil {
				rows.Close()
				return fmt.Errorf("%s: update: %w", op, err)
			}
			ls = append(ls, l)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("%s: update: %w", op, err)
		}
		now := storecore.Now()
		for _, l := range ls {
			if _, err := appendEntry(ctx, tx, now, a.String(), "", k.lifted,
				k.detail(l.id, storecore.FromMicros(l.from), &at)); err != nil {
				return fmt.Errorf("%s: %w", op, err)
			}
		}
		return nil
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
	return s.wr.do(ctx, func(ctx context.Context, tx *wtx) error {
		now := storecore.Now()
		res, err := tx.ExecContext(ctx, `INSERT INTO legal_representatives (client_key, recorded, updated_at)
			VALUES (?, ?, ?)
			ON CONFLICT (client_key) DO UPDATE SET recorded = excluded.recorded, updated_at = excluded.updated_at
			WHERE recorded <> excluded.recorded`, clientKey, recorded, storecore.Micros(now))
		if err != nil {
			return fmt.Errorf("set legal representative: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return fmt.Errorf("set legal representative: %w", err)
		} else if n == 0 {
			return nil // unchanged
		}
		if _, err := appendEntry(ctx, tx, now, a.String(), "", ledger.EventRepresentativeRecorded,
			storecore.RepresentativeDetail(recorded)); err != nil {
			return fmt.Errorf("set legal representative: %w", err)
		}
		return nil
	})
}
