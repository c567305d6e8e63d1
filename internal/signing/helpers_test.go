package signing

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/beevik/etree"
	"github.com/russellhaering/goxmldsig/etreeutils"
)

// testPair is a key with its self-signed certificate.
type testPair struct {
	key  *rsa.PrivateKey
	cert *x509.Certificate
}

var (
	pairsMu sync.Mutex
	pairs   = map[string]testPair{}
)

// pair returns the key pair called name with a modulus of bits, generated
// once per test binary (RSA generation is slow under the race detector).
func pair(t testing.TB, name string, bits int) testPair {
	t.Helper()
	pairsMu.Lock()
	defer pairsMu.Unlock()
	if p, ok := pairs[name]; ok {
		return p
	}
	key, err := rsa.GenerateKey(rand.Reader, bits)
	if err != nil {
		t.Fatalf("generate %s: %v", name, err)
	}
	cert := makeCert(t, key, name, time.Now(), 24*time.Hour)
	p := testPair{key: key, cert: cert}
	pairs[name] = p
	return p
}

func makeCert(t testing.TB, key *rsa.PrivateKey, cn string, from time.Time, validFor time.Duration) *x509.Certificate {
	t.Helper()
	der, err := selfSigned(key, cn, from, validFor)
	if err != nil {
		t.Fatalf("certificate %s: %v", cn, err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatalf("parse certificate %s: %v", cn, err)
	}
	return cert
}

func trustedPair(t testing.TB) testPair { return pair(t, "trusted", 2048) }
func otherPair(t testing.TB) testPair   { return pair(t, "other", 2048) }
func weakPair(t testing.TB) testPair    { return pair(t, "weak", 1024) }

func mustSigner(t testing.TB, p testPair) *Signer {
	t.Helper()
	s, err := NewSigner(p.key, p.cert)
	if err != nil {
		t.Fatalf("NewSigner: %v", err)
	}
	return s
}

func mustVerifier(t testing.TB, certs ...*x509.Certificate) *Verifier {
	t.Helper()
	v, err := NewVerifier(certs...)
	if err != nil {
		t.Fatalf("NewVerifier: %v", err)
	}
	return v
}

func testMeta() Meta {
	return Meta{
		MessageID:   "01JD5Q7Z3X-wmo301.1",
		Standard:    "iWmo",
		MessageType: "WMO301",
		Sender:      "0384",
		Recipient:   "42420001",
		Created:     time.Date(2026, 11, 23, 1, 2, 3, 456000000, time.UTC),
	}
}

// wmo301 is the official iWmo 3.2 WMO301 example message (7 KB).
func wmo301(t testing.TB) []byte { return example(t, "WMO301.xml") }

// example reads an official iWmo / iJw 3.2 example message from testdata.
func example(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatalf("read example: %v", err)
	}
	return b
}

func mustSeal(t testing.TB, s *Signer, m Meta, bericht []byte) []byte {
	t.Helper()
	out, err := s.Seal(m, bericht)
	if err != nil {
		t.Fatalf("Seal: %v", err)
	}
	return out
}

// c14n returns the exclusive C14N form of the root of an XML document.
func c14n(t testing.TB, doc []byte) []byte {
	t.Helper()
	d := etree.NewDocument()
	if err := d.ReadFromBytes(doc); err != nil {
		t.Fatalf("parse for c14n: %v", err)
	}
	root := d.Root()
	if err := etreeutils.TransformExcC14n(root, "", false); err != nil {
		t.Fatalf("c14n: %v", err)
	}
	out := etree.NewDocument()
	out.SetRoot(root)
	out.WriteSettings = canonicalWrite
	b, err := out.WriteToBytes()
	if err != nil {
		t.Fatalf("c14n write: %v", err)
	}
	return b
}

// writePEMs writes the pair's key (PKCS#1 or PKCS#8) and certificate into
// dir and returns the paths.
func writePEMs(t testing.TB, dir string, p testPair, pkcs8 bool) (keyFile, certFile string) {
	t.Helper()
	var block *pem.Block
	if pkcs8 {
		der, err := x509.MarshalPKCS8PrivateKey(p.key)
		if err != nil {
			t.Fatal(err)
		}
		block = &pem.Block{Type: "PRIVATE KEY", Bytes: der}
	} else {
		block = &pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(p.key)}
	}
	keyFile = filepath.Join(dir, "key.pem")
	certFile = filepath.Join(dir, "cert.pem")
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(block), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: p.cert.Raw}), 0o644); err != nil {
		t.Fatal(err)
	}
	return keyFile, certFile
}
