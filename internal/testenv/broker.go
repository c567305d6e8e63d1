package testenv

import (
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// RestartBroker stops the RabbitMQ application on the local node
// (rabbitmqctl stop_app), keeps it down for down, and starts it again
// (start_app, then await_startup). Durable exchanges, quorum queues, virtual
// hosts and persistent messages survive; every connection is dropped.
//
// This affects EVERY user of the local broker, including other packages'
// tests: call it only from tests that never run in parallel with others (the
// `fault` build tag keeps them out of `go test ./...`; the Makefile runs
// them afterwards, alone). It returns how long the broker was unavailable
// (from the start of stop_app to the end of await_startup).
func RestartBroker(t testing.TB, down time.Duration) time.Duration {
	t.Helper()
	ctl, err := exec.LookPath("rabbitmqctl")
	if err != nil {
		t.Fatalf("rabbitmqctl not found: the tests need the local RabbitMQ (see README)")
	}
	run := func(args ...string) error {
		out, err := exec.Command(ctl, args...).CombinedOutput()
		if err != nil {
			return fmt.Errorf("rabbitmqctl %s: %w\n%s", strings.Join(args, " "), err, out)
		}
		return nil
	}
	began := time.Now()
	if err := run("-q", "stop_app"); err != nil {
		// Whatever happened, try to leave the broker running.
		_ = run("-q", "start_app")
		t.Fatal(err)
	}
	time.Sleep(down)
	var startErr error
	for attempt := 0; attempt < 5; attempt++ {
		if startErr = run("-q", "start_app"); startErr == nil {
			break
		}
		time.Sleep(time.Second)
	}
	if startErr != nil {
		t.Fatalf("broker left stopped: %v", startErr)
	}
	if err := run("-q", "await_startup", "--timeout", "60"); err != nil {
		t.Fatal(err)
	}
	return time.Since(began)
}
