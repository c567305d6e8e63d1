// Command genschema writes messages/schema_gen.go (run by `go generate
// ./messages`; TestSchemaModelUpToDate fails when the committed file is
// stale).
package main

import (
	"fmt"
	"os"

	"github.com/sluis-gateway/sluis/messages/internal/xsdgen"
	"github.com/sluis-gateway/sluis/xsd"
)

func main() {
	src, err := xsdgen.Generate(xsd.Files())
	if err != nil {
		fmt.Fprintln(os.Stderr, "genschema:", err)
		os.Exit(1)
	}
	if err := os.WriteFile("schema_gen.go", src, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "genschema:", err)
		os.Exit(1)
	}
}
