package cli

import (
	"context"
	"io"

	"github.com/sluis-gateway/sluis/internal/app"
	"github.com/sluis-gateway/sluis/internal/buildinfo"
)

// serve runs the gateway until ctx ends.
func serveCmd(ctx context.Context, e *env, args []string) error {
	if _, err := noFlags(e, "serve", args); err != nil {
		return err
	}
	cfg, err := e.config()
	if err != nil {
		return err
	}
	return app.Run(ctx, cfg, app.NewLogger(e.stderr, cfg))
}

// version prints the build (internal/buildinfo, as sluis_build_info).
func versionCmd(_ context.Context, e *env, args []string) error {
	if _, err := noFlags(e, "version", args); err != nil {
		return err
	}
	_, err := io.WriteString(e.stdout, buildinfo.Read().String()+"\n")
	return err
}
