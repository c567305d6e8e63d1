package cli_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/sluis-gateway/sluis/cmd/sluis/cli"
	"github.com/sluis-gateway/sluis/internal/config"
	"github.com/sluis-gateway/sluis/internal/identity"
)

func TestDevToken(t *testing.T) {
	dir := t.TempDir()
	t.Run("refused when the development login is off", func(t *testing.T) {
		var out bytes.Buffer
		err := cli.DevToken(&out, config.Identity{DevIdentityDir: dir}, "s-1", "coordinator", "0363", time.Hour)
		if !errors.Is(err, cli.ErrDevLoginOff) || out.Len() != 0 {
			t.Fatalf("%v, %q", err, out.String())
		}
	})
	t.Run("a token the gateway's development login verifies", func(t *testing.T) {
		var out bytes.Buffer
		if err := cli.DevToken(&out, config.Identity{DevLogin: true, DevIdentityDir: dir}, "s-1", "coordinator", "0363", time.Hour); err != nil {
			t.Fatal(err)
		}
		login, err := identity.OpenDevLogin(dir)
		if err != nil {
			t.Fatal(err)
		}
		s, err := login.Verifier().Verify(context.Background(), strings.TrimSpace(out.String()))
		if err != nil {
			t.Fatal(err)
		}
		if s.ID != "s-1" || s.Municipality != "0363" || !s.Has(identity.RoleCoordinator) {
			t.Fatalf("staff %+v", s)
		}
	})
	t.Run("an unknown role is refused", func(t *testing.T) {
		var out bytes.Buffer
		if err := cli.DevToken(&out, config.Identity{DevLogin: true, DevIdentityDir: dir}, "s-1", "root", "0363", time.Hour); err == nil {
			t.Fatal("issued a token for an unknown role")
		}
	})
}
