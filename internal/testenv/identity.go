package testenv

import (
	"crypto/tls"
	"net/http"
	"testing"

	"github.com/sluis-gateway/sluis/internal/identity"
)

// DevID is a development CA made for one test (identity.DevelopmentCA over
// the development registry): the gateway under test uses it with
// SLUIS_DEV_CA=true and SLUIS_DEV_IDENTITY_DIR=Dir, the test's clients
// with a client certificate of a development system.
type DevID struct {
	Dir   string
	Files identity.DevFiles
}

// DevIdentity makes a development CA, server and client certificates in a
// temporary folder of t.
func DevIdentity(t testing.TB) *DevID {
	t.Helper()
	return devIdentityIn(t, t.TempDir())
}

func devIdentityIn(t testing.TB, dir string) *DevID {
	t.Helper()
	reg, err := identity.Development()
	if err != nil {
		t.Fatal(err)
	}
	f, err := identity.DevelopmentCA(dir, reg)
	if err != nil {
		t.Fatal(err)
	}
	return &DevID{Dir: dir, Files: f}
}

// Env is the gateway's settings for this CA.
func (d *DevID) Env() map[string]string {
	return map[string]string{"SLUIS_DEV_CA": "true", "SLUIS_DEV_IDENTITY_DIR": d.Dir}
}

// Environ is Env as KEY=VALUE lines, for a child process.
func (d *DevID) Environ() []string {
	return []string{"SLUIS_DEV_CA=true", "SLUIS_DEV_IDENTITY_DIR=" + d.Dir}
}

// TLS is a client TLS configuration that trusts the gateway and presents
// system's client certificate (no certificate with system "").
func (d *DevID) TLS(t testing.TB, system string) *tls.Config {
	t.Helper()
	cert, key := "", ""
	if system != "" {
		pair, ok := d.Files.Clients[system]
		if !ok {
			t.Fatalf("no development client certificate for %s", system)
		}
		cert, key = pair[0], pair[1]
	}
	c, err := identity.ClientTLS(d.Files.CACert, cert, key)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// Client is an HTTP client of system (see TLS); its idle connections are
// closed when the test ends.
func (d *DevID) Client(t testing.TB, system string) *http.Client {
	t.Helper()
	return tlsClient(t, d.TLS(t, system))
}

// Foreign is an HTTP client that trusts the gateway but presents a client
// certificate for system issued by another CA (one made for the test).
func (d *DevID) Foreign(t testing.TB, system string) *http.Client {
	t.Helper()
	other := devIdentityIn(t, t.TempDir())
	c := d.TLS(t, "")
	own := other.TLS(t, system)
	c.Certificates = own.Certificates
	return tlsClient(t, c)
}

func tlsClient(t testing.TB, c *tls.Config) *http.Client {
	tr := &http.Transport{TLSClientConfig: c, ForceAttemptHTTP2: true}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr}
}
