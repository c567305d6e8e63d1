package identity

import (
	"context"
	"errors"
	"testing"
	"time"
)

// FuzzStaffToken: whatever a caller sends as a bearer token, verification
// never panics, and only a token the development login issued is accepted.
func FuzzStaffToken(f *testing.F) {
	d, err := OpenDevLogin(f.TempDir())
	if err != nil {
		f.Fatal(err)
	}
	good, err := d.Issue(Staff{ID: "e-1", Municipality: "0363", Roles: []Role{RoleEmployee}}, time.Hour)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add("")
	f.Add("a.b.c")
	f.Add("eyJhbGciOiJub25lIn0.e30.")
	f.Fuzz(func(t *testing.T, raw string) {
		s, err := d.Verifier().Verify(context.Background(), raw)
		if raw == good {
			if err != nil || s.ID != "e-1" {
				t.Fatalf("the issued token: %+v, %v", s, err)
			}
			return
		}
		if err == nil {
			t.Fatalf("accepted %q as %+v", raw, s)
		}
		if !errors.Is(err, ErrBadToken) {
			t.Fatalf("not ErrBadToken: %v", err)
		}
	})
}
