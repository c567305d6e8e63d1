package testenv

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// Xmllint validates doc against the XSD at schema with libxml2's own
// command line tool (xmllint --noout --nonet --schema), independent of the
// gateway's validator, and fails the test when xmllint rejects it or is not
// installed (apt-get install libxml2-utils).
func Xmllint(t testing.TB, schema string, doc []byte) {
	t.Helper()
	bin, err := exec.LookPath("xmllint")
	if err != nil {
		t.Fatalf("xmllint not installed (apt-get install libxml2-utils): %v", err)
	}
	if _, err := os.Stat(schema); err != nil {
		t.Fatalf("schema %s: %v", schema, err)
	}
	file := filepath.Join(t.TempDir(), "doc.xml")
	if err := os.WriteFile(file, doc, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "--noout", "--nonet", "--schema", schema, file).CombinedOutput()
	if err != nil {
		t.Fatalf("xmllint --schema %s rejects the document: %v\n%s", filepath.Base(schema), err, out)
	}
}

// ReadFile returns the contents of path, failing the test when it cannot.
func ReadFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	return b
}

// ContractExample returns docs/contract/examples/<name> (a disclosure or
// consent request of the documented contract), failing the test when it
// cannot be read.
func ContractExample(t testing.TB, name string) []byte {
	t.Helper()
	return ReadFile(t, filepath.Join(Root(), "docs", "contract", "examples", name))
}
