package testenv

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// RabbitNode is a RabbitMQ node of a test's own, started from the
// rabbitmq-server installed on the machine but sharing nothing with the
// machine's broker: its own node name (sluis-soak-<random>-N@localhost),
// AMQP and distribution ports on 127.0.0.1, data, log and configuration in
// the test's temp dir, no plugins, and an Erlang cookie of its own (so no
// rabbitmqctl call of the test can reach the machine's node, and the
// machine's cookie is never read). Stopping or restarting it affects only
// the test that started it. See StartRabbitNodes.
type RabbitNode struct {
	t      testing.TB
	name   string // the Erlang node name
	port   int    // AMQP, on 127.0.0.1
	home   string // HOME of the node and of rabbitmqctl: holds the cookie
	dir    string
	ctlBin string // rabbitmqctl
	proc   *Process
}

// rabbitTimeout bounds a private node's start-up and stop, and each
// rabbitmqctl call. Generous: on a busy machine (load average 30 on two
// cores) a node's boot was seen to take over two minutes.
const rabbitTimeout = 5 * time.Minute

// rabbitScript finds a RabbitMQ script (rabbitmq-server, rabbitmqctl):
// Debian's /usr/sbin wrappers switch to the rabbitmq user and clear the
// environment, so the scripts behind them (/usr/lib/rabbitmq/bin) are
// preferred; elsewhere the PATH's.
func rabbitScript(t testing.TB, name string) string {
	t.Helper()
	for _, dir := range []string{os.Getenv("SLUIS_TEST_RABBITMQ_BIN"), "/usr/lib/rabbitmq/bin"} {
		if dir == "" {
			continue
		}
		p := filepath.Join(dir, name)
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	p, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s not found (set SLUIS_TEST_RABBITMQ_BIN to RabbitMQ's scripts folder): the soak test starts RabbitMQ nodes of its own", name)
	}
	return p
}

// StartRabbitNodes starts n private RabbitMQ nodes and, when n > 1, joins
// nodes 2..n to node 1 (rabbitmqctl join_cluster), so that they form one
// cluster. Each node has a virtual host SoakVHost on which guest has every
// permission. The nodes are stopped when the test ends.
func StartRabbitNodes(t testing.TB, n int) []*RabbitNode {
	t.Helper()
	base := t.TempDir()
	home := filepath.Join(base, "home")
	if err := os.MkdirAll(home, 0o700); err != nil {
		t.Fatal(err)
	}
	cookie := make([]byte, 20)
	_, _ = rand.Read(cookie)
	if err := os.WriteFile(filepath.Join(home, ".erlang.cookie"), []byte(strings.ToUpper(hex.EncodeToString(cookie))), 0o400); err != nil {
		t.Fatal(err)
	}
	prefix := uniqueName("sluis-soak-")
	nodes := make([]*RabbitNode, n)
	for i := range nodes {
		nodes[i] = newRabbitNode(t, fmt.Sprintf("%s-%d@localhost", prefix, i+1), home, filepath.Join(base, strconv.Itoa(i+1)))
	}
	// The nodes boot side by side (an Erlang VM's boot is mostly waiting).
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i, nd := range nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = nd.bootErr()
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	for _, nd := range nodes[1:] {
		for _, args := range [][]string{{"stop_app"}, {"reset"}, {"join_cluster", nodes[0].name}, {"start_app"}, {"await_startup", "--timeout", "60"}} {
			if err := nd.ctl(args...); err != nil {
				t.Fatalf("join %s to %s: %v", nd.name, nodes[0].name, err)
			}
		}
	}
	for _, args := range [][]string{{"add_vhost", SoakVHost}, {"set_permissions", "-p", SoakVHost, "guest", ".*", ".*", ".*"}} {
		if err := nodes[0].ctl(args...); err != nil {
			t.Fatal(err)
		}
	}
	return nodes
}

// SoakVHost is the virtual host StartRabbitNodes creates.
const SoakVHost = "sluis-soak"

func newRabbitNode(t testing.TB, name, home, dir string) *RabbitNode {
	t.Helper()
	nd := &RabbitNode{t: t, name: name, home: home, dir: dir, port: freePort(t), ctlBin: rabbitScript(t, "rabbitmqctl")}
	dist := freePort(t)
	for _, d := range []string{"mnesia", "log"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	files := map[string]string{
		"rabbitmq.conf": fmt.Sprintf("listeners.tcp.1 = 127.0.0.1:%d\n", nd.port),
		"plugins":       "[].\n", // no management, no prometheus
		"env.conf":      "",      // not the machine's rabbitmq-env.conf
	}
	for f, content := range files {
		if err := os.WriteFile(filepath.Join(dir, f), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	env := []string{
		"HOME=" + home,
		"RABBITMQ_NODENAME=" + name,
		"RABBITMQ_NODE_IP_ADDRESS=127.0.0.1",
		"RABBITMQ_NODE_PORT=" + strconv.Itoa(nd.port),
		"RABBITMQ_DIST_PORT=" + strconv.Itoa(dist),
		"RABBITMQ_MNESIA_BASE=" + filepath.Join(dir, "mnesia"),
		"RABBITMQ_LOG_BASE=" + filepath.Join(dir, "log"),
		"RABBITMQ_CONFIG_FILE=" + filepath.Join(dir, "rabbitmq.conf"),
		"RABBITMQ_ENABLED_PLUGINS_FILE=" + filepath.Join(dir, "plugins"),
		"RABBITMQ_CONF_ENV_FILE=" + filepath.Join(dir, "env.conf"),
		"RABBITMQ_PID_FILE=" + filepath.Join(dir, "beam.pid"),
		"RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS=-kernel inet_dist_use_interface {127,0,0,1}",
	}
	nd.proc = newProcess(t, "rabbit-"+filepath.Base(dir), rabbitScript(t, "rabbitmq-server"), env)
	// Registered after newProcess's clean-up, so it runs first: a clean stop,
	// then the Erlang VM itself if it is left (the script's SIGKILL would not
	// reach it).
	t.Cleanup(nd.shutdown)
	return nd
}

// freePort is a TCP port on 127.0.0.1 that was free a moment ago.
func freePort(t testing.TB) int {
	t.Helper()
	_, p, err := net.SplitHostPort(FreeAddr(t))
	if err != nil {
		t.Fatal(err)
	}
	n, _ := strconv.Atoi(p)
	return n
}

// Name is the node's Erlang name (for rabbitmqctl -n).
func (nd *RabbitNode) Name() string { return nd.name }

// URL is the AMQP URL of the node's SoakVHost as guest.
func (nd *RabbitNode) URL() string {
	return fmt.Sprintf("amqp://guest:guest@127.0.0.1:%d/%s", nd.port, SoakVHost)
}

// Running reports whether the node's process runs.
func (nd *RabbitNode) Running() bool { return nd.proc.Running() }

// Log is the node's output (every run).
func (nd *RabbitNode) Log() string { return nd.proc.Log() }

// ctl runs rabbitmqctl against the node, with the node's cookie.
func (nd *RabbitNode) ctl(args ...string) error {
	out, err := nd.ctlOutput(args...)
	if err != nil {
		return fmt.Errorf("rabbitmqctl -n %s %s: %w\n%s", nd.name, strings.Join(args, " "), err, out)
	}
	return nil
}

func (nd *RabbitNode) ctlOutput(args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), rabbitTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, nd.ctlBin, append([]string{"-q", "-n", nd.name}, args...)...)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + nd.home}
	return cmd.CombinedOutput()
}

// Ctl runs rabbitmqctl with args against the node and returns its output.
func (nd *RabbitNode) Ctl(args ...string) (string, error) {
	out, err := nd.ctlOutput(args...)
	return string(out), err
}

// boot starts the node's process and waits until the node has booted
// (rabbitmqctl await_startup) and its AMQP port accepts connections.
func (nd *RabbitNode) boot() {
	nd.t.Helper()
	if err := nd.bootErr(); err != nil {
		nd.t.Fatal(err)
	}
}

func (nd *RabbitNode) bootErr() error {
	if err := nd.proc.Start(); err != nil {
		return err
	}
	deadline := time.Now().Add(rabbitTimeout)
	for {
		// await_startup fails at once while the node is not yet
		// registered with epmd, hence the loop.
		err := nd.ctl("await_startup", "--timeout", "30")
		if err == nil {
			break
		}
		if !nd.proc.Running() || time.Now().After(deadline) {
			return fmt.Errorf("RabbitMQ node %s did not start (running: %v): %w\n%s", nd.name, nd.proc.Running(), err, nd.proc.LogExcerpt(20, 60))
		}
		time.Sleep(500 * time.Millisecond)
	}
	for !portOpen(nd.port) {
		if time.Now().After(deadline) {
			return fmt.Errorf("RabbitMQ node %s booted, but its AMQP port %d does not accept connections", nd.name, nd.port)
		}
		time.Sleep(200 * time.Millisecond)
	}
	return nil
}

func portOpen(port int) bool {
	c, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), time.Second)
	if err != nil {
		return false
	}
	_ = c.Close()
	return true
}

