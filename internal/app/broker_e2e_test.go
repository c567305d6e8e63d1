package app_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sluis-gateway/sluis/adapters/amqp"
	"github.com/sluis-gateway/sluis/internal/app"
	"github.com/sluis-gateway/sluis/internal/bus"
	"github.com/sluis-gateway/sluis/internal/config"
	"github.com/sluis-gateway/sluis/internal/testenv"
)

// TestEndToEndOverTLS runs the gateway against the local broker's TLS
// listener with a client certificate and x509 (EXTERNAL) login, and no
// plaintext allowance: a disclosure is delivered, and every connection the
// gateway holds is TLS as the certificate's user.
func TestEndToEndOverTLS(t *testing.T) {
	b := testenv.BrokerTLS(t)
	h := &harness{t: t, url: testenv.VHost(t), logs: &syncBuffer{}, pending: map[string][]bus.Event{}}
	b.AllowExternal(t, h.url)
	h.configure(t.TempDir())
	u := parseURL(t, b.URL(t, h.url))
	u.User = nil
	h.cfg.AMQPURL = u.String()
	h.cfg.Broker = config.Broker{AMQPCAFile: b.CAFile, AMQPCertFile: b.CertFile, AMQPKeyFile: b.KeyFile, AMQPExternalAuth: true}
	h.startGateway()
	h.listen()

	m, body := readExample(t, "iwmo-301.json")
	id := m["id"].(string)
	h.send(body)
	h.waitState(id, "delivered")
	if d := h.take("42420001"); d.MessageId == "" {
		t.Fatal("no signed message on the provider's queue")
	}

	// The gateway's connections are the vhost's TLS ones (the test's own
	// party above is plaintext, as guest): all of them the certificate's
	// user, the publisher among them.
	vhost := strings.TrimPrefix(parseURL(t, h.url).Path, "/")
	out, err := exec.Command("rabbitmqctl", "-q", "list_connections", "vhost", "user", "ssl", "client_properties").CombinedOutput()
	if err != nil {
		t.Fatalf("list_connections: %v\n%s", err, out)
	}
	tlsConns, publisher := 0, false
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		if len(f) < 3 || f[0] != vhost || f[2] != "true" {
			continue
		}
		tlsConns++
		if f[1] != b.ExternalUser {
			t.Errorf("a TLS connection as %s, want %s", f[1], b.ExternalUser)
		}
		publisher = publisher || strings.Contains(line, "sluis-gateway")
	}
	t.Logf("%d TLS connections as %s", tlsConns, b.ExternalUser)
	if tlsConns != 2 || !publisher {
		t.Fatalf("want exactly two TLS connections (publisher, consumers) in vhost %s, got:\n%s", vhost, out)
	}
}

func parseURL(t *testing.T, raw string) *url.URL {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// TestStartNamesTheBrokerProblem: plaintext without the development
// allowance, bad credentials, a missing vhost and an unreachable broker each
// stop the gateway with their own message.
func TestStartNamesTheBrokerProblem(t *testing.T) {
	vhost := testenv.VHost(t)
	with := func(raw string, change func(*url.URL)) string {
		u := parseURL(t, raw)
		change(u)
		return u.String()
	}
	tests := []struct {
		name  string
		vars  map[string]string
		want  error
		hints string
	}{
		{"plaintext without the allowance", map[string]string{"SLUIS_AMQP_URL": vhost, testenv.DevBroker: "false"}, amqp.ErrPlaintext, "SLUIS_AMQP_ALLOW_PLAINTEXT"},
		{"wrong password", map[string]string{"SLUIS_AMQP_URL": with(vhost, func(u *url.URL) { u.User = url.UserPassword("guest", "wrong-pw") }), testenv.DevBroker: "true"},
			amqp.ErrBrokerAuth, "user and password"},
		{"missing vhost", map[string]string{"SLUIS_AMQP_URL": with(vhost, func(u *url.URL) { u.Path = "/no-such-vhost" }), testenv.DevBroker: "true"},
			amqp.ErrBrokerVHost, "virtual host"},
		{"unreachable", map[string]string{"SLUIS_AMQP_URL": "amqp://guest:guest@127.0.0.1:1/", testenv.DevBroker: "true"},
			app.ErrBrokerUnreachable, "rabbitmq-server -detached"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := config.Parse(testenv.WithSettings(testenv.DevSettings(t.TempDir()), tc.vars))
			if err != nil {
				t.Fatal(err)
			}
			_, err = app.Start(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.hints) {
				t.Fatalf("got %v, want %v saying %q", err, tc.want, tc.hints)
			}
			if strings.Contains(err.Error(), "wrong-pw") {
				t.Errorf("the error holds the password: %v", err)
			}
		})
	}
}

