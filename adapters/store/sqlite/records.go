package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/sluis-gateway/sluis/adapters/store/internal/storecore"
	"github.com/sluis-gateway/sluis/internal/actor"
	"github.com/sluis-gateway/sluis/internal/ledger"
	"github.com/sluis-gateway/sluis/internal/receipts"
)

const recordColumns = `disclosure_id, municipality, system, recipient, standard, message_type,
	purpose, basis, client_key, request_hash, state, identificatie, message_id, reason,
	reason_codes, retour_codes, state_times, created_at, updated_at, status_seq, announced_seq`

// The writer's statements, prepared once (see writeQueries).
const (
	qGetRecord         = `SELECT ` + recordColumns + ` FROM disclosures WHERE disclosure_id = ?`
	qNextIdentificatie = `INSERT INTO identificatie_counters (municipality, message_type, last)
		VALUES (?, ?, 1)
		ON CONFLICT (municipality, message_type) DO UPDATE SET last = last + 1
		RETURNING last`
	qInsertDisclosure = `INSERT INTO disclosures (` + recordColumns + `, state_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	qUpdateDisclosure = `UPDATE disclosures SET state = ?, reason = ?, reason_codes = ?,
		retour_codes = ?, state_times = ?, state_at = ?, updated_at = ?, status_seq = ? WHERE disclosure_id = ?`
	qCountInvalid = `INSERT INTO invalid_windows (principal, window_start, count) VALUES (?, ?, 1)
		ON CONFLICT (principal, window_start) DO UPDATE SET count = count + 1
		RETURNING count`
	qClaim = `UPDATE disclosures SET claimed_by = ?, claimed_until = ?
		WHERE disclosure_id = ? AND (claimed_by = '' OR claimed_by = ? OR claimed_until < ?)`
	qReleaseClaim = `UPDATE disclosures SET announced_seq = MAX(announced_seq, ?),
		claimed_until = CASE WHEN claimed_by = ? THEN 0 ELSE claimed_until END,
		claimed_by = CASE WHEN claimed_by = ? THEN '' ELSE claimed_by END
		WHERE disclosure_id = ?`
	qMarkAnnounced = `UPDATE disclosures SET announced_seq = MAX(announced_seq, ?) WHERE disclosure_id = ?`
	qInsertInvalid = `INSERT INTO invalid_requests
		(disclosure_id, municipality, system, reason, received_at, actor) VALUES (?, ?, ?, ?, ?, ?)`
	qLedgerHead  = `SELECT seq, hash FROM ledger_head WHERE id = 1`
	qInsertEntry = `INSERT INTO ledger
		(seq, at, actor, disclosure_id, event, detail, prev_hash, hash, scheme, salts) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	qMoveHead = `UPDATE ledger_head SET seq = ?, hash = ? WHERE id = 1`
)

var writeQueries = []string{
	qGetRecord, qNextIdentificatie, qInsertDisclosure, qUpdateDisclosure, qInsertInvalid,
	qCountInvalid, qClaim, qReleaseClaim, qMarkAnnounced,
	qLedgerHead, qInsertEntry, qMoveHead, qSavepoint, qRollbackTo, qRelease,
	qArchiveInsKey, qArchiveInsEntry, qArchiveLiveKey, qArchiveEntry,
}

type scanner interface{ Scan(dest ...any) error }

func scanRecord(row scanner) (receipts.Record, error) {
	var (
		r                            receipts.Record
		state, reasonCodes, retCodes string
		stateTimes                   string
		created, updated             int64
	)
	err := row.Scan(&r.DisclosureID, &r.Municipality, &r.System, &r.Recipient, &r.Standard,
		&r.MessageType, &r.Purpose, &r.Basis, &r.ClientKey, &r.RequestHash, &state,
		&r.Identificatie, &r.MessageID, &r.Reason, &reasonCodes, &retCodes, &stateTimes,
		&created, &updated, &r.Sequence, &r.Announced)
	if err != nil {
		return receipts.Record{}, err
	}
	r.State = receipts.State(state)
	if r.ReasonCodes, err = storecore.DecodeCodes(reasonCodes); err != nil {
		return receipts.Record{}, err
	}
	if r.RetourCodes, err = storecore.DecodeCodes(retCodes); err != nil {
		return receipts.Record{}, err
	}
	if r.At, err = storecore.DecodeAt(stateTimes); err != nil {
		return receipts.Record{}, err
	}
	r.CreatedAt = storecore.FromMicros(created)
	r.UpdatedAt = storecore.FromMicros(updated)
	return r, nil
}

