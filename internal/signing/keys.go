package signing

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"os"
	"path/filepath"
	"time"
)

// Development key pair file names written by GenerateDevelopment.
const (
	DevKeyFile  = "sluis-signing-dev.key.pem"
	DevCertFile = "sluis-signing-dev.cert.pem"
)

// devKeyBits is the modulus size of development keys.
const devKeyBits = 3072

// checkRSAPublic returns ErrWeakKey unless pub is an RSA key of at least
// MinRSABits bits.
func checkRSAPublic(pub any) error {
	k, ok := pub.(*rsa.PublicKey)
	if !ok {
		return fmt.Errorf("%w: not an RSA key", ErrWeakKey)
	}
	if k.N.BitLen() < MinRSABits {
		return fmt.Errorf("%w: RSA-%d, need at least %d bits", ErrWeakKey, k.N.BitLen(), MinRSABits)
	}
	return nil
}

// LoadSigner reads a PEM private key (PKCS#1 "RSA PRIVATE KEY" or PKCS#8
// "PRIVATE KEY", unencrypted) from a file only its owner can access
// (ErrKeyFileMode) and a PEM certificate, checks the pair as NewSigner does
// and the certificate valid now (ErrCertExpired, ErrCertNotYetValid). Every
// error names the file it is about.
func LoadSigner(keyPEMFile, certPEMFile string) (*Signer, error) {
	s, err := loadPEMSigner(keyPEMFile, certPEMFile)
	if err != nil {
		return nil, err
	}
	if err := checkValidAt(s.cert, time.Now()); err != nil {
		return nil, fmt.Errorf("signing certificate %s: %w", certPEMFile, err)
	}
	return s, nil
}

// loadPEMSigner is LoadSigner without the validity period check.
func loadPEMSigner(keyPEMFile, certPEMFile string) (*Signer, error) {
	if err := checkKeyFileMode(keyPEMFile); err != nil {
		return nil, err
	}
	key, err := loadKey(keyPEMFile)
	if err != nil {
		return nil, err
	}
	certs, err := loadCerts(certPEMFile)
	if err != nil {
		return nil, err
	}
	s, err := NewSigner(key, certs[0])
	if err != nil {
		return nil, fmt.Errorf("signer from %s and %s: %w", keyPEMFile, certPEMFile, err)
	}
	return s, nil
}

// LoadVerifier reads every CERTIFICATE block of the given PEM files and
// calls NewVerifier with them.
func LoadVerifier(certPEMFiles ...string) (*Verifier, error) {
	var all []*x509.Certificate
	for _, f := range certPEMFiles {
		certs, err := loadCerts(f)
		if err != nil {
			return nil, err
		}
		all = append(all, certs...)
	}
	return NewVerifier(all...)
}

func loadKey(file string) (*rsa.PrivateKey, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("read signing key: %w", err)
	}
	for {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			return nil, fmt.Errorf("signing key %s: no PEM private key block", file)
		}
		switch block.Type {
		case "RSA PRIVATE KEY":
			k, err := x509.ParsePKCS1PrivateKey(block.Bytes)
			if err != nil {
				return nil, fmt.Errorf("signing key %s: PKCS#1: %w", file, err)
			}
			return k, nil
		case "PRIVATE KEY":
			k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
			if err != nil {
				return nil, fmt.Errorf("signing key %s: PKCS#8: %w", file, err)
			}
			rk, ok := k.(*rsa.PrivateKey)
			if !ok {
				return nil, fmt.Errorf("signing key %s: %w: not an RSA key", file, ErrWeakKey)
			}
			return rk, nil
		case "EC PRIVATE KEY":
			return nil, fmt.Errorf("signing key %s: %w: not an RSA key", file, ErrWeakKey)
		case "ENCRYPTED PRIVATE KEY":
			return nil, fmt.Errorf("signing key %s: encrypted keys are not supported", file)
		}
	}
}

func loadCerts(file string) ([]*x509.Certificate, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("read certificate: %w", err)
	}
	certs, err := ParseCertificates(data)
	if err != nil {
		return nil, fmt.Errorf("certificate %s: %w", file, err)
	}
	return certs, nil
}

// ErrNoCertificate: a PEM document without a CERTIFICATE block.
var ErrNoCertificate = errors.New("no PEM CERTIFICATE block")

