// Command sluis is the gateway (serve) and the tools around it: send (a
// registration system), provider (a care provider), verify, status,
// config check and version. The commands live in package cli.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	_ "time/tzdata" // Europe/Amsterdam without a system zoneinfo

	"github.com/sluis-gateway/sluis/cmd/sluis/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
