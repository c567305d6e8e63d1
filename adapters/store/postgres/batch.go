package postgres

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sluis-gateway/sluis/adapters/store/internal/storecore"
	"github.com/sluis-gateway/sluis/internal/actor"
	"github.com/sluis-gateway/sluis/internal/ledger"
	"github.com/sluis-gateway/sluis/internal/receipts"
)

var _ receipts.Batcher = (*Store)(nil)

// Each batch call below is one transaction whose statements are sent as
// one pgx batch (one round trip). The rows it changes are locked first in
// disclosure-id order, so two batches in two processes that share rows
// wait for each other instead of deadlocking.

// RegisterBatch implements receipts.Batcher. Ids already stored are found
// without a write transaction, as with Register; the new ones are
// inserted in one transaction, their identificaties taken from each
// counter in one step. When another process registers one of the ids at
// the same moment the transaction is rolled back (no counter spent) and
// the new ones are registered one by one.
func (s *Store) RegisterBatch(ctx context.Context, items []receipts.Registration) ([]receipts.Registered, error) {
	ids := make([]string, len(items))
	for i, it := range items {
		ids[i] = it.Record.DisclosureID
	}
	if err := storecore.CheckBatch(ids, false); err != nil {
		return nil, fmt.Errorf("register batch: %w", err)
	}
	out := make([]receipts.Registered, len(items))
	var valid []string
	for i, it := range items {
		if err := checkRegistration(it); err != nil {
			out[i].Err = err
			continue
		}
		valid = append(valid, it.Record.DisclosureID)
	}
	stored, err := s.recordsByID(ctx, s.pool, valid, false)
	if err != nil {
		return nil, fmt.Errorf("register batch: %w", err)
	}
	first := map[string]int{} // id -> the item that inserts it
	var inserts []int
	for i, it := range items {
		if out[i].Err != nil {
			continue
		}
		id := it.Record.DisclosureID
		if rec, ok := stored[id]; ok {
			out[i].Record, out[i].Created, out[i].Err = existing(rec, it.Record.RequestHash)
			continue
		}
		if _, ok := first[id]; !ok {
			first[id] = i
			inserts = append(inserts, i)
		}
	}
	if len(inserts) > 0 {
		recs, raced, err := s.insertBatch(ctx, items, inserts)
		if err != nil {
			return nil, fmt.Errorf("register batch: %w", err)
		}
		for k, i := range inserts {
			if raced {
				it := items[i]
				out[i].Record, out[i].Created, out[i].Err = s.Register(actor.With(ctx, it.Actor), it.Record)
				continue
			}
			out[i].Record, out[i].Created = recs[k], true
		}
	}
	// Later copies of an id first registered in this batch.
	for i, it := range items {
		j, ok := first[it.Record.DisclosureID]
		if !ok || j == i || out[i].Err != nil || out[i].Record.DisclosureID != "" {
			continue
		}
		if out[j].Err != nil {
			out[i].Err = out[j].Err
			continue
		}
		out[i].Record, out[i].Created, out[i].Err = existing(out[j].Record, it.Record.RequestHash)
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

// counterKey is an identificatie counter.
type counterKey struct{ municipality, messageType string }

// insertBatch inserts the records of items[which] (ids not stored, each
// once) in one transaction. raced: an id was taken meanwhile, and nothing
// was written.
func (s *Store) insertBatch(ctx context.Context, items []receipts.Registration, which []int) (_ []receipts.Record, raced bool, _ error) {
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{})
	if err != nil {
		return nil, false, fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // after Commit this is a no-op

	// One step per counter, in a fixed order (the rows are locked until
	// the commit).
	need := map[counterKey]int64{}
	for _, i := range which {
		r := items[i].Record
		need[counterKey{r.Municipality, r.MessageType}]++
	}
	keys := make([]counterKey, 0, len(need))
	for k := range need {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b counterKey) int {
		if a.municipality != b.municipality {
			return cmp.Compare(a.municipality, b.municipality)
		}
		return cmp.Compare(a.messageType, b.messageType)
	})
	counters := &pgx.Batch{}
	for _, k := range keys {
		counters.Queue(`INSERT INTO identificatie_counters AS c (municipality, message_type, last)
			VALUES ($1, $2, $3)
			ON CONFLICT (municipality, message_type) DO UPDATE SET last = c.last + $3
			RETURNING last`, k.municipality, k.messageType, need[k])
	}
	next := map[counterKey]int64{} // the next value to hand out
	br := tx.SendBatch(ctx, counters)
	for _, k := range keys {
		var last int64
		if err := br.QueryRow().Scan(&last); err != nil {
			br.Close()
			return nil, false, fmt.Errorf("allocate identificaties: %w", err)
		}
		next[k] = last - need[k] + 1
	}
	if err := br.Close(); err != nil {
		return nil, false, fmt.Errorf("allocate identificaties: %w", err)
	}

	now := storecore.Now()
	recs := make([]receipts.Record, len(which))
	rows := &pgx.Batch{}
	for k, i := range which {
		r := items[i].Record
		key := counterKey{r.Municipality, r.MessageType}
		ident, err := storecore.Identificatie(next[key])
		if err != nil {
			return nil, false, fmt.Errorf("register %s: %w", r.DisclosureID, err)
		}
		next[key]++
		rec := r
		rec.State = receipts.Received
		rec.Sequence, rec.Announced = 1, 0
		rec.Identificatie = ident
		rec.MessageID = receipts.MessageID(r.MessageType, r.Municipality, ident)
		rec.Reason, rec.ReasonCodes, rec.RetourCodes = "", nil, nil
		rec.At = map[receipts.State]time.Time{receipts.Received: now}
		rec.CreatedAt, rec.UpdatedAt = now, now
		recs[k] = rec
		rows.Queue(qInsertDisclosure,
			rec.DisclosureID, rec.Municipality, rec.System, rec.Recipient, rec.Standard, rec.MessageType,
			rec.Purpose, rec.Basis, rec.ClientKey, rec.RequestHash, string(rec.State), rec.Identificatie,
			rec.MessageID, rec.Reason, storecore.EncodeCodes(nil), storecore.EncodeCodes(nil),
			storecore.EncodeAt(rec.At), now, now, now, rec.Sequence)
		if err := queueJournal(rows, now, items[i].Actor.String(), rec.DisclosureID,
			ledger.StateEvent(string(receipts.Received)), storecore.RegisterDetail(rec)); err != nil {
			return nil, false, fmt.Errorf("register %s: %w", r.DisclosureID, err)
		}
	}
	br = tx.SendBatch(ctx, rows)
	for range which {
		tag, err := br.Exec()
		if err != nil {
			br.Close()
			return nil, false, fmt.Errorf("insert: %w", err)
		}
		if tag.RowsAffected() == 0 {
			br.Close()
			return nil, true, nil // rolled back: no counter spent
		}
		if _, err := br.Exec(); err != nil {
			br.Close()
			return nil, false, fmt.Errorf("ledger journal: %w", err)
		}
	}
	if err := br.Close(); err != nil {
		return nil, false, fmt.Errorf("insert: %w", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, false, fmt.Errorf("commit: %w", err)
	}
	s.sealer.wake()
	return recs, false, nil
}

// queueJournal validates a ledger entry and queues its journal row (see
// journal).
func queueJournal(b *pgx.Batch, at time.Time, actorName, disclosureID, event string, detail map[string]string) error {
	if _, err := storecore.NewEntry(0, ledger.Genesis, at, actorName, disclosureID, event, detail); err != nil {
		return fmt.Errorf("ledger journal: %w", err)
	}
	b.Queue(`INSERT INTO ledger_pending (at, actor, disclosure_id, event, detail) VALUES ($1, $2, $3, $4, $5)`,
		storecore.Trunc(at), actorName, disclosureID, event, storecore.EncodeDetail(detail))
	return nil
}

// claimState is a record with its claim columns.
type claimState struct {
	rec   receipts.Record
	by    string
	until *time.Time
}

// recordsByID reads the records of ids (those that exist); with lock, in
// id order FOR UPDATE (in the caller's transaction).
func (s *Store) recordsByID(ctx context.Context, q queryer, ids []string, lock bool) (map[string]receipts.Record, error) {
	states, err := claimStates(ctx, q, ids, lock)
	if err != nil {
		return nil, err
	}
	out := make(map[string]receipts.Record, len(states))
	for id, st := range states {
		out[id] = st.rec
	}
	return out, nil
}

func claimStates(ctx context.Context, q queryer, ids []string, lock bool) (map[string]claimState, error) {
	out := make(map[string]claimState, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	query := `SELECT ` + recordColumns + `, claimed_by, claimed_until FROM disclosures
		WHERE disclosure_id = ANY($1) ORDER BY disclosure_id`
	if lock {
		query += ` FOR UPDATE`
	}
	rows, err := q.Query(ctx, query, ids)
	if err != nil {
		return nil, fmt.Errorf("read disclosures: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var st claimState
		if st.rec, err = scanRecord(rows, &st.by, &st.until); err != nil {
			return nil, fmt.Errorf("read disclosures: %w", err)
		}
		out[st.rec.DisclosureID] = st
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read disclosures: %w", err)
	}
	return out, nil
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
	var valid []string
	for i, c := range claims {
		if err := storecore.CheckClaim(c.DisclosureID, c.Owner); err != nil {
			out[i].Err = fmt.Errorf("claim: %w", err)
			continue
		}
		valid = append(valid, c.DisclosureID)
	}
	if len(valid) == 0 {
		return out, nil
	}
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{})
	if err != nil {
		return nil, fmt.Errorf("claim batch: begin: %w", err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // after Commit this is a no-op
	states, err := claimStates(ctx, tx, valid, true)
	if err != nil {
		return nil, fmt.Errorf("claim batch: %w", err)
	}
	now := storecore.Now()
	var takeIDs, takeOwners []string
	for i, c := range claims {
		if out[i].Err != nil {
			continue
		}
		st, ok := states[c.DisclosureID]
		switch {
		case !ok:
			out[i].Err = fmt.Errorf("claim: disclosure %s: %w", c.DisclosureID, receipts.ErrNotFound)
		case st.by == "" || st.by == c.Owner || (st.until != nil && st.until.Before(now)):
			out[i].Record = st.rec
			takeIDs, takeOwners = append(takeIDs, c.DisclosureID), append(takeOwners, c.Owner)
		default:
			out[i].Err = fmt.Errorf("claim %s: %w", c.DisclosureID, receipts.ErrClaimed)
		}
	}
	if len(takeIDs) > 0 {
		if _, err := tx.Exec(ctx, `UPDATE disclosures SET claimed_by = u.owner, claimed_until = $3
			FROM unnest($1::text[], $2::text[]) AS u(id, owner) WHERE disclosure_id = u.id`,
			takeIDs, takeOwners, storecore.Trunc(until)); err != nil {
			return nil, fmt.Errorf("claim batch: %w", err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, fmt.Errorf("claim batch: commit: %w", err)
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
	var valid []string
	for i, m := range moves {
		if err := checkMoves(m); err != nil {
			out[i].Err = err
			continue
		}
		valid = append(valid, m.DisclosureID)
	}
	if len(valid) == 0 {
		return out, nil
	}
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{})
	if err != nil {
		return nil, fmt.Errorf("move batch: begin: %w", err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // after Commit this is a no-op
	stored, err := s.recordsByID(ctx, tx, valid, true)
	if err != nil {
		return nil, fmt.Errorf("move batch: %w", err)
	}
	now := storecore.Now()
	b := &pgx.Batch{}
	for i, m := range moves {
		if out[i].Err != nil {
			continue
		}
		rec, ok := stored[m.DisclosureID]
		if !ok {
			out[i].Err = fmt.Errorf("move: disclosure %s: %w", m.DisclosureID, receipts.ErrNotFound)
			continue
		}
		recs, err := receipts.ApplyAll(m.DisclosureID, rec, storecore.TruncChanges(m.Changes), now)
		if err != nil {
			out[i].Err = err
			continue
		}
		last := recs[len(recs)-1]
		b.Queue(qUpdateDisclosure,
			string(last.State), last.Reason, storecore.EncodeCodes(last.ReasonCodes),
			storecore.EncodeCodes(last.RetourCodes), storecore.EncodeAt(last.At), last.At[last.State], now,
			last.Sequence, m.DisclosureID)
		from := rec.State
		for k, c := range m.Changes {
			if err := queueJournal(b, now, m.Actor.String(), m.DisclosureID, ledger.StateEvent(string(c.To)),
				storecore.MoveDetail(from, c)); err != nil {
				return nil, fmt.Errorf("move batch: move %s: %w", m.DisclosureID, err)
			}
			from = recs[k].State
		}
		out[i].Records = recs
	}
	if b.Len() > 0 {
		if err := tx.SendBatch(ctx, b).Close(); err != nil {
			return nil, fmt.Errorf("move batch: %w", err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, fmt.Errorf("move batch: commit: %w", err)
	}
	if b.Len() > 0 {
		s.sealer.wake()
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
	owners := make([]string, len(releases))
	announced := make([]int64, len(releases))
	for i, r := range releases {
		if err := storecore.CheckClaim(r.DisclosureID, r.Owner); err != nil {
			return fmt.Errorf("release batch: %w", err)
		}
		ids[i], owners[i], announced[i] = r.DisclosureID, r.Owner, r.Announced
	}
	if err := storecore.CheckBatch(ids, true); err != nil {
		return fmt.Errorf("release batch: %w", err)
	}
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{})
	if err != nil {
		return fmt.Errorf("release batch: begin: %w", err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // after Commit this is a no-op
	if _, err := tx.Exec(ctx, `SELECT 1 FROM disclosures WHERE disclosure_id = ANY($1) ORDER BY disclosure_id FOR UPDATE`, ids); err != nil {
		return fmt.Errorf("release batch: lock: %w", err)
	}
	if _, err := tx.Exec(ctx, `UPDATE disclosures SET
		announced_seq = GREATEST(announced_seq, u.announced),
		claimed_until = CASE WHEN claimed_by = u.owner THEN NULL ELSE claimed_until END,
		claimed_by = CASE WHEN claimed_by = u.owner THEN '' ELSE claimed_by END
		FROM unnest($1::text[], $2::text[], $3::bigint[]) AS u(id, owner, announced)
		WHERE disclosure_id = u.id`, ids, owners, announced); err != nil {
		return fmt.Errorf("release batch: %w", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("release batch: commit: %w", err)
	}
	return nil
}