// ParseCertificates reads every PEM CERTIFICATE block of data (other blocks
// are skipped); ErrNoCertificate when there is none.
func ParseCertificates(data []byte) ([]*x509.Certificate, error) {
	var certs []*x509.Certificate
	for {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, err
		}
		certs = append(certs, c)
	}
	if len(certs) == 0 {
		return nil, ErrNoCertificate
	}
	return certs, nil
}

// GenerateDevelopment makes an RSA-3072 key and a self-signed certificate,
// valid for one year, with subject CN commonName + " (DEVELOPMENT ONLY, not
// for production)", in dir as DevKeyFile (0600) and DevCertFile (0644).
//
// It is idempotent: when both files exist and load as a Signer they are
// reused. When only one exists, or they do not load, it returns
// ErrPartialKeyPair and touches nothing.
func GenerateDevelopment(dir string, commonName string) (keyFile, certFile string, err error) {
	if commonName == "" {
		return "", "", errors.New("development key pair: empty common name")
	}
	keyFile = filepath.Join(dir, DevKeyFile)
	certFile = filepath.Join(dir, DevCertFile)
	keyExists, err := exists(keyFile)
	if err != nil {
		return "", "", err
	}
	certExists, err := exists(certFile)
	if err != nil {
		return "", "", err
	}
	switch {
	case keyExists && certExists:
		if _, err := LoadSigner(keyFile, certFile); err != nil {
			return "", "", fmt.Errorf("%w: %w", ErrPartialKeyPair, err)
		}
		return keyFile, certFile, nil
	case keyExists || certExists:
		return "", "", fmt.Errorf("%w: only one of %s, %s exists", ErrPartialKeyPair, DevKeyFile, DevCertFile)
	}

	if err := GenerateDevelopmentPair(keyFile, certFile, commonName); err != nil {
		return "", "", err
	}
	return keyFile, certFile, nil
}

// GenerateDevelopmentPair makes an RSA-3072 key and a self-signed
// certificate, valid for one year, with subject CN commonName + "
// (DEVELOPMENT ONLY, not for production)", and writes them to keyFile (0600)
// and certFile (0644), creating their folders (0700) when missing. It never
// overwrites: when either file exists it returns ErrExists naming it and
// writes nothing.
func GenerateDevelopmentPair(keyFile, certFile, commonName string) error {
	if commonName == "" {
		return errors.New("development key pair: empty common name")
	}
	for _, f := range []string{keyFile, certFile} {
		ok, err := exists(f)
		if err != nil {
			return err
		}
		if ok {
			return fmt.Errorf("development key pair: %s: %w", f, ErrExists)
		}
	}
	for _, d := range []string{filepath.Dir(keyFile), filepath.Dir(certFile)} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return fmt.Errorf("development key pair: %w", err)
		}
	}
	key, err := rsa.GenerateKey(rand.Reader, devKeyBits)
	if err != nil {
		return fmt.Errorf("development key pair: generate key: %w", err)
	}
	certDER, err := selfSigned(key, commonName+" (DEVELOPMENT ONLY, not for production)", time.Now(), 365*24*time.Hour)
	if err != nil {
		return fmt.Errorf("development key pair: %w", err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return fmt.Errorf("development key pair: marshal key: %w", err)
	}
	if err := writeNew(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		return err
	}
	if err := writeNew(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: certDER}), 0o644); err != nil {
		_ = os.Remove(keyFile) // written just now by this call
		return err
	}
	return nil
}

// selfSigned returns the DER of a self-signed signing certificate for key,
// valid from now (minus five minutes for clock skew) for validFor.
func selfSigned(key *rsa.PrivateKey, cn string, now time.Time, validFor time.Duration) ([]byte, error) {
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, fmt.Errorf("serial number: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: cn},
		NotBefore:             now.Add(-5 * time.Minute),
		NotAfter:              now.Add(validFor),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, fmt.Errorf("create certificate: %w", err)
	}
	return der, nil
}

func exists(path string) (bool, error) {
	_, err := os.Stat(path)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, fs.ErrNotExist):
		return false, nil
	default:
		return false, fmt.Errorf("development key pair: %w", err)
	}
}
