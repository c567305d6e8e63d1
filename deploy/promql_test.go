package deploy

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// exportedMetrics maps each sample name of a scrape (histograms: the
// _bucket, _sum and _count names) to the label names it carries.
type exportedMetrics map[string]map[string]bool

// parseScrape reads the Prometheus text format of /metrics.
func parseScrape(text string) exportedMetrics {
	m := exportedMetrics{}
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, rest := line, ""
		if i := strings.IndexAny(line, "{ "); i >= 0 {
			name, rest = line[:i], line[i:]
		}
		if m[name] == nil {
			m[name] = map[string]bool{}
		}
		if strings.HasPrefix(rest, "{") {
			for _, l := range scrapeLabel.FindAllStringSubmatch(rest[:strings.Index(rest, "}")+1], -1) {
				m[name][l[1]] = true
			}
		}
	}
	return m
}

var (
	scrapeLabel = regexp.MustCompile(`[{,]\s*([a-zA-Z_][a-zA-Z0-9_]*)="`)
	// gatewayMetric is a metric name of the gateway's namespaces.
	gatewayMetric = regexp.MustCompile(`\b(?:sluis|go|process|promhttp)_[a-zA-Z0-9_:]*`)
	// selector is a metric name with its label matchers.
	selector = regexp.MustCompile(`\b((?:sluis|go|process|promhttp)_[a-zA-Z0-9_:]*)\s*\{([^}]*)\}`)
	matcher  = regexp.MustCompile(`([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)\s*"`)
	grouping = regexp.MustCompile(`\b(?:by|without)\s*\(([^)]*)\)`)
)

// targetLabels are added by Prometheus at scrape time, not by the gateway.
var targetLabels = map[string]bool{"job": true, "instance": true}

// check lists what in the PromQL expression q the scrape does not have: a
// metric name, a label it is matched on, a label it is grouped by. An
// expression must name at least one gateway metric, unless it reads only
// Prometheus's own up.
func (m exportedMetrics) check(q string) []string {
	var problems []string
	names := gatewayMetric.FindAllString(q, -1)
	if len(names) == 0 && !regexp.MustCompile(`\bup\b`).MatchString(q) {
		problems = append(problems, "names no metric of the gateway")
	}
	for _, n := range names {
		if m[n] == nil {
			problems = append(problems, fmt.Sprintf("metric %s is not in the gateway's scrape", n))
		}
	}
	for _, s := range selector.FindAllStringSubmatch(q, -1) {
		for _, l := range matcher.FindAllStringSubmatch(s[2], -1) {
			if !targetLabels[l[1]] && m[s[1]] != nil && !m[s[1]][l[1]] {
				problems = append(problems, fmt.Sprintf("metric %s has no label %s", s[1], l[1]))
			}
		}
	}
	for _, g := range grouping.FindAllStringSubmatch(q, -1) {
		for _, l := range strings.Split(g[1], ",") {
			l = strings.TrimSpace(l)
			if l == "" || targetLabels[l] {
				continue
			}
			found := false
			for _, n := range names {
				found = found || m[n][l]
			}
			if !found {
				problems = append(problems, fmt.Sprintf("grouped by %s, a label none of %v has", l, names))
			}
		}
	}
	return problems
}

// rule is one alert rule of deploy/prometheus/sluis.rules.yml.
type rule struct {
	Alert       string            `yaml:"alert"`
	Record      string            `yaml:"record,omitempty"`
	Expr        string            `yaml:"expr"`
	For         string            `yaml:"for,omitempty"`
	Labels      map[string]string `yaml:"labels,omitempty"`
	Annotations map[string]string `yaml:"annotations,omitempty"`
}

type ruleFile struct {
	Groups []struct {
		Name  string `yaml:"name"`
		Rules []rule `yaml:"rules"`
	} `yaml:"groups"`
}

func readYAML(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

func alertRules(t *testing.T) []rule {
	t.Helper()
	var f ruleFile
	readYAML(t, filepath.Join("prometheus", "sluis.rules.yml"), &f)
	var rules []rule
	for _, g := range f.Groups {
		rules = append(rules, g.Rules...)
	}
	if len(rules) == 0 {
		t.Fatal("no rules in prometheus/sluis.rules.yml")
	}
	return rules
}

// dashboardQueries returns every PromQL expression of the dashboard: the
// panels' targets and the metric of each label_values() variable, with
// Grafana's variables replaced by values Prometheus parses.
func dashboardQueries(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("grafana", "sluis.json"))
	if err != nil {
		t.Fatal(err)
	}
	var d any
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatalf("grafana/sluis.json: %v", err)
	}
	var out []string
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				if s, ok := x.(string); ok && (k == "expr" || k == "query" || k == "definition") {
					if lv := labelValues.FindStringSubmatch(s); lv != nil {
						out = append(out, fmt.Sprintf("count by (%s) (%s)", lv[2], lv[1]))
					} else if k == "expr" {
						out = append(out, s)
					}
				}
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	walk(d)
	for i, q := range out {
		out[i] = grafanaVars.Replace(q)
	}
	sort.Strings(out)
	return out
}

