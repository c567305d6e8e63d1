package signing

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/ThalesGroup/crypto11"
)

// ErrToken: the PKCS#11 module, token or key cannot be used (the module
// does not load, the token label or PIN is wrong, no key pair has the label).
var ErrToken = errors.New("signing: PKCS#11 token")

// PKCS11Config selects a token of a PKCS#11 module (an HSM, or SoftHSM2 in
// development and tests).
type PKCS11Config struct {
	// Module is the PKCS#11 library, e.g. /usr/lib/softhsm/libsofthsm2.so.
	Module string
	// TokenLabel is the label of the token holding the signing keys.
	TokenLabel string
	// PINFile holds the token's user PIN (surrounding white space is
	// ignored); it must be readable by its owner only, as a key file.
	PINFile string
}

// Token is an open session pool on a PKCS#11 token. Signers made by
// Signer sign on the token: the private key never leaves it. A Token is
// safe for concurrent use; Close it when no Signer of it is used any more.
type Token struct {
	ctx *crypto11.Context
}

// OpenToken logs in to the token cfg names. Errors wrap ErrToken, or
// ErrKeyFileMode for a PIN file others can read.
func OpenToken(cfg PKCS11Config) (*Token, error) {
	if cfg.Module == "" || cfg.TokenLabel == "" || cfg.PINFile == "" {
		return nil, fmt.Errorf("%w: module, token label and PIN file are required", ErrToken)
	}
	if err := checkKeyFileMode(cfg.PINFile); err != nil {
		return nil, fmt.Errorf("PIN file: %w", err)
	}
	pin, err := os.ReadFile(cfg.PINFile)
	if err != nil {
		return nil, fmt.Errorf("%w: PIN file: %w", ErrToken, err)
	}
	ctx, err := crypto11.Configure(&crypto11.Config{
		Path:       cfg.Module,
		TokenLabel: cfg.TokenLabel,
		Pin:        strings.TrimSpace(string(pin)),
	})
	if err != nil {
		// crypto11's messages name the module and token, never the PIN.
		return nil, fmt.Errorf("%w: module %s, token %q: %w", ErrToken, cfg.Module, cfg.TokenLabel, err)
	}
	return &Token{ctx: ctx}, nil
}

// Signer returns a Signer whose key is the token's key pair labelled
// keyLabel and whose certificate is the first in certPEMFile. The pair is
// checked as NewSigner checks it; the validity period is not (Source and the
// caller check it for the moment the key signs).
func (t *Token) Signer(keyLabel, certPEMFile string) (*Signer, error) {
	key, err := t.ctx.FindKeyPair(nil, []byte(keyLabel))
	if err != nil {
		return nil, fmt.Errorf("%w: key %q: %w", ErrToken, keyLabel, err)
	}
	if key == nil {
		return nil, fmt.Errorf("%w: no key pair labelled %q", ErrToken, keyLabel)
	}
	certs, err := loadCerts(certPEMFile)
	if err != nil {
		return nil, err
	}
	s, err := newCheckedSigner(key, certs[0])
	if err != nil {
		return nil, fmt.Errorf("signer from token key %q and %s: %w", keyLabel, certPEMFile, err)
	}
	return s, nil
}

// Close ends the token's sessions.
func (t *Token) Close() error {
	if err := t.ctx.Close(); err != nil {
		return fmt.Errorf("%w: close: %w", ErrToken, err)
	}
	return nil
}
