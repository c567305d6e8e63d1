package signing

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestNewSigner(t *testing.T) {
	trusted, other, weak := trustedPair(t), otherPair(t), weakPair(t)
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ecDER, err := x509.CreateCertificate(rand.Reader, &x509.Certificate{SerialNumber: trusted.cert.SerialNumber, NotAfter: time.Now().Add(time.Hour)}, trusted.cert, &ecKey.PublicKey, trusted.key)
	if err != nil {
		t.Fatal(err)
	}
	ecCert, err := x509.ParseCertificate(ecDER)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		key  *rsa.PrivateKey
		cert *x509.Certificate
		want error
	}{
		{"RSA-2048 with its certificate", trusted.key, trusted.cert, nil},
		{"RSA-1024", weak.key, weak.cert, ErrWeakKey},
		{"RSA-2048 key, RSA-1024 certificate", trusted.key, weak.cert, ErrWeakKey},
		{"key of another certificate", trusted.key, other.cert, ErrKeyMismatch},
		{"ECDSA certificate", trusted.key, ecCert, ErrWeakKey},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := NewSigner(tc.key, tc.cert)
			if !errors.Is(err, tc.want) {
				t.Fatalf("NewSigner error = %v, want %v", err, tc.want)
			}
			if tc.want == nil && !s.Certificate().Equal(tc.cert) {
				t.Errorf("Certificate() is not the given certificate")
			}
			if tc.want != nil && s != nil {
				t.Errorf("NewSigner returned a signer with an error")
			}
		})
	}
	if _, err := NewSigner(nil, trusted.cert); err == nil {
		t.Error("NewSigner(nil key) succeeded")
	}
	if _, err := NewSigner(trusted.key, nil); err == nil {
		t.Error("NewSigner(nil cert) succeeded")
	}
}

func TestNewVerifier(t *testing.T) {
	trusted, other, weak := trustedPair(t), otherPair(t), weakPair(t)
	tests := []struct {
		name  string
		certs []*x509.Certificate
		want  error
	}{
		{"one RSA-2048", []*x509.Certificate{trusted.cert}, nil},
		{"two RSA-2048", []*x509.Certificate{trusted.cert, other.cert}, nil},
		{"RSA-1024", []*x509.Certificate{weak.cert}, ErrWeakKey},
		{"RSA-2048 and RSA-1024", []*x509.Certificate{trusted.cert, weak.cert}, ErrWeakKey},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := NewVerifier(tc.certs...); !errors.Is(err, tc.want) {
				t.Fatalf("NewVerifier error = %v, want %v", err, tc.want)
			}
		})
	}
	if _, err := NewVerifier(); err == nil {
		t.Error("NewVerifier() with no certificates succeeded")
	}
	if _, err := NewVerifier(nil); err == nil {
		t.Error("NewVerifier(nil) succeeded")
	}
}

func TestLoadSignerAndVerifier(t *testing.T) {
	p := trustedPair(t)
	for _, pkcs8 := range []bool{false, true} {
		name := map[bool]string{false: "PKCS#1", true: "PKCS#8"}[pkcs8]
		t.Run(name, func(t *testing.T) {
			keyFile, certFile := writePEMs(t, t.TempDir(), p, pkcs8)
			s, err := LoadSigner(keyFile, certFile)
			if err != nil {
				t.Fatalf("LoadSigner: %v", err)
			}
			v, err := LoadVerifier(certFile)
			if err != nil {
				t.Fatalf("LoadVerifier: %v", err)
			}
			if _, err := v.Open(mustSeal(t, s, testMeta(), wmo301(t))); err != nil {
				t.Fatalf("Open: %v", err)
			}
		})
	}

	dir := t.TempDir()
	keyFile, certFile := writePEMs(t, dir, p, false)
	weakKey, weakCert := writePEMs(t, t.TempDir(), weakPair(t), true)
	_, otherCert := writePEMs(t, t.TempDir(), otherPair(t), true)
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ecDER, err := x509.MarshalPKCS8PrivateKey(ecKey)
	if err != nil {
		t.Fatal(err)
	}
	ecFile := filepath.Join(dir, "ec.pem")
	encFile := filepath.Join(dir, "enc.pem")
	junkFile := filepath.Join(dir, "junk.pem")
	certAsKey := filepath.Join(dir, "cert-as-key.pem") // mode 0600, to pass the key file check
	certPEM, err := os.ReadFile(certFile)
	if err != nil {
		t.Fatal(err)
	}
	for f, data := range map[string][]byte{
		certAsKey: certPEM,
		ecFile:    pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: ecDER}),
		encFile:   pem.EncodeToMemory(&pem.Block{Type: "ENCRYPTED PRIVATE KEY", Bytes: []byte{1, 2, 3}}),
		junkFile:  []byte("not pem"),
	} {
		if err := os.WriteFile(f, data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	bad := []struct {
		name          string
		key, cert     string
		wantIs        error
		wantMentioned string
	}{
		{"missing key file", filepath.Join(dir, "nope.pem"), certFile, os.ErrNotExist, ""},
		{"missing cert file", keyFile, filepath.Join(dir, "nope.pem"), os.ErrNotExist, ""},
		{"certificate given as key", certAsKey, certFile, nil, "no PEM private key"},
		{"key given as certificate", keyFile, keyFile, nil, "no PEM CERTIFICATE"},
		{"not PEM", junkFile, certFile, nil, "no PEM private key"},
		{"ECDSA key", ecFile, certFile, ErrWeakKey, ""},
		{"encrypted key", encFile, certFile, nil, "encrypted"},
		{"RSA-1024", weakKey, weakCert, ErrWeakKey, ""},
		{"RSA-2048 key, RSA-1024 certificate", keyFile, weakCert, ErrWeakKey, ""},
		{"key and certificate of different pairs", keyFile, otherCert, ErrKeyMismatch, ""},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			_, err := LoadSigner(tc.key, tc.cert)
			if err == nil {
				t.Fatal("LoadSigner succeeded")
			}
			if tc.wantIs != nil && !errors.Is(err, tc.wantIs) {
				t.Errorf("error = %v, want %v", err, tc.wantIs)
			}
			if !strings.Contains(err.Error(), tc.wantMentioned) {
				t.Errorf("error = %v, want it to mention %q", err, tc.wantMentioned)
			}
		})
	}

	// Several certificates in one file, and in several files.
	both := filepath.Join(dir, "both.pem")
	data := append(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: otherPair(t).cert.Raw}),
		pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: p.cert.Raw})...)
	if err := os.WriteFile(both, data, 0o644); err != nil {
		t.Fatal(err)
	}
	v, err := LoadVerifier(both)
	if err != nil {
		t.Fatalf("LoadVerifier of a bundle: %v", err)
	}
	if _, err := v.Open(mustSeal(t, mustSigner(t, p), testMeta(), wmo301(t))); err != nil {
		t.Errorf("Open with the second certificate of a bundle: %v", err)
	}
	if _, err := LoadVerifier(certFile, weakCert); !errors.Is(err, ErrWeakKey) {
		t.Errorf("LoadVerifier with a weak certificate: %v, want ErrWeakKey", err)
	}
	if _, err := LoadVerifier(keyFile); err == nil {
		t.Errorf("LoadVerifier of a key file succeeded")
	}
}

