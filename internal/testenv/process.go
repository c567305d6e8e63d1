package testenv

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

var build struct {
	once sync.Once
	dir  string
	bin  string
	err  error
}

// SluisBinary builds cmd/sluis once per test binary (go build, from Root)
// and returns the path of the executable. The first call builds; later calls
// return the same file. Call RemoveSluisBinary from TestMain to delete it.
func SluisBinary(t testing.TB) string {
	t.Helper()
	build.once.Do(func() {
		build.dir, build.err = os.MkdirTemp("", "sluis-bin-")
		if build.err != nil {
			return
		}
		build.bin = filepath.Join(build.dir, "sluis")
		cmd := exec.Command("go", "build", "-o", build.bin, "./cmd/sluis")
		cmd.Dir = Root()
		if out, err := cmd.CombinedOutput(); err != nil {
			build.err = fmt.Errorf("go build ./cmd/sluis: %w\n%s", err, out)
		}
	})
	if build.err != nil {
		t.Fatal(build.err)
	}
	return build.bin
}

// RemoveSluisBinary deletes what SluisBinary built, if anything.
func RemoveSluisBinary() {
	if build.dir != "" {
		_ = os.RemoveAll(build.dir)
	}
}

// FreeAddr returns a 127.0.0.1:PORT address that was free a moment ago.
func FreeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("free port: %v", err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	return addr
}

// Process is a child process started by a test, its stderr and stdout
// appended to a log file that survives restarts of the same Process.
type Process struct {
	t       testing.TB
	name    string
	bin     string
	args    []string
	env     []string
	logPath string

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{}
	err  error // the exit of the last run, after done is closed
	runs int
}

// StartProcess starts bin with args and env (added to a minimal
// environment: PATH and HOME only) and stops it with SIGKILL when the test
// ends, if it still runs. The process's output goes to a file in
// t.TempDir(); it is printed when the test fails.
func StartProcess(t testing.TB, name, bin string, env []string, args ...string) *Process {
	t.Helper()
	p := newProcess(t, name, bin, env, args...)
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	return p
}

// newProcess is StartProcess without the start.
func newProcess(t testing.TB, name, bin string, env []string, args ...string) *Process {
	t.Helper()
	p := &Process{
		t: t, name: name, bin: bin, args: args,
		env:     append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}, env...),
		logPath: filepath.Join(t.TempDir(), name+".log"),
	}
	t.Cleanup(func() {
		_ = p.Kill()
		if t.Failed() {
			t.Logf("---- output of %s (%s) ----\n%s", p.name, p.keepLog(), p.LogExcerpt(40, 300))
		}
	})
	return p
}

// Start (re)starts the process with its original arguments and environment.
// It fails if the process is still running.
func (p *Process) Start() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd != nil {
		select {
		case <-p.done:
		default:
			return fmt.Errorf("%s: already running (pid %d)", p.name, p.cmd.Process.Pid)
		}
	}
	f, err := os.OpenFile(p.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("%s: log file: %w", p.name, err)
	}
	p.runs++
	fmt.Fprintf(f, "==== %s run %d started %s ====\n", p.name, p.runs, time.Now().UTC().Format(time.RFC3339Nano))
	cmd := exec.Command(p.bin, p.args...)
	cmd.Env = p.env
	cmd.Stdout = f
	cmd.Stderr = f
	if err := cmd.Start(); err != nil {
		f.Close()
		return fmt.Errorf("%s: start: %w", p.name, err)
	}
	done := make(chan struct{})
	p.cmd, p.done = cmd, done
	go func() {
		err := cmd.Wait()
		fmt.Fprintf(f, "==== %s exited %s: %v ====\n", p.name, time.Now().UTC().Format(time.RFC3339Nano), err)
		f.Close()
		p.mu.Lock()
		p.err = err
		p.mu.Unlock()
		close(done)
	}()
	return nil
}

// Name is the name the process was started under.
func (p *Process) Name() string { return p.name }

// Running reports whether the process has been started and not exited.
func (p *Process) Running() bool {
	p.mu.Lock()
	cmd, done := p.cmd, p.done
	p.mu.Unlock()
	if cmd == nil {
		return false
	}
	select {
	case <-done:
		return false
	default:
		return true
	}
}

// Exited returns a channel closed when the current run ends.
func (p *Process) Exited() <-chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.done == nil {
		c := make(chan struct{})
		close(c)
		return c
	}
	return p.done
}

// Pid is the process id of the current run (0 before Start).
func (p *Process) Pid() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil || p.cmd.Process == nil {
		return 0
	}
	return p.cmd.Process.Pid
}

// Kill sends SIGKILL and waits for the process to be gone. Killing a
// process that is not running is not an error.
func (p *Process) Kill() error {
	return p.signal(syscall.SIGKILL, 10*time.Second)
}

// Stop sends SIGTERM and waits up to wait for the process to exit, then
// kills it. It returns the exit error of a process that did not exit
// cleanly (nil for exit status 0).
func (p *Process) Stop(wait time.Duration) error {
	if err := p.signal(syscall.SIGTERM, wait); err != nil {
		_ = p.Kill()
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.err
}

func (p *Process) signal(sig syscall.Signal, wait time.Duration) error {
	p.mu.Lock()
	cmd, done := p.cmd, p.done
	p.mu.Unlock()
	if cmd == nil {
		return nil
	}
	select {
	case <-done:
		return nil
	default:
	}
	if err := cmd.Process.Signal(sig); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("%s: signal %v: %w", p.name, sig, err)
	}
	select {
	case <-done:
		return nil
	case <-time.After(wait):
		return fmt.Errorf("%s: still running %s after %v", p.name, wait, sig)
	}
}

// Log returns everything the process wrote so far (all runs).
func (p *Process) Log() string {
	b, err := os.ReadFile(p.logPath)
	if err != nil {
		return fmt.Sprintf("(no log: %v)", err)
	}
	return string(b)
}

// LogExcerpt returns the first head and the last tail lines of the output,
// with a marker where lines were left out.
func (p *Process) LogExcerpt(head, tail int) string {
	lines := strings.SplitAfter(p.Log(), "\n")
	if len(lines) <= head+tail {
		return strings.Join(lines, "")
	}
	return strings.Join(lines[:head], "") +
		fmt.Sprintf("[... %d lines left out ...]\n", len(lines)-head-tail) +
		strings.Join(lines[len(lines)-tail:], "")
}

// keepLog copies the whole output to a file outside the test's temp dir (so
// it survives the test) and says where, for a failed test.
func (p *Process) keepLog() string {
	f, err := os.CreateTemp("", "sluis-test-"+p.name+"-*.log")
	if err != nil {
		return "full output lost: " + err.Error()
	}
	defer f.Close()
	if _, err := f.WriteString(p.Log()); err != nil {
		return "full output lost: " + err.Error()
	}
	return "full output in " + f.Name()
}

// LogContains reports whether the process's output contains s.
func (p *Process) LogContains(s string) bool {
	b, _ := os.ReadFile(p.logPath)
	return bytes.Contains(b, []byte(s))
}

// WaitFor polls cond every interval until it returns true, ctx ends, or
// the process exits; it reports which.
func (p *Process) WaitFor(ctx context.Context, interval time.Duration, cond func() bool) error {
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		if cond() {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s: %w", p.name, ctx.Err())
		case <-p.Exited():
			if cond() {
				return nil
			}
			return fmt.Errorf("%s: exited", p.name)
		case <-tick.C:
		}
	}
}
