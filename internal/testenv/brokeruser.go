package testenv

import (
	"net/url"
	"os/exec"
	"strings"
	"testing"
)

// BrokerUser creates a real RabbitMQ user, named prefix plus random hex,
// with a random password and full rights on the vhost of vhostURL (from
// VHost), deletes it when the test ends, and returns its name and the
// vhost's URL logged in as it. Tests use it for a second publisher whose
// broker-validated user-id differs from guest's.
func BrokerUser(t testing.TB, vhostURL, prefix string) (user, userURL string) {
	t.Helper()
	u, err := url.Parse(vhostURL)
	if err != nil {
		t.Fatalf("vhost URL: %v", err)
	}
	vhost := strings.TrimPrefix(u.Path, "/")
	user, pass := uniqueName(prefix), randomHex(16)
	for _, args := range [][]string{
		{"-q", "add_user", user, pass},
		{"-q", "set_permissions", "-p", vhost, user, ".*", ".*", ".*"},
	} {
		if out, err := exec.Command("rabbitmqctl", args...).CombinedOutput(); err != nil {
			t.Fatalf("rabbitmqctl %s: %v\n%s", args[1], err, out)
		}
		if args[1] == "add_user" {
			t.Cleanup(func() { _ = exec.Command("rabbitmqctl", "-q", "delete_user", user).Run() })
		}
	}
	u.User = url.UserPassword(user, pass)
	return user, u.String()
}
