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
	"github.com/sluis-gateway/sluis/internal/testenv"
)

// faultLoad is the number of disclosures of each scenario; one in
// noQueueEvery goes to an AGB code with no queue.
const (
	faultLoad    = 2000
	noQueueEvery = 20
)

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

	t.Logf("mean time per stage before the kill: %s", gw.stageMeans())
	if err := gw.Kill(); err != nil {
		t.Fatal(err)
	}
	atKill := e.status.settled(all)
	counts := e.countStates()
	flying := e.inFlightNow()
	t.Logf("SIGKILL with %d of %d settled (status events); store: %v, %d in flight (received/allowed/published), intake queue %d ready",
		atKill, len(reqs), counts, len(flying), e.queueDepth(amqp.QueueDisclosures))
	if atKill == len(reqs) {
		t.Fatalf("every disclosure settled before the kill: the test proves nothing (make the load larger)")
	}

	gw.restart(t)
	d := e.waitSettled(all, gw)
	t.Logf("after the restart, settled in %s", d.Round(time.Millisecond))
	if err := gw.Stop(30 * time.Second); err != nil {
		t.Errorf("gateway did not stop cleanly: %v", err)
	}
	assertLogClean(t, gw)
	report(t, "kill, SQLite", began, e.checkOutcome(reqs))
	t.Log(e.resumed(flying))
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

	t.Logf("mean time per stage before the kill: sluis-1 %s; sluis-2 %s", gw1.stageMeans(), gw2.stageMeans())
	if err := gw1.Kill(); err != nil {
		t.Fatal(err)
	}
	atKill := e.status.settled(all)
	counts := e.countStates()
	flying := e.inFlightNow()
	t.Logf("SIGKILL of sluis-1 with %d of %d settled (status events); store: %v, %d in flight in both instances (received/allowed/published)",
		atKill, len(reqs), counts, len(flying))
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
	assertLogClean(t, gw1)
	assertLogClean(t, gw2)
	report(t, "kill one of two, PostgreSQL", began, e.checkOutcome(reqs))
	t.Log(e.resumed(flying))
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

	t.Logf("mean time per stage before the broker restart: %s", gw.stageMeans())
	atStop := e.status.settled(all)
	flying := e.inFlightNow()
	down := testenv.RestartBroker(t, 3*time.Second)
	t.Logf("broker restarted with %d of %d settled; unavailable for %s", atStop, len(reqs), down.Round(100*time.Millisecond))
	if atStop == len(reqs) {
		t.Fatalf("every disclosure settled before the broker restart: the test proves nothing (make the load larger)")
	}
	if !gw.Running() {
		t.Fatalf("the gateway process exited when the broker went away:\n%s", gw.LogExcerpt(40, 300))
	}

	d := e.waitSettled(all, gw)
	t.Logf("after the broker restart, settled in %s", d.Round(time.Millisecond))
	if n, ok := gw.metric("sluis_publish_reconnects_total"); !ok || n < 1 {
		t.Errorf("sluis_publish_reconnects_total is %v (found: %v): the gateway's publisher did not reconnect; was the broker really restarted?", n, ok)
	} else {
		t.Logf("the gateway's publisher reconnected %v time(s); retries of intake messages: %s", n, gw.metricOr("sluis_handler_retries_total"))
	}
	if err := gw.Stop(30 * time.Second); err != nil {
		t.Errorf("gateway did not stop cleanly: %v", err)
	}
	assertLogClean(t, gw)
	report(t, "broker restart, SQLite", began, e.checkOutcome(reqs))
	t.Log(e.resumed(flying))
}
