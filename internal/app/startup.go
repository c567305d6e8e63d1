package app

import (
	"log/slog"
	"os"
	"strings"

	"github.com/sluis-gateway/sluis/internal/config"
)

// startChecks runs before anything is dialled or opened: it warns about
// every unknown SLUIS_* variable of the environment (most likely a typo of a
// setting that then keeps its default) and about every development
// convenience that is on, and refuses a configuration that lacks what
// `sluis serve` needs (config.CheckServe).
func startChecks(cfg config.Config, log *slog.Logger) error {
	for _, name := range config.UnknownSettings(os.Environ()) {
		log.Warn("unknown setting "+name+"; it is ignored (see the README's configuration list)", "setting", name)
	}
	if on := cfg.DevelopmentOn(); len(on) > 0 {
		log.Warn("DEVELOPMENT settings on; not for production", "settings", strings.Join(on, ","))
	}
	return cfg.CheckServe()
}
