package ledger

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"sort"
	"strings"
	"time"
)

// Ref names the ids through which ledger entries refer to one client's
// records: an entry refers to them by its disclosure id, or by the detail
// value of consent_id, restriction_id or objection_id. The ledger holds no
// client key or BSN; these ids are what link an entry to a client.
type Ref struct {
	DisclosureIDs  []string
	ConsentIDs     []string
	RestrictionIDs []string // the restriction's row id, as in the entry's detail
	ObjectionIDs   []string // the objection's row id, as in the entry's detail
}

// Empty reports whether r names no id.
func (r Ref) Empty() bool {
	return len(r.DisclosureIDs) == 0 && len(r.ConsentIDs) == 0 && len(r.RestrictionIDs) == 0 && len(r.ObjectionIDs) == 0
}

// Redactor removes the personal references from ledger entries without
// breaking the chain (docs/ledger.md, "Redaction").
type Redactor interface {
	// RedactAbout redacts, at at, every entry that refers to one of ref's
	// ids, in one transaction. It returns how many entries it redacted; an
	// entry redacted before is left as it is and not counted, so a second
	// call with the same ref returns 0.
	RedactAbout(ctx context.Context, ref Ref, at time.Time) (int, error)
}

// Hash schemes (Entry.Scheme).
const (
	// Scheme1: the hash covers every value as it is. Entries written
	// before schema version 8; redacting one removes what can no longer be
	// checked (only its place in the chain verifies).
	Scheme1 = 1
	// Scheme2: the hash covers each redactable value by its salted digest
	// (FieldDigest), so Redact can remove the value and its salt, keep the
	// digest, and the hash still verifies.
	Scheme2 = 2
	// CurrentScheme is the scheme of every new entry.
	CurrentScheme = Scheme2
)

// FieldDisclosure names an entry's disclosure id among its redactable
// fields; a detail value is DetailField(key).
const FieldDisclosure = "disclosure"

// DetailField names detail key k among an entry's redactable fields.
func DetailField(k string) string { return "detail." + k }

// keptDetail are the detail keys whose values are codes, states, counts,
// times or organisations: never a reference through which an entry points
// at a client. Every other key is redactable (an unknown key included:
// the classification fails closed), and so is the disclosure id.
var keptDetail = map[string]bool{
	// codes and states of a disclosure's decision and its receipts
	"from": true, "state": true, "reason": true, "reason_code": true, "reason_codes": true,
	"retour_codes": true, "basis": true, "purpose": true, "categories": true,
	"message_type": true, "answer_message_type": true, "rule": true, "rules": true,
	"park_reason": true, "outcome": true, "kind": true, "source": true, "retry_in": true,
	"single_share": true, "safety_override": true, "legal_representative": true,
	"break_glass": true, "role": true, "ap_notification": true, "deadline": true, "version": true,
	// organisations and systems (never a natural person)
	"municipality": true, "recipient": true, "provider": true, "system": true, "sender": true,
	// times and counts
	"at": true, "since": true, "until": true, "due": true, "overdue": true, "lifted_at": true,
	"withdrawn_at": true, "window_start": true, "count": true, "n": true, "by": true,
	"accepted": true, "rejected": true, "records_approx": true, "subjects_approx": true,
	"subjects": true, "destroyed": true, "kept": true,
}

// Redactable reports whether the value of detail key k is redactable: a
// possible reference to a client (an id, a reference, free text), as
// opposed to the codes, states, counts, times and organisations kept.
func Redactable(k string) bool { return !keptDetail[k] }

// NewSalts returns fresh random salts for e's redactable fields that hold a
// value: its disclosure id and each detail value of a Redactable key. It
// fails only when the system's random source does.
func NewSalts(e Entry) (map[string]string, error) {
	fields := make([]string, 0, 2)
	if e.DisclosureID != "" {
		fields = append(fields, FieldDisclosure)
	}
	for k, v := range e.Detail {
		if v != "" && Redactable(k) {
			fields = append(fields, DetailField(k))
		}
	}
	if len(fields) == 0 {
		return nil, nil
	}
	buf := make([]byte, 16*len(fields))
	if _, err := rand.Read(buf); err != nil {
		return nil, fmt.Errorf("ledger salts: %w", err)
	}
	out := make(map[string]string, len(fields))
	for i, f := range fields {
		out[f] = hex.EncodeToString(buf[16*i : 16*(i+1)])
	}
	return out, nil
}

