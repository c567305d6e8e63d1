package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	"github.com/sluis-gateway/sluis/internal/archive"
	"github.com/sluis-gateway/sluis/internal/loadtest"
)

// GatewayConfig says how to run the gateway under test.
type GatewayConfig struct {
	// Binary is the sluis executable (make bench builds bin/sluis).
	Binary string
	// Dir is a private directory for the keys, registry, SQLite file and log.
	Dir string
	// AMQPURL is the broker (a private vhost).
	AMQPURL string
	// Providers are the AGB codes of the registry the gateway loads.
	Providers []string
	// Workers and Prefetch override SLUIS_WORKERS and SLUIS_PREFETCH when
	// positive.
	Workers, Prefetch int
	// LogLevel is SLUIS_LOG_LEVEL (default info, as in production).
	LogLevel string
	// Extra environment (KEY=VALUE) appended last.
	Extra []string
}

// Gateway is the gateway process under test.
type Gateway struct {
	cmd     *exec.Cmd
	Addr    string // API address (TLS)
	Admin   string // admin address: /healthz, /metrics, pprof
	LogFile string
	exited  chan error
}

// StartGateway writes the gateway's files, starts `sluis serve` as a
// separate process with SLUIS_* environment and waits until /healthz says
// it is up. The process gets the environment of this one minus any SLUIS_*
// variable, plus its own.
func StartGateway(ctx context.Context, c GatewayConfig, keyFile, certFile string) (*Gateway, error) {
	if c.Binary == "" || c.Dir == "" || c.AMQPURL == "" || len(c.Providers) == 0 {
		return nil, fmt.Errorf("%w: gateway needs binary, dir, AMQP URL and providers", loadtest.ErrConfig)
	}
	if _, err := os.Stat(c.Binary); err != nil {
		return nil, fmt.Errorf("%w: gateway binary: %w (run make build)", loadtest.ErrConfig, err)
	}
	reg, err := loadtest.WriteProviders(c.Dir, c.Providers)
	if err != nil {
		return nil, err
	}
	secret, err := loadtest.WriteSecret(c.Dir)
	if err != nil {
		return nil, err
	}
	master := filepath.Join(c.Dir, "archive-master.key")
	if err := archive.GenerateMasterKeyFile(master); err != nil && !errors.Is(err, archive.ErrExists) {
		return nil, err
	}
	addr, err := loadtest.FreePort()
	if err != nil {
		return nil, err
	}
	admin, err := loadtest.FreePort()
	if err != nil {
		return nil, err
	}
	if c.LogLevel == "" {
		c.LogLevel = "info"
	}
	env := []string{}
	for _, kv := range os.Environ() {
		if len(kv) >= 6 && kv[:6] == "SLUIS_" {
			continue
		}
		env = append(env, kv)
	}
	env = append(env,
		"SLUIS_AMQP_URL="+c.AMQPURL,
		"SLUIS_AMQP_ALLOW_PLAINTEXT=true", // a private vhost of the local broker
		"SLUIS_HTTP_ADDR="+addr,
		"SLUIS_ADMIN_ADDR="+admin,
		// The API serves only mutual TLS; the bench publishes over AMQP
		// and asks only the admin listener.
		"SLUIS_DEV_CA=true",
		"SLUIS_DEV_IDENTITY_DIR="+filepath.Join(c.Dir, "identity"),
		"SLUIS_STORE=sqlite",
		"SLUIS_SQLITE_PATH="+filepath.Join(c.Dir, "sluis.db"),
		"SLUIS_SIGNING_KEY="+keyFile,
		"SLUIS_SIGNING_CERT="+certFile,
		"SLUIS_DEV_KEYS=false",
		"SLUIS_CLIENT_KEY_SECRET="+secret,
		"SLUIS_ARCHIVE_MASTER_KEY="+master,
		"SLUIS_PROVIDERS_FILE="+reg,
		// The development registry of systems and its CA: the load is sent
		// as regsys-demo, whose development broker user is guest.
		"SLUIS_DEV_CA=true",
		"SLUIS_DEV_IDENTITY_DIR="+filepath.Join(c.Dir, "identity"),
		"SLUIS_LOG_LEVEL="+c.LogLevel,
	)
	if c.Workers > 0 {
		env = append(env, fmt.Sprintf("SLUIS_WORKERS=%d", c.Workers))
	}
	if c.Prefetch > 0 {
		env = append(env, fmt.Sprintf("SLUIS_PREFETCH=%d", c.Prefetch))
	}
	env = append(env, c.Extra...)
	logFile := filepath.Join(c.Dir, "gateway.log")
	lf, err := os.Create(logFile)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(c.Binary, "serve")
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = lf, lf
	if err := cmd.Start(); err != nil {
		lf.Close()
		return nil, fmt.Errorf("start gateway: %w", err)
	}
	g := &Gateway{cmd: cmd, Addr: addr, Admin: admin, LogFile: logFile, exited: make(chan error, 1)}
	go func() {
		err := cmd.Wait()
		lf.Close()
		g.exited <- err
	}()
	if err := g.waitHealthy(ctx); err != nil {
		g.Stop()
		return nil, err
	}
	return g, nil
}

// Pid is the gateway's process id.
func (g *Gateway) Pid() int { return g.cmd.Process.Pid }

func (g *Gateway) waitHealthy(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	client := &http.Client{Timeout: 2 * time.Second}
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+g.Admin+"/healthz", nil)
		resp, err := client.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case err := <-g.exited:
			g.exited <- err
			return fmt.Errorf("gateway exited during start-up (%v); see %s", err, g.LogFile)
		case <-ctx.Done():
			return fmt.Errorf("gateway not healthy within 60 s; see %s", g.LogFile)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// Stop asks the gateway to stop (SIGTERM), waits up to 30 s, then kills it.
func (g *Gateway) Stop() error {
	select {
	case err := <-g.exited:
		g.exited <- err
		return nil
	default:
	}
	_ = g.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-g.exited:
		g.exited <- err
		var ee *exec.ExitError
		if err != nil && !errors.As(err, &ee) {
			return err
		}
		return nil
	case <-time.After(30 * time.Second):
		_ = g.cmd.Process.Kill()
		return errors.New("gateway did not stop within 30 s after SIGTERM; killed")
	}
}

// profileEnv turns the gateway's profiling endpoint on when a profile is
// wanted.
func profileEnv(file string) []string {
	if file == "" {
		return nil
	}
	return []string{"SLUIS_PPROF=true"}
}

// FetchProfile takes a CPU profile of the gateway at addr for d and
// writes it to file (go tool pprof reads it).
func FetchProfile(ctx context.Context, addr string, d time.Duration, file string) error {
	secs := int(d.Round(time.Second) / time.Second)
	if secs < 1 {
		secs = 1
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet,
		fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", addr, secs), nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET /debug/pprof/profile: %s", resp.Status)
	}
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
