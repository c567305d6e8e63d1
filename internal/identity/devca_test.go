package identity

import (
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func readCert(t *testing.T, path string) *x509.Certificate {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(data)
	c, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestDevelopmentCAMakesMarkedCertificates(t *testing.T) {
	reg, err := Development()
	if err != nil {
		t.Fatal(err)
	}
	f := devCA(t, reg)
	if len(f.Clients) != len(reg.IDs()) {
		t.Fatalf("%d client pairs for %d systems", len(f.Clients), len(reg.IDs()))
	}
	ca := readCert(t, f.CACert)
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	for name, path := range map[string]string{"CA": f.CACert, "server": f.ServerCert, "regsys-demo": f.Clients["regsys-demo"][0]} {
		if !strings.Contains(path, "DEVELOPMENT-ONLY") || !strings.Contains(readCert(t, path).Subject.CommonName, "DEVELOPMENT ONLY") {
			t.Errorf("%s: %s not marked DEVELOPMENT ONLY in its name and subject", name, path)
		}
	}
	for _, key := range []string{f.CAKey, f.ServerKey, f.Clients["regsys-demo"][1]} {
		if fi, err := os.Stat(key); err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v, %v", key, fi.Mode(), err)
		}
	}
	server := readCert(t, f.ServerCert)
	if _, err := server.Verify(x509.VerifyOptions{Roots: pool, DNSName: "localhost"}); err != nil {
		t.Errorf("server certificate for localhost: %v", err)
	}
	if _, err := server.Verify(x509.VerifyOptions{Roots: pool, DNSName: "127.0.0.1"}); err != nil {
		t.Errorf("server certificate for 127.0.0.1: %v", err)
	}
	client := readCert(t, f.Clients["regsys-demo"][0])
	if _, err := client.Verify(x509.VerifyOptions{Roots: pool, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
		t.Errorf("client certificate: %v", err)
	}
	if s, err := reg.ByCertificate(client); err != nil || s.ID != "regsys-demo" {
		t.Errorf("client certificate maps to %q, %v", s.ID, err)
	}
}

func TestDevelopmentCANeverOverwrites(t *testing.T) {
	reg, err := Development()
	if err != nil {
		t.Fatal(err)
	}
	snapshot := func(t *testing.T, dir string) map[string][]byte {
		t.Helper()
		out := map[string][]byte{}
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			b, err := os.ReadFile(filepath.Join(dir, e.Name()))
			if err != nil {
				t.Fatal(err)
			}
			out[e.Name()] = b
		}
		return out
	}
	unchanged := func(t *testing.T, dir string, before map[string][]byte) {
		t.Helper()
		after := snapshot(t, dir)
		for name, b := range before {
			if !bytes.Equal(after[name], b) {
				t.Errorf("%s was changed", name)
			}
		}
	}

	t.Run("a second run reuses every pair", func(t *testing.T) {
		dir := t.TempDir()
		if _, err := DevelopmentCA(dir, reg); err != nil {
			t.Fatal(err)
		}
		before := snapshot(t, dir)
		if _, err := DevelopmentCA(dir, reg); err != nil {
			t.Fatal(err)
		}
		unchanged(t, dir, before)
		if len(snapshot(t, dir)) != len(before) {
			t.Fatal("files were added")
		}
	})

	breakages := []struct {
		name     string
		breakIt  func(t *testing.T, f DevFiles)
		mentions func(f DevFiles) string
	}{
		{"half a pair: the client key removed", func(t *testing.T, f DevFiles) {
			if err := os.Remove(f.Clients["regsys-demo"][1]); err != nil {
				t.Fatal(err)
			}
		}, func(f DevFiles) string { return f.Clients["regsys-demo"][0] }},
		{"a CA key that is not a key", func(t *testing.T, f DevFiles) {
			if err := os.WriteFile(f.CAKey, []byte("garbage"), 0o600); err != nil {
				t.Fatal(err)
			}
		}, func(f DevFiles) string { return f.CAKey }},
		{"a CA made again under old certificates", func(t *testing.T, f DevFiles) {
			if err := os.Remove(f.CACert); err != nil {
				t.Fatal(err)
			}
			if err := os.Remove(f.CAKey); err != nil {
				t.Fatal(err)
			}
		}, func(f DevFiles) string { return f.ServerCert }},
	}
	for _, tc := range breakages {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			f, err := DevelopmentCA(dir, reg)
			if err != nil {
				t.Fatal(err)
			}
			tc.breakIt(t, f)
			before := snapshot(t, dir)
			_, err = DevelopmentCA(dir, reg)
			if err == nil || !strings.Contains(err.Error(), tc.mentions(f)) {
				t.Fatalf("DevelopmentCA = %v, want an error naming %s", err, tc.mentions(f))
			}
			unchanged(t, dir, before)
		})
	}

	t.Run("a client certificate that no longer fits its entry", func(t *testing.T) {
		dir := t.TempDir()
		if _, err := DevelopmentCA(dir, reg); err != nil {
			t.Fatal(err)
		}
		changed, err := New([]System{{ID: "regsys-demo", Municipalities: []string{"0363"}, LegalBases: []string{BasisConsent},
			Certificate: &CertificateMatch{SubjectCN: "renamed"}}})
		if err != nil {
			t.Fatal(err)
		}
		before := snapshot(t, dir)
		if _, err := DevelopmentCA(dir, changed); err == nil || !strings.Contains(err.Error(), DevClientCert("regsys-demo")) {
			t.Fatalf("DevelopmentCA = %v", err)
		}
		unchanged(t, dir, before)
	})
}
