// Package archive is the evidence archive: the exact signed message of every
// delivered disclosure, kept for its retention period and encrypted at rest
// with a data key per client (AES-256-GCM), each data key wrapped by a master
// key. Destroying a client's data keys (Shred) makes every archived message
// of that client unreadable (crypto-shredding), while the entries' ids and
// times stay listable. See docs/archive.md.
//
// The archive never logs and never puts message content, keys or client
// keys into its errors.
package archive

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"
)

// Named errors.
var (
	// ErrNotFound: no archived message (or data key) under that id.
	ErrNotFound = errors.New("not in the archive")
	// ErrShredded: the client's data key was destroyed; the message can no
	// longer be read.
	ErrShredded = errors.New("archived message shredded")
	// ErrConflict: a disclosure id already archived with another message or
	// for another client.
	ErrConflict = errors.New("disclosure already archived with other content")
	// ErrUnknownMasterKey: a data key was wrapped by a master key this
	// archive was not given.
	ErrUnknownMasterKey = errors.New("data key wrapped by an unknown master key")
	// ErrUndecryptable: ciphertext, key or additional data do not match
	// (a wrong key, or the stored bytes were changed).
	ErrUndecryptable = errors.New("archive ciphertext does not decrypt")
	// ErrBadMasterKey: the master key (or its file) is unusable.
	ErrBadMasterKey = errors.New("bad archive master key")
	// ErrBadArgument: an empty id, client key or message, or no retention.
	ErrBadArgument = errors.New("bad archive argument")
)

// Archive is the evidence archive. Safe for concurrent use.
type Archive struct {
	store   Store
	current MasterKey
	masters map[string]MasterKey
	now     func() time.Time
}

// Option configures New.
type Option func(*Archive)

// WithPreviousMasterKeys lets the archive unwrap data keys wrapped by older
// master keys (rotation: new data keys are wrapped by the current one).
func WithPreviousMasterKeys(ms ...MasterKey) Option {
	return func(a *Archive) {
		for _, m := range ms {
			if m.id != "" {
				a.masters[m.id] = m
			}
		}
	}
}

// WithClock sets the clock of archive and shred times (tests).
func WithClock(now func() time.Time) Option { return func(a *Archive) { a.now = now } }

// New builds the archive over store, wrapping new data keys with master.
func New(store Store, master MasterKey, opts ...Option) (*Archive, error) {
	if store == nil {
		return nil, fmt.Errorf("%w: no store", ErrBadArgument)
	}
	if master.id == "" {
		return nil, fmt.Errorf("%w: no master key", ErrBadMasterKey)
	}
	a := &Archive{store: store, current: master, masters: map[string]MasterKey{}, now: time.Now}
	for _, o := range opts {
		o(a)
	}
	a.masters[master.id] = master
	return a, nil
}

// Put archives the signed message of a disclosure for its client until
// retainUntil. A second Put of the same disclosure id is a no-op when the
// client and message are identical, and ErrConflict otherwise. The first Put
// for a client creates the client's data key (one, also under concurrent
// Puts); after a Shred a new data key is created, so the client's later
// messages are archived again.
func (a *Archive) Put(ctx context.Context, disclosureID, clientKey string, signed []byte, retainUntil time.Time) error {
	switch {
	case disclosureID == "":
		return fmt.Errorf("archive put: %w: empty disclosure id", ErrBadArgument)
	case clientKey == "":
		return fmt.Errorf("archive put %s: %w: empty client key", disclosureID, ErrBadArgument)
	case len(signed) == 0:
		return fmt.Errorf("archive put %s: %w: empty message", disclosureID, ErrBadArgument)
	case retainUntil.IsZero():
		return fmt.Errorf("archive put %s: %w: no retention end", disclosureID, ErrBadArgument)
	}
	existing, err := a.store.ArchiveGet(ctx, disclosureID)
	switch {
	case err == nil:
		return a.same(ctx, existing, clientKey, signed)
	case !errors.Is(err, ErrNotFound):
		return fmt.Errorf("archive put %s: %w", disclosureID, err)
	}
	k, raw, err := a.liveKey(ctx, clientKey)
	if err != nil {
		return fmt.Errorf("archive put %s: %w", disclosureID, err)
	}
	ct, err := seal(raw, signed, []byte(disclosureID))
	if err != nil {
		return fmt.Errorf("archive put %s: %w", disclosureID, err)
	}
	e := Sealed{
		DisclosureID: disclosureID, ClientKey: clientKey, KeyID: k.ID, Ciphertext: ct,
		ArchivedAt: a.now().UTC(), RetainUntil: retainUntil.UTC(),
	}
	stored, created, err := a.store.ArchivePut(ctx, e)
	if err != nil {
		return fmt.Errorf("archive put %s: %w", disclosureID, err)
	}
	if !created {
		return a.same(ctx, stored, clientKey, signed)
	}
	return nil
}

