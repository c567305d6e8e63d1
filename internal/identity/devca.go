package identity

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/sluis-gateway/sluis/internal/signing"
)

// File names of the development CA (DevelopmentCA), each marked
// DEVELOPMENT-ONLY.
const (
	DevCACert     = "ca-DEVELOPMENT-ONLY.cert.pem"
	DevCAKey      = "ca-DEVELOPMENT-ONLY.key.pem"
	DevServerCert = "server-DEVELOPMENT-ONLY.cert.pem"
	DevServerKey  = "server-DEVELOPMENT-ONLY.key.pem"
)

// DevClientCert and DevClientKey are the file names of a development
// system's client certificate and key.
func DevClientCert(system string) string { return "client-" + system + "-DEVELOPMENT-ONLY.cert.pem" }

// DevClientKey: see DevClientCert.
func DevClientKey(system string) string { return "client-" + system + "-DEVELOPMENT-ONLY.key.pem" }

// DevFiles are the paths DevelopmentCA wrote or found.
type DevFiles struct {
	CACert, CAKey         string
	ServerCert, ServerKey string
	// Clients are the client certificate and key paths by system id.
	Clients map[string][2]string
}

const devValidity = 365 * 24 * time.Hour

// DevelopmentCA makes, in dir, a development CA, a server certificate for
// localhost, 127.0.0.1 and ::1, and a client certificate for every system
// of reg that has a certificate match, with the subject that match asks
// for (ECDSA P-256 keys, mode 0600; certificates valid for a year, their
// names saying DEVELOPMENT ONLY). Only missing files are made: an existing
// pair is reused and never overwritten, and an existing pair that is half
// there, does not load, is not valid now or (for a client) no longer fits
// its registry entry is an error naming the file.
func DevelopmentCA(dir string, reg *Registry) (DevFiles, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return DevFiles{}, fmt.Errorf("development CA: %w", err)
	}
	f := DevFiles{
		CACert: filepath.Join(dir, DevCACert), CAKey: filepath.Join(dir, DevCAKey),
		ServerCert: filepath.Join(dir, DevServerCert), ServerKey: filepath.Join(dir, DevServerKey),
		Clients: map[string][2]string{},
	}
	now := time.Now()
	ca, caKey, err := devPair(f.CACert, f.CAKey, nil, nil, &x509.Certificate{
		Subject:               pkix.Name{CommonName: "sluis development CA (DEVELOPMENT ONLY, not for production)"},
		IsCA:                  true,
		BasicConstraintsValid: true,
		MaxPathLenZero:        true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}, now)
	if err != nil {
		return DevFiles{}, err
	}
	if _, _, err := devPair(f.ServerCert, f.ServerKey, ca, caKey, &x509.Certificate{
		Subject:     pkix.Name{CommonName: "localhost (DEVELOPMENT ONLY)"},
		DNSNames:    []string{"localhost"},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}, now); err != nil {
		return DevFiles{}, err
	}
	for _, s := range reg.Systems() {
		if s.Certificate == nil {
			continue
		}
		certFile, keyFile := filepath.Join(dir, DevClientCert(s.ID)), filepath.Join(dir, DevClientKey(s.ID))
		cert, _, err := devPair(certFile, keyFile, ca, caKey, &x509.Certificate{
			Subject:     s.Certificate.subject(),
			KeyUsage:    x509.KeyUsageDigitalSignature,
			ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
		}, now)
		if err != nil {
			return DevFiles{}, err
		}
		if !s.Certificate.matches(cert) {
			return DevFiles{}, fmt.Errorf("development CA: %s does not match system %s's certificate entry; remove it to have it made again", certFile, s.ID)
		}
		f.Clients[s.ID] = [2]string{certFile, keyFile}
	}
	return f, nil
}

// subject is a certificate subject with the attributes m asks for.
func (m CertificateMatch) subject() pkix.Name {
	n := pkix.Name{CommonName: m.SubjectCN, SerialNumber: m.OIN}
	if m.KvK != "" {
		n.ExtraNames = []pkix.AttributeTypeAndValue{{Type: oidOrganizationIdentifier, Value: kvkPrefix + m.KvK}}
	}
	return n
}

// devPair loads the pair at certFile/keyFile, or makes it from tmpl, signed
// by parent (nil: self-signed).
func devPair(certFile, keyFile string, parent *x509.Certificate, parentKey crypto.Signer, tmpl *x509.Certificate, now time.Time) (*x509.Certificate, *ecdsa.PrivateKey, error) {
	_, certErr := os.Stat(certFile)
	_, keyErr := os.Stat(keyFile)
	switch {
	case certErr == nil && keyErr == nil:
		cert, key, err := loadDevPair(certFile, keyFile, now)
		if err == nil && parent != nil && cert.CheckSignatureFrom(parent) != nil {
			err = fmt.Errorf("development CA: %s is not signed by the development CA; remove the pair to have it made again", certFile)
		}
		return cert, key, err
	case !errors.Is(certErr, fs.ErrNotExist) && certErr != nil:
		return nil, nil, fmt.Errorf("development CA: %w", certErr)
	case !errors.Is(keyErr, fs.ErrNotExist) && keyErr != nil:
		return nil, nil, fmt.Errorf("development CA: %w", keyErr)
	case certErr == nil || keyErr == nil:
		return nil, nil, fmt.Errorf("development CA: only one of %s, %s exists; remove it to have both made", certFile, keyFile)
	}
	key, err := newECKeyFile(keyFile)
	if err != nil {
		return nil, nil, fmt.Errorf("development CA: %w", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, nil, fmt.Errorf("development CA: serial number: %w", err)
	}
	tmpl.SerialNumber = serial
	tmpl.NotBefore = now.Add(-5 * time.Minute)
	tmpl.NotAfter = now.Add(devValidity)
	signer, issuer := crypto.Signer(key), tmpl
	if parent != nil {
		signer, issuer = parentKey, parent
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, issuer, key.Public(), signer)
	if err != nil {
		_ = os.Remove(keyFile)
		return nil, nil, fmt.Errorf("development CA: %s: %w", certFile, err)
	}
	if err := writeNew(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		_ = os.Remove(keyFile)
		return nil, nil, fmt.Errorf("development CA: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, nil, fmt.Errorf("development CA: %w", err)
	}
	return cert, key, nil
}

// loadDevPair reads an existing development pair and checks it is valid now.
func loadDevPair(certFile, keyFile string, now time.Time) (*x509.Certificate, *ecdsa.PrivateKey, error) {
	key, err := readECKey(keyFile)
	if err != nil {
		return nil, nil, fmt.Errorf("development CA: %w", err)
	}
	data, err := os.ReadFile(certFile)
	if err != nil {
		return nil, nil, fmt.Errorf("development CA: %w", err)
	}
	certs, err := signing.ParseCertificates(data)
	if err != nil {
		return nil, nil, fmt.Errorf("development CA: %s: %w", certFile, err)
	}
	cert := certs[0]
	if !key.PublicKey.Equal(cert.PublicKey) {
		return nil, nil, fmt.Errorf("development CA: %s does not belong to %s", keyFile, certFile)
	}
	if now.Before(cert.NotBefore) || now.After(cert.NotAfter) {
		return nil, nil, fmt.Errorf("development CA: %s is not valid now (until %s); remove the pair to have it made again", certFile, cert.NotAfter.UTC().Format(time.RFC3339))
	}
	return cert, key, nil
}
