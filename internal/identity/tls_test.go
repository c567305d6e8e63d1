package identity

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"errors"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// devCA makes the development CA for reg in a temporary folder.
func devCA(t *testing.T, reg *Registry) DevFiles {
	t.Helper()
	f, err := DevelopmentCA(t.TempDir(), reg)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// systemServer serves, over mutual TLS with the development CA, the id of
// the authenticated system; it counts the requests that reached it.
func systemServer(t *testing.T, reg *Registry, f DevFiles) (*httptest.Server, *int) {
	t.Helper()
	cfg, err := ServerTLS(f.CACert, f.ServerCert, f.ServerKey)
	if err != nil {
		t.Fatal(err)
	}
	reached := new(int)
	srv := httptest.NewUnstartedServer(RequireSystem(reg, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		*reached++
		s, err := SystemFrom(r.Context())
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		io.WriteString(w, s.ID)
	})))
	srv.TLS = cfg
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv, reached
}

func clientFor(t *testing.T, caFile, certFile, keyFile string) *http.Client {
	t.Helper()
	cfg, err := ClientTLS(caFile, certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	tr := &http.Transport{TLSClientConfig: cfg}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr}
}

func TestMutualTLS(t *testing.T) {
	reg, err := Development()
	if err != nil {
		t.Fatal(err)
	}
	f := devCA(t, reg)
	srv, reached := systemServer(t, reg, f)

	// A certificate from another CA, with the very subject of a registered
	// system.
	other := devCA(t, reg)
	// A certificate of the right CA whose subject no system has.
	unregistered, err := New([]System{{ID: "stranger", Municipalities: []string{"0363"}, LegalBases: []string{BasisConsent},
		Certificate: &CertificateMatch{SubjectCN: "stranger (DEVELOPMENT ONLY)"}}})
	if err != nil {
		t.Fatal(err)
	}
	stranger, err := DevelopmentCA(filepath.Dir(f.CACert), unregistered) // reuses the CA
	if err != nil {
		t.Fatal(err)
	}

	cases := []struct {
		name               string
		client             *http.Client
		status             int
		body               string
		refusedAtHandshake bool
	}{
		{"a registered system's certificate", clientFor(t, f.CACert, f.Clients["regsys-demo"][0], f.Clients["regsys-demo"][1]), 200, "regsys-demo", false},
		{"another registered system", clientFor(t, f.CACert, f.Clients["regsys-rotterdam"][0], f.Clients["regsys-rotterdam"][1]), 200, "regsys-rotterdam", false},
		{"no client certificate", clientFor(t, f.CACert, "", ""), 0, "", true},
		{"a certificate from another CA", clientFor(t, f.CACert, other.Clients["regsys-demo"][0], other.Clients["regsys-demo"][1]), 0, "", true},
		{"a certificate of the right CA not for client authentication", clientFor(t, f.CACert, f.ServerCert, f.ServerKey), 0, "", true},
		{"TLS 1.1", tls11(clientFor(t, f.CACert, f.Clients["regsys-demo"][0], f.Clients["regsys-demo"][1])), 0, "", true},
		{"the right CA, no registered subject", clientFor(t, f.CACert, stranger.Clients["stranger"][0], stranger.Clients["stranger"][1]), 403, "client certificate of no registered system", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := *reached
			resp, err := tc.client.Get(srv.URL + "/")
			if tc.refusedAtHandshake {
				if err == nil {
					resp.Body.Close()
					t.Fatalf("accepted with status %d", resp.StatusCode)
				}
				if !strings.Contains(err.Error(), "tls") {
					t.Fatalf("not refused by TLS: %v", err)
				}
				if *reached != before {
					t.Fatal("the handler was reached")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tc.status || !strings.Contains(string(body), tc.body) {
				t.Fatalf("%d %s, want %d %s", resp.StatusCode, body, tc.status, tc.body)
			}
			if wantReached := tc.status == 200; (*reached != before) != wantReached {
				t.Fatalf("handler reached: %v, want %v", *reached != before, wantReached)
			}
		})
	}
}

// tls11 limits c to TLS 1.1.
func tls11(c *http.Client) *http.Client {
	tr := c.Transport.(*http.Transport)
	tr.TLSClientConfig.MinVersion = tls.VersionTLS10
	tr.TLSClientConfig.MaxVersion = tls.VersionTLS11
	return c
}

func TestRequireSystemWithoutTLS(t *testing.T) {
	reg, err := Development()
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	RequireSystem(reg, http.NotFoundHandler()).ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	var body struct{ Error, Type string }
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || rec.Code != 401 || body.Error != ErrNoCertificate.Error() || body.Type != "urn:sluis:problem:unauthenticated" || rec.Header().Get("Content-Type") != "application/problem+json" {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
}

// leaf makes a certificate (self-signed: ByCertificate only maps) with this
// subject.
func leaf(t *testing.T, subject pkix.Name) *x509.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: subject, NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func orgID(v string) []pkix.AttributeTypeAndValue {
	return []pkix.AttributeTypeAndValue{{Type: oidOrganizationIdentifier, Value: v}}
}

func TestByCertificate(t *testing.T) {
	const oinA, oinB = "00000001002564440000", "00000001002564450000"
	reg, err := New([]System{
		{ID: "by-oin", Municipalities: []string{"0363"}, LegalBases: []string{BasisConsent}, Certificate: &CertificateMatch{OIN: oinA}},
		{ID: "by-kvk-and-cn", Municipalities: []string{"0599"}, LegalBases: []string{BasisConsent}, Certificate: &CertificateMatch{KvK: "12345678", SubjectCN: "regsys.example.nl"}},
		{ID: "by-cn", Municipalities: []string{"0599"}, LegalBases: []string{BasisConsent}, Certificate: &CertificateMatch{SubjectCN: "regsys-c"}},
		{ID: "by-other-kvk", Municipalities: []string{"0599"}, LegalBases: []string{BasisConsent}, Certificate: &CertificateMatch{KvK: "87654321"}},
		{ID: "amqp-only", Municipalities: []string{"0599"}, LegalBases: []string{BasisConsent}, BrokerUser: "amqp-only"},
	})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		cert *x509.Certificate
		want string
		err  error
	}{
		{"OIN in serialNumber", leaf(t, pkix.Name{CommonName: "anything", SerialNumber: oinA}), "by-oin", nil},
		{"another OIN", leaf(t, pkix.Name{SerialNumber: oinB}), "", ErrUnknownCertificate},
		{"KvK in organizationIdentifier and the common name", leaf(t, pkix.Name{CommonName: "regsys.example.nl", ExtraNames: orgID("NTRNL-12345678")}), "by-kvk-and-cn", nil},
		{"KvK right, common name wrong", leaf(t, pkix.Name{CommonName: "other.example.nl", ExtraNames: orgID("NTRNL-12345678")}), "", ErrUnknownCertificate},
		{"KvK without the NTRNL- prefix", leaf(t, pkix.Name{CommonName: "regsys.example.nl", ExtraNames: orgID("12345678")}), "", ErrUnknownCertificate},
		{"common name only", leaf(t, pkix.Name{CommonName: "regsys-c"}), "by-cn", nil},
		{"common name in another case", leaf(t, pkix.Name{CommonName: "REGSYS-C"}), "", ErrUnknownCertificate},
		{"the OIN of one system and the KvK of another: ambiguous", leaf(t, pkix.Name{SerialNumber: oinA, ExtraNames: orgID("NTRNL-87654321")}), "", ErrUnknownCertificate},
		{"an empty subject", leaf(t, pkix.Name{}), "", ErrUnknownCertificate},
		{"no certificate", nil, "", ErrNoCertificate},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, err := reg.ByCertificate(tc.cert)
			if !errors.Is(err, tc.err) || s.ID != tc.want {
				t.Fatalf("got %q, %v; want %q, %v", s.ID, err, tc.want, tc.err)
			}
		})
	}
}

