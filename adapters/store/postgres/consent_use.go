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

// ConsentRegister implements consent.UseStore: every consent of the client
// (withdrawn and used ones too) in the order recorded, every restriction
// (lifted ones too) by start, and the legal-representative flag, read in
// one snapshot. An unknown client has an empty register.
func (s *Store) ConsentRegister(ctx context.Context, clientKey string) (consent.Register, error) {
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return consent.Register{}, fmt.Errorf("consent register: begin: %w", err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // read-only

	var reg consent.Register
	rows, err := tx.Query(ctx, `SELECT `+consentColumns+` FROM consents WHERE client_key = $1 ORDER BY seq`, clientKey)
	if err != nil {
		return consent.Register{}, fmt.Errorf("consent register: consents: %w", err)
	}
	if reg.Consents, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (consent.Consent, error) {
		return scanConsent(r)
	}); err != nil {
		return consent.Register{}, fmt.Errorf("consent register: consents: %w", err)
	}
	if len(reg.Consents) == 0 {
		reg.Consents = nil
	}

	if reg.Restrictions, err = readPauses(ctx, tx, "restrictions", clientKey); err != nil {
		return consent.Register{}, fmt.Errorf("consent register: restrictions: %w", err)
	}
	objections, err := readPauses(ctx, tx, "objections", clientKey)
	if err != nil {
		return consent.Register{}, fmt.Errorf("consent register: objections: %w", err)
	}
	for _, o := range objections {
		reg.Objections = append(reg.Objections, consent.Objection(o))
	}

	err = tx.QueryRow(ctx, `SELECT recorded FROM legal_representatives WHERE client_key = $1`,
		clientKey).Scan(&reg.LegalRepresentativeRecorded)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return consent.Register{}, fmt.Errorf("consent register: legal representative: %w", err)
	}
	return reg, nil
}

// readPauses reads the client's restrictions or objections (table) by
// start; none is nil.
func readPauses(ctx context.Context, tx pgx.Tx, table, clientKey string) ([]consent.Restriction, error) {
	rows, err := tx.Query(ctx, `SELECT from_at, lifted_at FROM `+table+`
		WHERE client_key = $1 ORDER BY from_at, id`, clientKey)
	if err != nil {
		return nil, err
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (consent.Restriction, error) {
		var (
			from   time.Time
			lifted *time.Time
		)
		if err := r.Scan(&from, &lifted); err != nil {
			return consent.Restriction{}, err
		}
		out := consent.Restriction{ClientKey: clientKey, From: storecore.Trunc(from)}
		if lifted != nil {
			l := storecore.Trunc(*lifted)
			out.LiftedAt = &l
		}
		return out, nil
	})
	if len(out) == 0 {
		out = nil
	}
	return out, err
}

// UseConsents implements consent.UseStore. All or none: an unknown id
// (consent.ErrUnknownConsent), a consent that is not single-share
// (ErrBadArgument) or one used by another disclosure (consent.ErrConsentUsed)
// changes nothing. Safe across processes (see the comment at the top).
func (s *Store) UseConsents(ctx context.Context, disclosureID string, consentIDs []string) error {
	a, err := actor.From(ctx)
	if err != nil {
		return fmt.Errorf("use consents: %w", err)
	}
	if err := storecore.CheckKey("disclosure_id", disclosureID); err != nil {
		return fmt.Errorf("use consents: %w", err)
	}
	ids := storecore.UniqueIDs(consentIDs)
	for _, id := range ids {
		if err := storecore.CheckKey("consent_id", id); err != nil {
			return fmt.Errorf("use consents: %w", err)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	return s.change(ctx, "use consents for "+disclosureID, func(tx pgx.Tx) (bool, error) {
		// Locks in id order; FOR UPDATE re-reads a row another transaction
		// changed meanwhile, so used_by is current once locked.
		rows, err := tx.Query(ctx, `SELECT `+consentColumns+` FROM consents
			WHERE consent_id = ANY($1) ORDER BY consent_id FOR UPDATE`, ids)
		if err != nil {
			return false, fmt.Errorf("use consents: lock: %w", err)
		}
		cs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (consent.Consent, error) {
			return scanConsent(r)
		})
		if err != nil {
			return false, fmt.Errorf("use consents: lock: %w", err)
		}
		found := make(map[string]consent.Consent, len(cs))
		for _, c := range cs {
			found[c.ID] = c
		}
		mark, err := consent.PlanUse(disclosureID, ids, found)
		if err != nil || len(mark) == 0 {
			return false, storecore.UseError(err)
		}
		markIDs := make([]string, len(mark))
		for i, c := range mark {
			markIDs[i] = c.ID
		}
		now := storecore.Now()
		tag, err := tx.Exec(ctx, `UPDATE consents SET used_by = $1, used_at = $2
			WHERE consent_id = ANY($3) AND single_share AND (used_by IS NULL OR used_by = $1)`,
			disclosureID, now, markIDs)
		if err != nil {
			return false, fmt.Errorf("use consents for %s: update: %w", disclosureID, err)
		}
		if tag.RowsAffected() != int64(len(mark)) {
			// Cannot happen under the row locks; refuse rather than half-mark.
			return false, fmt.Errorf("use consents for %s: %d of %d marked: %w",
				disclosureID, tag.RowsAffected(), len(mark), consent.ErrConsentUsed)
		}
		for _, c := range mark {
			if err := journal(ctx, tx, now, a.String(), disclosureID, ledger.EventConsentUsed,
				storecore.ConsentDetail(c)); err != nil {
				return false, fmt.Errorf("use consent %s: %w", c.ID, err)
			}
		}
		return true, nil
	})
}
