// Package ledger is the tamper-evident record of every decision and state
// change: an append-only hash chain. Each entry's hash covers its content and
// the previous entry's hash, so changing or removing any entry breaks every
// hash after it. Entries carry ids, codes and states; never a payload or
// personal data.
package ledger

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
)

// Named errors.
var (
	// ErrBroken is returned by Verify when the chain does not hold.
	ErrBroken = errors.New("ledger chain broken")
)

// Genesis is the PrevHash of the first entry.
const Genesis = "0000000000000000000000000000000000000000000000000000000000000000"

// Entry is one ledger line.
type Entry struct {
	Seq          int64     // 1, 2, 3, ... assigned by the store
	At           time.Time // UTC, truncated to microseconds by the store
	Actor        string    // actor.Actor.String()
	DisclosureID string    // may be empty for events not about one disclosure
	Event        string    // e.g. "state:delivered", "decision:refused", "consent:recorded"
	// Detail holds non-personal facts: reason codes, basis, consent ids,
	// retour codes, Identificatie. Keys and values are plain strings.
	Detail   map[string]string
	PrevHash string // hex sha256 of the previous entry, Genesis for the first
	Hash     string // hex sha256 over the fields above, see ComputeHash

	// Scheme is how Hash covers the entry: Scheme1 (every value as it is;
	// entries written before redaction existed) or Scheme2 (a redactable
	// value by its salted digest, so it can be removed later; see
	// Redactable and Redact). 0 reads as Scheme1.
	Scheme int
	// Salts holds, for a Scheme2 entry, the random salt (hex) of each
	// redactable field still present: FieldDisclosure, or DetailField(key).
	Salts map[string]string
	// Redacted holds the fields removed by Redact: for Scheme2 each one's
	// digest (FieldDigest), for Scheme1 "" (its content can no longer be
	// checked; the chain's links still are).
	Redacted map[string]string
	// RedactedAt is when the entry was redacted; zero when it was not.
	// It is not covered by Hash.
	RedactedAt time.Time
}

// ComputeHash returns the hex SHA-256 of the entry's canonical form under
// its Scheme (docs/ledger.md gives both forms). Both store implementations
// use it so a chain written by one verifies with the other.
func ComputeHash(e Entry) string {
	if e.Scheme == Scheme2 {
		return computeHash2(e)
	}
	return computeHash1(e)
}

// computeHash1 is the canonical form of Scheme1: every value as it is.
func computeHash1(e Entry) string {
	var b strings.Builder
	fmt.Fprintf(&b, "seq=%d\nat=%s\nactor=%s\ndisclosure=%s\nevent=%s\n",
		e.Seq, e.At.UTC().Format(time.RFC3339Nano), e.Actor, e.DisclosureID, e.Event)
	keys := make([]string, 0, len(e.Detail))
	for k := range e.Detail {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(&b, "detail.%q=%q\n", k, e.Detail[k])
	}
	fmt.Fprintf(&b, "prev=%s\n", e.PrevHash)
	sum := sha256.Sum256([]byte(b.String()))
	return hex.EncodeToString(sum[:])
}

// Verify checks a chain read in sequence order, starting at the first entry.
// Its error for a broken chain is a *BreakError naming the first bad entry
// (BrokenAt), wrapping ErrBroken.
func Verify(entries []Entry) error {
	_, err := VerifyFrom(Start, entries)
	return err
}

// Reader reads the ledger back, for verification and for answering a
// client's or the DPA's question.
type Reader interface {
	// Entries returns entries with Seq >= from, in order, at most limit.
	Entries(ctx context.Context, from int64, limit int) ([]Entry, error)
	// EntriesFor returns every entry about one disclosure, in order.
	EntriesFor(ctx context.Context, disclosureID string) ([]Entry, error)
}

// Appender adds entries that are not a disclosure's state change (consents,
// decisions, parked retours). The store assigns Seq, At, PrevHash and Hash,
// and takes the actor from ctx (actor.ErrMissing without one).
type Appender interface {
	Append(ctx context.Context, disclosureID, event string, detail map[string]string) (Entry, error)
}
