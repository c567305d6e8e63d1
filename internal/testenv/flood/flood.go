// Package flood builds oversized XML for tests of the parsers' bounds. It
// imports nothing of sluis, so any package's tests can use it.
package flood

import (
	"bytes"
	"testing"
)

// Insert returns doc with n empty elements <a/> (4 bytes each) inserted
// just after the first occurrence of at, so a well-formed document stays
// well-formed. It fails the test when doc has no at.
func Insert(t testing.TB, doc []byte, at string, n int) []byte {
	t.Helper()
	i := bytes.Index(doc, []byte(at))
	if i < 0 {
		t.Fatalf("flood: no %q in the document", at)
	}
	i += len(at)
	var b bytes.Buffer
	b.Grow(len(doc) + 4*n)
	b.Write(doc[:i])
	for range n {
		b.WriteString("<a/>")
	}
	b.Write(doc[i:])
	return b.Bytes()
}
