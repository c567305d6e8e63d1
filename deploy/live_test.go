package deploy

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sluis-gateway/sluis/internal/archive"
	"github.com/sluis-gateway/sluis/internal/signing"
	"github.com/sluis-gateway/sluis/internal/testenv"
)

// TestMain removes the sluis binary the live test built.
func TestMain(m *testing.M) {
	code := m.Run()
	testenv.RemoveSluisBinary()
	os.Exit(code)
}

// startTimeout bounds the wait for a gateway to answer and for the example
// disclosure to be delivered; it only turns a hang into a failure.
const startTimeout = 60 * time.Second

// gateway is a sluis process started by a test.
type gateway struct {
	*testenv.Process
	addr   string       // the API listener (mutual TLS)
	admin  string       // the admin listener: /metrics and the probes
	client *http.Client // for the admin listener
	api    *http.Client // regsys-demo's client certificate
}

// startGateway runs `sluis serve` as its own process on a private vhost, a
// SQLite file and generated keys, the way an operator runs it, and waits
// until /healthz answers 200.
func startGateway(t *testing.T) *gateway {
	t.Helper()
	dir := t.TempDir()
	key, cert, err := signing.GenerateDevelopment(filepath.Join(dir, "keys"), "sluis")
	if err != nil {
		t.Fatal(err)
	}
	secret := filepath.Join(dir, "keys", "client-key.secret")
	if err := os.WriteFile(secret, []byte(strings.Repeat("de91", 16)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	master := filepath.Join(dir, "keys", "archive-master.key")
	if err := archive.GenerateMasterKeyFile(master); err != nil {
		t.Fatal(err)
	}
	id := testenv.DevIdentity(t)
	g := &gateway{addr: testenv.FreeAddr(t), admin: testenv.FreeAddr(t), client: &http.Client{Timeout: 5 * time.Second},
		api: id.Client(t, "regsys-demo")}
	// The development registries (testenv.DevSettings) and the test's own
	// development CA (testenv.DevIdentity); the keys are the test's own.
	env := testenv.Environ(testenv.WithSettings(testenv.WithSettings(testenv.DevSettings(dir), map[string]string{
		"SLUIS_AMQP_URL":           testenv.VHost(t),
		"SLUIS_HTTP_ADDR":          g.addr,
		"SLUIS_ADMIN_ADDR":         g.admin,
		"SLUIS_STORE":              "sqlite",
		"SLUIS_SQLITE_PATH":        filepath.Join(dir, "sluis.db"),
		"SLUIS_SIGNING_KEY":        key,
		"SLUIS_SIGNING_CERT":       cert,
		"SLUIS_CLIENT_KEY_SECRET":  secret,
		"SLUIS_ARCHIVE_MASTER_KEY": master,
		"SLUIS_DEV_KEYS":           "false",
		testenv.DevBroker:          "true", // a private vhost of the local broker, plaintext
	}), id.Env()))
	g.Process = testenv.StartProcess(t, "sluis", testenv.SluisBinary(t), env, "serve")
	g.waitFor(t, "/healthz to answer 200", func() bool {
		code, _ := g.get("/healthz")
		return code == http.StatusOK
	})
	return g
}

// get returns the status code and body of GET path on the admin listener
// (0 when unreachable).
func (g *gateway) get(path string) (int, []byte) {
	return fetch(g.client, "http://"+g.admin+path)
}

// getAPI is get on the API listener, as regsys-demo.
func (g *gateway) getAPI(path string) (int, []byte) {
	return fetch(g.api, "https://"+g.addr+path)
}

func fetch(c *http.Client, url string) (int, []byte) {
	resp, err := c.Get(url)
	if err != nil {
		return 0, nil
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, nil
	}
	return resp.StatusCode, body
}

func (g *gateway) waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	if err := g.WaitFor(ctx, 100*time.Millisecond, cond); err != nil {
		t.Fatalf("waiting for %s: %v", what, err)
	}
}

// deliverExample posts the iWmo example disclosure over HTTP and waits until
// its receipt says delivered, so that the labelled metrics of a pass (state
// transitions, stage latencies, confirms) are in the scrape.
func (g *gateway) deliverExample(t *testing.T) {
	t.Helper()
	body, err := os.ReadFile(filepath.Join(testenv.Root(), "docs", "contract", "examples", "iwmo-301.json"))
	if err != nil {
		t.Fatal(err)
	}
	var req struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(body, &req); err != nil || req.ID == "" {
		t.Fatalf("example without an id: %v", err)
	}
	resp, err := g.api.Post("https://"+g.addr+"/v1/disclosures", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("POST /v1/disclosures: %s", resp.Status)
	}
	g.waitFor(t, "the example disclosure to be delivered", func() bool {
		code, b := g.getAPI("/v1/disclosures/" + req.ID)
		var r struct {
			State string `json:"state"`
		}
		return code == http.StatusOK && json.Unmarshal(b, &r) == nil && r.State == "delivered"
	})
}

// scrape returns the gateway's /metrics text.
func (g *gateway) scrape(t *testing.T) string {
	t.Helper()
	code, body := g.get("/metrics")
	if code != http.StatusOK {
		t.Fatalf("GET /metrics: %d", code)
	}
	return string(body)
}

// promtool returns the path of promtool, failing the test when it is
// missing (Debian's prometheus package ships it; .ci/run installs it).
func promtool(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("promtool")
	if err != nil {
		t.Fatalf("promtool not found (install it from Debian's prometheus package, or run bash .ci/run): %v", err)
	}
	return p
}

// TestLiveGateway starts a gateway, sends one disclosure through it and
// checks the deploy files against what it really serves: metric names by
// promtool's conventions, every metric and label the dashboard and the alert
// rules use, and every probe path of the Kubernetes manifests.
func TestLiveGateway(t *testing.T) {
	g := startGateway(t)
	g.deliverExample(t)
	text := g.scrape(t)
	exported := parseScrape(text)

	t.Run("promtool check metrics", func(t *testing.T) {
		cmd := exec.Command(promtool(t), "check", "metrics")
		cmd.Stdin = strings.NewReader(text)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("promtool check metrics: %v\n%s", err, out)
		}
	})
	t.Run("dashboard queries name exported metrics", func(t *testing.T) {
		queries := dashboardQueries(t)
		if len(queries) == 0 {
			t.Fatal("no queries in the dashboard")
		}
		for _, q := range queries {
			for _, problem := range exported.check(q) {
				t.Errorf("dashboard query %q: %s", q, problem)
			}
		}
	})
	t.Run("alert rules name exported metrics", func(t *testing.T) {
		for _, r := range alertRules(t) {
			for _, problem := range exported.check(r.Expr) {
				t.Errorf("alert %s: %s", r.Alert, problem)
			}
		}
	})
	t.Run("README lists every sluis metric, and only those", func(t *testing.T) {
		listed := readmeMetrics(t)
		exportedNames := map[string]bool{}
		for _, m := range scrapeTypes.FindAllStringSubmatch(text, -1) {
			if strings.HasPrefix(m[1], "sluis_") {
				exportedNames[m[1]] = true
			}
		}
		for n := range exportedNames {
			if !listed[n] {
				t.Errorf("metric %s is exported but not listed in deploy/README.md", n)
			}
		}
		for n := range listed {
			if !exportedNames[n] {
				t.Errorf("deploy/README.md lists %s, which the gateway does not export", n)
			}
		}
	})
	t.Run("kubernetes probe paths answer 200", func(t *testing.T) {
		d := deployment(t)
		paths := probePaths(d)
		if len(paths) == 0 {
			t.Fatal("no httpGet probe in the Deployment")
		}
		for _, p := range paths {
			if code, _ := g.get(p); code != http.StatusOK {
				t.Errorf("probe path %s answers %d, want 200", p, code)
			}
		}
	})
}

// scrapeTypes is a "# TYPE name type" line of a scrape: one per metric
// family (a histogram's name without _bucket, _sum, _count).
var scrapeTypes = regexp.MustCompile(`(?m)^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) `)

// readmeMetrics are the metric names in the first column of the metrics
// table of deploy/README.md ("## Metrics"), several in a cell separated by
// commas.
func readmeMetrics(t *testing.T) map[string]bool {
	t.Helper()
	b, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	start := strings.Index(doc, "\n## Metrics")
	if start < 0 {
		t.Fatal(`deploy/README.md: no "## Metrics" section`)
	}
	section := doc[start+1:]
	if end := strings.Index(section, "\n## "); end >= 0 {
		section = section[:end]
	}
	out := map[string]bool{}
	for _, line := range strings.Split(section, "\n") {
		if !strings.HasPrefix(line, "| `sluis_") {
			continue
		}
		cell := strings.SplitN(line[1:], "|", 2)[0]
		for _, m := range regexp.MustCompile("`(sluis_[a-z0-9_]+)`").FindAllStringSubmatch(cell, -1) {
			out[m[1]] = true
		}
	}
	if len(out) == 0 {
		t.Fatal("deploy/README.md lists no metric")
	}
	return out
}
