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
	"github.com/sluis-gateway/sluis/internal/inbound"
	"github.com/sluis-gateway/sluis/internal/ledger"
	"github.com/sluis-gateway/sluis/internal/receipts"
	"github.com/sluis-gateway/sluis/internal/retention"
)

var _ retention.Store = (*Store)(nil)

// The register key (consent.RegisterKey: "municipality:client key") of
// alias's client_key column, split.
func regMunicipality(alias string) string {
	return `substr(` + alias + `.client_key, 1, instr(` + alias + `.client_key, ':') - 1)`
}

func regClient(alias string) string {
	return `substr(` + alias + `.client_key, instr(` + alias + `.client_key, ':') + 1)`
}

// consentEnded is when consent row c ended (withdrawn, used, the day after
// its period): the first of them; the largest integer when none.
const consentEnded = `min(COALESCE(c.withdrawn_at, 9223372036854775807), COALESCE(c.used_at, 9223372036854775807),
	COALESCE(c.valid_until + 86400000000, 9223372036854775807))`

func newQuery() *storecore.Query {
	return &storecore.Query{Time: func(t time.Time) any { return storecore.Micros(t) }}
}

// retainedOf appends: a disclosure d of the register row's client (alias
// r) that is not due at c.
func retainedOf(q *storecore.Query, r string, c retention.Cutoffs) *storecore.Query {
	q.Add(`SELECT 1 FROM disclosures d WHERE d.municipality = ` + regMunicipality(r) +
		` AND d.client_key = ` + regClient(r) + ` AND NOT `)
	return q.Due("d.standard", "d.created_at", c)
}

// RetentionDue implements retention.Store.
func (s *Store) RetentionDue(ctx context.Context, c retention.Cutoffs, after retention.Client, limit int) ([]retention.Client, error) {
	if err := storecore.CheckLimit(limit); err != nil {
		return nil, fmt.Errorf("retention due: %w", err)
	}
	q := newQuery()
	q.Add(`SELECT m, ck FROM (
		SELECT d.municipality AS m, d.client_key AS ck FROM disclosures d WHERE d.client_key <> '' AND `)
	q.Due("d.standard", "d.created_at", c)
	q.Add(` UNION SELECT ` + regMunicipality("c") + `, ` + regClient("c") + ` FROM consents c WHERE ` + consentEnded + ` <= `).Arg(c.Register)
	q.Add(` AND NOT EXISTS (`)
	retainedOf(q, "c", c)
	q.Add(` AND (d.disclosure_id = c.used_by OR EXISTS (SELECT 1 FROM ledger l WHERE l.disclosure_id = d.disclosure_id
		AND l.event = '` + ledger.StateEvent(string(receipts.Allowed)) + `'
		AND instr(',' || COALESCE(json_extract(l.detail, '$.consents'), '') || ',',
			',' || substr(c.consent_id, instr(c.consent_id, ':') + 1) || ',') > 0)))`)
	for _, table := range []string{"restrictions", "objections"} {
		q.Add(` UNION SELECT ` + regMunicipality("p") + `, ` + regClient("p") + ` FROM ` + table +
			` p WHERE p.lifted_at IS NOT NULL AND p.lifted_at <= `).Arg(c.Register)
	}
	q.Add(` UNION SELECT ` + regMunicipality("r") + `, ` + regClient("r") + ` FROM legal_representatives r
		WHERE r.updated_at <= `).Arg(c.Register)
	q.Add(` AND NOT EXISTS (SELECT 1 FROM disclosures d WHERE d.municipality = ` + regMunicipality("r") +
		` AND d.client_key = ` + regClient("r") + `)
		AND NOT EXISTS (SELECT 1 FROM consents x WHERE x.client_key = r.client_key)
		AND NOT EXISTS (SELECT 1 FROM restrictions x WHERE x.client_key = r.client_key)
		AND NOT EXISTS (SELECT 1 FROM objections x WHERE x.client_key = r.client_key)`)
	q.Add(`) WHERE ck <> '' AND (m > `).Arg(after.Municipality).Add(` OR (m = `).Arg(after.Municipality).
		Add(` AND ck > `).Arg(after.ClientKey).Add(`)) ORDER BY m, ck LIMIT `).Arg(limit)
	rows, err := s.r.QueryContext(ctx, q.String(), q.Args...)
	if err != nil {
		return nil, fmt.Errorf("retention due: %w", err)
	}
	defer rows.Close()
	var out []retention.Client
	for rows.Next() {
		var cl retention.Client
		if err := rows.Scan(&cl.Municipality, &cl.ClientKey); err != nil {
			return nil, fmt.Errorf("retention due: %w", err)
		}
		out = append(out, cl)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("retention due: %w", err)
	}
	return out, nil
}

