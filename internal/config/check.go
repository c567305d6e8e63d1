package config

import (
	"fmt"
	"strings"

	"github.com/caarlos0/env/v11"
)

// Check reads the configuration from vars (nil: the process environment)
// like Parse, but returns its problems one by one, each naming its
// variable: every value that does not parse, or else the first setting
// Validate refuses (validation stops there, as settings depend on each
// other). No problems: the configuration serve would run with.
func Check(vars map[string]string) (Config, []string) {
	var c Config
	opts := env.Options{}
	if vars != nil {
		opts.Environment = vars
	}
	if err := env.ParseWithOptions(&c, opts); err != nil {
		return Config{}, describeParseError(err)
	}
	if err := c.Validate(); err != nil {
		return Config{}, []string{strings.TrimPrefix(err.Error(), fmt.Sprintf("%s: ", ErrInvalid))}
	}
	return c, nil
}
