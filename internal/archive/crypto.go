package archive

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
)

// KeySize is the size of master and data keys: AES-256.
const KeySize = 32

// MasterKey wraps the data keys. Its ID is derived from the key (a
// truncated SHA-256 under a label), so it names the key without revealing
// it and a different key always has a different id.
type MasterKey struct {
	id  string
	key []byte
}

// NewMasterKey checks the key's size and derives its id.
func NewMasterKey(key []byte) (MasterKey, error) {
	if len(key) != KeySize {
		return MasterKey{}, fmt.Errorf("%w: master key must be %d bytes, got %d", ErrBadMasterKey, KeySize, len(key))
	}
	sum := sha256.Sum256(append([]byte("sluis archive master key id\x00"), key...))
	return MasterKey{id: "mk-" + hex.EncodeToString(sum[:8]), key: append([]byte(nil), key...)}, nil
}

// GenerateMasterKey returns a new random master key.
func GenerateMasterKey() (MasterKey, error) {
	raw := make([]byte, KeySize)
	if _, err := io.ReadFull(rand.Reader, raw); err != nil {
		return MasterKey{}, fmt.Errorf("master key: %w", err)
	}
	return NewMasterKey(raw)
}

// ID names the master key; it is stored with every key it wraps.
func (m MasterKey) ID() string { return m.id }

// seal encrypts plain with AES-256-GCM under key, binding ad; the result is
// nonce || ciphertext.
func seal(key, plain, ad []byte) ([]byte, error) {
	aead, err := newGCM(key)
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plain)+aead.Overhead())
	if _, err := io.ReadFull(rand.Reader, nonce); err != nil {
		return nil, fmt.Errorf("nonce: %w", err)
	}
	return aead.Seal(nonce, nonce, plain, ad), nil
}

// open reverses seal; ErrUndecryptable when the key, the additional data or
// the ciphertext do not match.
func open(key, sealed, ad []byte) ([]byte, error) {
	aead, err := newGCM(key)
	if err != nil {
		return nil, err
	}
	if len(sealed) < aead.NonceSize()+aead.Overhead() {
		return nil, ErrUndecryptable
	}
	plain, err := aead.Open(nil, sealed[:aead.NonceSize()], sealed[aead.NonceSize():], ad)
	if err != nil {
		return nil, ErrUndecryptable
	}
	return plain, nil
}

func newGCM(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("aes: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("gcm: %w", err)
	}
	return aead, nil
}

// wrapAD is the additional data of a wrapped data key: it binds the
// wrapped bytes to their key id and client, so a wrapped key copied to
// another client's row does not open.
func wrapAD(k DataKey) []byte {
	return []byte("sluis archive data key\x00" + k.ID + "\x00" + k.ClientKey)
}

// newDataKey makes a fresh random data key for the client, wrapped by m.
func newDataKey(m MasterKey, clientKey string) (DataKey, []byte, error) {
	raw := make([]byte, KeySize)
	if _, err := io.ReadFull(rand.Reader, raw); err != nil {
		return DataKey{}, nil, fmt.Errorf("data key: %w", err)
	}
	idb := make([]byte, 16)
	if _, err := io.ReadFull(rand.Reader, idb); err != nil {
		return DataKey{}, nil, fmt.Errorf("data key id: %w", err)
	}
	k := DataKey{ID: "dk-" + hex.EncodeToString(idb), ClientKey: clientKey, MasterKeyID: m.id}
	w, err := seal(m.key, raw, wrapAD(k))
	if err != nil {
		return DataKey{}, nil, fmt.Errorf("wrap data key: %w", err)
	}
	k.Wrapped = w
	return k, raw, nil
}
