package cli

import (
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/sluis-gateway/sluis/internal/config"
	"github.com/sluis-gateway/sluis/internal/identity"
)

// ErrDevLoginOff refuses dev-token when the development login is off.
var ErrDevLoginOff = errors.New("SLUIS_DEV_LOGIN is off: the development login issues no tokens (DEVELOPMENT ONLY)")

// DevToken prints a development login token (identity.DevLogin) for staff
// member id in role for municipality, valid for ttl, signed with the key in
// SLUIS_DEV_IDENTITY_DIR that a gateway with SLUIS_DEV_LOGIN=true verifies.
// It refuses when SLUIS_DEV_LOGIN is off.
func DevToken(out io.Writer, c config.Identity, id, role, municipality string, ttl time.Duration) error {
	if !c.DevLogin {
		return ErrDevLoginOff
	}
	login, err := identity.OpenDevLogin(c.DevIdentityDir)
	if err != nil {
		return err
	}
	tok, err := login.Issue(identity.Staff{ID: id, Municipality: municipality, Roles: []identity.Role{identity.Role(role)}}, ttl)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(out, tok)
	return err
}
