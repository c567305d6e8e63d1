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
	"github.com/sluis-gateway/sluis/internal/inbound"
	"github.com/sluis-gateway/sluis/internal/ledger"
	"github.com/sluis-gateway/sluis/internal/receipts"
	"github.com/sluis-gateway/sluis/internal/retention"
)

var _ retention.Store = (*Store)(nil)

// The register key (consent.RegisterKey: "municipality:client key") of
// alias's client_key column, split.
func regMunicipality(alias string) string {
	return `substr(` + alias + `.client_key, 1, strpos(` + alias + `.client_key, ':') - 1)`
}

func regClient(alias string) string {
	return `substr(` + alias + `.client_key, strpos(` + alias + `.client_key, ':') + 1)`
}

// consentEnded is when consent row c ended (withdrawn, used, the day after
// its period): the first of them (LEAST skips NULLs); NULL when none.
const consentEnded = `LEAST(c.withdrawn_at, c.used_at, c.valid_until + interval '1 day')`

func newQuery() *storecore.Query {
	return &storecore.Query{Dollar: true, Time: func(t time.Time) any { return storecore.Trunc(t) }}
}

// retainedOf appends: a disclosure d of the register row's client (alias
// r) that is not due at c.
func retainedOf(q *storecore.Query, r string, c retention.Cutoffs) *storecore.Query {
	q.Add(`SELECT 1 FROM disclosures d WHERE d.municipality = ` + regMunicipality(r) +
		` AND d.client_key = ` + regClient(r) + ` AND NOT `)
	return q.Due("d.standard", "d.created_at", c)
}

