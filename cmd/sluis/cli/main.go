package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/sluis-gateway/sluis/internal/config"
)

// Exit codes of sluis (docs/cli.md).
const (
	ExitOK      = 0 // done; send: delivered, accepted or still waiting
	ExitError   = 1 // the command failed (configuration, connection, timeout...)
	ExitUsage   = 2 // unknown command, bad option or argument
	ExitInvalid = 3 // send: the request ended invalid
	ExitRefused = 4 // send: the request ended refused
	ExitFailed  = 5 // send: the request ended failed
)

// The end states of `sluis send` that are not a success.
var (
	ErrEndedInvalid = errors.New("the request ended invalid")
	ErrEndedRefused = errors.New("the request ended refused")
	ErrEndedFailed  = errors.New("the request ended failed")
)

// errUsage marks an error in the command line.
var errUsage = errors.New("usage")

// env is what a command runs with: its output and the configuration.
type env struct {
	stdout, stderr io.Writer
	// cfg is the configuration from the environment, or the defaults when
	// it is invalid (so that help still works); cfgErr says why.
	cfg    config.Config
	cfgErr error
}

// config is the configuration, or why the environment's is invalid.
func (e *env) config() (config.Config, error) { return e.cfg, e.cfgErr }

// Main runs the sluis command in args (without the program name) and
// returns the process's exit code. Help goes to stdout, errors to stderr.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	e := &env{stdout: stdout, stderr: stderr}
	if e.cfg, e.cfgErr = config.Load(); e.cfgErr != nil {
		e.cfg, _ = config.Parse(map[string]string{}) // the defaults are valid (config tests)
	}
	if len(args) == 0 {
		fmt.Fprintln(stderr, "sluis: no command")
		usage(stderr)
		return ExitUsage
	}
	name := args[0]
	c, ok := lookup(name)
	if !ok {
		fmt.Fprintf(stderr, "sluis: unknown command %q\n", name)
		usage(stderr)
		return ExitUsage
	}
	err := c.run(ctx, e, args[1:])
	switch {
	case err == nil:
		return ExitOK
	case errors.Is(err, flag.ErrHelp):
		return ExitOK
	case errors.Is(err, errUsage):
		fmt.Fprintf(stderr, "sluis %s: %v\n", c.name, err)
		return ExitUsage
	}
	fmt.Fprintf(stderr, "sluis %s: %v\n", c.name, err)
	return exitCode(err)
}

// exitCode is the exit code of a command's error other than help or usage.
func exitCode(err error) int {
	switch {
	case err == nil:
		return ExitOK
	case errors.Is(err, ErrEndedInvalid):
		return ExitInvalid
	case errors.Is(err, ErrEndedRefused):
		return ExitRefused
	case errors.Is(err, ErrEndedFailed):
		return ExitFailed
	}
	return ExitError
}

// ended is Send's result for a settled state: an error for the end states
// that are not a success.
func ended(state string) error {
	switch state {
	case "invalid":
		return ErrEndedInvalid
	case "refused":
		return ErrEndedRefused
	case "failed":
		return ErrEndedFailed
	}
	return nil
}

// flags is a command's flag set; parse reports -h and mistakes.
func (c command) flags() *flag.FlagSet {
	fs := flag.NewFlagSet("sluis "+c.name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return fs
}

// parse parses args into fs and checks the number of arguments: -h prints
// the command's help to stdout (flag.ErrHelp); a mistake prints it to
// stderr (errUsage).
func (c command) parse(e *env, fs *flag.FlagSet, args []string) error {
	err := fs.Parse(args)
	if errors.Is(err, flag.ErrHelp) {
		c.help(e.stdout, fs)
		return flag.ErrHelp
	}
	if err == nil && (fs.NArg() < c.nargs || fs.NArg() > max(c.nargs, c.maxArgs)) {
		err = fmt.Errorf("want %s argument(s) %s, got %d", c.argCount(), c.args, fs.NArg())
	}
	if err != nil {
		c.help(e.stderr, fs)
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	return nil
}

// argCount says how many arguments c takes: "1", or "1 to 2".
func (c command) argCount() string {
	if c.maxArgs > c.nargs {
		return fmt.Sprintf("%d to %d", c.nargs, c.maxArgs)
	}
	return fmt.Sprint(c.nargs)
}
