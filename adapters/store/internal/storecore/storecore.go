// Package storecore holds what the SQLite and PostgreSQL stores share: the
// encoding of columns, the content of ledger entries, and input checks. It
// does no I/O and holds no domain rule: state transitions live in
// internal/receipts, the single-share rule in internal/consent, event names
// in internal/ledger.
package storecore

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/sluis-gateway/sluis/internal/actor"
	"github.com/sluis-gateway/sluis/internal/ledger"
	"github.com/sluis-gateway/sluis/internal/receipts"
)

// Named errors shared by both stores (each store package re-exports them).
var (
	// ErrBadArgument is returned for an argument a method cannot work with
	// (a non-positive limit, text that is not valid UTF-8, an unknown state).
	ErrBadArgument = errors.New("bad argument")
	// ErrIdentificatieExhausted is returned when the counter of a
	// (municipality, message type) would need more than 12 digits (TR056).
	ErrIdentificatieExhausted = errors.New("identificatie counter exhausted")
	// ErrSchemaTooNew is returned by Open when the database was migrated by
	// a newer sluis than this one.
	ErrSchemaTooNew = errors.New("database schema is newer than this program")
)

// MaxIdentificatie is the largest Identificatie: 12 decimal digits.
const MaxIdentificatie = 999_999_999_999

// States lists every state, for validating input and iterating counts.
var States = []receipts.State{
	receipts.Received, receipts.Invalid, receipts.Refused, receipts.Allowed,
	receipts.Published, receipts.Delivered, receipts.Accepted, receipts.Rejected,
	receipts.Overdue, receipts.Failed,
}

// KnownState reports whether s is one of States.
func KnownState(s receipts.State) bool {
	for _, k := range States {
		if k == s {
			return true
		}
	}
	return false
}

// Now returns the current time the way the stores keep it: UTC, truncated to
// microseconds (PostgreSQL's precision), so a value read back is equal to
// the value written and a ledger hash computed before writing verifies after
// reading.
func Now() time.Time { return Trunc(time.Now()) }

