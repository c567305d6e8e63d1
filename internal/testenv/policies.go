package testenv

import (
	"encoding/json"
	"errors"
	mrand "math/rand/v2"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// DefinitionsPath is the broker definitions of the deployment, relative to
// the repository root; its policies are what every test vhost gets.
const DefinitionsPath = "deploy/rabbitmq/definitions.json"

// ctlMu serialises this process's rabbitmqctl imports.
var ctlMu sync.Mutex

// loadPolicies imports the policies of DefinitionsPath into vhost (one
// rabbitmqctl import_definitions of a document holding only them, their vhost
// replaced), so that a test's queues are bounded and dead-lettered as in a
// deployment.
func loadPolicies(t testing.TB, ctl, vhost string) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(Root(), DefinitionsPath))
	if err != nil {
		t.Fatalf("broker policies: %v", err)
	}
	var defs struct {
		Policies []map[string]any `json:"policies"`
	}
	if err := json.Unmarshal(raw, &defs); err != nil {
		t.Fatalf("broker policies: %s: %v", DefinitionsPath, err)
	}
	if len(defs.Policies) == 0 {
		t.Fatalf("broker policies: %s holds none", DefinitionsPath)
	}
	for _, p := range defs.Policies {
		p["vhost"] = vhost
	}
	out, err := json.Marshal(map[string]any{"policies": defs.Policies})
	if err != nil {
		t.Fatal(err)
	}
	// rabbitmqctl reads the file as the rabbitmq user (3.10 cannot read
	// definitions from stdin): a world-readable file in the temporary
	// folder, not in the test's private one.
	tmp, err := os.CreateTemp("", "sluis-test-policies-*.json")
	if err != nil {
		t.Fatal(err)
	}
	f := tmp.Name()
	defer os.Remove(f)
	if _, err := tmp.Write(out); err != nil {
		t.Fatal(err)
	}
	if err := errors.Join(tmp.Chmod(0o644), tmp.Close()); err != nil {
		t.Fatal(err)
	}
	// rabbitmqctl invocations at the same moment now and then fail (it
	// prints its usage): one at a time from this process, and retried with
	// jitter against other processes.
	ctlMu.Lock()
	defer ctlMu.Unlock()
	var msg []byte
	for attempt := 0; attempt < 8; attempt++ {
		if msg, err = exec.Command(ctl, "-q", "import_definitions", f).CombinedOutput(); err == nil {
			return
		}
		time.Sleep(time.Duration(attempt+1)*300*time.Millisecond + time.Duration(mrand.Int64N(int64(500*time.Millisecond))))
	}
	t.Fatalf("rabbitmqctl import_definitions (policies of %s): %v\n%s", DefinitionsPath, err, msg)
}

// Policies imports the policies of DefinitionsPath into the vhost of
// vhostURL again (e.g. after a test changed one).
func Policies(t testing.TB, vhostURL string) {
	t.Helper()
	ctl, err := exec.LookPath("rabbitmqctl")
	if err != nil {
		t.Fatalf("rabbitmqctl not found: the tests need the local RabbitMQ (see README)")
	}
	u, err := url.Parse(vhostURL)
	if err != nil || len(u.Path) < 2 {
		t.Fatalf("testenv.Policies: not a VHost URL")
	}
	loadPolicies(t, ctl, u.Path[1:])
}
