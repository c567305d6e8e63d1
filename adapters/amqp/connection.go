package amqp

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net/url"
	"os"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

// Errors of Connection.URI: the connection settings are refused before any
// dial.
var (
	// ErrPlaintext: an amqp:// URL without AllowPlaintext. Plaintext AMQP
	// carries passwords and personal data unencrypted.
	ErrPlaintext = errors.New("plaintext amqp:// is not allowed")
	// ErrTLSSettings: TLS settings that cannot work (a missing or unreadable
	// file, a certificate without its key, EXTERNAL login without a client
	// certificate, TLS settings on an amqp:// URL).
	ErrTLSSettings = errors.New("broker TLS settings")
)

// Connection is where and how sluis reaches the broker.
//
// For amqps:// the broker's certificate is verified against CAFile (the
// system roots when empty) and ServerName (the URL's host when empty);
// CertFile and KeyFile, when set, are the client certificate the broker
// verifies. With External the login is x509 (SASL EXTERNAL, RabbitMQ's
// rabbitmq_auth_mechanism_ssl plugin): the broker takes the user name from
// the client certificate (its CN, with ssl_cert_login_from = common_name)
// and the URL's user and password are not sent.
type Connection struct {
	// URL is amqps://[user:password@]host[:port]/vhost, or amqp:// when
	// AllowPlaintext is set.
	URL string
	// CAFile is a PEM file of the CA certificates that may sign the broker's
	// certificate.
	CAFile string
	// CertFile and KeyFile are the PEM client certificate and its key.
	CertFile, KeyFile string
	// ServerName is the name the broker's certificate must carry.
	ServerName string
	// External logs in with the client certificate instead of a password.
	External bool
	// AllowPlaintext permits amqp:// (development only).
	AllowPlaintext bool
}

// URI checks the settings, reads every configured file (a CA file without a
// certificate, an unreadable or mismatched client key pair, or a client
// certificate outside its validity period is an error naming the file) and
// returns the URL to dial: for amqps://, URL with amqp091's TLS query
// parameters set from the settings (cacertfile, certfile, keyfile,
// server_name_indication and auth_mechanism=external), so that every
// connection made with it (Publisher, NewSubscriber, Dial) uses them. The
// errors never contain the URL's password.
func (c Connection) URI() (string, error) {
	if _, err := amqp.ParseURI(c.URL); err != nil {
		return "", fmt.Errorf("%w: the broker URL does not parse as amqp:// or amqps://", ErrTLSSettings)
	}
	u, err := url.Parse(c.URL)
	if err != nil {
		return "", fmt.Errorf("%w: the broker URL does not parse", ErrTLSSettings)
	}
	tlsSet := c.CAFile != "" || c.CertFile != "" || c.KeyFile != "" || c.ServerName != "" || c.External
	if u.Scheme == "amqp" {
		if !c.AllowPlaintext {
			return "", ErrPlaintext
		}
		if tlsSet {
			return "", fmt.Errorf("%w: TLS settings need an amqps:// URL", ErrTLSSettings)
		}
		return c.URL, nil
	}
	if (c.CertFile == "") != (c.KeyFile == "") {
		return "", fmt.Errorf("%w: a client certificate needs both its certificate and its key file", ErrTLSSettings)
	}
	if c.External && c.CertFile == "" {
		return "", fmt.Errorf("%w: EXTERNAL login needs a client certificate and key", ErrTLSSettings)
	}
	if c.CAFile != "" {
		if err := checkCAFile(c.CAFile); err != nil {
			return "", err
		}
	}
	if c.CertFile != "" {
		if err := checkKeyPair(c.CertFile, c.KeyFile, time.Now()); err != nil {
			return "", err
		}
	}
	q := u.Query()
	set := func(k, v string) {
		if v != "" {
			q.Set(k, v)
		}
	}
	set("cacertfile", c.CAFile)
	set("certfile", c.CertFile)
	set("keyfile", c.KeyFile)
	set("server_name_indication", c.ServerName)
	if c.External {
		q.Set("auth_mechanism", "external")
	}
	u.RawQuery = q.Encode()
	return u.String(), nil
}

func checkCAFile(path string) error {
	raw, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("%w: CA file %s: %w", ErrTLSSettings, path, err)
	}
	n := 0
	for block, rest := pem.Decode(raw); block != nil; block, rest = pem.Decode(rest) {
		if block.Type != "CERTIFICATE" {
			continue
		}
		if _, err := x509.ParseCertificate(block.Bytes); err != nil {
			return fmt.Errorf("%w: CA file %s: %w", ErrTLSSettings, path, err)
		}
		n++
	}
	if n == 0 {
		return fmt.Errorf("%w: CA file %s holds no PEM certificate", ErrTLSSettings, path)
	}
	return nil
}

func checkKeyPair(certFile, keyFile string, now time.Time) error {
	pair, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return fmt.Errorf("%w: client certificate %s with key %s: %w", ErrTLSSettings, certFile, keyFile, err)
	}
	leaf := pair.Leaf
	if leaf == nil {
		if leaf, err = x509.ParseCertificate(pair.Certificate[0]); err != nil {
			return fmt.Errorf("%w: client certificate %s: %w", ErrTLSSettings, certFile, err)
		}
	}
	if now.Before(leaf.NotBefore) || now.After(leaf.NotAfter) {
		return fmt.Errorf("%w: client certificate %s is valid from %s to %s only", ErrTLSSettings, certFile,
			leaf.NotBefore.UTC().Format(time.RFC3339), leaf.NotAfter.UTC().Format(time.RFC3339))
	}
	return nil
}
