package testenv

import (
	"path/filepath"
	"testing"

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
