// Package testenv gives tests their own corner of the real services on this
// machine and the helpers they would otherwise copy: a private RabbitMQ
// virtual host with a channel, a tap on an exchange and a bounded wait for
// the next delivery; a PostgreSQL database or schema of their own; the
// repository root, the reference standards (../shared/reference/ beside the
// repository) and xmllint against them; the contract's examples; a
// development key pair; child processes; RabbitMQ nodes and clusters of a
// test's own (StartRabbitNodes), apart from the machine's broker. It is
// imported by tests only and imports no adapter.
package testenv

import (
	"crypto/rand"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// AMQPBase is the broker the tests use; override with SLUIS_TEST_AMQP_HOST
// (host:port, guest/guest).
func amqpHost() string {
	if h := os.Getenv("SLUIS_TEST_AMQP_HOST"); h != "" {
		return h
	}
	return "127.0.0.1:5672"
}

// VHost creates a fresh RabbitMQ virtual host for the test (guest has full
// rights on it) with the policies of deploy/rabbitmq/definitions.json
// (dead-lettering, delivery limits, length limits), deletes it when the
// test ends, and returns its AMQP URL. The gateway's real exchange and queue
// names can then be used without meeting another test or a running gateway.
func VHost(t testing.TB) string {
	t.Helper()
	ctl, err := exec.LookPath("rabbitmqctl")
	if err != nil {
		t.Fatalf("rabbitmqctl not found: the tests need the local RabbitMQ (see README)")
	}
	name := uniqueName("sluis-test-")
	run := func(args ...string) {
		t.Helper()
		// rabbitmqctl now and then fails when many run at once (it prints
		// its usage); a retry gets through.
		var out []byte
		var err error
		for attempt := 0; attempt < 5; attempt++ {
			if out, err = exec.Command(ctl, args...).CombinedOutput(); err == nil {
				return
			}
			time.Sleep(time.Duration(attempt+1) * 300 * time.Millisecond)
		}
		t.Fatalf("rabbitmqctl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	run("-q", "add_vhost", name)
	t.Cleanup(func() {
		for attempt := 0; attempt < 5; attempt++ {
			if exec.Command(ctl, "-q", "delete_vhost", name).Run() == nil {
				return
			}
			time.Sleep(time.Duration(attempt+1) * 300 * time.Millisecond)
		}
		t.Logf("could not delete RabbitMQ vhost %s; remove it with rabbitmqctl delete_vhost", name)
	})
	run("-q", "set_permissions", "-p", name, "guest", ".*", ".*", ".*")
	loadPolicies(t, ctl, name)
	return "amqp://guest:guest@" + amqpHost() + "/" + name
}

// uniqueName is prefix and 12 random hex digits: a vhost, database or
// schema no other test run uses.
func uniqueName(prefix string) string {
	b := make([]byte, 6)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return prefix + hex.EncodeToString(b)
}

// ReferencePath is where the reference standards are, relative to the
// repository root: a copy of the shared folder beside the repository (as in
// CI's clone and on a developer's machine).
const ReferencePath = "../shared/reference/istandaarden"

// Reference returns the path of the reference standards (the official XSDs
// and examples), ReferencePath from the repository root. It fails the test,
// saying where it looked, when they are missing: the checks against them
// must run everywhere, never skip.
func Reference(t testing.TB) string {
	t.Helper()
	p := filepath.Join(Root(), filepath.FromSlash(ReferencePath))
	if _, err := os.Stat(filepath.Join(p, "iwmo", "3.2")); err != nil {
		t.Fatalf("reference standards not found: looked for %s relative to the repository root, at %s: %v", ReferencePath, p, err)
	}
	return p
}

// Root returns the repository root: the nearest folder holding go.mod above
// the working directory (a test runs in its package's folder), else the
// folder two levels above this file.
func Root() string {
	if dir, err := os.Getwd(); err == nil {
		for d := dir; ; d = filepath.Dir(d) {
			if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
				return d
			}
			if filepath.Dir(d) == d {
				break
			}
		}
	}
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}
