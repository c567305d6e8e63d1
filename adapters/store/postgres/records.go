package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sluis-gateway/sluis/adapters/store/internal/storecore"
	"github.com/sluis-gateway/sluis/internal/actor"
	"github.com/sluis-gateway/sluis/internal/ledger"
	"github.com/sluis-gateway/sluis/internal/receipts"
)

const recordColumns = `disclosure_id, municipality, system, recipient, standard, message_type,
	purpose, basis, client_key, request_hash, state, identificatie, message_id, reason,
	reason_codes::text, retour_codes::text, state_times::text, created_at, updated_at,
	status_seq, announced_seq`

// scanRecord scans recordColumns, then into extra the columns selected
// after them.
func scanRecord(row pgx.Row, extra ...any) (receipts.Record, error) {
	var (
		r                               receipts.Record
		state, reasonCodes, retourCodes string
		stateTimes                      string
		created, updated                time.Time
	)
	dest := []any{&r.DisclosureID, &r.Municipality, &r.System, &r.Recipient, &r.Standard,
		&r.MessageType, &r.Purpose, &r.Basis, &r.ClientKey, &r.RequestHash, &state,
		&r.Identificatie, &r.MessageID, &r.Reason, &reasonCodes, &retourCodes, &stateTimes,
		&created, &updated, &r.Sequence, &r.Announced}
	err := row.Scan(append(dest, extra...)...)
	if err != nil {
		return receipts.Record{}, err
	}
	r.State = receipts.State(state)
	if r.ReasonCodes, err = storecore.DecodeCodes(reasonCodes); err != nil {
		return receipts.Record{}, err
	}
	if r.RetourCodes, err = storecore.DecodeCodes(retourCodes); err != nil {
		return receipts.Record{}, err
	}
	if r.At, err = storecore.DecodeAt(stateTimes); err != nil {
		return receipts.Record{}, err
	}
	r.CreatedAt = storecore.Trunc(created)
	r.UpdatedAt = storecore.Trunc(updated)
	return r, nil
}

func getRecord(ctx context.Context, q queryer, disclosureID string, forUpdate bool) (receipts.Record, error) {
	query := `SELECT ` + recordColumns + ` FROM disclosures WHERE disclosure_id = $1`
	if forUpdate {
		query += ` FOR UPDATE`
	}
	rec, err := scanRecord(q.QueryRow(ctx, query, disclosureID))
	if errors.Is(err, pgx.ErrNoRows) {
		return receipts.Record{}, fmt.Errorf("disclosure %s: %w", disclosureID, receipts.ErrNotFound)
	}
	if err != nil {
		return receipts.Record{}, fmt.Errorf("get disclosure %s: %w", disclosureID, err)
	}
	return rec, nil
}

// qInsertDisclosure inserts a registered record; nothing when the id is
// taken (concurrently).
const qInsertDisclosure = `INSERT INTO disclosures (disclosure_id, municipality, system, recipient,
	standard, message_type, purpose, basis, client_key, request_hash, state, identificatie,
	message_id, reason, reason_codes, retour_codes, state_times, state_at, created_at, updated_at,
	status_seq, announced_seq)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, 0)
	ON CONFLICT (disclosure_id) DO NOTHING`

// qUpdateDisclosure stores a record's state after a move.
const qUpdateDisclosure = `UPDATE disclosures SET state = $1, reason = $2, reason_codes = $3,
	retour_codes = $4, state_times = $5, state_at = $6, updated_at = $7, status_seq = $8 WHERE disclosure_id = $9`

// existing answers a Register of an id that is already stored.
func existing(rec receipts.Record, requestHash string) (receipts.Record, bool, error) {
	if rec.RequestHash != requestHash {
		return receipts.Record{}, false, fmt.Errorf("register %s: %w", rec.DisclosureID, receipts.ErrConflict)
	}
	return rec, false, nil
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
	// A retry or redelivery usually finds the record: answer without a
	// write transaction.
	switch rec, err := getRecord(ctx, s.pool, r.DisclosureID, false); {
	case err == nil:
		return existing(rec, r.RequestHash)
	case !errors.Is(err, receipts.ErrNotFound):
		return receipts.Record{}, false, fmt.Errorf("register: %w", err)
	}

	rec, inserted, err := s.insert(ctx, a, r)
	if err != nil {
		return receipts.Record{}, false, err
	}
	if inserted {
		return rec, true, nil
	}
	// Another transaction registered the id between our read and insert;
	// the insert waited for it to commit, so the record is visible now.
	stored, err := getRecord(ctx, s.pool, r.DisclosureID, false)
	if err != nil {
		return receipts.Record{}, false, fmt.Errorf("register: %w", err)
	}
	return existing(stored, r.RequestHash)
}