func TestServerTLSRefuses(t *testing.T) {
	reg, err := Development()
	if err != nil {
		t.Fatal(err)
	}
	f := devCA(t, reg)
	dir := t.TempDir()
	garbage := filepath.Join(dir, "garbage.pem")
	if err := os.WriteFile(garbage, []byte("not PEM"), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, ca, cert, key, mentions string
	}{
		{"no CA file configured", "", f.ServerCert, f.ServerKey, "CA file"},
		{"a missing CA file", filepath.Join(dir, "missing.pem"), f.ServerCert, f.ServerKey, "missing.pem"},
		{"a CA file without certificates", garbage, f.ServerCert, f.ServerKey, "garbage.pem"},
		{"a leaf certificate as CA", f.ServerCert, f.ServerCert, f.ServerKey, "not a CA certificate"},
		{"a key that does not fit", f.CACert, f.ServerCert, f.CAKey, f.ServerCert},
		{"no server key configured", f.CACert, f.ServerCert, "", "key files"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ServerTLS(tc.ca, tc.cert, tc.key)
			if err == nil || !strings.Contains(err.Error(), tc.mentions) {
				t.Fatalf("ServerTLS = %v, want an error mentioning %s", err, tc.mentions)
			}
		})
	}
	cfg, err := ServerTLS(f.CACert, f.ServerCert, f.ServerKey)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.MinVersion != tls.VersionTLS12 || cfg.ClientAuth != tls.RequireAndVerifyClientCert {
		t.Fatalf("MinVersion %x, ClientAuth %v", cfg.MinVersion, cfg.ClientAuth)
	}
}
