package cli_test

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sluis-gateway/sluis/internal/testenv"
)

// startGateway runs `sluis serve` as its own process on a private vhost, a
// SQLite file and generated development keys, and waits for /healthz on
// the admin listener.
func startGateway(t *testing.T) (amqpURL string) {
	t.Helper()
	dir := t.TempDir()
	amqpURL = testenv.VHost(t)
	admin := testenv.FreeAddr(t)
	// A development gateway (testenv.DevSettings: keys, registries, CA) on
	// the test's own vhost, store and folders.
	env := testenv.Environ(testenv.WithSettings(testenv.DevSettings(dir), map[string]string{
		"SLUIS_AMQP_URL":   amqpURL,
		"SLUIS_HTTP_ADDR":  testenv.FreeAddr(t),
		"SLUIS_ADMIN_ADDR": admin,
	}))
	testenv.StartProcess(t, "sluis", testenv.SluisBinary(t), env, "serve")
	client := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(60 * time.Second) // turns a hang into a failure; not an assertion
	for {
		resp, err := client.Get("http://" + admin + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return amqpURL
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("the gateway did not answer /healthz")
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// request writes the contract example with change applied to a file.
func request(t *testing.T, change func(map[string]any)) string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(testenv.Root(), "docs", "contract", "examples", "iwmo-301.json"))
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	change(doc)
	out, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	name := filepath.Join(t.TempDir(), "request.json")
	if err := os.WriteFile(name, out, 0o600); err != nil {
		t.Fatal(err)
	}
	return name
}

// TestSendExitCodes: `sluis send` exits by the state the request ends in.
func TestSendExitCodes(t *testing.T) {
	amqpURL := startGateway(t)
	cases := []struct {
		name   string
		change func(map[string]any)
		code   int
		state  string
	}{
		{"delivered", func(d map[string]any) { d["id"] = "6f1c2a3e-8b4d-4c1a-9e2f-3a5b7c9d1e11" }, 0, "delivered"},
		{"invalid", func(d map[string]any) { d["id"] = "6f1c2a3e-8b4d-4c1a-9e2f-3a5b7c9d1e12"; d["message_type"] = "999" }, 3, "invalid"},
		{"refused", func(d map[string]any) {
			d["id"] = "6f1c2a3e-8b4d-4c1a-9e2f-3a5b7c9d1e13"
			d["legal_basis"] = map[string]any{"kind": "consent", "consent_ids": []string{"consent-that-was-never-recorded"}}
		}, 4, "refused"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := sluis(t, []string{"SLUIS_AMQP_URL=" + amqpURL}, "send", "-timeout", "60s", request(t, tc.change))
			if r.code != tc.code {
				t.Fatalf("exit %d, want %d; stdout:\n%s\nstderr:\n%s", r.code, tc.code, r.stdout, r.stderr)
			}
			if !strings.Contains(r.stdout, "status: "+tc.state) {
				t.Errorf("stdout lacks status %s:\n%s", tc.state, r.stdout)
			}
		})
	}
}
