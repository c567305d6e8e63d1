package deploy

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sluis-gateway/sluis/internal/testenv"
)

// unit is a systemd unit file: section → key → values in order.
type unit map[string]map[string][]string

func readUnit(t *testing.T, path string) unit {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	u := unit{}
	section := ""
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, ";"):
		case strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]"):
			section = strings.Trim(line, "[]")
			u[section] = map[string][]string{}
		default:
			k, v, ok := strings.Cut(line, "=")
			if !ok || section == "" {
				t.Fatalf("%s: line %q is not key=value in a section", path, line)
			}
			u[section][k] = append(u[section][k], v)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return u
}

// readEnvFile reads KEY=VALUE lines (an EnvironmentFile or .env file).
func readEnvFile(t *testing.T, path string) map[string]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{}
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			t.Fatalf("%s: line %q is not KEY=VALUE", path, line)
		}
		vars[k] = v
	}
	return vars
}

func TestSystemdUnit(t *testing.T) {
	path := filepath.Join("systemd", "sluis.service")
	u := readUnit(t, path)
	svc := u["Service"]
	if svc == nil {
		t.Fatal("no [Service] section")
	}
	last := func(k string) string {
		if v := svc[k]; len(v) > 0 {
			return v[len(v)-1]
		}
		return ""
	}

	t.Run("hardening", func(t *testing.T) {
		want := map[string]string{
			"DynamicUser": "yes", "NoNewPrivileges": "yes", "ProtectSystem": "strict", "ProtectHome": "yes",
			"PrivateTmp": "yes", "CapabilityBoundingSet": "", "AmbientCapabilities": "",
		}
		for k, v := range want {
			if _, ok := svc[k]; !ok || last(k) != v {
				t.Errorf("%s=%q, want %q", k, last(k), v)
			}
		}
		for _, k := range []string{"RestrictAddressFamilies", "SystemCallFilter", "ReadWritePaths", "EnvironmentFile"} {
			if last(k) == "" {
				t.Errorf("%s is not set", k)
			}
		}
		if user := last("User"); user == "root" || user == "0" {
			t.Errorf("User=%s", user)
		}
	})

	// The settings: the EnvironmentFile (as deploy/systemd/sluis.env) and
	// the unit's own Environment= lines, with the credentials directory.
	vars := readEnvFile(t, filepath.Join("systemd", "sluis.env"))
	if got := filepath.Base(last("EnvironmentFile")); got != "sluis.env" {
		t.Errorf("EnvironmentFile=%s, want a sluis.env (deploy/systemd/sluis.env)", last("EnvironmentFile"))
	}
	credDir := t.TempDir()
	creds := map[string]bool{}
	for _, lc := range svc["LoadCredential"] {
		name, _, _ := strings.Cut(lc, ":")
		creds[name] = true
		if err := os.WriteFile(filepath.Join(credDir, name), nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	for _, e := range svc["Environment"] {
		k, v, ok := strings.Cut(e, "=")
		if !ok {
			t.Fatalf("Environment=%s is not KEY=VALUE", e)
		}
		if cred, ok := strings.CutPrefix(v, "%d/"); ok {
			if !creds[cred] {
				t.Errorf("Environment=%s names credential %s, which no LoadCredential= loads", e, cred)
			}
			v = filepath.Join(credDir, cred)
		}
		vars[k] = v
	}

	t.Run("settings", func(t *testing.T) {
		c := checkConfig(t, "systemd unit and sluis.env", vars)
		checkProduction(t, "systemd unit and sluis.env", c)
		if c.Store == "sqlite" {
			writable := append(svc["ReadWritePaths"], "/var/lib/"+last("StateDirectory"))
			ok := false
			for _, d := range writable {
				for _, w := range strings.Fields(d) {
					ok = ok || under(c.SQLitePath, strings.TrimPrefix(w, "-"))
				}
			}
			if !ok {
				t.Errorf("SLUIS_SQLITE_PATH %s is not under ReadWritePaths %v", c.SQLitePath, writable)
			}
		}
	})

	t.Run("systemd-analyze", func(t *testing.T) {
		analyze, err := exec.LookPath("systemd-analyze")
		if err != nil {
			t.Skip("systemd-analyze not installed: the unit is parsed but not verified by systemd")
		}
		// verify checks that ExecStart's binary exists: point it at a real one.
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		exec0 := strings.Fields(last("ExecStart"))[0]
		copyPath := filepath.Join(t.TempDir(), "sluis.service")
		text := strings.ReplaceAll(string(b), "ExecStart="+exec0, "ExecStart="+testenv.SluisBinary(t))
		if err := os.WriteFile(copyPath, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command(analyze, "verify", copyPath).CombinedOutput(); err != nil || len(out) > 0 {
			t.Errorf("systemd-analyze verify: %v\n%s", err, out)
		}
		// Exposure 2.0 or less of systemd's 10 ("OK"); --threshold is x10.
		if out, err := exec.Command(analyze, "security", "--offline=true", "--threshold=20", copyPath).CombinedOutput(); err != nil {
			t.Errorf("systemd-analyze security: exposure above 2.0: %v\n%s", err, out)
		}
	})
}
