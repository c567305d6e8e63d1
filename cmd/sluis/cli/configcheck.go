package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/sluis-gateway/sluis/internal/config"
)

// ErrConfigInvalid is returned by `sluis config check` after it printed
// the problems.
var ErrConfigInvalid = errors.New("the configuration is invalid")

// configCheck loads and validates the environment's configuration as serve
// would, without connecting anywhere or reading the files it names.
func configCheck(_ context.Context, e *env, args []string) error {
	fs, err := noFlags(e, "config", args)
	if err != nil {
		return err
	}
	if fs.Arg(0) != "check" {
		return fmt.Errorf("%w: unknown config subcommand %q (want check)", errUsage, fs.Arg(0))
	}
	cfg, problems := config.Check(nil)
	if len(problems) > 0 {
		for _, p := range problems {
			fmt.Fprintln(e.stdout, "problem:", p)
		}
		return fmt.Errorf("%w (%d problem(s))", ErrConfigInvalid, len(problems))
	}
	values, err := cfg.Effective()
	if err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, "configuration valid; effective settings (URL passwords redacted):")
	for _, v := range values {
		mark := ""
		if v.Value != config.Redact(v.Default) && !(v.Default == "" && v.Value == "") {
			mark = "   # set"
		}
		fmt.Fprintf(e.stdout, "%s=%s%s\n", v.Name, v.Value, mark)
	}
	return nil
}
