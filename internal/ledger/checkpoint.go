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
func VerifyFrom(cp Checkpoint, entries []Entry) (Checkpoint, error) {
	for _, e := range entries {
		switch {
		case e.Seq != cp.Seq+1:
			return cp, &BreakError{Seq: cp.Seq + 1, Reason: fmt.Sprintf("out of sequence (found seq %d)", e.Seq)}
		case e.PrevHash != cp.Hash:
			return cp, &BreakError{Seq: e.Seq, Reason: "does not follow its predecessor"}
		case ComputeHash(e) != e.Hash:
			return cp, &BreakError{Seq: e.Seq, Reason: "was altered"}
		}
		cp = Checkpoint{Seq: e.Seq, Hash: e.Hash}
	}
	return cp, nil
}