// Trunc brings t to the stored form: UTC, microsecond precision.
func Trunc(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// Micros and FromMicros convert between a time and Unix microseconds.
func Micros(t time.Time) int64 { return Trunc(t).UnixMicro() }

// FromMicros is the inverse of Micros.
func FromMicros(us int64) time.Time { return time.UnixMicro(us).UTC() }

// Identificatie renders counter value n as an Identificatie (1..12 digits).
func Identificatie(n int64) (string, error) {
	if n < 1 || n > MaxIdentificatie {
		return "", fmt.Errorf("%w: value %d out of range", ErrIdentificatieExhausted, n)
	}
	return strconv.FormatInt(n, 10), nil
}

// CheckText rejects strings that cannot be stored and read back unchanged
// by both databases: invalid UTF-8 (JSON encoding would replace it, breaking
// ledger hashes) and NUL bytes (PostgreSQL text refuses them). The error
// names the field, never the value.
func CheckText(field, s string) error {
	if !utf8.ValidString(s) || strings.ContainsRune(s, 0) {
		return fmt.Errorf("%w: %s is not valid UTF-8 text", ErrBadArgument, field)
	}
	return nil
}

// CheckRecord checks a record given to Register.
func CheckRecord(r receipts.Record) error {
	if err := r.Validate(); err != nil {
		return fmt.Errorf("%w: %w", ErrBadArgument, err)
	}
	fields := []struct{ name, v string }{
		{"disclosure_id", r.DisclosureID}, {"municipality", r.Municipality},
		{"system", r.System}, {"recipient", r.Recipient}, {"standard", r.Standard},
		{"message_type", r.MessageType}, {"purpose", r.Purpose}, {"basis", r.Basis},
		{"client_key", r.ClientKey}, {"request_hash", r.RequestHash},
	}
	for _, f := range fields {
		if err := CheckText(f.name, f.v); err != nil {
			return err
		}
	}
	return nil
}

// CheckChange checks a Change given to Move.
func CheckChange(c receipts.Change) error {
	if !KnownState(c.To) {
		return fmt.Errorf("%w: unknown target state", ErrBadArgument)
	}
	if err := CheckText("reason", c.Reason); err != nil {
		return err
	}
	for _, s := range c.ReasonCodes {
		if err := CheckText("reason_codes", s); err != nil {
			return err
		}
	}
	for _, s := range c.RetourCodes {
		if err := CheckText("retour_codes", s); err != nil {
			return err
		}
	}
	return CheckDetail(c.Detail)
}

// CheckChanges checks the changes of a MoveAll: at least one, each valid.
func CheckChanges(cs []receipts.Change) error {
	if len(cs) == 0 {
		return fmt.Errorf("%w: no changes", ErrBadArgument)
	}
	for _, c := range cs {
		if err := CheckChange(c); err != nil {
			return err
		}
	}
	return nil
}

// TruncChanges returns cs with each change's own At (when set) brought to
// the stored form, for receipts.ApplyAll; cs itself is not changed.
func TruncChanges(cs []receipts.Change) []receipts.Change {
	out := make([]receipts.Change, len(cs))
	for i, c := range cs {
		if !c.At.IsZero() {
			c.At = Trunc(c.At)
		}
		out[i] = c
	}
	return out
}

// CheckDetail checks ledger detail keys and values.
func CheckDetail(d map[string]string) error {
	for k, v := range d {
		if err := CheckText("detail key", k); err != nil {
			return err
		}
		if err := CheckText("detail value", v); err != nil {
			return err
		}
	}
	return nil
}

// CheckInvalid checks an InvalidRequest given to RecordInvalid.
func CheckInvalid(r receipts.InvalidRequest) error {
	for _, f := range []struct{ name, v string }{
		{"disclosure_id", r.DisclosureID}, {"municipality", r.Municipality},
		{"system", r.System}, {"reason", r.Reason}, {"event", r.Event},
	} {
		if err := CheckText(f.name, f.v); err != nil {
			return err
		}
	}
	for k, v := range r.Detail {
		if err := CheckText("detail key", k); err != nil {
			return err
		}
		if err := CheckText("detail "+k, v); err != nil {
			return err
		}
	}
	return nil
}

// RegisterDetail is the ledger detail of a registration.
func RegisterDetail(r receipts.Record) map[string]string {
	return map[string]string{
		"message_type":  r.MessageType,
		"recipient":     r.Recipient,
		"identificatie": r.Identificatie,
	}
}

// MoveDetail is the ledger detail of a state change: the Change's Detail plus
// the previous state, the reason and the codes (comma-joined). Keys set by
// the store win over the same keys in c.Detail.
func MoveDetail(from receipts.State, c receipts.Change) map[string]string {
	d := make(map[string]string, len(c.Detail)+4)
	maps.Copy(d, c.Detail)
	d["from"] = string(from)
	if c.Reason != "" {
		d["reason"] = c.Reason
	}
	if len(c.ReasonCodes) > 0 {
		d["reason_codes"] = strings.Join(c.ReasonCodes, ",")
	}
	if len(c.RetourCodes) > 0 {
		d["retour_codes"] = strings.Join(c.RetourCodes, ",")
	}
	return d
}

// NewEntry builds the ledger entry that follows (prevSeq, prevHash), with
// its hash. It fails for text that could not be read back unchanged.
func NewEntry(prevSeq int64, prevHash string, at time.Time, actorName, disclosureID, event string, detail map[string]string) (ledger.Entry, error) {
	if err := CheckText("actor", actorName); err != nil {
		return ledger.Entry{}, err
	}
	if err := CheckText("disclosure_id", disclosureID); err != nil {
		return ledger.Entry{}, err
	}
	if err := CheckText("event", event); err != nil {
		return ledger.Entry{}, err
	}
	if event == "" {
		return ledger.Entry{}, fmt.Errorf("%w: empty ledger event", ErrBadArgument)
	}
	if err := CheckDetail(detail); err != nil {
		return ledger.Entry{}, err
	}
	e := ledger.Entry{
		Seq:          prevSeq + 1,
		At:           Trunc(at),
		Actor:        actorName,
		DisclosureID: disclosureID,
		Event:        event,
		Detail:       maps.Clone(detail),
		PrevHash:     prevHash,
	}
	if e.Detail == nil {
		e.Detail = map[string]string{}
	}
	e.Scheme = ledger.CurrentScheme
	salts, err := ledger.NewSalts(e)
	if err != nil {
		return ledger.Entry{}, err
	}
	e.Salts = salts
	e.Hash = ledger.ComputeHash(e)
	return e, nil
}

// LedgerRefKeys are the detail keys through which an entry refers to a
// client's consent-register rows (ledger.Ref), in the order of
// LedgerRefValues.
var LedgerRefKeys = []string{"consent_id", "restriction_id", "objection_id"}

// LedgerRefValues returns ref's ids per key of LedgerRefKeys.
func LedgerRefValues(ref ledger.Ref) [][]string {
	return [][]string{ref.ConsentIDs, ref.RestrictionIDs, ref.ObjectionIDs}
}

// EncodeCodes encodes a code list for a column ("[]" for none).
func EncodeCodes(codes []string) string {
	if len(codes) == 0 {
		return "[]"
	}
	b, _ := json.Marshal(codes) // a []string always marshals
	return string(b)
}

// DecodeCodes decodes a code list column; none decodes as nil.
func DecodeCodes(s string) ([]string, error) {
	var codes []string
	if s == "" {
		return nil, nil
	}
	if err := json.Unmarshal([]byte(s), &codes); err != nil {
		return nil, fmt.Errorf("decode codes: %w", err)
	}
	if len(codes) == 0 {
		return nil, nil
	}
	return codes, nil
}

// EncodeDetail encodes ledger detail for a column ("{}" for none).
func EncodeDetail(d map[string]string) string {
	if len(d) == 0 {
		return "{}"
	}
	b, _ := json.Marshal(d) // a map[string]string always marshals
	return string(b)
}

// DecodeDetail decodes a ledger detail column; none decodes as an empty map.
func DecodeDetail(s string) (map[string]string, error) {
	d := map[string]string{}
	if s == "" {
		return d, nil
	}
	if err := json.Unmarshal([]byte(s), &d); err != nil {
		return nil, fmt.Errorf("decode detail: %w", err)
	}
	return d, nil
}

// EncodeAt encodes the times a record entered its states, as Unix
// microseconds per state.
func EncodeAt(at map[receipts.State]time.Time) string {
	m := make(map[string]int64, len(at))
	for s, t := range at {
		m[string(s)] = Micros(t)
	}
	b, _ := json.Marshal(m) // a map[string]int64 always marshals
	return string(b)
}

// DecodeAt is the inverse of EncodeAt.
func DecodeAt(s string) (map[receipts.State]time.Time, error) {
	m := map[string]int64{}
	if s != "" {
		if err := json.Unmarshal([]byte(s), &m); err != nil {
			return nil, fmt.Errorf("decode state times: %w", err)
		}
	}
	at := make(map[receipts.State]time.Time, len(m))
	for k, us := range m {
		at[receipts.State(k)] = FromMicros(us)
	}
	return at, nil
}

// CheckLimit rejects a non-positive limit.
func CheckLimit(limit int) error {
	if limit <= 0 {
		return fmt.Errorf("%w: limit must be positive", ErrBadArgument)
	}
	return nil
}

// InvalidDetail is the ledger detail of an invalid request: the reason, and
// the sender's municipality and system when they could be read.
func InvalidDetail(r receipts.InvalidRequest) map[string]string {
	d := maps.Clone(r.Detail)
	if d == nil {
		d = map[string]string{}
	}
	d["reason"] = r.Reason
	if r.Municipality != "" {
		d["municipality"] = r.Municipality
	}
	if r.System != "" {
		d["system"] = r.System
	}
	if r.Conflict {
		d["request_id"] = r.DisclosureID
		d["rule"] = "idempotency"
	}
	return d
}

// InvalidEvent is the ledger event of an invalid request's entry.
func InvalidEvent(r receipts.InvalidRequest) string {
	if r.Event == "" {
		return ledger.EventIntakeInvalid
	}
	return r.Event
}

// InvalidLedgerID is the disclosure id an invalid request's ledger entry
// is filed under: none for an id conflict (the id belongs to another
// disclosure's trail).
func InvalidLedgerID(r receipts.InvalidRequest) string {
	if r.Conflict {
		return ""
	}
	return r.DisclosureID
}

// Principal is the key invalid requests are counted under: the actor's
// kind and id, without the municipality or employee it names (which a
// request chooses), so the set of keys is bounded by the registered
// principals.
func Principal(a actor.Actor) string { return a.Kind + ":" + a.ID }

// InvalidWindowStart is the start of the window t falls in.
func InvalidWindowStart(t time.Time) time.Time { return Trunc(t).Truncate(receipts.InvalidWindow) }

// OverflowDetail is the ledger detail of the first invalid request of a
// window that is counted, not recorded.
func OverflowDetail(windowStart time.Time) map[string]string {
	return map[string]string{
		"window_start": windowStart.Format(time.RFC3339),
		"window":       receipts.InvalidWindow.String(),
		"recorded":     strconv.Itoa(receipts.InvalidRecordedPerWindow),
		"reason":       "further invalid requests of this principal in this window are counted, not recorded",
	}
}

// CheckClaim checks the arguments of Claim and Release: an id and an
// owner are required.
func CheckClaim(disclosureID, owner string) error {
	if disclosureID == "" || owner == "" {
		return fmt.Errorf("disclosure id and owner are required: %w", ErrBadArgument)
	}
	if err := CheckText("disclosure_id", disclosureID); err != nil {
		return err
	}
	return CheckText("owner", owner)
}

// CheckBatch checks the size of a Batcher call (1 to receipts.MaxBatch
// items) and, when unique is set, that no disclosure id appears twice.
func CheckBatch(ids []string, unique bool) error {
	if len(ids) == 0 || len(ids) > receipts.MaxBatch {
		return fmt.Errorf("%w: %d items (1 to %d)", receipts.ErrBadBatch, len(ids), receipts.MaxBatch)
	}
	if !unique {
		return nil
	}
	seen := make(map[string]struct{}, len(ids))
	for _, id := range ids {
		if _, ok := seen[id]; ok {
			return fmt.Errorf("%w: disclosure %s twice", receipts.ErrBadBatch, id)
		}
		seen[id] = struct{}{}
	}
	return nil
}
