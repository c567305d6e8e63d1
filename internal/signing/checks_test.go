package signing

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// certFor makes a self-signed certificate for key from a template a test
// has edited (valid from an hour ago for a day, digitalSignature, not a CA).
func certFor(t testing.TB, key *rsa.PrivateKey, edit func(*x509.Certificate)) *x509.Certificate {
	t.Helper()
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(now.UnixNano()),
		Subject:               pkix.Name{CommonName: "sluis check test"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
	}
	if edit != nil {
		edit(tmpl)
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatalf("create certificate: %v", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return cert
}

// writeCert writes cert as PEM into dir/name and returns the path.
func writeCert(t testing.TB, dir, name string, cert *x509.Certificate) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw}), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// writeKey writes key as PKCS#8 PEM into dir/name with mode and returns the
// path.
func writeKey(t testing.TB, dir, name string, key *rsa.PrivateKey, mode os.FileMode) string {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, mode); err != nil { // WriteFile's mode passes the umask
		t.Fatal(err)
	}
	return p
}

// TestLoadSignerStartupChecks: every bad signing certificate or key file is
// refused with its named error and the name of the file (and, for the key
// file's mode, the mode).
func TestLoadSignerStartupChecks(t *testing.T) {
	key, other, weak := trustedPair(t).key, otherPair(t).key, weakPair(t).key
	now := time.Now()
	tests := []struct {
		name     string
		key      *rsa.PrivateKey // written to key.pem
		keyMode  os.FileMode
		certKey  *rsa.PrivateKey // the certificate's key
		edit     func(*x509.Certificate)
		want     error
		mentions []string // besides the file
		wantFile string   // "key" or "cert": the file the error names
	}{
		{name: "good pair", key: key, keyMode: 0o600, certKey: key},
		{name: "key file 0400", key: key, keyMode: 0o400, certKey: key},
		{name: "expired certificate", key: key, keyMode: 0o600, certKey: key,
			edit: func(c *x509.Certificate) { c.NotBefore, c.NotAfter = now.Add(-48*time.Hour), now.Add(-time.Hour) },
			want: ErrCertExpired, wantFile: "cert"},
		{name: "certificate not yet valid", key: key, keyMode: 0o600, certKey: key,
			edit: func(c *x509.Certificate) { c.NotBefore, c.NotAfter = now.Add(time.Hour), now.Add(48*time.Hour) },
			want: ErrCertNotYetValid, wantFile: "cert"},
		{name: "key usage without digitalSignature", key: key, keyMode: 0o600, certKey: key,
			edit: func(c *x509.Certificate) { c.KeyUsage = x509.KeyUsageKeyEncipherment },
			want: ErrCertKeyUsage, wantFile: "cert"},
		{name: "no key usage extension", key: key, keyMode: 0o600, certKey: key,
			edit: func(c *x509.Certificate) { c.KeyUsage = 0 },
			want: ErrCertKeyUsage, wantFile: "cert"},
		{name: "CA certificate as signer", key: key, keyMode: 0o600, certKey: key,
			edit: func(c *x509.Certificate) {
				c.IsCA, c.KeyUsage = true, x509.KeyUsageDigitalSignature|x509.KeyUsageCertSign
			},
			want: ErrCertIsCA, wantFile: "cert"},
		{name: "key does not match certificate", key: key, keyMode: 0o600, certKey: other,
			want: ErrKeyMismatch, wantFile: "cert"},
		{name: "RSA-1024", key: weak, keyMode: 0o600, certKey: weak,
			want: ErrWeakKey, mentions: []string{"1024"}, wantFile: "key"},
		{name: "key file readable by all", key: key, keyMode: 0o644, certKey: key,
			want: ErrKeyFileMode, mentions: []string{"0644"}, wantFile: "key"},
		{name: "key file readable by group", key: key, keyMode: 0o640, certKey: key,
			want: ErrKeyFileMode, mentions: []string{"0640"}, wantFile: "key"},
		{name: "key file writable by others", key: key, keyMode: 0o602, certKey: key,
			want: ErrKeyFileMode, mentions: []string{"0602"}, wantFile: "key"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			keyFile := writeKey(t, dir, "signing.key.pem", tc.key, tc.keyMode)
			certFile := writeCert(t, dir, "signing.cert.pem", certFor(t, tc.certKey, tc.edit))
			s, err := LoadSigner(keyFile, certFile)
			if tc.want == nil {
				if err != nil {
					t.Fatalf("LoadSigner: %v", err)
				}
				if _, err := s.Seal(testMeta(), wmo301(t)); err != nil {
					t.Fatalf("Seal: %v", err)
				}
				return
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("LoadSigner error = %v, want %v", err, tc.want)
			}
			file := map[string]string{"key": keyFile, "cert": certFile}[tc.wantFile]
			for _, m := range append(tc.mentions, file) {
				if !strings.Contains(err.Error(), m) {
					t.Errorf("error %q does not mention %q", err, m)
				}
			}
		})
	}
}

// TestGenerateDevelopmentPairNeverOverwrites: with either file present it
// refuses with ErrExists naming the file and changes nothing.
func TestGenerateDevelopmentPairNeverOverwrites(t *testing.T) {
	existing := []byte("an operator's file\n")
	tests := []struct {
		name               string
		keyThere, crtThere bool
	}{
		{"neither exists", false, false},
		{"key exists", true, false},
		{"certificate exists", false, true},
		{"both exist", true, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "sub")
			keyFile, certFile := filepath.Join(dir, "k.pem"), filepath.Join(dir, "c.pem")
			if err := os.MkdirAll(dir, 0o700); err != nil {
				t.Fatal(err)
			}
			for f, there := range map[string]bool{keyFile: tc.keyThere, certFile: tc.crtThere} {
				if there {
					if err := os.WriteFile(f, existing, 0o600); err != nil {
						t.Fatal(err)
					}
				}
			}
			err := GenerateDevelopmentPair(keyFile, certFile, "sluis test")
			if !tc.keyThere && !tc.crtThere {
				if err != nil {
					t.Fatalf("GenerateDevelopmentPair: %v", err)
				}
				if _, err := LoadSigner(keyFile, certFile); err != nil {
					t.Fatalf("generated pair does not load: %v", err)
				}
				return
			}
			if !errors.Is(err, ErrExists) {
				t.Fatalf("error = %v, want ErrExists", err)
			}
			named := keyFile
			if !tc.keyThere {
				named = certFile
			}
			if !strings.Contains(err.Error(), named) {
				t.Errorf("error %q does not name %s", err, named)
			}
			for f, there := range map[string]bool{keyFile: tc.keyThere, certFile: tc.crtThere} {
				got, err := os.ReadFile(f)
				switch {
				case there && !bytes.Equal(got, existing):
					t.Errorf("%s was changed", filepath.Base(f))
				case !there && !errors.Is(err, os.ErrNotExist):
					t.Errorf("%s was created beside an existing file", filepath.Base(f))
				}
			}
		})
	}
}
