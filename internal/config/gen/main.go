// Command gen writes the configuration reference from the source of
// package config: every SLUIS_* variable of the Config struct (embedded
// sections included) with its default (envDefault), type, doc comment and
// section, into reference_gen.go (config.Settings, for `sluis help` and
// `sluis config check`) and docs/configuration.md. Run it with
// `go generate ./internal/config` (or `make generate`); a test fails when
// the committed files differ from what it writes.
//
// Sections: an embedded struct is a section named after its type, its type
// doc the section's introduction; in a struct a comment line
// "Section: NAME" starts a section for the fields after it, the other lines
// of that comment introducing it.
package main

import (
	"flag"
	"fmt"
	"os"
)

func main() {
	dir := flag.String("dir", ".", "the folder of package config")
	goOut := flag.String("go", "reference_gen.go", "the Go file to write (config.Settings)")
	mdOut := flag.String("md", "../../docs/configuration.md", "the Markdown reference to write")
	flag.Parse()
	if err := run(*dir, *goOut, *mdOut); err != nil {
		fmt.Fprintln(os.Stderr, "config/gen:", err)
		os.Exit(1)
	}
}

func run(dir, goOut, mdOut string) error {
	settings, err := Read(dir)
	if err != nil {
		return err
	}
	src, err := GoSource(settings)
	if err != nil {
		return err
	}
	if err := os.WriteFile(goOut, src, 0o644); err != nil {
		return err
	}
	return os.WriteFile(mdOut, Markdown(settings), 0o644)
}
