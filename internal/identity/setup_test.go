package identity

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sluis-gateway/sluis/internal/config"
)

func TestFromConfigDevelopment(t *testing.T) {
	dir := t.TempDir()
	s, err := FromConfig(context.Background(), config.Identity{DevCA: true, DevLogin: true, DevIdentityDir: dir}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Systems.Get("regsys-demo"); err != nil || s.ServerTLS == nil || s.DevFiles == nil || s.DevLogin == nil {
		t.Fatalf("development setup incomplete: %+v, %v", s, err)
	}
	if filepath.Dir(s.DevFiles.CACert) != dir {
		t.Fatalf("CA in %s, want %s", s.DevFiles.CACert, dir)
	}
	tok, err := s.DevLogin.Issue(Staff{ID: "e-1", Municipality: "0363", Roles: []Role{RoleEmployee}}, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if st, err := s.Staff.Verify(context.Background(), tok); err != nil || st.ID != "e-1" {
		t.Fatalf("Verify = %+v, %v", st, err)
	}
}

func TestFromConfigProduction(t *testing.T) {
	reg, err := Development()
	if err != nil {
		t.Fatal(err)
	}
	f := devCA(t, reg) // stands in for PKIoverheid and the server's certificate
	iss := newTestIssuer(t)
	good := config.Identity{
		SystemsFile: filepath.Join("..", "..", "deploy", "systems.json"),
		TLSClientCA: f.CACert, TLSCert: f.ServerCert, TLSKey: f.ServerKey,
		OIDCIssuer: iss.srv.URL, OIDCClientID: "sluis", OIDCRolesClaim: "roles", OIDCMunicipalityClaim: "municipality",
	}
	s, err := FromConfig(context.Background(), good, iss.srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	if st, err := s.Staff.Verify(context.Background(), sign(t, iss.signer, iss.claims())); err != nil || !st.Has(RoleCoordinator) {
		t.Fatalf("Verify = %+v, %v", st, err)
	}
	if s.DevLogin != nil || s.DevFiles != nil {
		t.Fatal("development parts in a production setup")
	}

	noStaff := good
	noStaff.OIDCIssuer, noStaff.OIDCClientID = "", ""
	s, err = FromConfig(context.Background(), noStaff, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Staff.Verify(context.Background(), sign(t, iss.signer, iss.claims())); !errors.Is(err, ErrBadToken) || !errors.Is(err, ErrNoStaffLogin) {
		t.Fatalf("without a staff login: %v", err)
	}

	cases := []struct {
		name     string
		change   func(*config.Identity)
		mentions string
	}{
		{"no systems file", func(c *config.Identity) { c.SystemsFile = "" }, "SLUIS_SYSTEMS_FILE"},
		{"a missing systems file", func(c *config.Identity) { c.SystemsFile = "missing.json" }, "missing.json"},
		{"no client CA", func(c *config.Identity) { c.TLSClientCA = "" }, "SLUIS_TLS_CLIENT_CA"},
		{"an unreachable issuer", func(c *config.Identity) { c.OIDCIssuer = "https://127.0.0.1:1" }, "SLUIS_OIDC_ISSUER"},
		{"dev login next to OIDC", func(c *config.Identity) { c.DevLogin, c.DevIdentityDir = true, t.TempDir() }, "SLUIS_DEV_LOGIN"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := good
			tc.change(&c)
			if _, err := FromConfig(context.Background(), c, iss.srv.Client()); err == nil || !strings.Contains(err.Error(), tc.mentions) {
				t.Fatalf("FromConfig = %v, want an error mentioning %s", err, tc.mentions)
			}
		})
	}
}
