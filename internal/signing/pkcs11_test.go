package signing

import (
	"bytes"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/ThalesGroup/crypto11"

	"github.com/sluis-gateway/sluis/internal/testenv/softhsm"
)

// softHSM initialises a SoftHSM2 token with each key under its label (see
// softhsm.Start) and returns the configuration to open it.
func softHSM(t testing.TB, keys map[string]*rsa.PrivateKey) PKCS11Config {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{}
	for label, key := range keys {
		der, err := x509.MarshalPKCS8PrivateKey(key)
		if err != nil {
			t.Fatal(err)
		}
		files[label] = writeFile(t, dir, label+".p8.pem", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
	}
	tok := softhsm.Start(t, files)
	return PKCS11Config{Module: tok.Module, TokenLabel: tok.Label, PINFile: tok.PINFile}
}

// openToken opens cfg's token and closes it when the test ends.
func openToken(t testing.TB, cfg PKCS11Config) *Token {
	t.Helper()
	tok, err := OpenToken(cfg)
	if err != nil {
		t.Fatalf("OpenToken: %v", err)
	}
	t.Cleanup(func() {
		if err := tok.Close(); err != nil {
			t.Errorf("close token: %v", err)
		}
	})
	return tok
}

// TestPKCS11SignerMatchesPEM: a key imported into SoftHSM2 seals envelopes
// byte-identical to the PEM signer's with the same key (PKCS#1 v1.5 is
// deterministic), xmlsec1 verifies them, and the key on the token is not
// extractable.
func TestPKCS11SignerMatchesPEM(t *testing.T) {
	p := trustedPair(t)
	tok := openToken(t, softHSM(t, map[string]*rsa.PrivateKey{"signing": p.key}))
	dir := t.TempDir()
	keyFile, certFile := writePEMs(t, dir, p, true)
	pemSigner, err := LoadSigner(keyFile, certFile)
	if err != nil {
		t.Fatal(err)
	}
	hsmSigner, err := tok.Signer("signing", certFile)
	if err != nil {
		t.Fatalf("token Signer: %v", err)
	}
	for _, bb := range benchBerichten {
		t.Run(bb.name, func(t *testing.T) {
			bericht := example(t, bb.file)
			fromPEM := mustSeal(t, pemSigner, testMeta(), bericht)
			fromHSM := mustSeal(t, hsmSigner, testMeta(), bericht)
			if !bytes.Equal(fromPEM, fromHSM) {
				t.Fatalf("PKCS#11 envelope differs from the PEM signer's (%d vs %d bytes)", len(fromHSM), len(fromPEM))
			}
			file := writeFile(t, t.TempDir(), "signed.xml", fromHSM)
			if out, err := xmlsec1(t, "--verify", "--trusted-pem", certFile, "--enabled-reference-uris", "empty", file); err != nil {
				t.Fatalf("xmlsec1 rejects the PKCS#11 signature: %v\n%s", err, out)
			}
			if _, err := mustVerifier(t, p.cert).Open(fromHSM); err != nil {
				t.Fatalf("Open: %v", err)
			}
		})
	}

	key, err := tok.ctx.FindKeyPair(nil, []byte("signing"))
	if err != nil {
		t.Fatal(err)
	}
	for attr, want := range map[crypto11.AttributeType]byte{crypto11.CkaExtractable: 0, crypto11.CkaSensitive: 1} {
		a, err := tok.ctx.GetAttribute(key, attr)
		if err != nil {
			t.Fatalf("attribute %#x: %v", attr, err)
		}
		if len(a.Value) != 1 || a.Value[0] != want {
			t.Errorf("attribute %#x = %v, want %d: the key could leave the token", attr, a.Value, want)
		}
	}
}

// TestPKCS11Refusals: a token, PIN or key that cannot be used, and a
// certificate that is not the token key's, are refused with named errors.
func TestPKCS11Refusals(t *testing.T) {
	p := trustedPair(t)
	cfg := softHSM(t, map[string]*rsa.PrivateKey{"signing": p.key, "weak": weakPair(t).key})
	dir := t.TempDir()
	_, certFile := writePEMs(t, dir, p, true)
	_, otherCert := writePEMs(t, t.TempDir(), otherPair(t), true)
	_, weakCert := writePEMs(t, t.TempDir(), weakPair(t), true)
	wrongPIN := writeFile(t, dir, "wrong.pin", []byte("9999"))
	pin, err := os.ReadFile(cfg.PINFile)
	if err != nil {
		t.Fatal(err)
	}
	openPIN := writeFile(t, dir, "open.pin", pin) // the right PIN, readable by all
	if err := os.Chmod(openPIN, 0o644); err != nil {
		t.Fatal(err)
	}

	opens := []struct {
		name string
		cfg  PKCS11Config
		want error
	}{
		{"wrong PIN", PKCS11Config{cfg.Module, cfg.TokenLabel, wrongPIN}, ErrToken},
		{"unknown token", PKCS11Config{cfg.Module, "no-such-token", cfg.PINFile}, ErrToken},
		{"missing module", PKCS11Config{filepath.Join(dir, "nope.so"), cfg.TokenLabel, cfg.PINFile}, ErrToken},
		{"PIN file readable by others", PKCS11Config{cfg.Module, cfg.TokenLabel, openPIN}, ErrKeyFileMode},
		{"no PIN file", PKCS11Config{cfg.Module, cfg.TokenLabel, ""}, ErrToken},
	}
	for _, tc := range opens {
		t.Run(tc.name, func(t *testing.T) {
			tok, err := OpenToken(tc.cfg)
			if !errors.Is(err, tc.want) {
				if tok != nil {
					tok.Close()
				}
				t.Fatalf("OpenToken error = %v, want %v", err, tc.want)
			}
		})
	}

	tok := openToken(t, cfg)
	signers := []struct {
		name, label, cert string
		want              error
	}{
		{"unknown key label", "nope", certFile, ErrToken},
		{"certificate of another key", "signing", otherCert, ErrKeyMismatch},
		{"RSA-1024 key on the token", "weak", weakCert, ErrWeakKey},
		{"missing certificate file", "signing", filepath.Join(dir, "nope.pem"), os.ErrNotExist},
	}
	for _, tc := range signers {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := tok.Signer(tc.label, tc.cert); !errors.Is(err, tc.want) {
				t.Fatalf("Signer error = %v, want %v", err, tc.want)
			}
		})
	}
}

// BenchmarkSealPKCS11 is BenchmarkSeal with the key on a SoftHSM2 token:
// compare the two for the cost of the PKCS#11 round trip.
func BenchmarkSealPKCS11(b *testing.B) {
	p := trustedPair(b)
	tok := openToken(b, softHSM(b, map[string]*rsa.PrivateKey{"signing": p.key}))
	_, certFile := writePEMs(b, b.TempDir(), p, true)
	s, err := tok.Signer("signing", certFile)
	if err != nil {
		b.Fatal(err)
	}
	benchSeal(b, s)
}

// BenchmarkRSASignPKCS11 is BenchmarkRSASign on a SoftHSM2 token: one
// signature, the PKCS#11 round trip included.
func BenchmarkRSASignPKCS11(b *testing.B) {
	p := trustedPair(b)
	tok := openToken(b, softHSM(b, map[string]*rsa.PrivateKey{"signing": p.key}))
	key, err := tok.ctx.FindKeyPair(nil, []byte("signing"))
	if err != nil {
		b.Fatal(err)
	}
	benchSign(b, key)
}
