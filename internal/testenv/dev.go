package testenv

import (
	"path/filepath"
	"sort"
)

// DevSettings are the development settings of a gateway under test, with
// every development file in dir (nothing in the working directory):
// SLUIS_DEV=true (generated signing key, certificate and client-key
// secret, the development CA and login, the development registries of
// providers and systems, plaintext AMQP to the test's private vhost; see
// docs/security.md) and the paths of those files. Add the test's own
// settings (SLUIS_AMQP_URL, SLUIS_HTTP_ADDR, ...) to the map; a setting the
// test sets replaces the development one. With SLUIS_TEST_INTAKE_BATCH_SIZE
// in the test's environment it turns on batched intake passes (batch.go).
func DevSettings(dir string) map[string]string {
	m := map[string]string{
		"SLUIS_DEV":               "true",
		"SLUIS_SQLITE_PATH":       filepath.Join(dir, "sluis.db"),
		"SLUIS_SIGNING_KEY":       filepath.Join(dir, "keys", "sluis-signing-dev.key.pem"),
		"SLUIS_SIGNING_CERT":      filepath.Join(dir, "keys", "sluis-signing-dev.cert.pem"),
		"SLUIS_CLIENT_KEY_SECRET": filepath.Join(dir, "keys", "client-key.secret"),
		"SLUIS_DEV_IDENTITY_DIR":  filepath.Join(dir, "identity"),
		"SLUIS_DEV_PROVIDERS_DIR": filepath.Join(dir, "providers"),
		// The console on a free port (SLUIS_DEV would take 127.0.0.1:8443).
		"SLUIS_CONSOLE_ADDR": "127.0.0.1:0",
	}
	batchSettings(m) // SLUIS_TEST_INTAKE_BATCH_SIZE (batch.go)
	return m
}

// WithSettings returns base with the settings of over added or replaced
// (base is not changed).
func WithSettings(base, over map[string]string) map[string]string {
	m := make(map[string]string, len(base)+len(over))
	for k, v := range base {
		m[k] = v
	}
	for k, v := range over {
		m[k] = v
	}
	return m
}

// Environ turns settings into NAME=value entries for StartProcess.
func Environ(settings map[string]string) []string {
	env := make([]string, 0, len(settings))
	for k, v := range settings {
		env = append(env, k+"="+v)
	}
	sort.Strings(env)
	return env
}
