package testenv

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/sluis-gateway/sluis/internal/signing"
)

// KeyPair is a development signing key and certificate made for one test.
type KeyPair struct {
	Signer   *signing.Signer
	KeyFile  string // PEM, private key
	CertFile string // PEM, self-signed certificate (common name as given)
}

// NewKeyPair generates a development key and certificate named cn in a
// folder of t.TempDir() (signing.GenerateDevelopment) and loads its signer.
func NewKeyPair(t testing.TB, cn string) KeyPair {
	t.Helper()
	key, cert, err := signing.GenerateDevelopment(filepath.Join(t.TempDir(), "keys"), cn)
	if err != nil {
		t.Fatalf("generate a key pair for %q: %v", cn, err)
	}
	s, err := signing.LoadSigner(key, cert)
	if err != nil {
		t.Fatalf("load the signer of %q: %v", cn, err)
	}
	return KeyPair{Signer: s, KeyFile: key, CertFile: cert}
}

// CertPair writes, in dir, an RSA key of bits bits (name.key.pem, 0600) and a
// self-signed certificate for it (name.cert.pem) made from a template that
// edit may change (nil: none): valid from an hour ago for a day,
// digitalSignature, not a CA. It returns the two paths. Tests make expired,
// not yet valid, CA or weak certificates with it.
func CertPair(t testing.TB, dir, name string, bits int, edit func(*x509.Certificate)) (keyFile, certFile string) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, bits)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(now.UnixNano()), Subject: pkix.Name{CommonName: name + " (test)"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, BasicConstraintsValid: true,
	}
	if edit != nil {
		edit(tmpl)
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	keyFile, certFile = filepath.Join(dir, name+".key.pem"), filepath.Join(dir, name+".cert.pem")
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		t.Fatal(err)
	}
	return keyFile, certFile
}
