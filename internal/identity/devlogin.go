package identity

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// The development login: tokens that sluis signs itself with a local key,
// for a chosen person, role and municipality, verified by go-oidc exactly
// as production tokens are (same claims, same checks), against that one
// key. Only for development: the configuration enables it explicitly, and
// never together with a production issuer.
const (
	// DevIssuer is the issuer of development tokens.
	DevIssuer = "urn:sluis:dev-login:DEVELOPMENT-ONLY"
	// DevClientID is the audience of development tokens.
	DevClientID = "sluis-dev"
	// DevLoginKeyFile is the development login key's file name.
	DevLoginKeyFile = "staff-login-DEVELOPMENT-ONLY.key.pem"
	// MaxDevTokenTTL bounds a development token's lifetime.
	MaxDevTokenTTL = 12 * time.Hour
)

// DevLogin issues and verifies development staff tokens.
type DevLogin struct {
	key      *ecdsa.PrivateKey
	signer   jose.Signer
	verifier *StaffVerifier
}

// OpenDevLogin loads the development login key from dir (DevLoginKeyFile),
// generating it (ECDSA P-256, mode 0600) when the file is missing. An
// existing file is never overwritten: one that does not hold an ECDSA key
// is an error naming it.
func OpenDevLogin(dir string) (*DevLogin, error) {
	path := filepath.Join(dir, DevLoginKeyFile)
	key, err := readECKey(path)
	if errors.Is(err, fs.ErrNotExist) {
		key, err = newECKeyFile(path)
	}
	if err != nil {
		return nil, fmt.Errorf("development login: %w", err)
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: key}, (&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		return nil, fmt.Errorf("development login: %w", err)
	}
	keys := &oidc.StaticKeySet{PublicKeys: []crypto.PublicKey{key.Public()}}
	v := oidc.NewVerifier(DevIssuer, keys, &oidc.Config{ClientID: DevClientID, SupportedSigningAlgs: []string{oidc.ES256}})
	return &DevLogin{key: key, signer: signer, verifier: newStaffVerifier(v, "roles", "municipality")}, nil
}

// Verifier returns the verifier of development tokens.
func (d *DevLogin) Verifier() *StaffVerifier { return d.verifier }

// Issue signs a development token for s, valid for ttl (at most
// MaxDevTokenTTL). The staff member needs an id and at least one known role.
func (d *DevLogin) Issue(s Staff, ttl time.Duration) (string, error) {
	if !subjectRe.MatchString(s.ID) {
		return "", errors.New("development login: the staff member needs a printable id")
	}
	if len(s.Roles) == 0 {
		return "", errors.New("development login: at least one role is required")
	}
	roles := make([]string, 0, len(s.Roles))
	for _, r := range s.Roles {
		if !slices.Contains(Roles, r) {
			return "", fmt.Errorf("development login: unknown role %q", r)
		}
		roles = append(roles, string(r))
	}
	if s.Municipality != "" && !municipalityRe.MatchString(s.Municipality) {
		return "", errors.New("development login: municipality must be a 4-digit CBS code")
	}
	if ttl <= 0 || ttl > MaxDevTokenTTL {
		return "", fmt.Errorf("development login: lifetime must be between 0 and %s", MaxDevTokenTTL)
	}
	now := time.Now()
	std := jwt.Claims{
		Issuer: DevIssuer, Subject: s.ID, Audience: jwt.Audience{DevClientID},
		IssuedAt: jwt.NewNumericDate(now), NotBefore: jwt.NewNumericDate(now.Add(-time.Minute)),
		Expiry: jwt.NewNumericDate(now.Add(ttl)),
	}
	extra := map[string]any{"roles": roles}
	if s.Municipality != "" {
		extra["municipality"] = s.Municipality
	}
	tok, err := jwt.Signed(d.signer).Claims(std).Claims(extra).Serialize()
	if err != nil {
		return "", fmt.Errorf("development login: sign: %w", err)
	}
	return tok, nil
}

func readECKey(path string) (*ecdsa.PrivateKey, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	block, _ := pem.Decode(data)
	if block == nil || block.Type != "PRIVATE KEY" {
		return nil, fmt.Errorf("%s: no PEM PRIVATE KEY block", path)
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	ec, ok := k.(*ecdsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("%s: not an ECDSA key", path)
	}
	return ec, nil
}

// newECKeyFile generates a P-256 key into path, which must not exist.
func newECKeyFile(path string) (*ecdsa.PrivateKey, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate key: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("marshal key: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, err
	}
	if err := writeNew(path, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		return nil, err
	}
	return key, nil
}

// writeNew writes data to a file that must not exist yet, with mode perm.
func writeNew(path string, data []byte, perm os.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Chmod(perm); err != nil {
		f.Close()
		return fmt.Errorf("chmod %s: %w", path, err)
	}
	return f.Close()
}
