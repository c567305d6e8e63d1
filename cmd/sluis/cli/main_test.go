package cli_test

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"strings"
	"testing"

	"github.com/sluis-gateway/sluis/internal/config"
	"github.com/sluis-gateway/sluis/internal/testenv"
)

// TestMain removes the sluis binary the CLI tests built.
func TestMain(m *testing.M) {
	code := m.Run()
	testenv.RemoveSluisBinary()
	os.Exit(code)
}

type result struct {
	code           int
	stdout, stderr string
}

// sluis runs the built binary in a fresh folder with only the given
// SLUIS_* environment (none of the machine's).
func sluis(t *testing.T, env []string, args ...string) result {
	t.Helper()
	cmd := exec.Command(testenv.SluisBinary(t), args...)
	cmd.Dir = t.TempDir()
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + cmd.Dir}, env...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	r := result{stdout: out.String(), stderr: errOut.String()}
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		r.code = exit.ExitCode()
	case err != nil:
		t.Fatalf("sluis %v: %v", args, err)
	}
	return r
}

// TestHelpListsEverything: help, -h, --help and every COMMAND -h exit 0 on
// stdout and list the command's options; serve, config and the overview
// list every SLUIS_* variable with its default and doc; it all works with
// an invalid environment too.
func TestHelpListsEverything(t *testing.T) {
	everyCommand := []string{"serve", "send FILE", "provider", "verify FILE", "status ID", "dead SUBCOMMAND [ID]", "store backup FILE | migrate | counters", "config check", "version", "help [COMMAND]"}
	cases := []struct {
		name     string
		env      []string
		args     []string
		want     []string // in stdout
		settings bool
	}{
		{"help", nil, []string{"help"}, append(everyCommand, "exit codes"), true},
		{"-h", nil, []string{"-h"}, everyCommand, true},
		{"--help", nil, []string{"--help"}, everyCommand, true},
		{"help with an invalid environment", []string{"SLUIS_WORKERS=many", "SLUIS_STORE=oracle"}, []string{"help"}, everyCommand, true},
		{"help COMMAND", nil, []string{"help", "send"}, []string{"usage: sluis send", "-wait", "-timeout"}, false},
		{"serve -h", nil, []string{"serve", "-h"}, []string{"usage: sluis serve", "options: none"}, true},
		{"serve -h with an invalid environment", []string{"SLUIS_PPROF=perhaps"}, []string{"serve", "-h"}, []string{"usage: sluis serve"}, true},
		{"send -h", nil, []string{"send", "-h"}, []string{"usage: sluis send [OPTIONS] FILE", "-wait", "-timeout", "3 invalid", "4 refused", "5 failed"}, false},
		{"provider -h", nil, []string{"provider", "-h"}, []string{"-agb", "-trust", "-count", "-save", "-timeout", "-answer", "-key", "-cert"}, false},
		{"provider -help with an invalid environment", []string{"SLUIS_WORKERS=0"}, []string{"provider", "-help"}, []string{"-agb", "-trust"}, false},
		{"verify -h", nil, []string{"verify", "-h"}, []string{"usage: sluis verify [OPTIONS] FILE", "-trust", "-extract"}, false},
		{"status -h", nil, []string{"status", "-h"}, []string{"usage: sluis status [OPTIONS] ID", "-api", "https://127.0.0.1:8080", "-cert"}, false},
		{"dev-token -h", nil, []string{"dev-token", "-h"}, []string{"usage: sluis dev-token", "-role", "-municipality"}, false},
		{"ledger -h", nil, []string{"ledger", "-h"}, []string{"usage: sluis ledger [OPTIONS] verify"}, false},
		{"dead -h", nil, []string{"dead", "-h"}, []string{"usage: sluis dead [OPTIONS] SUBCOMMAND [ID]", "-max", "-operator"}, false},
		{"store -h", nil, []string{"store", "-h"}, []string{"usage: sluis store [OPTIONS] backup FILE | migrate | counters", "-from", "-to"}, false},
		{"store migrate -h", nil, []string{"store", "migrate", "-h"}, []string{"usage: sluis store", "-from"}, false},
		{"config -h", nil, []string{"config", "-h"}, []string{"usage: sluis config [OPTIONS] check"}, true},
		{"version -h", nil, []string{"version", "-h"}, []string{"usage: sluis version"}, false},
		{"help -h", nil, []string{"help", "-h"}, everyCommand, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := sluis(t, tc.env, tc.args...)
			if r.code != 0 {
				t.Fatalf("exit %d, stderr:\n%s", r.code, r.stderr)
			}
			for _, w := range tc.want {
				if !strings.Contains(r.stdout, w) {
					t.Errorf("stdout lacks %q:\n%s", w, r.stdout)
				}
			}
			for _, s := range config.Settings {
				def := "empty by default"
				if s.Default != "" {
					def = "default " + s.Default
				}
				line := s.Name + " (" + s.Type + "; " + def + ")\n      " + s.Summary()
				if got := strings.Contains(r.stdout, line); got != tc.settings {
					t.Errorf("lists %s with default and doc: %v, want %v", s.Name, got, tc.settings)
				}
			}
		})
	}
}

