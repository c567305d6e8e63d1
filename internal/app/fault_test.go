//go:build fault

// Fault tests (issue 6): the gateway as its own process, killed with
// SIGKILL mid-run, with one instance on SQLite and with two instances on
// PostgreSQL, and the broker restarted mid-run. They restart the local
// RabbitMQ, so they never run together with other tests: the build tag keeps
// them out of `go test ./...`; `make test` runs them afterwards, alone:
//
//	go test -race -count=1 -tags fault -run Fault -timeout 15m ./internal/app/
//
// See docs/fault-tests.md.
package app_test

import (
	"testing"
	"time"

	"github.com/sluis-gateway/sluis/adapters/amqp"
	"github.com/sluis-gateway/sluis/internal/receipts"
	"github.com/sluis-gateway/sluis/internal/testenv"
)

// faultLoad is the number of disclosures of each scenario; one in
// noQueueEvery goes to an AGB code with no queue.
const (
	faultLoad    = 2000
	noQueueEvery = 20
)

// inFlight counts the records in a state that is neither final nor waiting.
func inFlight(counts map[receipts.State]int64) int64 {
	var n int64
	for st, c := range counts {
		if !settledStates[string(st)] {
			n += c
		}
	}
	return n
}

// report logs a scenario's figures (see docs/fault-tests.md).
func report(t *testing.T, what string, began time.Time, o outcome) {
	t.Helper()
	t.Logf("%s: %d disclosures in %s: %d delivered, %d failed (no queue); providers received %d messages, %d of them repeats (same MessageID and Identificatie); %d repeated status events; ledger of %d entries verified",
		what, o.delivered+o.failed, time.Since(began).Round(100*time.Millisecond), o.delivered, o.failed, o.messages, o.duplicates, o.statusRepeats, o.ledgerEntries)
}

// TestFaultKillSQLite: one gateway on SQLite, killed with SIGKILL when 30%
// of the disclosures are delivered, started again; every disclosure ends
// delivered (or failed for the AGB with no queue) exactly once.
func TestFaultKillSQLite(t *testing.T) {
	began := time.Now()
	e := newFaultEnv(t, "sqlite")
	reqs := makeLoad(t, faultLoad, noQueueEvery)
	all := ids(reqs)
	gw := e.startGateway("sluis-1")

	took := e.publishLoad(reqs)
	t.Logf("published %d requests to the intake in %s", len(reqs), took.Round(time.Millisecond))
	d30 := e.waitUntil("30% delivered", func() bool { return e.status.count(all, "delivered") >= len(reqs)*3/10 })
	t.Logf("30%% delivered %s after the intake was filled (%s since the test began)", d30.Round(time.Millisecond), time.Since(began).Round(time.Millisecond))

	if err := gw.Kill(); err != nil {
		t.Fatal(err)
	}
	atKill := e.status.settled(all)
	counts := e.countStates()
	t.Logf("SIGKILL with %d of %d settled (status events); store: %v, %d in flight (received/allowed/published), intake queue %d ready",
		atKill, len(reqs), counts, inFlight(counts), e.queueDepth(amqp.QueueDisclosures))
	if atKill == len(reqs) {
		t.Fatalf("every disclosure settled before the kill: the test proves nothing (make the load larger)")
	}

	gw.restart(t)
	d := e.waitSettled(all, gw)
	t.Logf("after the restart, settled in %s", d.Round(time.Millisecond))
	if err := gw.Stop(30 * time.Second); err != nil {
		t.Errorf("gateway did not stop cleanly: %v", err)
	}
	report(t, "kill, SQLite", began, e.checkOutcome(reqs))
}

// TestFaultKillPostgresTwoInstances: two gateways on one PostgreSQL
// database and one vhost, competing consumers of the intake; one is killed
// with SIGKILL mid-run and started again. Besides the SQLite test's checks:
// no disclosure has two records or two Identificaties.
func TestFaultKillPostgresTwoInstances(t *testing.T) {
	began := time.Now()
	e := newFaultEnv(t, "postgres")
	reqs := makeLoad(t, faultLoad, noQueueEvery)
	all := ids(reqs)
	gw1 := e.startGateway("sluis-1")
	gw2 := e.startGateway("sluis-2")

	took := e.publishLoad(reqs)
	t.Logf("published %d requests to the intake in %s", len(reqs), took.Round(time.Millisecond))
	d30 := e.waitUntil("30% delivered", func() bool { return e.status.count(all, "delivered") >= len(reqs)*3/10 })
	t.Logf("30%% delivered %s after the intake was filled (%s since the test began)", d30.Round(time.Millisecond), time.Since(began).Round(time.Millisecond))

	if err := gw1.Kill(); err != nil {
		t.Fatal(err)
	}
	atKill := e.status.settled(all)
	counts := e.countStates()
	t.Logf("SIGKILL of sluis-1 with %d of %d settled (status events); store: %v, %d in flight (received/allowed/published)",
		atKill, len(reqs), counts, inFlight(counts))
	if atKill == len(reqs) {
		t.Fatalf("every disclosure settled before the kill: the test proves nothing (make the load larger)")
	}

	gw1.restart(t)
	d := e.waitSettled(all, gw1, gw2)
	t.Logf("after the restart, settled in %s", d.Round(time.Millisecond))
	for _, gw := range []*gateway{gw1, gw2} {
		if err := gw.Stop(30 * time.Second); err != nil {
			t.Errorf("gateway did not stop cleanly: %v", err)
		}
	}
	report(t, "kill one of two, PostgreSQL", began, e.checkOutcome(reqs))
}

// TestFaultBrokerRestart: the broker is stopped (rabbitmqctl stop_app) when
// 30% of the disclosures are delivered and started again a few seconds
// later. The gateway process must survive it, reconnect and finish.
func TestFaultBrokerRestart(t *testing.T) {
	began := time.Now()
	e := newFaultEnv(t, "sqlite")
	reqs := makeLoad(t, faultLoad, noQueueEvery)
	all := ids(reqs)
	gw := e.startGateway("sluis-1")

	took := e.publishLoad(reqs)
	t.Logf("published %d requests to the intake in %s", len(reqs), took.Round(time.Millisecond))
	d30 := e.waitUntil("30% delivered", func() bool { return e.status.count(all, "delivered") >= len(reqs)*3/10 })
	t.Logf("30%% delivered %s after the intake was filled (%s since the test began)", d30.Round(time.Millisecond), time.Since(began).Round(time.Millisecond))

	atStop := e.status.settled(all)
	down := testenv.RestartBroker(t, 3*time.Second)
	t.Logf("broker restarted with %d of %d settled; unavailable for %s", atStop, len(reqs), down.Round(100*time.Millisecond))
	if atStop == len(reqs) {
		t.Fatalf("every disclosure settled before the broker restart: the test proves nothing (make the load larger)")
	}
	if !gw.Running() {
		t.Fatalf("the gateway process exited when the broker went away:\n%s", gw.Log())
	}

	d := e.waitSettled(all, gw)
	t.Logf("after the broker restart, settled in %s", d.Round(time.Millisecond))
	if !gw.LogContains("AMQP publisher reconnected") {
		t.Errorf("the gateway's log does not show its publisher reconnecting: was the broker really restarted?")
	}
	if err := gw.Stop(30 * time.Second); err != nil {
		t.Errorf("gateway did not stop cleanly: %v", err)
	}
	report(t, "broker restart, SQLite", began, e.checkOutcome(reqs))
}