func getRecord(ctx context.Context, q queryer, disclosureID string) (receipts.Record, error) {
	rec, err := scanRecord(q.QueryRowContext(ctx, qGetRecord, disclosureID))
	if errors.Is(err, sql.ErrNoRows) {
		return receipts.Record{}, fmt.Errorf("disclosure %s: %w", disclosureID, receipts.ErrNotFound)
	}
	if err != nil {
		return receipts.Record{}, fmt.Errorf("get disclosure %s: %w", disclosureID, err)
	}
	return rec, nil
}

// Register implements receipts.Store.
func (s *Store) Register(ctx context.Context, r receipts.Record) (receipts.Record, bool, error) {
	a, err := actor.From(ctx)
	if err != nil {
		return receipts.Record{}, false, fmt.Errorf("register: %w", err)
	}
	if err := storecore.CheckRecord(r); err != nil {
		return receipts.Record{}, false, fmt.Errorf("register: %w", err)
	}
	var (
		out     receipts.Record
		created bool
	)
	err = s.wr.do(ctx, func(ctx context.Context, tx *wtx) error {
		var err error
		out, created, err = registerTx(ctx, tx, a, r)
		return err
	})
	if err != nil {
		return receipts.Record{}, false, err
	}
	return out, created, nil
}

// registerTx registers r in tx (Register's write). An error matching
// receipts.ErrConflict comes before anything was written.
func registerTx(ctx context.Context, tx *wtx, a actor.Actor, r receipts.Record) (receipts.Record, bool, error) {
	existing, err := getRecord(ctx, tx, r.DisclosureID)
	switch {
	case err == nil:
		if existing.RequestHash != r.RequestHash {
			return receipts.Record{}, false, fmt.Errorf("register %s: %w", r.DisclosureID, receipts.ErrConflict)
		}
		return existing, false, nil
	case !errors.Is(err, receipts.ErrNotFound):
		return receipts.Record{}, false, fmt.Errorf("register: %w", err)
	}

	var n int64
	if err := tx.QueryRowContext(ctx, qNextIdentificatie, r.Municipality, r.MessageType).Scan(&n); err != nil {
		return receipts.Record{}, false, fmt.Errorf("register %s: allocate identificatie: %w", r.DisclosureID, err)
	}
	ident, err := storecore.Identificatie(n)
	if err != nil {
		return receipts.Record{}, false, fmt.Errorf("register %s: %w", r.DisclosureID, err)
	}

	now := storecore.Now()
	rec := r
	rec.State = receipts.Received
	rec.Sequence, rec.Announced = 1, 0
	rec.Identificatie = ident
	rec.MessageID = receipts.MessageID(r.MessageType, r.Municipality, ident)
	rec.Reason, rec.ReasonCodes, rec.RetourCodes = "", nil, nil
	rec.At = map[receipts.State]time.Time{receipts.Received: now}
	rec.CreatedAt, rec.UpdatedAt = now, now

	if _, err := tx.ExecContext(ctx, qInsertDisclosure,
		rec.DisclosureID, rec.Municipality, rec.System, rec.Recipient, rec.Standard, rec.MessageType,
		rec.Purpose, rec.Basis, rec.ClientKey, rec.RequestHash, string(rec.State), rec.Identificatie,
		rec.MessageID, rec.Reason, storecore.EncodeCodes(nil), storecore.EncodeCodes(nil),
		storecore.EncodeAt(rec.At), storecore.Micros(now), storecore.Micros(now), rec.Sequence, rec.Announced,
		storecore.Micros(now)); err != nil {
		return receipts.Record{}, false, fmt.Errorf("register %s: insert: %w", r.DisclosureID, err)
	}
	if _, err := appendEntry(ctx, tx, now, a.String(), rec.DisclosureID,
		ledger.StateEvent(string(receipts.Received)), storecore.RegisterDetail(rec)); err != nil {
		return receipts.Record{}, false, fmt.Errorf("register %s: %w", r.DisclosureID, err)
	}
	return rec, true, nil
}

