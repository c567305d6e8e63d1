package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/sluis-gateway/sluis/internal/config"
)

// usage is the overview: every command, the exit codes and the settings.
func usage(w io.Writer) {
	fmt.Fprint(w, "sluis: secure iWmo / iJw message gateway\n\nusage: sluis COMMAND [OPTIONS] [ARGS]\n\ncommands:\n")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-22s %s\n", strings.TrimSpace(c.name+" "+c.args), indent(c.summary, 25))
	}
	fmt.Fprint(w, "\n`sluis COMMAND -h` lists a command's options.\n\n")
	fmt.Fprint(w, `exit codes: 0 done (send: delivered, accepted or still waiting), 1 error,
  2 usage, 3 send: invalid, 4 send: refused, 5 send: failed
`)
	settings(w)
}

// help prints the overview, or with an argument that command's help.
func helpCmd(ctx context.Context, e *env, args []string) error {
	c := self("help")
	fs := c.flags()
	if err := fs.Parse(args); err != nil && !errors.Is(err, flag.ErrHelp) {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	switch fs.NArg() {
	case 0:
		usage(e.stdout)
		return nil
	case 1:
		if fs.Arg(0) == "help" {
			usage(e.stdout)
			return nil
		}
		target, ok := lookup(fs.Arg(0))
		if !ok {
			usage(e.stderr)
			return fmt.Errorf("%w: unknown command %q", errUsage, fs.Arg(0))
		}
		return target.run(ctx, e, []string{"-h"})
	}
	return fmt.Errorf("%w: help takes at most one COMMAND", errUsage)
}

// help prints the command's usage, options and (serve, config) settings.
func (c command) help(w io.Writer, fs *flag.FlagSet) {
	fmt.Fprintf(w, "usage: sluis %s\n\n%s\n", strings.TrimSpace(c.name+" [OPTIONS] "+c.args), c.summary)
	fs.SetOutput(w)
	n := 0
	fs.VisitAll(func(*flag.Flag) { n++ })
	if n == 0 {
		fmt.Fprint(w, "\noptions: none\n")
	} else {
		fmt.Fprint(w, "\noptions:\n")
		fs.PrintDefaults()
	}
	fs.SetOutput(io.Discard)
	if c.settings {
		settings(w)
	}
}

// settings lists every SLUIS_* variable by section: name, default, type
// and the first sentence of its doc (all of it: docs/configuration.md).
func settings(w io.Writer) {
	fmt.Fprint(w, "\nenvironment (every variable in full: docs/configuration.md):\n")
	section := ""
	for _, s := range config.Settings {
		if s.Section != section {
			section = s.Section
			fmt.Fprintf(w, "\n  %s\n", section)
		}
		def := "empty by default"
		if s.Default != "" {
			def = "default " + s.Default
		}
		fmt.Fprintf(w, "  %s (%s; %s)\n      %s\n", s.Name, s.Type, def, s.Summary())
	}
}

// indent continues a multi-line text under a column.
func indent(s string, col int) string {
	return strings.ReplaceAll(s, "\n", "\n"+strings.Repeat(" ", col))
}
