package ledger

import (
	"errors"
	"fmt"
)

// Checkpoint is the last entry of a verified stretch of the chain: verifying
// the entries after it (VerifyFrom) needs only these two facts, so a
// verifier that keeps the checkpoint reads each entry once.
type Checkpoint struct {
	Seq  int64  // 0 before the first entry
	Hash string // Genesis before the first entry

	// Counted over the entries verified to reach this checkpoint:
	// Scheme1Until is the last Scheme1 entry's seq (Scheme1 entries form
	// a prefix of the chain: one after a Scheme2 entry is a break);
	// Redacted counts the redacted entries whose content verified
	// (Scheme2); LinkageOnly the redacted Scheme1 entries, of which only
	// the place in the chain verified.
	Scheme1Until int64
	Redacted     int64
	LinkageOnly  int64
}

// Start is the checkpoint before the first entry.
var Start = Checkpoint{Seq: 0, Hash: Genesis}

// BreakError names the first entry at which the chain does not hold. It
// wraps ErrBroken. It carries the sequence number only: no entry content.
type BreakError struct {
	Seq    int64  // the first bad entry's sequence number
	Reason string // "out of sequence", "does not follow its predecessor" or "altered"
}

func (e *BreakError) Error() string {
	return fmt.Sprintf("%s: entry %d %s", ErrBroken, e.Seq, e.Reason)
}

func (e *BreakError) Unwrap() error { return ErrBroken }

// BrokenAt returns the sequence number of the first bad entry named by err
// (from VerifyFrom), and false when err names none.
func BrokenAt(err error) (int64, bool) {
	var be *BreakError
	if errors.As(err, &be) {
		return be.Seq, true
	}
	return 0, false
}

// VerifyFrom checks entries read in sequence order that continue the chain
// after cp: the first must have Seq cp.Seq+1 and PrevHash cp.Hash. It
// returns the checkpoint of the last entry checked (cp itself for no
// entries) or a *BreakError for the first entry that does not hold. From
// Start over the whole ledger it checks what Verify checks.
//
// A redacted Scheme2 entry verifies in full (its hash covers the digests
// kept); a redacted Scheme1 entry only by its place in the chain (its
// PrevHash, and its Hash being the next entry's PrevHash).
func VerifyFrom(cp Checkpoint, entries []Entry) (Checkpoint, error) {
	for _, e := range entries {
		scheme1 := e.Scheme != Scheme2
		switch {
		case e.Seq != cp.Seq+1:
			return cp, &BreakError{Seq: cp.Seq + 1, Reason: fmt.Sprintf("out of sequence (found seq %d)", e.Seq)}
		case e.PrevHash != cp.Hash:
			return cp, &BreakError{Seq: e.Seq, Reason: "does not follow its predecessor"}
		case scheme1 && cp.Seq != cp.Scheme1Until:
			return cp, &BreakError{Seq: e.Seq, Reason: "is of hash scheme 1 after an entry of scheme 2"}
		case scheme1 && !e.RedactedAt.IsZero():
			// content removed: its place in the chain is all that verifies
		case ComputeHash(e) != e.Hash:
			return cp, &BreakError{Seq: e.Seq, Reason: "was altered"}
		}
		next := cp
		next.Seq, next.Hash = e.Seq, e.Hash
		if scheme1 {
			next.Scheme1Until = e.Seq
		}
		if !e.RedactedAt.IsZero() {
			if scheme1 {
				next.LinkageOnly++
			} else {
				next.Redacted++
			}
		}
		cp = next
	}
	return cp, nil
}