// insert registers r in one transaction. inserted=false (and nothing
// changed) when the id was taken concurrently.
func (s *Store) insert(ctx context.Context, a actor.Actor, r receipts.Record) (receipts.Record, bool, error) {
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{})
	if err != nil {
		return receipts.Record{}, false, fmt.Errorf("register %s: begin: %w", r.DisclosureID, err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // after Commit this is a no-op

	var n int64
	if err := tx.QueryRow(ctx, `INSERT INTO identificatie_counters AS c (municipality, message_type, last)
		VALUES ($1, $2, 1)
		ON CONFLICT (municipality, message_type) DO UPDATE SET last = c.last + 1
		RETURNING last`, r.Municipality, r.MessageType).Scan(&n); err != nil {
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

	tag, err := tx.Exec(ctx, qInsertDisclosure,
		rec.DisclosureID, rec.Municipality, rec.System, rec.Recipient, rec.Standard, rec.MessageType,
		rec.Purpose, rec.Basis, rec.ClientKey, rec.RequestHash, string(rec.State), rec.Identificatie,
		rec.MessageID, rec.Reason, storecore.EncodeCodes(nil), storecore.EncodeCodes(nil),
		storecore.EncodeAt(rec.At), now, now, now, rec.Sequence)
	if err != nil {
		return receipts.Record{}, false, fmt.Errorf("register %s: insert: %w", r.DisclosureID, err)
	}
	if tag.RowsAffected() == 0 {
		return receipts.Record{}, false, nil // rolled back: the counter is not spent
	}
	if err := journal(ctx, tx, now, a.String(), rec.DisclosureID,
		ledger.StateEvent(string(receipts.Received)), storecore.RegisterDetail(rec)); err != nil {
		return receipts.Record{}, false, fmt.Errorf("register %s: %w", r.DisclosureID, err)
	}
	if err := tx.Commit(ctx); err != nil {
		return receipts.Record{}, false, fmt.Errorf("register %s: commit: %w", r.DisclosureID, err)
	}
	s.sealer.wake()
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

// MoveAll implements receipts.Store: one transaction, one row lock.
func (s *Store) MoveAll(ctx context.Context, disclosureID string, cs ...receipts.Change) ([]receipts.Record, error) {
	a, err := actor.From(ctx)
	if err != nil {
		return nil, fmt.Errorf("move %s: %w", disclosureID, err)
	}
	if err := storecore.CheckChanges(cs); err != nil {
		return nil, fmt.Errorf("move %s: %w", disclosureID, err)
	}
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{})
	if err != nil {
		return nil, fmt.Errorf("move %s: begin: %w", disclosureID, err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // after Commit this is a no-op

	rec, err := getRecord(ctx, tx, disclosureID, true)
	if err != nil {
		return nil, fmt.Errorf("move: %w", err)
	}
	now := storecore.Now()
	recs, err := receipts.ApplyAll(disclosureID, rec, storecore.TruncChanges(cs), now)
	if err != nil {
		return nil, err
	}
	last := recs[len(recs)-1]
	if _, err := tx.Exec(ctx, qUpdateDisclosure,
		string(last.State), last.Reason, storecore.EncodeCodes(last.ReasonCodes),
		storecore.EncodeCodes(last.RetourCodes), storecore.EncodeAt(last.At), last.At[last.State], now,
		last.Sequence, disclosureID); err != nil {
		return nil, fmt.Errorf("move %s: update: %w", disclosureID, err)
	}
	from := rec.State
	for i, c := range cs {
		if err := journal(ctx, tx, now, a.String(), disclosureID, ledger.StateEvent(string(c.To)),
			storecore.MoveDetail(from, c)); err != nil {
			return nil, fmt.Errorf("move %s: %w", disclosureID, err)
		}
		from = recs[i].State
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, fmt.Errorf("move %s: commit: %w", disclosureID, err)
	}
	s.sealer.wake()
	return recs, nil
}

// Get implements receipts.Store.
func (s *Store) Get(ctx context.Context, disclosureID string) (receipts.Record, error) {
	return getRecord(ctx, s.pool, disclosureID, false)
}

// ByIdentificatie implements receipts.Store.
func (s *Store) ByIdentificatie(ctx context.Context, municipality, messageType, identificatie string) (receipts.Record, error) {
	rec, err := scanRecord(s.pool.QueryRow(ctx, `SELECT `+recordColumns+` FROM disclosures
		WHERE municipality = $1 AND message_type = $2 AND identificatie = $3`,
		municipality, messageType, identificatie))
	if errors.Is(err, pgx.ErrNoRows) {
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
	rows, err := s.pool.Query(ctx, `SELECT `+recordColumns+` FROM disclosures
		WHERE state = $1 AND state_at < $2 ORDER BY state_at, seq LIMIT $3`,
		string(st), storecore.Trunc(before), limit)
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
// The window's counter row is locked by the upsert, so concurrent calls of
// one principal (in any process) count one after the other.
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
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{})
	if err != nil {
		return fmt.Errorf("record invalid: begin: %w", err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // after Commit this is a no-op
	var n int64
	if err := tx.QueryRow(ctx, `INSERT INTO invalid_windows AS w (principal, window_start, count)
		VALUES ($1, $2, 1)
		ON CONFLICT (principal, window_start) DO UPDATE SET count = w.count + 1
		RETURNING count`, storecore.Principal(a), window).Scan(&n); err != nil {
		return fmt.Errorf("record invalid: count: %w", err)
	}
	switch {
	case n <= receipts.InvalidRecordedPerWindow:
		if _, err := tx.Exec(ctx, `INSERT INTO invalid_requests
			(disclosure_id, municipality, system, reason, received_at, actor) VALUES ($1, $2, $3, $4, $5, $6)`,
			r.DisclosureID, r.Municipality, r.System, r.Reason, received, a.String()); err != nil {
			return fmt.Errorf("record invalid: insert: %w", err)
		}
		if err := journal(ctx, tx, now, a.String(), storecore.InvalidLedgerID(r), storecore.InvalidEvent(r),
			storecore.InvalidDetail(r)); err != nil {
			return fmt.Errorf("record invalid: %w", err)
		}
	case n == receipts.InvalidRecordedPerWindow+1:
		if err := journal(ctx, tx, now, a.String(), "", ledger.EventIntakeInvalidOverflow,
			storecore.OverflowDetail(window)); err != nil {
			return fmt.Errorf("record invalid: %w", err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("record invalid: commit: %w", err)
	}
	s.sealer.wake()
	return nil
}

// InvalidCount implements receipts.Store.
func (s *Store) InvalidCount(ctx context.Context, principal string, windowStart time.Time) (int64, error) {
	var n int64
	err := s.pool.QueryRow(ctx, `SELECT count FROM invalid_windows WHERE principal = $1 AND window_start = $2`,
		principal, storecore.InvalidWindowStart(windowStart)).Scan(&n)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("invalid count: %w", err)
	}
	return n, nil
}

// Claim implements receipts.Claimer: one conditional UPDATE, so two
// processes racing for a claim cannot both win.
func (s *Store) Claim(ctx context.Context, disclosureID, owner string, until time.Time) (receipts.Record, error) {
	if err := storecore.CheckClaim(disclosureID, owner); err != nil {
		return receipts.Record{}, fmt.Errorf("claim: %w", err)
	}
	rec, err := scanRecord(s.pool.QueryRow(ctx, `UPDATE disclosures
		SET claimed_by = $2, claimed_until = $3
		WHERE disclosure_id = $1 AND (claimed_by = '' OR claimed_by = $2 OR claimed_until < $4)
		RETURNING `+recordColumns, disclosureID, owner, storecore.Trunc(until), storecore.Now()))
	if errors.Is(err, pgx.ErrNoRows) {
		if _, gerr := getRecord(ctx, s.pool, disclosureID, false); gerr != nil {
			return receipts.Record{}, fmt.Errorf("claim: %w", gerr)
		}
		return receipts.Record{}, fmt.Errorf("claim %s: %w", disclosureID, receipts.ErrClaimed)
	}
	if err != nil {
		return receipts.Record{}, fmt.Errorf("claim %s: %w", disclosureID, err)
	}
	return rec, nil
}

// Release implements receipts.Claimer.
func (s *Store) Release(ctx context.Context, disclosureID, owner string, announced int64) error {
	if err := storecore.CheckClaim(disclosureID, owner); err != nil {
		return fmt.Errorf("release: %w", err)
	}
	if _, err := s.pool.Exec(ctx, `UPDATE disclosures SET
		announced_seq = GREATEST(announced_seq, $3),
		claimed_until = CASE WHEN claimed_by = $2 THEN NULL ELSE claimed_until END,
		claimed_by = CASE WHEN claimed_by = $2 THEN '' ELSE claimed_by END
		WHERE disclosure_id = $1`, disclosureID, owner, announced); err != nil {
		return fmt.Errorf("release %s: %w", disclosureID, err)
	}
	return nil
}

// MarkAnnounced implements receipts.Claimer.
func (s *Store) MarkAnnounced(ctx context.Context, disclosureID string, seq int64) error {
	tag, err := s.pool.Exec(ctx, `UPDATE disclosures SET announced_seq = GREATEST(announced_seq, $2)
		WHERE disclosure_id = $1`, disclosureID, seq)
	if err != nil {
		return fmt.Errorf("mark announced %s: %w", disclosureID, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("mark announced: disclosure %s: %w", disclosureID, receipts.ErrNotFound)
	}
	return nil
}

// CountByState implements receipts.Store. Every known state is present,
// with 0 when no disclosure is in it.
func (s *Store) CountByState(ctx context.Context) (map[receipts.State]int64, error) {
	rows, err := s.pool.Query(ctx, `SELECT state, COUNT(*) FROM disclosures GROUP BY state`)
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
	rows, err := s.pool.Query(ctx, `SELECT `+recordColumns+` FROM disclosures
		WHERE client_key = $1 AND municipality = $2 ORDER BY seq`, clientKey, municipality)
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