// RetentionDue implements retention.Store. It seals the ledger first, so
// the state:allowed entries it reads are chained.
func (s *Store) RetentionDue(ctx context.Context, c retention.Cutoffs, after retention.Client, limit int) ([]retention.Client, error) {
	if err := storecore.CheckLimit(limit); err != nil {
		return nil, fmt.Errorf("retention due: %w", err)
	}
	if err := s.seal(ctx); err != nil {
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
		AND strpos(',' || COALESCE(l.detail->>'consents', '') || ',',
			',' || substr(c.consent_id, strpos(c.consent_id, ':') + 1) || ',') > 0)))`)
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
	q.Add(`) AS due WHERE ck <> '' AND (m COLLATE "C" > `).Arg(after.Municipality).Add(`::text OR (m = `).Arg(after.Municipality).
		Add(`::text AND ck COLLATE "C" > `).Arg(after.ClientKey).Add(`::text)) ORDER BY m COLLATE "C", ck COLLATE "C" LIMIT `).Arg(limit)
	rows, err := s.pool.Query(ctx, q.String(), q.Args...)
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

// RetentionRegister implements retention.Store, in one snapshot.
func (s *Store) RetentionRegister(ctx context.Context, c retention.Client) (retention.Register, error) {
	if err := storecore.CheckKey("client_key", c.ClientKey); err != nil {
		return retention.Register{}, fmt.Errorf("retention register: %w", err)
	}
	key := consent.RegisterKey(c.Municipality, c.ClientKey)
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return retention.Register{}, fmt.Errorf("retention register: %w", err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // read-only
	var reg retention.Register
	rows, err := tx.Query(ctx, `SELECT consent_id, single_share, valid_until, used_by, used_at, withdrawn_at
		FROM consents WHERE client_key = $1 ORDER BY seq`, key)
	if err != nil {
		return retention.Register{}, fmt.Errorf("retention register: consents: %w", err)
	}
	for rows.Next() {
		var (
			row                        retention.ConsentRow
			until, usedAt, withdrawnAt *time.Time
			usedBy                     *string
		)
		if err := rows.Scan(&row.ID, &row.SingleShare, &until, &usedBy, &usedAt, &withdrawnAt); err != nil {
			rows.Close()
			return retention.Register{}, fmt.Errorf("retention register: consents: %w", err)
		}
		row.ValidUntil, row.UsedAt, row.WithdrawnAt = optTime(until), optTime(usedAt), optTime(withdrawnAt)
		if usedBy != nil {
			row.UsedBy = *usedBy
		}
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
	var rep retention.Representative
	err = tx.QueryRow(ctx, `SELECT recorded, updated_at FROM legal_representatives WHERE client_key = $1`, key).Scan(&rep.Recorded, &rep.UpdatedAt)
	switch {
	case err == nil:
		rep.UpdatedAt = storecore.Trunc(rep.UpdatedAt)
		reg.Representative = &rep
	case !errors.Is(err, pgx.ErrNoRows):
		return retention.Register{}, fmt.Errorf("retention register: legal representative: %w", err)
	}
	return reg, nil
}

func readRetentionPauses(ctx context.Context, tx pgx.Tx, table, key string) ([]retention.Pause, error) {
	rows, err := tx.Query(ctx, `SELECT id, from_at, lifted_at FROM `+table+` WHERE client_key = $1 ORDER BY from_at, id`, key)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []retention.Pause
	for rows.Next() {
		var (
			p      retention.Pause
			lifted *time.Time
		)
		if err := rows.Scan(&p.ID, &p.From, &lifted); err != nil {
			return nil, err
		}
		p.From, p.LiftedAt = storecore.Trunc(p.From), optTime(lifted)
		out = append(out, p)
	}
	return out, rows.Err()
}

func optTime(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return storecore.Trunc(*t)
}

// RetentionUnkeyed implements retention.Store.
func (s *Store) RetentionUnkeyed(ctx context.Context, c retention.Cutoffs, limit int) ([]receipts.Record, error) {
	if err := storecore.CheckLimit(limit); err != nil {
		return nil, fmt.Errorf("retention unkeyed: %w", err)
	}
	q := newQuery().Add(`SELECT ` + recordColumns + ` FROM disclosures WHERE client_key = '' AND `)
	q.Due("standard", "created_at", c).Add(` ORDER BY created_at, seq LIMIT `).Arg(limit)
	rows, err := s.pool.Query(ctx, q.String(), q.Args...)
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
	rows, err := s.pool.Query(ctx, q.String(), q.Args...)
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

// RetentionDestroy implements retention.Store, in one transaction. The
// rows are locked as they are deleted, so two processes destroying the
// same client delete each row once; the one that finds nothing left
// writes no entry.
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
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{})
	if err != nil {
		return retention.Destroyed{}, fmt.Errorf("retention destroy: begin: %w", err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // after Commit this is a no-op
	out := storecore.NewDestroyed()
	count := func(query string, args ...any) (int, error) {
		tag, err := tx.Exec(ctx, query, args...)
		if err != nil {
			return 0, err
		}
		return int(tag.RowsAffected()), nil
	}
	for _, id := range d.DisclosureIDs {
		var std string
		err := tx.QueryRow(ctx, `DELETE FROM disclosures WHERE disclosure_id = $1 AND municipality = $2 AND client_key = $3
			RETURNING standard`, id, m, ck).Scan(&std)
		if errors.Is(err, pgx.ErrNoRows) {
			continue // destroyed before, or not this client's
		}
		if err != nil {
			return retention.Destroyed{}, fmt.Errorf("retention destroy: disclosure %s: %w", id, err)
		}
		out.Disclosures[std]++
		n, err := count(`DELETE FROM archive_entries WHERE disclosure_id = $1 AND client_key = $2`, id, ck)
		if err != nil {
			return retention.Destroyed{}, fmt.Errorf("retention destroy: archive entry %s: %w", id, err)
		}
		out.ArchivedMessages[std] += n
		if n, err = count(`DELETE FROM review_items WHERE disclosure_id = $1 AND municipality = $2`, id, m); err != nil {
			return retention.Destroyed{}, fmt.Errorf("retention destroy: review items of %s: %w", id, err)
		}
		out.ReviewItems[std] += n
	}
	if ck != "" {
		for _, id := range d.ConsentIDs {
			n, err := count(`DELETE FROM consents WHERE consent_id = $1 AND client_key = $2`, id, key)
			if err != nil {
				return retention.Destroyed{}, fmt.Errorf("retention destroy: consent %s: %w", id, err)
			}
			out.Consents += n
		}
		for _, p := range []struct {
			table string
			ids   []int64
			n     *int
		}{{"restrictions", d.RestrictionIDs, &out.Restrictions}, {"objections", d.ObjectionIDs, &out.Objections}} {
			for _, id := range p.ids {
				n, err := count(`DELETE FROM `+p.table+` WHERE id = $1 AND client_key = $2`, id, key)
				if err != nil {
					return retention.Destroyed{}, fmt.Errorf("retention destroy: %s %d: %w", p.table, id, err)
				}
				*p.n += n
			}
		}
		if d.Representative {
			if out.Representative, err = count(`DELETE FROM legal_representatives WHERE client_key = $1`, key); err != nil {
				return retention.Destroyed{}, fmt.Errorf("retention destroy: legal representative: %w", err)
			}
		}
		var left bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM disclosures WHERE client_key = $1)`, ck).Scan(&left); err != nil {
			return retention.Destroyed{}, fmt.Errorf("retention destroy: disclosures left: %w", err)
		}
		if !left {
			n, err := count(`UPDATE archive_keys SET wrapped = ''::bytea, shredded_at = $1
				WHERE client_key = $2 AND shredded_at IS NULL`, storecore.Trunc(d.At), ck)
			if err != nil {
				return retention.Destroyed{}, fmt.Errorf("retention destroy: shred: %w", err)
			}
			out.Shredded = n > 0
		}
	}
	for _, id := range d.InboundIDs {
		var std string
		err := tx.QueryRow(ctx, `DELETE FROM inbound_messages WHERE inbound_id = $1 AND municipality = $2 RETURNING standard`,
			id, m).Scan(&std)
		if errors.Is(err, pgx.ErrNoRows) {
			continue
		}
		if err != nil {
			return retention.Destroyed{}, fmt.Errorf("retention destroy: inbound %s: %w", id, err)
		}
		out.Inbound[std]++
	}
	if !out.Any() {
		return out, nil
	}
	if err := journal(ctx, tx, storecore.Now(), a.String(), "", d.Event, storecore.DestroyDetail(d, out)); err != nil {
		return retention.Destroyed{}, fmt.Errorf("retention destroy: %w", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return retention.Destroyed{}, fmt.Errorf("retention destroy: commit: %w", err)
	}
	s.sealer.wake()
	return out, nil
}

// RetentionOverdue implements retention.Store.
func (s *Store) RetentionOverdue(ctx context.Context, c retention.Cutoffs) ([]retention.Overdue, error) {
	var out []retention.Overdue
	read := func(kind retention.Kind, q *storecore.Query) error {
		rows, err := s.pool.Query(ctx, q.String(), q.Args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var o retention.Overdue
			if err := rows.Scan(&o.Municipality, &o.Standard, &o.Records, &o.Oldest); err != nil {
				return err
			}
			o.Kind, o.Oldest = kind, storecore.Trunc(o.Oldest)
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
	q.Add(`) AS reg GROUP BY m`)
	if err := read(retention.KindRegister, q); err != nil {
		return nil, fmt.Errorf("retention overdue: register: %w", err)
	}
	return out, nil
}