// FieldDigest is the digest by which a Scheme2 hash covers a redactable
// field: hex SHA-256 of "sluis-ledger-field\n" and the field name, the salt
// and the value, each as its length in bytes, ':' and itself.
func FieldDigest(field, salt, value string) string {
	sum := sha256.Sum256(fmt.Appendf(nil, "sluis-ledger-field\n%d:%s%d:%s%d:%s", len(field), field, len(salt), salt, len(value), value))
	return hex.EncodeToString(sum[:])
}

// computeHash2 is the canonical form of Scheme2: as Scheme1, with "scheme=2"
// first, every text quoted, and each redactable field as its digest
// ("disclosure#=" or "detail.<key>#=").
func computeHash2(e Entry) string {
	var b strings.Builder
	fmt.Fprintf(&b, "scheme=2\nseq=%d\nat=%s\nactor=%q\n", e.Seq, e.At.UTC().Format(time.RFC3339Nano), e.Actor)
	writeField(&b, e, FieldDisclosure, "disclosure", e.DisclosureID, e.DisclosureID != "", true)
	fmt.Fprintf(&b, "event=%q\n", e.Event)
	keys := make([]string, 0, len(e.Detail)+len(e.Salts)+len(e.Redacted))
	seen := make(map[string]bool, cap(keys))
	add := func(k string) {
		if !seen[k] {
			seen[k] = true
			keys = append(keys, k)
		}
	}
	for k := range e.Detail {
		add(k)
	}
	for _, m := range []map[string]string{e.Salts, e.Redacted} {
		for f := range m {
			if k, ok := strings.CutPrefix(f, "detail."); ok {
				add(k)
			}
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		v, ok := e.Detail[k]
		writeField(&b, e, DetailField(k), fmt.Sprintf("detail.%q", k), v, ok, false)
	}
	fmt.Fprintf(&b, "prev=%s\n", e.PrevHash)
	sum := sha256.Sum256([]byte(b.String()))
	return hex.EncodeToString(sum[:])
}

// writeField writes a field's lines of the Scheme2 form: the value, or its
// digest when salted; and the kept digest of a redacted value. A field that
// is both present and redacted writes both, so such an entry never
// verifies. always writes an absent, unsalted field as empty (the
// disclosure id is always part of the form).
func writeField(b *strings.Builder, e Entry, field, label, value string, present, always bool) {
	salt, salted := e.Salts[field]
	switch {
	case salted:
		fmt.Fprintf(b, "%s#=%s\n", label, FieldDigest(field, salt, value))
	case present || always:
		if _, red := e.Redacted[field]; !red || present {
			fmt.Fprintf(b, "%s=%q\n", label, value)
		}
	}
	if d, red := e.Redacted[field]; red {
		fmt.Fprintf(b, "%s#=%s\n", label, d)
	}
}

// Redact returns e with its personal references removed, at at: for
// Scheme2 every salted field's value and salt go and its digest stays (the
// hash still verifies); for Scheme1 the disclosure id and every Redactable
// detail value go (only the entry's place in the chain still verifies).
// It refuses (a *BreakError) an entry whose hash does not verify, so an
// altered entry is never laundered. An entry redacted before is returned
// as it is, with false.
func Redact(e Entry, at time.Time) (Entry, bool, error) {
	if !e.RedactedAt.IsZero() {
		return e, false, nil
	}
	if ComputeHash(e) != e.Hash {
		return e, false, &BreakError{Seq: e.Seq, Reason: "was altered"}
	}
	out := e
	out.Detail = maps.Clone(e.Detail)
	if out.Detail == nil {
		out.Detail = map[string]string{}
	}
	out.Redacted = maps.Clone(e.Redacted)
	if out.Redacted == nil {
		out.Redacted = map[string]string{}
	}
	remove := func(field string) string {
		if field == FieldDisclosure {
			v := out.DisclosureID
			out.DisclosureID = ""
			return v
		}
		k := strings.TrimPrefix(field, "detail.")
		v := out.Detail[k]
		delete(out.Detail, k)
		return v
	}
	if e.Scheme == Scheme2 {
		for f, salt := range e.Salts {
			out.Redacted[f] = FieldDigest(f, salt, remove(f))
		}
		out.Salts = nil
		if ComputeHash(out) != e.Hash {
			return e, false, fmt.Errorf("ledger redact: entry %d: the redacted form does not keep its hash", e.Seq)
		}
	} else {
		if e.DisclosureID != "" {
			remove(FieldDisclosure)
			out.Redacted[FieldDisclosure] = ""
		}
		for k := range e.Detail {
			if Redactable(k) {
				remove(DetailField(k))
				out.Redacted[DetailField(k)] = ""
			}
		}
	}
	out.RedactedAt = at.UTC()
	return out, true, nil
}