// brokerConnections lists the connections in the vhost of vhostURL as the
// broker sees them: connection name (client property) -> its channels.
// Connections without a name count under "".
func brokerConnections(t *testing.T, vhostURL string) (map[string]int, int) {
	t.Helper()
	vhost := strings.TrimPrefix(parseURL(t, vhostURL).Path, "/")
	// list_connections lists every vhost's connections (it takes no -p).
	out, err := exec.Command("rabbitmqctl", "-q", "--no-table-headers", "list_connections", "vhost", "channels", "client_properties").CombinedOutput()
	if err != nil {
		t.Fatalf("list_connections: %v\n%s", err, out)
	}
	named := map[string]int{}
	total := 0
	nameRE := regexp.MustCompile(`\{"connection_name","([^"]*)"\}`)
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		if len(f) < 3 || f[0] != vhost {
			continue
		}
		total++
		channels, err := strconv.Atoi(f[1])
		if err != nil {
			t.Fatalf("list_connections line %q: %v", line, err)
		}
		name := ""
		if m := nameRE.FindStringSubmatch(line); m != nil {
			name = m[1]
		}
		if _, dup := named[name]; dup && name != "" {
			t.Errorf("more than one connection named %s in vhost %s", name, vhost)
		}
		named[name] += channels
	}
	return named, total
}

// TestGatewayHoldsOneConnectionPerRole: a running gateway holds exactly two
// broker connections, sluis-gateway (publishing) and sluis-consumers (one
// channel per consumer, batched intake or not), and its health checks dial
// none.
func TestGatewayHoldsOneConnectionPerRole(t *testing.T) {
	h := &harness{t: t, url: testenv.VHost(t), logs: &syncBuffer{}, pending: map[string][]bus.Event{}}
	h.configure(t.TempDir())
	h.startGateway()

	// The consumers' channels open as the router starts its handlers.
	intake := h.cfg.Workers
	if h.cfg.IntakeBatchSize > 0 {
		intake = app.IntakeBatchConsumers // batched intake (SLUIS_INTAKE_BATCH_SIZE)
	}
	wantConsumers := intake + 2 + 2 + 2 // intake, consents, one per development provider's retour queue, inbound
	var conns map[string]int
	var total int
	deadline := time.Now().Add(30 * time.Second)
	for {
		conns, total = brokerConnections(t, h.url)
		if conns["sluis-consumers"] >= wantConsumers || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if total != 2 {
		t.Fatalf("the gateway holds %d connections, want 2 (sluis-gateway, sluis-consumers): %v", total, conns)
	}
	if _, ok := conns["sluis-gateway"]; !ok {
		t.Errorf("no publishing connection sluis-gateway: %v", conns)
	}
	if got := conns["sluis-consumers"]; got != wantConsumers {
		t.Errorf("sluis-consumers has %d channels, want one per consumer (%d)", got, wantConsumers)
	}

	for _, path := range []string{"/healthz", "/readyz", "/healthz"} {
		resp, err := http.Get(h.admin(path))
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: %d", path, resp.StatusCode)
		}
	}
	if _, after := brokerConnections(t, h.url); after != 2 {
		t.Fatalf("after the health checks %d connections, want still 2", after)
	}
}
