package testenv

import (
	"strings"
	"testing"
	"time"
)

func TestProcessKillRestartStop(t *testing.T) {
	p := StartProcess(t, "sleeper", "/bin/sh", []string{"GREETING=hello"}, "-c", `trap 'echo got TERM; exit 0' TERM; echo "$GREETING run"; while :; do sleep 0.05; done`)
	waitLog(t, p, "hello run")
	if !p.Running() || p.Pid() == 0 {
		t.Fatal("not running after start")
	}
	if err := p.Start(); err == nil {
		t.Fatal("a second start of a running process must fail")
	}
	if err := p.Kill(); err != nil {
		t.Fatal(err)
	}
	if p.Running() {
		t.Fatal("running after Kill")
	}
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	// The second run has started its shell (and set its trap) once it
	// greeted a second time.
	deadline := time.Now().Add(10 * time.Second)
	for strings.Count(p.Log(), "hello run") < 2 {
		if time.Now().After(deadline) {
			t.Fatalf("second run did not start:\n%s", p.Log())
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := p.Stop(10 * time.Second); err != nil {
		t.Fatalf("stop: %v\n%s", err, p.Log())
	}
	if !p.LogContains("got TERM") {
		t.Fatalf("SIGTERM not seen:\n%s", p.Log())
	}
	if n := strings.Count(p.Log(), "hello run"); n != 2 {
		t.Fatalf("%d runs in the log, want 2:\n%s", n, p.Log())
	}
}

func TestLogExcerpt(t *testing.T) {
	p := StartProcess(t, "counter", "/bin/sh", nil, "-c", `i=0; while [ $i -lt 100 ]; do echo line$i; i=$((i+1)); done`)
	<-p.Exited()
	ex := p.LogExcerpt(3, 3)
	if !strings.Contains(ex, "line0\n") || !strings.Contains(ex, "line99\n") || strings.Contains(ex, "line50\n") || !strings.Contains(ex, "lines left out") {
		t.Fatalf("excerpt:\n%s", ex)
	}
}

func waitLog(t *testing.T, p *Process, s string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !p.LogContains(s) {
		if time.Now().After(deadline) {
			t.Fatalf("%q not in the log:\n%s", s, p.Log())
		}
		time.Sleep(10 * time.Millisecond)
	}
}
