package loadtest

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// KeyBits is the modulus of the signing key the harness generates: RSA-2048,
// the size the performance targets are stated for (the development
// generator makes 3072).
const KeyBits = 2048

// WriteKeyPair writes a fresh RSA key (PKCS#8 PEM) and a self-signed
// certificate for it into dir and returns the key, the key file and the
// certificate file.
func WriteKeyPair(dir string, bits int) (*rsa.PrivateKey, string, string, error) {
	key, err := rsa.GenerateKey(rand.Reader, bits)
	if err != nil {
		return nil, "", "", fmt.Errorf("generate RSA-%d key: %w", bits, err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(now.UnixNano()),
		Subject:               pkix.Name{CommonName: "sluis-bench (load test only)"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(7 * 24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, "", "", fmt.Errorf("self-signed certificate: %w", err)
	}
	p8, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, "", "", fmt.Errorf("marshal key: %w", err)
	}
	keyFile := filepath.Join(dir, "bench-signing.key.pem")
	certFile := filepath.Join(dir, "bench-signing.cert.pem")
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: p8}), 0o600); err != nil {
		return nil, "", "", err
	}
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		return nil, "", "", err
	}
	return key, keyFile, certFile, nil
}

// ProviderAGBs returns n synthetic 8-digit AGB codes.
func ProviderAGBs(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("9900%04d", i+1)
	}
	return out
}

// WriteProviders writes a provider registry file for agbs into dir.
func WriteProviders(dir string, agbs []string) (string, error) {
	type provider struct {
		AGB  string `json:"agb"`
		Name string `json:"name"`
	}
	ps := make([]provider, len(agbs))
	for i, a := range agbs {
		ps[i] = provider{AGB: a, Name: fmt.Sprintf("Load test provider %d", i+1)}
	}
	b, err := json.MarshalIndent(ps, "", "  ")
	if err != nil {
		return "", err
	}
	f := filepath.Join(dir, "providers.json")
	return f, os.WriteFile(f, b, 0o644)
}

// WriteSystems writes the registry of registration systems of a load test:
// the load generator regsys-bench (0363, consent and legal obligation),
// publishing as brokerUser (the user of its AMQP URL).
func WriteSystems(dir, brokerUser string) (string, error) {
	b, err := json.MarshalIndent([]map[string]any{{
		"id": "regsys-bench", "name": "Load generator (load test only)",
		"municipalities": []string{"0363"}, "legal_bases": []string{"consent", "legal_obligation"},
		"broker_user": brokerUser,
	}}, "", "  ")
	if err != nil {
		return "", err
	}
	f := filepath.Join(dir, "systems.json")
	return f, os.WriteFile(f, b, 0o644)
}

// WriteSecret writes a random client key secret (hex, 64 characters).
func WriteSecret(dir string) (string, error) {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	f := filepath.Join(dir, "client-key.secret")
	return f, os.WriteFile(f, []byte(hex.EncodeToString(b)+"\n"), 0o600)
}

// FreePort returns a TCP address on 127.0.0.1 that was free a moment ago.
func FreePort() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("find a free port: %w", err)
	}
	addr := ln.Addr().String()
	return addr, ln.Close()
}

// VHost is a private RabbitMQ virtual host, so a load run never meets a
// running gateway's queues.
type VHost struct {
	Name string
	URL  string // AMQP URL (guest/guest) of the vhost
	ctl  string
}

// NewVHost creates a fresh virtual host on the broker at host (host:port)
// with rabbitmqctl and gives guest full rights on it.
func NewVHost(host string) (*VHost, error) {
	ctl, err := exec.LookPath("rabbitmqctl")
	if err != nil {
		return nil, fmt.Errorf("rabbitmqctl not found: the load test needs the local RabbitMQ (see README): %w", err)
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	v := &VHost{Name: "sluis-bench-" + hex.EncodeToString(b), ctl: ctl}
	if err := v.run("add_vhost", v.Name); err != nil {
		return nil, err
	}
	if err := v.run("set_permissions", "-p", v.Name, "guest", ".*", ".*", ".*"); err != nil {
		_ = v.Delete()
		return nil, err
	}
	v.URL = "amqp://guest:guest@" + host + "/" + v.Name
	return v, nil
}

func (v *VHost) run(args ...string) error {
	out, err := exec.Command(v.ctl, append([]string{"-q"}, args...)...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("rabbitmqctl %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}

// Delete removes the virtual host and everything in it. It tries three
// times, 2 s apart, in case the broker is restarting.
func (v *VHost) Delete() error {
	var err error
	for i := 0; i < 3; i++ {
		if i > 0 {
			time.Sleep(2 * time.Second)
		}
		if err = v.run("delete_vhost", v.Name); err == nil {
			return nil
		}
	}
	return err
}
