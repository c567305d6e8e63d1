package app_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/sluis-gateway/sluis/internal/bus"
	"github.com/sluis-gateway/sluis/internal/signing"
	"github.com/sluis-gateway/sluis/internal/testenv"
	"github.com/sluis-gateway/sluis/internal/testenv/softhsm"
)

// TestEndToEndPKCS11: the gateway configured with SLUIS_SIGNER=pkcs11 signs
// on a SoftHSM2 token; the provider's message verifies with xmlsec1 and is
// byte for byte what the PEM signer makes with the same key.
func TestEndToEndPKCS11(t *testing.T) {
	h := &harness{t: t, url: testenv.VHost(t), logs: &syncBuffer{}, pending: map[string][]bus.Event{}}
	dir := t.TempDir()
	h.configure(dir)
	// A key pair as an operator would import it into the HSM.
	keyFile, certFile := filepath.Join(dir, "hsm", "import.key.pem"), filepath.Join(dir, "hsm", "signing.cert.pem")
	if err := signing.GenerateDevelopmentPair(keyFile, certFile, "sluis hsm test"); err != nil {
		t.Fatal(err)
	}
	tok := softhsm.Start(t, map[string]string{"sluis-signing": keyFile})
	h.cfg.Signer = "pkcs11"
	h.cfg.PKCS11Module, h.cfg.PKCS11TokenLabel, h.cfg.PKCS11PINFile = tok.Module, tok.Label, tok.PINFile
	h.cfg.PKCS11KeyLabel = "sluis-signing"
	h.cfg.SigningKey = filepath.Join(dir, "no-such-key.pem") // unused with pkcs11, and never generated
	h.cfg.SigningCert = certFile
	if err := h.cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	h.startGateway()
	h.listen()

	m, body := readExample(t, "iwmo-301.json")
	id := m["id"].(string)
	h.send(body)
	h.waitState(id, "delivered")
	d := h.take("42420001")

	signedFile := filepath.Join(t.TempDir(), "signed.xml")
	if err := os.WriteFile(signedFile, d.Body, 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("xmlsec1", "--verify", "--trusted-pem", certFile, "--enabled-reference-uris", "empty", signedFile).CombinedOutput(); err != nil {
		t.Fatalf("xmlsec1 --verify: %v\n%s", err, out)
	}
	verifier, err := signing.LoadVerifier(certFile)
	if err != nil {
		t.Fatal(err)
	}
	opened, err := verifier.Open(d.Body)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	pemSigner, err := signing.LoadSigner(keyFile, certFile)
	if err != nil {
		t.Fatal(err)
	}
	// The Bericht as the envelope carries it (Opened.Bericht is its C14N
	// form, which drops unused namespace declarations), sealed again.
	start := bytes.Index(d.Body, []byte("<sluis:Bericht>")) + len("<sluis:Bericht>")
	end := bytes.LastIndex(d.Body, []byte("</sluis:Bericht>"))
	if start < len("<sluis:Bericht>") || end < start {
		t.Fatal("no Bericht in the envelope")
	}
	again, err := pemSigner.Seal(opened.Meta, d.Body[start:end])
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(again, d.Body) {
		t.Fatalf("the PEM signer's envelope for the same key, metadata and Bericht differs from the token's")
	}
	if _, err := os.Stat(h.cfg.SigningKey); !os.IsNotExist(err) {
		t.Errorf("a PEM signing key was generated with SLUIS_SIGNER=pkcs11: %v", err)
	}
	assertNoPersonalData(t, h.logs.String())
}
