package archive

import (
	"context"
	"time"
)

// DataKey is a client's data key as stored: wrapped (encrypted) by a master
// key, never in the clear.
type DataKey struct {
	// ID names the data key (random); entries refer to it.
	ID string
	// ClientKey is the keyed BSN hash of the client (consent.ClientKey).
	ClientKey string
	// MasterKeyID names the master key that wrapped it (rotation).
	MasterKeyID string
	// Wrapped is nonce || AES-256-GCM ciphertext of the data key.
	Wrapped   []byte
	CreatedAt time.Time
}

// Sealed is one archived message as stored: encrypted under a data key.
type Sealed struct {
	DisclosureID string
	ClientKey    string
	// KeyID is the DataKey.ID the message is encrypted under.
	KeyID string
	// Ciphertext is nonce || AES-256-GCM ciphertext, with the disclosure id
	// as additional data.
	Ciphertext  []byte
	ArchivedAt  time.Time
	RetainUntil time.Time
}

// Store is the storage the archive needs: data keys and sealed messages.
// Implementations must be safe for concurrent use, also by several
// processes sharing one database. Times are stored to the microsecond, in
// UTC.
type Store interface {
	// ArchiveCreateKey stores k as the client's live data key unless the
	// client already has one, and returns the live key: k, or the one
	// stored before (so concurrent calls for one client agree on one key).
	ArchiveCreateKey(ctx context.Context, k DataKey) (DataKey, error)
	// ArchiveLiveKey returns the client's live (not shredded) data key, or
	// ErrNotFound.
	ArchiveLiveKey(ctx context.Context, clientKey string) (DataKey, error)
	// ArchiveKey returns a data key by id: ErrShredded once it was
	// shredded, ErrNotFound when never stored.
	ArchiveKey(ctx context.Context, id string) (DataKey, error)
	// ArchivePut stores e unless an entry for its disclosure id exists. It
	// returns the stored entry (e, or the one stored before) and whether e
	// was stored.
	ArchivePut(ctx context.Context, e Sealed) (Sealed, bool, error)
	// ArchiveGet returns the entry of a disclosure, or ErrNotFound.
	ArchiveGet(ctx context.Context, disclosureID string) (Sealed, error)
	// ArchiveList returns the client's entries, oldest first (by archive
	// time, then disclosure id), without their ciphertext.
	ArchiveList(ctx context.Context, clientKey string) ([]Entry, error)
	// ArchiveShred destroys every data key of the client: the wrapped key
	// bytes are erased and the key marked shredded at at. Idempotent; a
	// client without keys is no error.
	ArchiveShred(ctx context.Context, clientKey string, at time.Time) error
}

// Entry describes an archived message without its content (for the access
// report and retention).
type Entry struct {
	DisclosureID string
	ArchivedAt   time.Time
	RetainUntil  time.Time
	// Shredded: the data key is destroyed; the content is unreadable.
	Shredded bool
}
