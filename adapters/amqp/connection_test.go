package amqp

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/sluis-gateway/sluis/internal/testenv"
)

// writeExpiredPair writes a self-signed certificate that expired yesterday
// and its key.
func writeExpiredPair(t *testing.T) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "expired"},
		NotBefore:    time.Now().Add(-48 * time.Hour),
		NotAfter:     time.Now().Add(-24 * time.Hour),
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile
}

func TestConnectionURIRefusesBadSettings(t *testing.T) {
	b := testenv.BrokerTLS(t)
	expiredCert, expiredKey := writeExpiredPair(t)
	notPEM := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(notPEM, []byte("not a certificate\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	const tlsURL = "amqps://u:secret-pw@127.0.0.1:5671/v"
	tests := []struct {
		name string
		c    Connection
		want error
		says string // a part of the message: the file or setting at fault
	}{
		{"plaintext without the development allowance", Connection{URL: "amqp://u:secret-pw@127.0.0.1/"}, ErrPlaintext, "amqp://"},
		{"TLS settings on a plaintext URL", Connection{URL: "amqp://u:secret-pw@127.0.0.1/", AllowPlaintext: true, CAFile: b.CAFile}, ErrTLSSettings, "amqps://"},
		{"certificate without key", Connection{URL: tlsURL, CertFile: b.CertFile}, ErrTLSSettings, "key"},
		{"EXTERNAL without client certificate", Connection{URL: tlsURL, External: true}, ErrTLSSettings, "EXTERNAL"},
		{"missing CA file", Connection{URL: tlsURL, CAFile: "/nonexistent/ca.pem"}, ErrTLSSettings, "/nonexistent/ca.pem"},
		{"CA file without a certificate", Connection{URL: tlsURL, CAFile: notPEM}, ErrTLSSettings, notPEM},
		{"key of another certificate", Connection{URL: tlsURL, CertFile: b.CertFile, KeyFile: b.OtherKeyFile}, ErrTLSSettings, b.CertFile},
		{"expired client certificate", Connection{URL: tlsURL, CertFile: expiredCert, KeyFile: expiredKey}, ErrTLSSettings, expiredCert},
		{"URL that does not parse", Connection{URL: "http://u:secret-pw@x/"}, ErrTLSSettings, "URL"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.c.URI()
			if !errors.Is(err, tc.want) {
				t.Fatalf("URI: %v, want %v", err, tc.want)
			}
			if !strings.Contains(err.Error(), tc.says) {
				t.Errorf("error %q does not name %q", err, tc.says)
			}
			if strings.Contains(err.Error(), "secret-pw") {
				t.Errorf("error %q holds the password", err)
			}
		})
	}
}

func TestConnectionURIPutsTLSSettingsInTheURL(t *testing.T) {
	b := testenv.BrokerTLS(t)
	got, err := Connection{
		URL: "amqps://127.0.0.1:5671/v", CAFile: b.CAFile, CertFile: b.CertFile, KeyFile: b.KeyFile,
		ServerName: "localhost", External: true,
	}.URI()
	if err != nil {
		t.Fatal(err)
	}
	uri, err := amqp.ParseURI(got)
	if err != nil {
		t.Fatal(err)
	}
	if uri.CACertFile != b.CAFile || uri.CertFile != b.CertFile || uri.KeyFile != b.KeyFile ||
		uri.ServerName != "localhost" || len(uri.AuthMechanism) != 1 || uri.AuthMechanism[0] != "external" || uri.Vhost != "v" {
		t.Fatalf("parsed %+v", uri)
	}
	plain, err := Connection{URL: "amqp://guest:guest@127.0.0.1:5672/v", AllowPlaintext: true}.URI()
	if err != nil || plain != "amqp://guest:guest@127.0.0.1:5672/v" {
		t.Fatalf("plaintext allowed: %q, %v", plain, err)
	}
}

// tlsURI is the amqps:// URI of vhostURL's vhost with the test CA and
// client certificate, and the changes of tweak.
func tlsURI(t *testing.T, b testenv.TLSBroker, vhostURL string, tweak func(*Connection)) string {
	t.Helper()
	c := Connection{URL: b.URL(t, vhostURL), CAFile: b.CAFile, CertFile: b.CertFile, KeyFile: b.KeyFile}
	if tweak != nil {
		tweak(&c)
	}
	uri, err := c.URI()
	if err != nil {
		t.Fatalf("URI: %v", err)
	}
	return uri
}

// TestPublishAndConsumeOverTLS runs the gateway's publisher and subscriber
// over the local broker's TLS listener with a client certificate.
func TestPublishAndConsumeOverTLS(t *testing.T) {
	t.Parallel()
	b := testenv.BrokerTLS(t)
	uri := tlsURI(t, b, testURL(), nil)

	conn, err := Dial(uri, "sluis-test-tls", 5*time.Second)
	if err != nil {
		t.Fatalf("dial over TLS: %v", err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	ch, err := conn.Channel()
	if err != nil {
		t.Fatal(err)
	}
	q := uniqueName("tls")
	if _, err := ch.QueueDeclare(q, true, false, false, false, amqp.Table{"x-queue-type": "quorum"}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { deleteQueue(t, q) })

	p := newTestPublisher(t, PublisherConfig{URL: uri}, nil)
	id := "tls-" + randHex(4)
	if err := p.Publish(q, newMsg(id)); err != nil {
		t.Fatalf("publish over TLS: %v", err)
	}
	sub, err := NewSubscriber(uri, q, 1, nil)
	if err != nil {
		t.Fatalf("NewSubscriber over TLS: %v", err)
	}
	t.Cleanup(func() { _ = sub.Close() })
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	msgs, err := sub.Subscribe(ctx, q)
	if err != nil {
		t.Fatalf("subscribe over TLS: %v", err)
	}
	m := recv(t, msgs)
	m.Ack()
	if m.UUID != id {
		t.Fatalf("consumed %s, want %s", m.UUID, id)
	}
}

// TestExternalLoginIsTheCertificatesUser logs in with the client
// certificate alone and proves the broker took the CN as the user: it
// accepts a publish whose user-id is that user and refuses one claiming
// guest (RabbitMQ validates user-id against the connection's user).
func TestExternalLoginIsTheCertificatesUser(t *testing.T) {
	t.Parallel()
	b := testenv.BrokerTLS(t)
	vhost := testenv.VHost(t)
	b.AllowExternal(t, vhost)
	uri := tlsURI(t, b, vhost, func(c *Connection) {
		u, _ := url.Parse(c.URL)
		u.User = nil // no password to send
		c.URL, c.External = u.String(), true
	})
	conn, err := Dial(uri, "sluis-test-external", 5*time.Second)
	if err != nil {
		t.Fatalf("EXTERNAL login: %v", err)
	}
	t.Cleanup(func() { _ = conn.Close() })

	publishAs := func(userID string) *amqp.Error {
		ch, err := conn.Channel()
		if err != nil {
			t.Fatal(err)
		}
		closed := ch.NotifyClose(make(chan *amqp.Error, 1))
		if err := ch.Confirm(false); err != nil {
			t.Fatal(err)
		}
		dc, err := ch.PublishWithDeferredConfirm("", "no-such-queue", false, false, amqp.Publishing{UserId: userID, Body: []byte("x")})
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan struct{})
		go func() { dc.Wait(); close(done) }()
		select {
		case err := <-closed:
			return err
		case <-done:
			_ = ch.Close()
			return nil
		}
	}
	if err := publishAs(b.ExternalUser); err != nil {
		t.Fatalf("publish as %s: %v", b.ExternalUser, err)
	}
	if err := publishAs("guest"); err == nil || err.Code != amqp.PreconditionFailed {
		t.Fatalf("publish claiming guest: %v, want 406 PRECONDITION_FAILED", err)
	}
}

// forceCert is a TLS client configuration that trusts caFile and presents
// the client certificate whatever CAs the server asks for.
func forceCert(t *testing.T, caFile, certFile, keyFile string) *tls.Config {
	t.Helper()
	pair, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(caFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(raw)
	return &tls.Config{
		RootCAs:    pool,
		MinVersion: tls.VersionTLS12,
		GetClientCertificate: func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
			return &pair, nil
		},
	}
}

// TestClassifyDialError dials the real broker wrongly in each way an
// operator can and checks that each gets its own named error.
func TestClassifyDialError(t *testing.T) {
	t.Parallel()
	b := testenv.BrokerTLS(t)
	vhost := testenv.VHost(t)
	b.AllowExternal(t, vhost)
	other := testURL() // the EXTERNAL user has no permissions on the default vhost
	withUser := func(raw string, user *url.Userinfo) string {
		u, _ := url.Parse(raw)
		u.User = user
		return u.String()
	}
	withVHost := func(raw, name string) string {
		u, _ := url.Parse(raw)
		u.Path = "/" + name
		return u.String()
	}
	external := func(c *Connection) { c.External = true; c.URL = withUser(c.URL, nil) }
	tests := []struct {
		name string
		uri  string
		tls  *tls.Config // instead of the URI's TLS parameters
		want error
	}{
		{"wrong password", withUser(vhost, url.UserPassword("guest", "wrong")), nil, ErrBrokerAuth},
		{"unknown user", withUser(vhost, url.UserPassword("nobody-"+randHex(3), "x")), nil, ErrBrokerAuth},
		{"unknown vhost", withVHost(vhost, "no-such-vhost-"+randHex(3)), nil, ErrBrokerVHost},
		{"closed port", "amqp://guest:guest@127.0.0.1:1/", nil, ErrBrokerUnreachable},
		{"name that does not resolve", "amqp://guest:guest@no-such-host.invalid:5672/", nil, ErrBrokerUnreachable},
		// Go sends no client certificate that the broker's list of
		// acceptable CAs rules out, so the login is all that is left, and
		// EXTERNAL has no certificate to take the user from.
		{"EXTERNAL with a client certificate from another CA", tlsURI(t, b, vhost, func(c *Connection) {
			external(c)
			c.CertFile, c.KeyFile = b.OtherCertFile, b.OtherKeyFile
		}), nil, ErrBrokerAuth},
		{"TLS: client certificate from another CA, presented anyway", b.URL(t, vhost), forceCert(t, b.CAFile, b.OtherCertFile, b.OtherKeyFile), ErrBrokerTLS},
		{"TLS: wrong server name", tlsURI(t, b, vhost, func(c *Connection) { c.ServerName = "broker.example.org" }), nil, ErrBrokerTLS},
		{"TLS: broker certificate from an untrusted CA", tlsURI(t, b, vhost, func(c *Connection) { c.CAFile = b.OtherCAFile }), nil, ErrBrokerTLS},
		{"EXTERNAL: vhost without permissions", tlsURI(t, b, other, external), nil, ErrBrokerVHost},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel() // a refused login takes the broker a few seconds
			var conn *amqp.Connection
			var err error
			if tc.tls != nil {
				if conn, err = amqp.DialTLS(tc.uri, tc.tls); err != nil {
					err = classifyDial(tc.uri, err)
				}
			} else {
				conn, err = Dial(tc.uri, "sluis-test-classify", 5*time.Second)
			}
			if err == nil {
				_ = conn.Close()
				t.Fatal("dial succeeded")
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("dial: %v (%T), want %v", err, errors.Unwrap(err), tc.want)
			}
			for _, named := range []error{ErrBrokerAuth, ErrBrokerVHost, ErrBrokerUnreachable, ErrBrokerTLS} {
				if named != tc.want && errors.Is(err, named) {
					t.Errorf("also %v", named)
				}
			}
			if strings.Contains(err.Error(), "wrong") && strings.Contains(tc.name, "password") {
				t.Errorf("error %q holds the password", err)
			}
		})
	}
	t.Run("the good settings dial", func(t *testing.T) {
		for _, uri := range []string{vhost, tlsURI(t, b, vhost, nil), tlsURI(t, b, vhost, external)} {
			conn, err := Dial(uri, "sluis-test-classify", 5*time.Second)
			if err != nil {
				t.Fatalf("dial: %v", err)
			}
			_ = conn.Close()
		}
	})
	t.Run("an error it cannot place is returned unchanged", func(t *testing.T) {
		odd := errors.New("odd")
		if got := ClassifyDialError(odd); got != odd {
			t.Fatalf("got %v", got)
		}
		if ClassifyDialError(nil) != nil {
			t.Fatal("nil became an error")
		}
	})
}