func TestGenerateDevelopment(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "keys")
	keyFile, certFile, err := GenerateDevelopment(dir, "sluis test")
	if err != nil {
		t.Fatalf("GenerateDevelopment: %v", err)
	}
	for file, mode := range map[string]os.FileMode{keyFile: 0o600, certFile: 0o644} {
		fi, err := os.Stat(file)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != mode {
			t.Errorf("%s mode = %v, want %v", filepath.Base(file), fi.Mode().Perm(), mode)
		}
	}
	s, err := LoadSigner(keyFile, certFile)
	if err != nil {
		t.Fatalf("LoadSigner of development pair: %v", err)
	}
	cert := s.Certificate()
	if want := "sluis test (DEVELOPMENT ONLY, not for production)"; cert.Subject.CommonName != want {
		t.Errorf("CN = %q, want %q", cert.Subject.CommonName, want)
	}
	if bits := cert.PublicKey.(*rsa.PublicKey).N.BitLen(); bits != 3072 {
		t.Errorf("key size = %d, want 3072", bits)
	}
	if d := cert.NotAfter.Sub(cert.NotBefore); d < 364*24*time.Hour || d > 366*24*time.Hour {
		t.Errorf("validity = %v, want about a year", d)
	}
	v, err := LoadVerifier(certFile)
	if err != nil {
		t.Fatal(err)
	}
	signed := mustSeal(t, s, testMeta(), wmo301(t))
	if _, err := v.Open(signed); err != nil {
		t.Fatalf("Open: %v", err)
	}
	if out, err := xmlsec1(t, "--verify", "--trusted-pem", certFile, "--enabled-reference-uris", "empty", writeFile(t, t.TempDir(), "s.xml", signed)); err != nil {
		t.Fatalf("xmlsec1 rejects a development-key signature: %v\n%s", err, out)
	}

	// Second call: reuses the files unchanged.
	before, _ := os.ReadFile(keyFile)
	k2, c2, err := GenerateDevelopment(dir, "sluis test")
	if err != nil {
		t.Fatalf("second GenerateDevelopment: %v", err)
	}
	after, _ := os.ReadFile(k2)
	if k2 != keyFile || c2 != certFile || !bytes.Equal(before, after) {
		t.Errorf("second call did not reuse the key pair")
	}

	// Only one of the two files: refuse, touch nothing.
	if err := os.Remove(certFile); err != nil {
		t.Fatal(err)
	}
	if _, _, err := GenerateDevelopment(dir, "sluis test"); !errors.Is(err, ErrPartialKeyPair) {
		t.Errorf("with the key only: %v, want ErrPartialKeyPair", err)
	}
	if _, err := os.Stat(certFile); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("certificate was recreated next to an existing key")
	}
	// Both files, but not a pair.
	if err := os.WriteFile(certFile, []byte("junk"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := GenerateDevelopment(dir, "sluis test"); !errors.Is(err, ErrPartialKeyPair) {
		t.Errorf("with a broken certificate: %v, want ErrPartialKeyPair", err)
	}
	if _, _, err := GenerateDevelopment(t.TempDir(), ""); err == nil {
		t.Errorf("empty common name accepted")
	}
}
