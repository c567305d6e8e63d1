package app

import (
	"io"
	"log/slog"

	"github.com/sluis-gateway/sluis/internal/config"
)

// NewLogger is the gateway's logger on w: SLUIS_LOG_FORMAT text (key=value
// lines) or json (one object per line), at SLUIS_LOG_LEVEL. Both validated
// by config; an unknown format is text, an unknown level info. Fields are
// listed in docs/operations.md, "Logs".
func NewLogger(w io.Writer, cfg config.Config) *slog.Logger {
	var level slog.Level
	if err := level.UnmarshalText([]byte(cfg.LogLevel)); err != nil {
		level = slog.LevelInfo
	}
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
