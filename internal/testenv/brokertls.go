package testenv

import (
	"crypto/rand"
	"encoding/hex"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// DevBroker is the gateway setting that lets it use the plaintext amqp://
// URLs of VHost (sluis refuses plaintext AMQP unless a development setting
// allows it). Set it to "true" in the SLUIS_* variables of every gateway a
// test starts on such a URL.
const DevBroker = "SLUIS_AMQP_ALLOW_PLAINTEXT"

// TLSBroker is the local RabbitMQ's TLS listener and the test certificates
// `.ci/rabbitmq-tls` made for it (see docs/broker.md).
type TLSBroker struct {
	// Host is the listener, host:port.
	Host string
	// CAFile signed the broker's certificate and the client certificate.
	CAFile string
	// CertFile and KeyFile are a client certificate the broker accepts;
	// its CN is ExternalUser.
	CertFile, KeyFile string
	// ExternalUser is the broker user an EXTERNAL login with CertFile gets.
	ExternalUser string
	// OtherCAFile is an unrelated CA; OtherCertFile and OtherKeyFile a
	// client certificate it signed (same CN), which the broker must refuse.
	OtherCAFile, OtherCertFile, OtherKeyFile string
}

// tlsDir is where .ci/rabbitmq-tls writes the broker's TLS material;
// SLUIS_TEST_BROKER_TLS_DIR overrides it.
func tlsDir() string {
	if d := os.Getenv("SLUIS_TEST_BROKER_TLS_DIR"); d != "" {
		return d
	}
	return "/etc/rabbitmq/sluis-tls"
}

// tlsHost is the TLS listener; SLUIS_TEST_AMQPS_HOST overrides it.
func tlsHost() string {
	if h := os.Getenv("SLUIS_TEST_AMQPS_HOST"); h != "" {
		return h
	}
	return "127.0.0.1:5671"
}

// BrokerTLS returns the local broker's TLS listener and test certificates.
// It fails the test (it does not skip) when they are not there: the TLS
// listener is part of the test set-up that `bash .ci/run` makes.
func BrokerTLS(t testing.TB) TLSBroker {
	t.Helper()
	dir := tlsDir()
	b := TLSBroker{
		Host:          tlsHost(),
		CAFile:        filepath.Join(dir, "ca.pem"),
		CertFile:      filepath.Join(dir, "client.pem"),
		KeyFile:       filepath.Join(dir, "client-key.pem"),
		ExternalUser:  "sluis-tls-client",
		OtherCAFile:   filepath.Join(dir, "other-ca.pem"),
		OtherCertFile: filepath.Join(dir, "other-client.pem"),
		OtherKeyFile:  filepath.Join(dir, "other-client-key.pem"),
	}
	for _, f := range []string{b.CAFile, b.CertFile, b.KeyFile, b.OtherCAFile, b.OtherCertFile, b.OtherKeyFile} {
		if _, err := os.Stat(f); err != nil {
			t.Fatalf("the broker's TLS test material is missing (%v): run bash .ci/run to configure RabbitMQ's TLS listener", err)
		}
	}
	c, err := net.DialTimeout("tcp", b.Host, 5*time.Second)
	if err != nil {
		t.Fatalf("RabbitMQ's TLS listener %s is not up (%v): run bash .ci/run to configure it", b.Host, err)
	}
	_ = c.Close()
	return b
}

// URL turns a plaintext vhost URL from VHost into the amqps:// URL of the
// same user and vhost on the TLS listener.
func (b TLSBroker) URL(t testing.TB, vhostURL string) string {
	t.Helper()
	u, err := url.Parse(vhostURL)
	if err != nil {
		t.Fatalf("vhost URL: %v", err)
	}
	u.Scheme, u.Host = "amqps", b.Host
	return u.String()
}

// AllowExternal lets ExternalUser, the CN of CertFile, log in with EXTERNAL
// and use the vhost of vhostURL (from VHost) with full rights. The user has
// no password, so it cannot log in any other way; it is shared by the tests
// (its name is fixed by the certificate) and stays on the broker.
func (b TLSBroker) AllowExternal(t testing.TB, vhostURL string) {
	t.Helper()
	u, err := url.Parse(vhostURL)
	if err != nil {
		t.Fatalf("vhost URL: %v", err)
	}
	vhost := strings.TrimPrefix(u.Path, "/")
	if vhost == "" {
		vhost = "/"
	}
	if out, err := exec.Command("rabbitmqctl", "-q", "add_user", b.ExternalUser, randomHex(16)).CombinedOutput(); err != nil &&
		!strings.Contains(string(out), "already exists") {
		t.Fatalf("rabbitmqctl add_user %s: %v\n%s", b.ExternalUser, err, out)
	}
	if out, err := exec.Command("rabbitmqctl", "-q", "clear_password", b.ExternalUser).CombinedOutput(); err != nil {
		t.Fatalf("rabbitmqctl clear_password %s: %v\n%s", b.ExternalUser, err, out)
	}
	if out, err := exec.Command("rabbitmqctl", "-q", "set_permissions", "-p", vhost, b.ExternalUser, ".*", ".*", ".*").CombinedOutput(); err != nil {
		t.Fatalf("rabbitmqctl set_permissions %s: %v\n%s", b.ExternalUser, err, out)
	}
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