// same answers a re-put: nil when it matches what is stored.
func (a *Archive) same(ctx context.Context, stored Sealed, clientKey string, signed []byte) error {
	if stored.ClientKey != clientKey {
		return fmt.Errorf("archive put %s: %w", stored.DisclosureID, ErrConflict)
	}
	plain, err := a.open(ctx, stored)
	if err != nil {
		return fmt.Errorf("archive put %s: %w", stored.DisclosureID, err)
	}
	if !bytes.Equal(plain, signed) {
		return fmt.Errorf("archive put %s: %w", stored.DisclosureID, ErrConflict)
	}
	return nil
}

// Get returns the archived signed message of a disclosure: ErrNotFound when
// none was archived, ErrShredded when its client's key was destroyed.
func (a *Archive) Get(ctx context.Context, disclosureID string) ([]byte, error) {
	e, err := a.store.ArchiveGet(ctx, disclosureID)
	if err != nil {
		return nil, fmt.Errorf("archive get %s: %w", disclosureID, err)
	}
	plain, err := a.open(ctx, e)
	if err != nil {
		return nil, fmt.Errorf("archive get %s: %w", disclosureID, err)
	}
	return plain, nil
}

// List returns the client's archived entries (ids and times, no content),
// oldest first, shredded ones included and marked.
func (a *Archive) List(ctx context.Context, clientKey string) ([]Entry, error) {
	es, err := a.store.ArchiveList(ctx, clientKey)
	if err != nil {
		return nil, fmt.Errorf("archive list: %w", err)
	}
	return es, nil
}

// Shred destroys the client's data keys: every message archived for them
// so far becomes unreadable (ErrShredded). Idempotent.
func (a *Archive) Shred(ctx context.Context, clientKey string) error {
	if clientKey == "" {
		return fmt.Errorf("archive shred: %w: empty client key", ErrBadArgument)
	}
	if err := a.store.ArchiveShred(ctx, clientKey, a.now().UTC()); err != nil {
		return fmt.Errorf("archive shred: %w", err)
	}
	return nil
}

// open decrypts a stored entry.
func (a *Archive) open(ctx context.Context, e Sealed) ([]byte, error) {
	k, err := a.store.ArchiveKey(ctx, e.KeyID)
	if err != nil {
		return nil, err
	}
	raw, err := a.unwrap(k)
	if err != nil {
		return nil, err
	}
	return open(raw, e.Ciphertext, []byte(e.DisclosureID))
}

// liveKey returns the client's live data key, creating it when missing.
func (a *Archive) liveKey(ctx context.Context, clientKey string) (DataKey, []byte, error) {
	k, err := a.store.ArchiveLiveKey(ctx, clientKey)
	if errors.Is(err, ErrNotFound) {
		fresh, _, err := newDataKey(a.current, clientKey)
		if err != nil {
			return DataKey{}, nil, err
		}
		fresh.CreatedAt = a.now().UTC()
		// The stored key may be another caller's: unwrap what is stored.
		if k, err = a.store.ArchiveCreateKey(ctx, fresh); err != nil {
			return DataKey{}, nil, fmt.Errorf("create data key: %w", err)
		}
	} else if err != nil {
		return DataKey{}, nil, fmt.Errorf("data key: %w", err)
	}
	raw, err := a.unwrap(k)
	if err != nil {
		return DataKey{}, nil, err
	}
	return k, raw, nil
}

func (a *Archive) unwrap(k DataKey) ([]byte, error) {
	m, ok := a.masters[k.MasterKeyID]
	if !ok {
		return nil, fmt.Errorf("data key %s: %w", k.ID, ErrUnknownMasterKey)
	}
	raw, err := open(m.key, k.Wrapped, wrapAD(k))
	if err != nil {
		return nil, fmt.Errorf("data key %s: %w", k.ID, err)
	}
	return raw, nil
}