var (
	labelValues = regexp.MustCompile(`^label_values\(\s*([^,]+?)\s*,\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\)$`)
	grafanaVars = strings.NewReplacer("$__rate_interval", "5m", "$__interval", "1m", "$__range", "1h", "$job", "sluis")
)

// TestDashboardQueriesParse hands every dashboard query to promtool as a
// recording rule: a query Prometheus cannot parse fails here.
func TestDashboardQueriesParse(t *testing.T) {
	queries := dashboardQueries(t)
	var f ruleFile
	f.Groups = append(f.Groups, struct {
		Name  string `yaml:"name"`
		Rules []rule `yaml:"rules"`
	}{Name: "dashboard"})
	for i, q := range queries {
		f.Groups[0].Rules = append(f.Groups[0].Rules, rule{Record: fmt.Sprintf("dashboard:query%d", i), Expr: q})
	}
	b, err := yaml.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "dashboard.rules.yml")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(promtool(t), "check", "rules", path).CombinedOutput(); err != nil {
		t.Errorf("promtool check rules on the dashboard's queries: %v\n%s\n%s", err, out, b)
	}
}

// TestDashboardPanels checks the dashboard's shape: a uid, the sections
// the issue asks for, and every panel with at least one query.
func TestDashboardPanels(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("grafana", "sluis.json"))
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		UID    string `json:"uid"`
		Panels []struct {
			Type    string            `json:"type"`
			Title   string            `json:"title"`
			Targets []json.RawMessage `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatal(err)
	}
	if d.UID == "" {
		t.Error("dashboard without a uid")
	}
	rows := map[string]bool{}
	for _, p := range d.Panels {
		if p.Type == "row" {
			rows[p.Title] = true
			continue
		}
		if len(p.Targets) == 0 {
			t.Errorf("panel %q has no query", p.Title)
		}
	}
	for _, want := range []string{"Throughput", "Latency", "Backlog", "Retours", "Certificates and ledger"} {
		if !rows[want] {
			t.Errorf("no row %q", want)
		}
	}
}

// TestEveryAlertIsTested checks that sluis.rules.test.yml has, for every
// alert, a case where it fires, and that every alert has a severity and a
// runbook entry in deploy/README.md.
func TestEveryAlertIsTested(t *testing.T) {
	var tests struct {
		RuleFiles []string `yaml:"rule_files"`
		Tests     []struct {
			Name   string `yaml:"name"`
			Alerts []struct {
				Alertname string           `yaml:"alertname"`
				Exp       []map[string]any `yaml:"exp_alerts"`
			} `yaml:"alert_rule_test"`
		} `yaml:"tests"`
	}
	readYAML(t, filepath.Join("prometheus", "sluis.rules.test.yml"), &tests)
	if len(tests.RuleFiles) != 1 || tests.RuleFiles[0] != "sluis.rules.yml" {
		t.Errorf("rule_files = %v, want [sluis.rules.yml]", tests.RuleFiles)
	}
	fires := map[string]bool{}
	for _, tc := range tests.Tests {
		for _, a := range tc.Alerts {
			if len(a.Exp) > 0 {
				fires[a.Alertname] = true
			}
		}
	}
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range alertRules(t) {
		if !fires[r.Alert] {
			t.Errorf("alert %s has no test case where it fires", r.Alert)
		}
		switch r.Labels["severity"] {
		case "critical", "warning", "info":
		default:
			t.Errorf("alert %s: severity %q, want critical, warning or info", r.Alert, r.Labels["severity"])
		}
		anchor := "deploy/README.md#" + strings.ToLower(r.Alert)
		if r.Annotations["runbook"] != anchor {
			t.Errorf("alert %s: runbook %q, want %q", r.Alert, r.Annotations["runbook"], anchor)
		}
		if !strings.Contains(string(readme), "### "+r.Alert+"\n") {
			t.Errorf("alert %s has no section \"### %s\" in deploy/README.md", r.Alert, r.Alert)
		}
	}
}
