package signing

import (
	"crypto"
	"crypto/x509"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"
)

// The start-up checks of a signing key and certificate (docs/signing.md).
// Each refusal is one of these errors, wrapped with the file it concerns.
var (
	// ErrCertExpired: the signing certificate's NotAfter has passed at the
	// moment it would sign.
	ErrCertExpired = errors.New("signing: certificate expired")
	// ErrCertNotYetValid: the signing certificate's NotBefore is after the
	// moment it would start signing.
	ErrCertNotYetValid = errors.New("signing: certificate not yet valid")
	// ErrCertKeyUsage: the certificate has no key usage extension allowing
	// digitalSignature.
	ErrCertKeyUsage = errors.New("signing: certificate key usage does not allow digitalSignature")
	// ErrCertIsCA: the certificate is a CA certificate; a CA key does not
	// sign messages.
	ErrCertIsCA = errors.New("signing: CA certificate used as a signer")
	// ErrKeyFileMode: the private key file can be read or written by others
	// than its owner (mode & 0o077 != 0).
	ErrKeyFileMode = errors.New("signing: key file accessible to others")
	// ErrExists: a file GenerateDevelopmentPair would write already exists;
	// it never overwrites a key or certificate.
	ErrExists = errors.New("signing: file exists")
)

// checkSignerPair checks what does not depend on the time: an RSA key of at
// least MinRSABits (ErrWeakKey) whose public half is the certificate's
// (ErrKeyMismatch), a certificate that allows digitalSignature
// (ErrCertKeyUsage) and is not a CA (ErrCertIsCA).
func checkSignerPair(pub crypto.PublicKey, cert *x509.Certificate) error {
	if err := checkRSAPublic(pub); err != nil {
		return err
	}
	if err := checkRSAPublic(cert.PublicKey); err != nil {
		return fmt.Errorf("certificate: %w", err)
	}
	k, ok := pub.(interface{ Equal(crypto.PublicKey) bool })
	if !ok || !k.Equal(cert.PublicKey) {
		return ErrKeyMismatch
	}
	return checkSignerUse(cert)
}

// checkSignerUse returns ErrCertIsCA for a CA certificate and
// ErrCertKeyUsage unless the key usage allows digitalSignature.
func checkSignerUse(cert *x509.Certificate) error {
	if cert.IsCA {
		return ErrCertIsCA
	}
	if cert.KeyUsage&x509.KeyUsageDigitalSignature == 0 {
		return ErrCertKeyUsage
	}
	return nil
}

// CheckSignerCertificate applies the start-up checks of a signing
// certificate to one whose private key is elsewhere (a care provider's
// retour certificate): an RSA key of at least MinRSABits (ErrWeakKey), not
// a CA (ErrCertIsCA), a key usage allowing digitalSignature
// (ErrCertKeyUsage), valid at at (ErrCertNotYetValid, ErrCertExpired).
func CheckSignerCertificate(cert *x509.Certificate, at time.Time) error {
	if err := checkRSAPublic(cert.PublicKey); err != nil {
		return err
	}
	if err := checkSignerUse(cert); err != nil {
		return err
	}
	return checkValidAt(cert, at)
}

// checkValidAt returns ErrCertNotYetValid or ErrCertExpired unless at lies
// within the certificate's validity period.
func checkValidAt(cert *x509.Certificate, at time.Time) error {
	switch {
	case at.Before(cert.NotBefore):
		return fmt.Errorf("%w: valid from %s, needed at %s", ErrCertNotYetValid,
			cert.NotBefore.UTC().Format(time.RFC3339), at.UTC().Format(time.RFC3339))
	case at.After(cert.NotAfter):
		return fmt.Errorf("%w: valid until %s, needed at %s", ErrCertExpired,
			cert.NotAfter.UTC().Format(time.RFC3339), at.UTC().Format(time.RFC3339))
	}
	return nil
}

// checkKeyFileMode refuses a key file whose permission bits give anyone but
// its owner access (ErrKeyFileMode, naming the file and the mode).
func checkKeyFileMode(file string) error {
	fi, err := os.Stat(file)
	if err != nil {
		return fmt.Errorf("signing key %s: %w", file, err)
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		return fmt.Errorf("signing key %s: %w: mode %04o, want 0600 or stricter", file, ErrKeyFileMode, perm)
	}
	return nil
}

// writeNew writes data to a file that must not exist yet (ErrExists), with
// mode perm.
func writeNew(path string, data []byte, perm os.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("%s: %w", path, ErrExists)
	}
	if err != nil {
		return fmt.Errorf("development key pair: %w", err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("development key pair: write %s: %w", path, err)
	}
	if err := f.Chmod(perm); err != nil { // umask may have narrowed it
		f.Close()
		return fmt.Errorf("development key pair: chmod %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("development key pair: close %s: %w", path, err)
	}
	return nil
}