// RetentionRegister implements retention.Store.
func (s *Store) RetentionRegister(ctx context.Context, c retention.Client) (retention.Register, error) {
	if err := storecore.CheckKey("client_key", c.ClientKey); err != nil {
		return retention.Register{}, fmt.Errorf("retention register: %w", err)
	}
	key := consent.RegisterKey(c.Municipality, c.ClientKey)
	tx, err := s.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return retention.Register{}, fmt.Errorf("retention register: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // read-only
	var reg retention.Register
	rows, err := tx.QueryContext(ctx, `SELECT consent_id, single_share, valid_until, used_by, used_at, withdrawn_at
		FROM consents WHERE client_key = ? ORDER BY seq`, key)
	if err != nil {
		return retention.Register{}, fmt.Errorf("retention register: consents: %w", err)
	}
	for rows.Next() {
		var (
			row                        retention.ConsentRow
			until, usedAt, withdrawnAt sql.NullInt64
			usedBy                     sql.NullString
		)
		if err := rows.Scan(&row.ID, &row.SingleShare, &until, &usedBy, &usedAt, &withdrawnAt); err != nil {
			rows.Close()
			return retention.Register{}, fmt.Errorf("retention register: consents: %w", err)
		}
		row.ValidUntil, row.UsedAt, row.WithdrawnAt = optTime(until), optTime(usedAt), optTime(withdrawnAt)
		row.UsedBy = usedBy.String
		reg.Consents = append(reg.Consents, row)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return retention.Register{}, fmt.Errorf("retention register: consents: %w", err)
	}
	for _, p := range []struct {
		table string
		out   *[]retention.Pause
	}{{"restrictions", &reg.Restrictions}, {"objections", &reg.Objections}} {
		if *p.out, err = readRetentionPauses(ctx, tx, p.table, key); err != nil {
			return retention.Register{}, fmt.Errorf("retention register: %s: %w", p.table, err)
		}
	}
	var (
		recorded bool
		updated  int64
	)
	err = tx.QueryRowContext(ctx, `SELECT recorded, updated_at FROM legal_representatives WHERE client_key = ?`, key).Scan(&recorded, &updated)
	switch {
	case err == nil:
		reg.Representative = &retention.Representative{Recorded: recorded, UpdatedAt: storecore.FromMicros(updated)}
	case !errors.Is(err, sql.ErrNoRows):
		return retention.Register{}, fmt.Errorf("retention register: legal representative: %w", err)
	}
	return reg, nil
}

func readRetentionPauses(ctx context.Context, tx *sql.Tx, table, key string) ([]retention.Pause, error) {
	rows, err := tx.QueryContext(ctx, `SELECT id, from_at, lifted_at FROM `+table+` WHERE client_key = ? ORDER BY from_at, id`, key)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []retention.Pause
	for rows.Next() {
		var (
			p      retention.Pause
			from   int64
			lifted sql.NullInt64
		)
		if err := rows.Scan(&p.ID, &from, &lifted); err != nil {
			return nil, err
		}
		p.From, p.LiftedAt = storecore.FromMicros(from), optTime(lifted)
		out = append(out, p)
	}
	return out, rows.Err()
}

func optTime(n sql.NullInt64) time.Time {
	if !n.Valid {
		return time.Time{}
	}
	return storecore.FromMicros(n.Int64)
}

// RetentionUnkeyed implements retention.Store.
func (s *Store) RetentionUnkeyed(ctx context.Context, c retention.Cutoffs, limit int) ([]receipts.Record, error) {
	if err := storecore.CheckLimit(limit); err != nil {
		return nil, fmt.Errorf("retention unkeyed: %w", err)
	}
	q := newQuery().Add(`SELECT ` + recordColumns + ` FROM disclosures WHERE client_key = '' AND `)
	q.Due("standard", "created_at", c).Add(` ORDER BY created_at, seq LIMIT `).Arg(limit)
	rows, err := s.r.QueryContext(ctx, q.String(), q.Args...)
	if err != nil {
		return nil, fmt.Errorf("retention unkeyed: %w", err)
	}
	defer rows.Close()
	var out []receipts.Record
	for rows.Next() {
		rec, err := scanRecord(rows)
		if err != nil {
			return nil, fmt.Errorf("retention unkeyed: %w", err)
		}
		out = append(out, rec)
	}
	return out, rows.Err()
}

// RetentionInbound implements retention.Store.
func (s *Store) RetentionInbound(ctx context.Context, c retention.Cutoffs, limit int) ([]inbound.Record, error) {
	if err := storecore.CheckLimit(limit); err != nil {
		return nil, fmt.Errorf("retention inbound: %w", err)
	}
	q := newQuery().Add(`SELECT ` + inboundColumns + ` FROM inbound_messages WHERE `)
	q.Due("standard", "received_at", c).Add(` ORDER BY received_at, inbound_id LIMIT `).Arg(limit)
	rows, err := s.r.QueryContext(ctx, q.String(), q.Args...)
	if err != nil {
		return nil, fmt.Errorf("retention inbound: %w", err)
	}
	defer rows.Close()
	var out []inbound.Record
	for rows.Next() {
		r, err := scanInbound(rows)
		if err != nil {
			return nil, fmt.Errorf("retention inbound: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// RetentionDestroy implements retention.Store, in one writer transaction.
func (s *Store) RetentionDestroy(ctx context.Context, d retention.Destruction) (retention.Destroyed, error) {
	a, err := actor.From(ctx)
	if err != nil {
		return retention.Destroyed{}, fmt.Errorf("retention destroy: %w", err)
	}
	if err := storecore.CheckDestruction(d); err != nil {
		return retention.Destroyed{}, fmt.Errorf("retention destroy: %w", err)
	}
	m, ck := d.Client.Municipality, d.Client.ClientKey
	key := consent.RegisterKey(m, ck)
	var out retention.Destroyed
	err = s.wr.do(ctx, func(ctx context.Context, tx *wtx) error {
		out = storecore.NewDestroyed()
		for _, id := range d.DisclosureIDs {
			var std string
			err := tx.QueryRowContext(ctx, `SELECT standard FROM disclosures WHERE disclosure_id = ? AND municipality = ? AND client_key = ?`,
				id, m, ck).Scan(&std)
			if errors.Is(err, sql.ErrNoRows) {
				continue // destroyed before, or not this client's
			}
			if err != nil {
				return fmt.Errorf("disclosure %s: %w", id, err)
			}
			n, err := execCount(ctx, tx, `DELETE FROM archive_entries WHERE disclosure_id = ? AND client_key = ?`, id, ck)
			if err != nil {
				return fmt.Errorf("archive entry %s: %w", id, err)
			}
			out.ArchivedMessages[std] += n
			if n, err = execCount(ctx, tx, `DELETE FROM review_items WHERE disclosure_id = ? AND municipality = ?`, id, m); err != nil {
				return fmt.Errorf("review items of %s: %w", id, err)
			}
			out.ReviewItems[std] += n
			if n, err = execCount(ctx, tx, `DELETE FROM disclosures WHERE disclosure_id = ?`, id); err != nil {
				return fmt.Errorf("disclosure %s: %w", id, err)
			}
			out.Disclosures[std] += n
		}
		if ck != "" {
			for _, id := range d.ConsentIDs {
				n, err := execCount(ctx, tx, `DELETE FROM consents WHERE consent_id = ? AND client_key = ?`, id, key)
				if err != nil {
					return fmt.Errorf("consent %s: %w", id, err)
				}
				out.Consents += n
			}
			for _, p := range []struct {
				table string
				ids   []int64
				n     *int
			}{{"restrictions", d.RestrictionIDs, &out.Restrictions}, {"objections", d.ObjectionIDs, &out.Objections}} {
				for _, id := range p.ids {
					n, err := execCount(ctx, tx, `DELETE FROM `+p.table+` WHERE id = ? AND client_key = ?`, id, key)
					if err != nil {
						return fmt.Errorf("%s %d: %w", p.table, id, err)
					}
					*p.n += n
				}
			}
			if d.Representative {
				n, err := execCount(ctx, tx, `DELETE FROM legal_representatives WHERE client_key = ?`, key)
				if err != nil {
					return fmt.Errorf("legal representative: %w", err)
				}
				out.Representative = n
			}
			var left int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM disclosures WHERE client_key = ?`, ck).Scan(&left); err != nil {
				return fmt.Errorf("disclosures left: %w", err)
			}
			if left == 0 {
				n, err := execCount(ctx, tx, `UPDATE archive_keys SET wrapped = X'', shredded_at = ?
					WHERE client_key = ? AND shredded_at IS NULL`, storecore.Micros(d.At), ck)
				if err != nil {
					return fmt.Errorf("shred: %w", err)
				}
				out.Shredded = n > 0
			}
		}
		for _, id := range d.InboundIDs {
			var std string
			err := tx.QueryRowContext(ctx, `SELECT standard FROM inbound_messages WHERE inbound_id = ? AND municipality = ?`, id, m).Scan(&std)
			if errors.Is(err, sql.ErrNoRows) {
				continue
			}
			if err != nil {
				return fmt.Errorf("inbound %s: %w", id, err)
			}
			n, err := execCount(ctx, tx, `DELETE FROM inbound_messages WHERE inbound_id = ?`, id)
			if err != nil {
				return fmt.Errorf("inbound %s: %w", id, err)
			}
			out.Inbound[std] += n
		}
		if !out.Any() {
			return nil
		}
		_, err := appendEntry(ctx, tx, storecore.Now(), a.String(), "", d.Event, storecore.DestroyDetail(d, out))
		return err
	})
	if err != nil {
		return retention.Destroyed{}, fmt.Errorf("retention destroy: %w", err)
	}
	return out, nil
}

func execCount(ctx context.Context, tx *wtx, query string, args ...any) (int, error) {
	res, err := tx.ExecContext(ctx, query, args...)
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// RetentionOverdue implements retention.Store.
func (s *Store) RetentionOverdue(ctx context.Context, c retention.Cutoffs) ([]retention.Overdue, error) {
	var out []retention.Overdue
	read := func(kind retention.Kind, q *storecore.Query) error {
		rows, err := s.r.QueryContext(ctx, q.String(), q.Args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var (
				o      retention.Overdue
				oldest int64
			)
			if err := rows.Scan(&o.Municipality, &o.Standard, &o.Records, &oldest); err != nil {
				return err
			}
			o.Kind, o.Oldest = kind, storecore.FromMicros(oldest)
			out = append(out, o)
		}
		return rows.Err()
	}
	q := newQuery().Add(`SELECT municipality, standard, COUNT(*), MIN(created_at) FROM disclosures WHERE `)
	q.Due("standard", "created_at", c).Add(` GROUP BY municipality, standard`)
	if err := read(retention.KindDisclosure, q); err != nil {
		return nil, fmt.Errorf("retention overdue: disclosures: %w", err)
	}
	q = newQuery().Add(`SELECT municipality, standard, COUNT(*), MIN(received_at) FROM inbound_messages WHERE `)
	q.Due("standard", "received_at", c).Add(` GROUP BY municipality, standard`)
	if err := read(retention.KindInbound, q); err != nil {
		return nil, fmt.Errorf("retention overdue: inbound: %w", err)
	}
	q = newQuery().Add(`SELECT m, '', COUNT(*), MIN(ended) FROM (
		SELECT ` + regMunicipality("c") + ` AS m, ` + consentEnded + ` AS ended FROM consents c WHERE ` + consentEnded + ` <= `).Arg(c.Register)
	q.Add(` AND NOT EXISTS (`)
	retainedOf(q, "c", c).Add(`)`)
	for _, table := range []string{"restrictions", "objections"} {
		q.Add(` UNION ALL SELECT ` + regMunicipality("p") + `, p.lifted_at FROM ` + table +
			` p WHERE p.lifted_at IS NOT NULL AND p.lifted_at <= `).Arg(c.Register)
	}
	q.Add(`) GROUP BY m`)
	if err := read(retention.KindRegister, q); err != nil {
		return nil, fmt.Errorf("retention overdue: register: %w", err)
	}
	return out, nil
}
