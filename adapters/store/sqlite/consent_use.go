package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/sluis-gateway/sluis/adapters/store/internal/storecore"
	"github.com/sluis-gateway/sluis/internal/actor"
	"github.com/sluis-gateway/sluis/internal/consent"
	"github.com/sluis-gateway/sluis/internal/ledger"
)

// The queries of ConsentRegister, prepared once on the readers (the
// screener runs them for every disclosure).
const (
	qRegisterConsents = `SELECT ` + consentColumns + ` FROM consents
		WHERE client_key = ? ORDER BY seq`
	qRegisterRestrictions   = `SELECT from_at, lifted_at FROM restrictions WHERE client_key = ? ORDER BY from_at, id`
	qRegisterRepresentative = `SELECT recorded FROM legal_representatives WHERE client_key = ?`
	qRegisterObjections     = `SELECT from_at, lifted_at FROM objections WHERE client_key = ? ORDER BY from_at, id`
)

// ConsentRegister implements consent.UseStore: every consent of the client
// (withdrawn and used ones too) in the order recorded, every restriction
// (lifted ones too) by start, and the legal-representative flag, read in
// one snapshot. An unknown client has an empty register.
func (s *Store) ConsentRegister(ctx context.Context, clientKey string) (consent.Register, error) {
	tx, err := s.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return consent.Register{}, fmt.Errorf("consent register: begin: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // read-only
	var reg consent.Register
	rows, err := s.readStmt(ctx, tx, qRegisterConsents).QueryContext(ctx, clientKey)
	if err != nil {
		return consent.Register{}, fmt.Errorf("consent register: consents: %w", err)
	}
	for rows.Next() {
		c, err := scanConsent(rows)
		if err != nil {
			rows.Close()
			return consent.Register{}, fmt.Errorf("consent register: %w", err)
		}
		reg.Consents = append(reg.Consents, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return consent.Register{}, fmt.Errorf("consent register: consents: %w", err)
	}

	if reg.Restrictions, err = s.readPauses(ctx, tx, qRegisterRestrictions, clientKey); err != nil {
		return consent.Register{}, fmt.Errorf("consent register: restrictions: %w", err)
	}
	objections, err := s.readPauses(ctx, tx, qRegisterObjections, clientKey)
	if err != nil {
		return consent.Register{}, fmt.Errorf("consent register: objections: %w", err)
	}
	for _, o := range objections {
		reg.Objections = append(reg.Objections, consent.Objection(o))
	}

	err = s.readStmt(ctx, tx, qRegisterRepresentative).QueryRowContext(ctx, clientKey).Scan(&reg.LegalRepresentativeRecorded)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return consent.Register{}, fmt.Errorf("consent register: legal representative: %w", err)
	}
	return reg, nil
}

// readPauses reads restrictions or objections (query) of the client by
// start; none is nil.
func (s *Store) readPauses(ctx context.Context, tx *sql.Tx, query, clientKey string) ([]consent.Restriction, error) {
	rows, err := s.readStmt(ctx, tx, query).QueryContext(ctx, clientKey)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []consent.Restriction
	for rows.Next() {
		var (
			from   int64
			lifted sql.NullInt64
		)
		if err := rows.Scan(&from, &lifted); err != nil {
			return nil, err
		}
		r := consent.Restriction{ClientKey: clientKey, From: storecore.FromMicros(from)}
		if lifted.Valid {
			l := storecore.FromMicros(lifted.Int64)
			r.LiftedAt = &l
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// UseConsents implements consent.UseStore. All or none: an unknown id
// (consent.ErrUnknownConsent), a consent that is not single-share
// (ErrBadArgument) or one used by another disclosure (consent.ErrConsentUsed)
// changes nothing. The single writer serialises concurrent callers; BEGIN
// IMMEDIATE serialises processes.
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
	return s.wr.do(ctx, func(ctx context.Context, tx *wtx) error {
		found := make(map[string]consent.Consent, len(ids))
		for _, id := range ids {
			c, ok, err := getConsent(ctx, tx, id)
			if err != nil {
				return fmt.Errorf("use consents: %w", err)
			}
			if ok {
				found[id] = c
			}
		}
		mark, err := consent.PlanUse(disclosureID, ids, found)
		if err != nil {
			return storecore.UseError(err)
		}
		now := storecore.Now()
		for _, c := range mark {
			res, err := tx.ExecContext(ctx, `UPDATE consents SET used_by = ?, used_at = ?
				WHERE consent_id = ? AND single_share AND used_by IS NULL`,
				disclosureID, storecore.Micros(now), c.ID)
			if err != nil {
				return fmt.Errorf("use consent %s: %w", c.ID, err)
			}
			if n, err := res.RowsAffected(); err != nil || n != 1 {
				return fmt.Errorf("use consent %s for %s: %w", c.ID, disclosureID,
					errors.Join(consent.ErrConsentUsed, err))
			}
			if _, err := appendEntry(ctx, tx, now, a.String(), disclosureID, ledger.EventConsentUsed,
				storecore.ConsentDetail(c)); err != nil {
				return fmt.Errorf("use consent %s: %w", c.ID, err)
			}
		}
		return nil
	})
}
