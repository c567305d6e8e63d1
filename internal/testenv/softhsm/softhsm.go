// Package softhsm starts SoftHSM2 tokens for tests. It stands apart from
// testenv, which imports internal/signing, so that signing's own tests can
// use it.
package softhsm

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// Module is where Debian's softhsm2 package puts the PKCS#11 module.
const Module = "/usr/lib/softhsm/libsofthsm2.so"

// Token is a SoftHSM2 token a test initialised.
type Token struct {
	// Module is the PKCS#11 module (Module).
	Module string
	// Label is the token's label.
	Label string
	// PINFile holds the user PIN (mode 0600).
	PINFile string
}

// SoftHSM initialises a fresh SoftHSM2 token in a temporary folder of its
// own (SOFTHSM2_CONF points at a configuration there for the rest of the
// test) and imports each PKCS#8 PEM key file of keys under its label (the
// map's key). It fails, never skips, when softhsm2 is not installed: CI
// installs it.
func Start(t testing.TB, keys map[string]string) Token {
	t.Helper()
	util, err := exec.LookPath("softhsm2-util")
	if err != nil {
		t.Fatalf("softhsm2-util not found: install SoftHSM2 (apt-get install softhsm2) to run the PKCS#11 tests: %v", err)
	}
	if _, err := os.Stat(Module); err != nil {
		t.Fatalf("SoftHSM2 module missing: install SoftHSM2 (apt-get install softhsm2): %v", err)
	}
	// SoftHSM2's configuration parser ends a value at '#', which t.TempDir
	// keeps from a test's name: a folder of our own naming.
	dir, err := os.MkdirTemp("", "sluis-softhsm-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	tokens := filepath.Join(dir, "tokens")
	if err := os.Mkdir(tokens, 0o700); err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(dir, "softhsm2.conf")
	pinFile := filepath.Join(dir, "pin")
	const label, pin = "sluis-test", "1234"
	for f, data := range map[string]string{
		conf:    "directories.tokendir = " + tokens + "\nobjectstore.backend = file\nlog.level = ERROR\n",
		pinFile: pin + "\n",
	} {
		if err := os.WriteFile(f, []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("SOFTHSM2_CONF", conf)
	run := func(args ...string) {
		t.Helper()
		if out, err := exec.Command(util, args...).CombinedOutput(); err != nil {
			t.Fatalf("softhsm2-util %s: %v\n%s", args[0], err, out)
		}
	}
	run("--init-token", "--free", "--label", label, "--pin", pin, "--so-pin", "5678")
	id := 1
	for keyLabel, keyFile := range keys {
		run("--import", keyFile, "--token", label, "--label", keyLabel, "--id", fmt.Sprintf("%02x", id), "--pin", pin)
		id++
	}
	return Token{Module: Module, Label: label, PINFile: pinFile}
}
