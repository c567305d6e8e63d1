package messages_test

import (
	"bytes"
	"os"
	"testing"

	"github.com/sluis-gateway/sluis/messages/internal/xsdgen"
	"github.com/sluis-gateway/sluis/xsd"
)

// TestSchemaModelUpToDate fails when schema_gen.go is not what the
// generator makes of the embedded XSDs (run `go generate ./messages`).
func TestSchemaModelUpToDate(t *testing.T) {
	want, err := xsdgen.Generate(xsd.Files())
	if err != nil {
		t.Fatalf("generate: %v", err)
	}
	got, err := os.ReadFile("schema_gen.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("schema_gen.go is stale: run go generate ./messages")
	}
}

func TestTranslatePattern(t *testing.T) {
	for _, tc := range []struct{ xsd, want string }{
		{`[0-9]{4}`, `[0-9]{4}`},
		{`.*[^\s].*`, `[^\n\r]*[^\t\n\r ][^\n\r]*`},
		{`([.\s]*\S+[.\s]*)+`, `([.\t\n\r ]*[^\t\n\r ]+[.\t\n\r ]*)+`},
		{`(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)`, `(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)`},
		{`a^b$`, `a\^b\$`},
	} {
		got, err := xsdgen.TranslatePattern(tc.xsd)
		if err != nil || got != tc.want {
			t.Errorf("TranslatePattern(%q) = %q, %v; want %q", tc.xsd, got, err, tc.want)
		}
	}
	if _, err := xsdgen.TranslatePattern(`\d+`); err == nil {
		t.Error(`\d accepted; the generator must refuse escapes it does not translate`)
	}
}