// TestUsageErrors: an unknown command, a bad option or a missing argument
// exits 2 with the usage on stderr.
func TestUsageErrors(t *testing.T) {
	cases := []struct {
		name string
		args []string
		want string // in stderr
	}{
		{"no command", nil, "commands:"},
		{"unknown command", []string{"frobnicate"}, `unknown command "frobnicate"`},
		{"unknown option", []string{"send", "-bogus", "f.json"}, "usage: sluis send"},
		{"missing argument", []string{"send"}, "usage: sluis send"},
		{"too many arguments", []string{"version", "extra"}, "usage: sluis version"},
		{"unknown config subcommand", []string{"config", "show"}, `unknown config subcommand "show"`},
		{"help for an unknown command", []string{"help", "frobnicate"}, "commands:"},
		{"dead without a subcommand", []string{"dead"}, "usage: sluis dead"},
		{"dead with an unknown subcommand", []string{"dead", "purge"}, "want list, show ID or replay ID"},
		{"dead show without an id", []string{"dead", "show"}, "want list, show ID or replay ID"},
		{"dead replay without -operator", []string{"dead", "replay", "some-id"}, "-operator is required"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := sluis(t, nil, tc.args...)
			if r.code != 2 {
				t.Fatalf("exit %d, want 2; stderr:\n%s", r.code, r.stderr)
			}
			if !strings.Contains(r.stderr, tc.want) {
				t.Errorf("stderr lacks %q:\n%s", tc.want, r.stderr)
			}
		})
	}
}

// TestVersion prints the build's module version and revision, from
// internal/buildinfo (revision unknown when built with -buildvcs=false).
func TestVersion(t *testing.T) {
	r := sluis(t, nil, "version")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	line := regexp.MustCompile(`^sluis (\S+) revision ([0-9a-f]{40}( \(modified\))?|unknown) committed \S+ (\S+) \S+/\S+\n$`)
	m := line.FindStringSubmatch(r.stdout)
	if m == nil {
		t.Fatalf("version line %q", r.stdout)
	}
	if m[4] != runtime.Version() {
		t.Errorf("Go version %s, want %s", m[4], runtime.Version())
	}
}

// TestConfigCheck: valid settings print the effective values with URL
// passwords redacted and exit 0; problems are listed, each naming its
// variable, with exit 1. Nothing is connected to (the URLs go nowhere).
func TestConfigCheck(t *testing.T) {
	cases := []struct {
		name      string
		env       []string
		code      int
		want, not []string
	}{
		{"defaults", nil, 0, []string{"configuration valid", "SLUIS_AMQP_URL=amqp://guest:xxxxx@127.0.0.1:5672/", "SLUIS_WORKERS=32\n"}, []string{"guest@"}},
		{"postgres with a password", []string{"SLUIS_STORE=postgres", "SLUIS_POSTGRES_URL=postgres://sluis:s3cret@db.invalid:5432/sluis",
			"SLUIS_AMQP_URL=amqps://gw:hunter2@broker.invalid/sluis", "SLUIS_WORKERS=8"}, 0,
			[]string{"SLUIS_POSTGRES_URL=postgres://sluis:xxxxx@db.invalid:5432/sluis   # set", "SLUIS_AMQP_URL=amqps://gw:xxxxx@broker.invalid/sluis   # set", "SLUIS_WORKERS=8   # set", "SLUIS_STORE=postgres   # set"},
			[]string{"s3cret", "hunter2"}},
		{"values that do not parse", []string{"SLUIS_WORKERS=many", "SLUIS_CONFIRM_TIMEOUT=soon"}, 1,
			[]string{"problem: SLUIS_WORKERS: not a valid int", "problem: SLUIS_CONFIRM_TIMEOUT: not a valid"}, []string{"configuration valid"}},
		{"an inconsistent setting", []string{"SLUIS_STORE=postgres"}, 1, []string{"problem: SLUIS_POSTGRES_URL: must be a postgres:// URL"}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := sluis(t, tc.env, "config", "check")
			if r.code != tc.code {
				t.Fatalf("exit %d, want %d; stdout:\n%s\nstderr:\n%s", r.code, tc.code, r.stdout, r.stderr)
			}
			for _, w := range tc.want {
				if !strings.Contains(r.stdout, w) {
					t.Errorf("stdout lacks %q:\n%s", w, r.stdout)
				}
			}
			for _, n := range tc.not {
				if strings.Contains(r.stdout+r.stderr, n) {
					t.Errorf("output shows %q:\n%s", n, r.stdout)
				}
			}
			if tc.code == 0 {
				for _, s := range config.Settings {
					if !strings.Contains(r.stdout, "\n"+s.Name+"=") {
						t.Errorf("no effective value for %s", s.Name)
					}
				}
			}
		})
	}
}
