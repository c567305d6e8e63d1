package signing

import (
	"crypto/x509"
	"errors"
	"fmt"
	"sync"
	"time"
)

// ErrNoNextFrom: a next key is configured without the moment it takes over.
var ErrNoNextFrom = errors.New("signing: next key without a start moment")

// KeyRef names one signing key and its certificate: a PEM key file, or the
// label of a key pair on the Source's PKCS#11 token.
type KeyRef struct {
	// KeyFile is the PEM private key (PEM sources).
	KeyFile string
	// KeyLabel is the token's key pair label (PKCS#11 sources).
	KeyLabel string
	// CertFile is the PEM certificate of the key.
	CertFile string
}

func (r KeyRef) isZero() bool { return r == KeyRef{} }

// SourceConfig configures a Source.
type SourceConfig struct {
	// Current is the key sluis signs with until NextFrom.
	Current KeyRef
	// Next, when set, is the key sluis signs with from NextFrom on (key
	// rotation). Both certificates are in Trusted meanwhile.
	Next KeyRef
	// NextFrom is the moment Next takes over; required with Next.
	NextFrom time.Time
	// PKCS11, when set, makes the keys labels on this token; otherwise they
	// are PEM files.
	PKCS11 *PKCS11Config
	// Now is the clock (nil: time.Now); tests inject one.
	Now func() time.Time
}

// Source seals with the signing key in force at the moment of sealing: the
// current key until NextFrom, the next key from then on. Reload reads the
// keys and certificates again without a restart. A Source is safe for
// concurrent use.
type Source struct {
	cfg   SourceConfig
	now   func() time.Time
	token *Token // nil for PEM sources

	mu        sync.RWMutex
	cur, next *Signer // next is nil without rotation
}

// NewSource loads and checks the configured keys (see Reload for the
// checks) and returns the Source.
func NewSource(cfg SourceConfig) (*Source, error) {
	if cfg.Current.isZero() {
		return nil, errors.New("signing: no current key configured")
	}
	if !cfg.Next.isZero() && cfg.NextFrom.IsZero() {
		return nil, ErrNoNextFrom
	}
	s := &Source{cfg: cfg, now: cfg.Now}
	if s.now == nil {
		s.now = time.Now
	}
	if cfg.PKCS11 != nil {
		t, err := OpenToken(*cfg.PKCS11)
		if err != nil {
			return nil, err
		}
		s.token = t
	}
	if err := s.Reload(); err != nil {
		_ = s.Close()
		return nil, err
	}
	return s, nil
}

// Reload reads the keys and certificates again (from their files, or from
// the token by label) and checks them; only when all pass does the Source
// start using them, otherwise it keeps the ones it had and returns the
// error. The checks are NewSigner's (key size, key/certificate match, key
// usage, no CA), the key file's mode for PEM keys, and the validity period
// for the time each key will sign: the current certificate must be valid now
// (unless NextFrom has passed and it is retired), the next one at NextFrom
// (or now, when NextFrom has passed).
func (s *Source) Reload() error {
	now := s.now()
	cur, err := s.load(s.cfg.Current)
	if err != nil {
		return err
	}
	retired := !s.cfg.Next.isZero() && !now.Before(s.cfg.NextFrom)
	if !retired {
		if err := checkValidAt(cur.cert, now); err != nil {
			return fmt.Errorf("signing certificate %s: %w", s.cfg.Current.CertFile, err)
		}
	}
	var next *Signer
	if !s.cfg.Next.isZero() {
		if next, err = s.load(s.cfg.Next); err != nil {
			return err
		}
		at := s.cfg.NextFrom
		if now.After(at) {
			at = now
		}
		if err := checkValidAt(next.cert, at); err != nil {
			return fmt.Errorf("next signing certificate %s: %w", s.cfg.Next.CertFile, err)
		}
	}
	s.mu.Lock()
	s.cur, s.next = cur, next
	s.mu.Unlock()
	return nil
}

func (s *Source) load(r KeyRef) (*Signer, error) {
	if s.token != nil {
		return s.token.Signer(r.KeyLabel, r.CertFile)
	}
	return loadPEMSigner(r.KeyFile, r.CertFile)
}

// active returns the signer in force at t.
func (s *Source) active(t time.Time) *Signer {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.next != nil && !t.Before(s.cfg.NextFrom) {
		return s.next
	}
	return s.cur
}

// Seal seals with the key in force now (see Signer.Seal). It refuses, with
// ErrCertExpired or ErrCertNotYetValid, to sign with a certificate that is
// not valid at this moment: a provider would refuse the message.
func (s *Source) Seal(m Meta, bericht []byte) ([]byte, error) {
	now := s.now()
	signer := s.active(now)
	if err := checkValidAt(signer.cert, now); err != nil {
		return nil, fmt.Errorf("seal %s: %w", m.MessageID, err)
	}
	return signer.Seal(m, bericht)
}

// Certificate returns the certificate of the key in force now.
func (s *Source) Certificate() *x509.Certificate { return s.active(s.now()).cert }

// Trusted returns the certificates providers must trust: the current one,
// and during a rotation the next one too. Messages signed before and after
// NextFrom verify against this set (docs/signing.md, "Rotation").
func (s *Source) Trusted() []*x509.Certificate {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := []*x509.Certificate{s.cur.cert}
	if s.next != nil {
		out = append(out, s.next.cert)
	}
	return out
}

// Close releases the token of a PKCS#11 source; a PEM source has nothing
// to release.
func (s *Source) Close() error {
	if s.token == nil {
		return nil
	}
	return s.token.Close()
}

// Certificates returns the current certificate and, during a rotation, the
// next one (nil without rotation), for monitoring their expiry.
func (s *Source) Certificates() (current, next *x509.Certificate) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.next != nil {
		next = s.next.cert
	}
	return s.cur.cert, next
}
