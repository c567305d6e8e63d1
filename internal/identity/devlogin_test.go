package identity

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestDevLogin(t *testing.T) {
	dir := t.TempDir()
	d, err := OpenDevLogin(dir)
	if err != nil {
		t.Fatal(err)
	}
	srv := staffServer(t, d.Verifier(), RoleCoordinator, RolePrivacyOfficer)
	other, err := OpenDevLogin(t.TempDir()) // another development key
	if err != nil {
		t.Fatal(err)
	}
	iss := newTestIssuer(t)
	issue := func(d *DevLogin, s Staff) string {
		t.Helper()
		tok, err := d.Issue(s, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	cases := []struct {
		name   string
		token  string
		status int
		body   string
	}{
		{"a coordinator of 0363", issue(d, Staff{ID: "e-7f3a", Municipality: "0363", Roles: []Role{RoleCoordinator}}), 200, "staff:e-7f3a@0363 role:coordinator"},
		{"a privacy officer", issue(d, Staff{ID: "p-1", Municipality: "0599", Roles: []Role{RolePrivacyOfficer}}), 200, "staff:p-1@0599 role:privacy_officer"},
		{"an employee: wrong role", issue(d, Staff{ID: "e-1", Municipality: "0363", Roles: []Role{RoleEmployee}}), 403, ErrRoleNotAllowed.Error()},
		{"a token of a production issuer", sign(t, iss.signer, with(iss.claims(), "aud", DevClientID)), 401, ErrBadToken.Error()},
		{"signed by another development key", issue(other, Staff{ID: "e-7f3a", Municipality: "0363", Roles: []Role{RoleCoordinator}}), 401, ErrBadToken.Error()},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, body, _ := call(t, srv.URL, tc.token)
			if status != tc.status || !strings.Contains(body, tc.body) {
				t.Fatalf("%d %q, want %d %q", status, body, tc.status, tc.body)
			}
		})
	}

	t.Run("reopened, the same key verifies earlier tokens", func(t *testing.T) {
		again, err := OpenDevLogin(dir)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := again.Verifier().Verify(t.Context(), cases[0].token); err != nil {
			t.Fatal(err)
		}
	})
}

func TestDevLoginIssueRefuses(t *testing.T) {
	d, err := OpenDevLogin(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	good := Staff{ID: "e-1", Municipality: "0363", Roles: []Role{RoleEmployee}}
	cases := []struct {
		name  string
		staff Staff
		ttl   time.Duration
	}{
		{"no id", Staff{Roles: []Role{RoleEmployee}}, time.Hour},
		{"an id with a space", Staff{ID: "Jan Jansen", Roles: []Role{RoleEmployee}}, time.Hour},
		{"no role", Staff{ID: "e-1"}, time.Hour},
		{"an unknown role", Staff{ID: "e-1", Roles: []Role{"admin"}}, time.Hour},
		{"a municipality that is no CBS code", Staff{ID: "e-1", Municipality: "Amsterdam", Roles: []Role{RoleEmployee}}, time.Hour},
		{"a lifetime over the limit", good, MaxDevTokenTTL + time.Second},
		{"no lifetime", good, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tok, err := d.Issue(tc.staff, tc.ttl); err == nil {
				t.Fatalf("issued %s", tok)
			}
		})
	}
}

func TestOpenDevLoginNeverOverwrites(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, DevLoginKeyFile)
	if err := os.WriteFile(path, []byte("not a key"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenDevLogin(dir); err == nil || !strings.Contains(err.Error(), path) {
		t.Fatalf("OpenDevLogin = %v, want an error naming %s", err, path)
	}
	if b, _ := os.ReadFile(path); !bytes.Equal(b, []byte("not a key")) {
		t.Fatal("the key file was overwritten")
	}
	fresh := t.TempDir()
	if _, err := OpenDevLogin(fresh); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(filepath.Join(fresh, DevLoginKeyFile)); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v, %v", fi.Mode(), err)
	}
}