// Stop stops the whole node (rabbitmqctl stop: the Erlang VM exits) and
// waits until its process is gone. Quorum queues, durable exchanges,
// virtual hosts and persistent messages are on disk and survive.
func (nd *RabbitNode) Stop() {
	nd.t.Helper()
	if err := nd.ctl("stop"); err != nil {
		nd.t.Fatal(err)
	}
	select {
	case <-nd.proc.Exited():
	case <-time.After(rabbitTimeout):
		nd.t.Fatalf("RabbitMQ node %s still runs %s after rabbitmqctl stop", nd.name, rabbitTimeout)
	}
}

// Start starts a stopped node again with its data (a cluster member
// rejoins its cluster) and waits until it has booted.
func (nd *RabbitNode) Start() {
	nd.t.Helper()
	nd.boot()
}

// Restart stops the node, keeps it down for down, and starts it again. It
// returns how long the node's AMQP port was unavailable (from the stop to
// the end of its boot).
func (nd *RabbitNode) Restart(down time.Duration) time.Duration {
	nd.t.Helper()
	began := time.Now()
	nd.Stop()
	time.Sleep(down)
	nd.Start()
	return time.Since(began)
}

// shutdown stops the node at the end of the test, whatever state it is in.
func (nd *RabbitNode) shutdown() {
	if nd.proc.Running() {
		_ = nd.ctl("stop")
		select {
		case <-nd.proc.Exited():
		case <-time.After(30 * time.Second):
		}
	}
	// The VM outlives its start script when the script is killed.
	if b, err := os.ReadFile(filepath.Join(nd.dir, "beam.pid")); err == nil {
		if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && pid > 0 {
			if err := syscall.Kill(pid, 0); err == nil || !errors.Is(err, syscall.ESRCH) {
				if environ, _ := os.ReadFile(fmt.Sprintf("/proc/%d/environ", pid)); strings.Contains(string(environ), "RABBITMQ_NODENAME="+nd.name) {
					_ = syscall.Kill(pid, syscall.SIGKILL)
				}
			}
		}
	}
}