// Move implements receipts.Store.
func (s *Store) Move(ctx context.Context, disclosureID string, c receipts.Change) (receipts.Record, error) {
	recs, err := s.MoveAll(ctx, disclosureID, c)
	if err != nil {
		return receipts.Record{}, err
	}
	return recs[0], nil
}

// MoveAll implements receipts.Store: the changes are one write, so they
// cost the writer one record read and one savepoint however many there are.
func (s *Store) MoveAll(ctx context.Context, disclosureID string, cs ...receipts.Change) ([]receipts.Record, error) {
	a, err := actor.From(ctx)
	if err != nil {
		return nil, fmt.Errorf("move %s: %w", disclosureID, err)
	}
	if err := storecore.CheckChanges(cs); err != nil {
		return nil, fmt.Errorf("move %s: %w", disclosureID, err)
	}
	var out []receipts.Record
	err = s.wr.do(ctx, func(ctx context.Context, tx *wtx) error {
		recs, itemErr, err := moveTx(ctx, tx, a, disclosureID, cs)
		if err == nil {
			err = itemErr
		}
		out = recs
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// moveTx applies MoveAll's changes in tx. itemErr (the record is not
// there, a change not allowed) comes before anything was written; err is
// a failed write.
func moveTx(ctx context.Context, tx *wtx, a actor.Actor, disclosureID string, cs []receipts.Change) (out []receipts.Record, itemErr, err error) {
	rec, err := getRecord(ctx, tx, disclosureID)
	if errors.Is(err, receipts.ErrNotFound) {
		return nil, fmt.Errorf("move: %w", err), nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("move: %w", err)
	}
	now := storecore.Now()
	recs, err := receipts.ApplyAll(disclosureID, rec, storecore.TruncChanges(cs), now)
	if err != nil {
		return nil, err, nil
	}
	last := recs[len(recs)-1]
	if _, err := tx.ExecContext(ctx, qUpdateDisclosure,
		string(last.State), last.Reason, storecore.EncodeCodes(last.ReasonCodes),
		storecore.EncodeCodes(last.RetourCodes), storecore.EncodeAt(last.At), storecore.Micros(last.At[last.State]),
		storecore.Micros(now), last.Sequence, disclosureID); err != nil {
		return nil, nil, fmt.Errorf("move %s: update: %w", disclosureID, err)
	}
	from := rec.State
	for i, c := range cs {
		if _, err := appendEntry(ctx, tx, now, a.String(), disclosureID, ledger.StateEvent(string(c.To)),
			storecore.MoveDetail(from, c)); err != nil {
			return nil, nil, fmt.Errorf("move %s: %w", disclosureID, err)
		}
		from = recs[i].State
	}
	return recs, nil, nil
}

// Get implements receipts.Store.
func (s *Store) Get(ctx context.Context, disclosureID string) (receipts.Record, error) {
	return getRecord(ctx, s.r, disclosureID)
}

// ByIdentificatie implements receipts.Store.
func (s *Store) ByIdentificatie(ctx context.Context, municipality, messageType, identificatie string) (receipts.Record, error) {
	rec, err := scanRecord(s.r.QueryRowContext(ctx, `SELECT `+recordColumns+` FROM disclosures
		WHERE municipality = ? AND message_type = ? AND identificatie = ?`,
		municipality, messageType, identificatie))
	if errors.Is(err, sql.ErrNoRows) {
		return receipts.Record{}, fmt.Errorf("identificatie %s/%s/%s: %w", municipality, messageType, identificatie, receipts.ErrNotFound)
	}
	if err != nil {
		return receipts.Record{}, fmt.Errorf("by identificatie: %w", err)
	}
	return rec, nil
}

// InState implements receipts.Store. Ties in time are broken by
// registration order.
func (s *Store) InState(ctx context.Context, st receipts.State, before time.Time, limit int) ([]receipts.Record, error) {
	if err := storecore.CheckLimit(limit); err != nil {
		return nil, fmt.Errorf("in state: %w", err)
	}
	rows, err := s.r.QueryContext(ctx, `SELECT `+recordColumns+` FROM disclosures
		WHERE state = ? AND state_at < ? ORDER BY state_at, seq LIMIT ?`,
		string(st), storecore.Micros(before), limit)
	if err != nil {
		return nil, fmt.Errorf("in state %s: %w", st, err)
	}
	defer rows.Close()
	var out []receipts.Record
	for rows.Next() {
		rec, err := scanRecord(rows)
		if err != nil {
			return nil, fmt.Errorf("in state %s: %w", st, err)
		}
		out = append(out, rec)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("in state %s: %w", st, err)
	}
	return out, nil
}

// RecordInvalid implements receipts.Store. A zero ReceivedAt means now.
func (s *Store) RecordInvalid(ctx context.Context, r receipts.InvalidRequest) error {
	a, err := actor.From(ctx)
	if err != nil {
		return fmt.Errorf("record invalid: %w", err)
	}
	if err := storecore.CheckInvalid(r); err != nil {
		return fmt.Errorf("record invalid: %w", err)
	}
	now := storecore.Now()
	received := now
	if !r.ReceivedAt.IsZero() {
		received = storecore.Trunc(r.ReceivedAt)
	}
	window := storecore.InvalidWindowStart(received)
	return s.wr.do(ctx, func(ctx context.Context, tx *wtx) error {
		var n int64
		if err := tx.QueryRowContext(ctx, qCountInvalid, storecore.Principal(a), storecore.Micros(window)).Scan(&n); err != nil {
			return fmt.Errorf("record invalid: count: %w", err)
		}
		switch {
		case n <= receipts.InvalidRecordedPerWindow:
			if _, err := tx.ExecContext(ctx, qInsertInvalid,
				r.DisclosureID, r.Municipality, r.System, r.Reason, storecore.Micros(received), a.String()); err != nil {
				return fmt.Errorf("record invalid: insert: %w", err)
			}
			if _, err := appendEntry(ctx, tx, now, a.String(), storecore.InvalidLedgerID(r), storecore.InvalidEvent(r),
				storecore.InvalidDetail(r)); err != nil {
				return fmt.Errorf("record invalid: %w", err)
			}
		case n == receipts.InvalidRecordedPerWindow+1:
			if _, err := appendEntry(ctx, tx, now, a.String(), "", ledger.EventIntakeInvalidOverflow,
				storecore.OverflowDetail(window)); err != nil {
				return fmt.Errorf("record invalid: %w", err)
			}
		}
		return nil
	})
}

// InvalidCount implements receipts.Store.
func (s *Store) InvalidCount(ctx context.Context, principal string, windowStart time.Time) (int64, error) {
	var n int64
	err := s.r.QueryRowContext(ctx, `SELECT count FROM invalid_windows WHERE principal = ? AND window_start = ?`,
		principal, storecore.Micros(storecore.InvalidWindowStart(windowStart))).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("invalid count: %w", err)
	}
	return n, nil
}

// Claim implements receipts.Claimer: checked and taken in one writer op.
func (s *Store) Claim(ctx context.Context, disclosureID, owner string, until time.Time) (receipts.Record, error) {
	if err := storecore.CheckClaim(disclosureID, owner); err != nil {
		return receipts.Record{}, fmt.Errorf("claim: %w", err)
	}
	var out receipts.Record
	err := s.wr.do(ctx, func(ctx context.Context, tx *wtx) error {
		rec, itemErr, err := claimTx(ctx, tx, disclosureID, owner, until)
		if err == nil {
			err = itemErr
		}
		out = rec
		return err
	})
	if err != nil {
		return receipts.Record{}, err
	}
	return out, nil
}

// claimTx is Claim's write in tx; itemErr (ErrClaimed, ErrNotFound) means
// nothing was changed, err a failed statement.
func claimTx(ctx context.Context, tx *wtx, disclosureID, owner string, until time.Time) (rec receipts.Record, itemErr, err error) {
	res, err := tx.ExecContext(ctx, qClaim, owner, storecore.Micros(until), disclosureID, owner,
		storecore.Micros(storecore.Now()))
	if err != nil {
		return receipts.Record{}, nil, fmt.Errorf("claim %s: %w", disclosureID, err)
	}
	rec, err = getRecord(ctx, tx, disclosureID)
	if errors.Is(err, receipts.ErrNotFound) {
		return receipts.Record{}, fmt.Errorf("claim: %w", err), nil
	}
	if err != nil {
		return receipts.Record{}, nil, fmt.Errorf("claim: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return receipts.Record{}, fmt.Errorf("claim %s: %w", disclosureID, receipts.ErrClaimed), nil
	}
	return rec, nil, nil
}

// Release implements receipts.Claimer.
func (s *Store) Release(ctx context.Context, disclosureID, owner string, announced int64) error {
	if err := storecore.CheckClaim(disclosureID, owner); err != nil {
		return fmt.Errorf("release: %w", err)
	}
	return s.wr.do(ctx, func(ctx context.Context, tx *wtx) error {
		if _, err := tx.ExecContext(ctx, qReleaseClaim, announced, owner, owner, disclosureID); err != nil {
			return fmt.Errorf("release %s: %w", disclosureID, err)
		}
		return nil
	})
}

// MarkAnnounced implements receipts.Claimer.
func (s *Store) MarkAnnounced(ctx context.Context, disclosureID string, seq int64) error {
	return s.wr.do(ctx, func(ctx context.Context, tx *wtx) error {
		res, err := tx.ExecContext(ctx, qMarkAnnounced, seq, disclosureID)
		if err != nil {
			return fmt.Errorf("mark announced %s: %w", disclosureID, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("mark announced: disclosure %s: %w", disclosureID, receipts.ErrNotFound)
		}
		return nil
	})
}

// CountByState implements receipts.Store. Every known state is present,
// with 0 when no disclosure is in it.
func (s *Store) CountByState(ctx context.Context) (map[receipts.State]int64, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT state, COUNT(*) FROM disclosures GROUP BY state`)
	if err != nil {
		return nil, fmt.Errorf("count by state: %w", err)
	}
	defer rows.Close()
	out := make(map[receipts.State]int64, len(storecore.States))
	for _, st := range storecore.States {
		out[st] = 0
	}
	for rows.Next() {
		var (
			st string
			n  int64
		)
		if err := rows.Scan(&st, &n); err != nil {
			return nil, fmt.Errorf("count by state: %w", err)
		}
		out[receipts.State(st)] = n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("count by state: %w", err)
	}
	return out, nil
}

// ByClient implements rights.Records: the municipality's disclosures of
// one client, in registration order.
func (s *Store) ByClient(ctx context.Context, municipality, clientKey string) ([]receipts.Record, error) {
	if err := storecore.CheckKey("client_key", clientKey); err != nil {
		return nil, fmt.Errorf("by client: %w", err)
	}
	rows, err := s.r.QueryContext(ctx, `SELECT `+recordColumns+` FROM disclosures
		WHERE client_key = ? AND municipality = ? ORDER BY seq`, clientKey, municipality)
	if err != nil {
		return nil, fmt.Errorf("by client: %w", err)
	}
	defer rows.Close()
	out := []receipts.Record{}
	for rows.Next() {
		rec, err := scanRecord(rows)
		if err != nil {
			return nil, fmt.Errorf("by client: %w", err)
		}
		out = append(out, rec)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("by client: %w", err)
	}
	return out, nil
}
