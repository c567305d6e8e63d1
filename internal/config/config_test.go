package config

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDefaultsAreValid(t *testing.T) {
	c, err := Parse(map[string]string{})
	if err != nil {
		t.Fatalf("defaults: %v", err)
	}
	if c.Store != "sqlite" || c.DevKeys || c.Workers < 1 {
		t.Fatalf("unexpected defaults: %+v", c)
	}
	if on := c.DevelopmentOn(); len(on) != 0 {
		t.Fatalf("development conveniences on by default: %v", on)
	}
}

// TestBadConfigs runs the cases of every testdata/bad*.json.
func TestBadConfigs(t *testing.T) {
	files, err := filepath.Glob("testdata/bad*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no testdata/bad*.json: %v", err)
	}
	type badCase struct {
		Name  string            `json:"name"`
		Env   map[string]string `json:"env"`
		Field string            `json:"field"`
	}
	var cases []badCase
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var fc []badCase
		if err := json.Unmarshal(raw, &fc); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		cases = append(cases, fc...)
	}
	for _, tc := range cases {
		t.Run(tc.Name, func(t *testing.T) {
			_, err := Parse(tc.Env)
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("want ErrInvalid, got %v", err)
			}
			if !strings.Contains(err.Error(), tc.Field) {
				t.Fatalf("error %q does not name %s", err, tc.Field)
			}
		})
	}
}

func TestBrokerTLSSettings(t *testing.T) {
	c, err := Parse(map[string]string{
		"SLUIS_AMQP_URL":           "amqps://broker.example.org/sluis",
		"SLUIS_AMQP_CA_FILE":       "ca.pem",
		"SLUIS_AMQP_CERT_FILE":     "client.pem",
		"SLUIS_AMQP_KEY_FILE":      "client-key.pem",
		"SLUIS_AMQP_SERVER_NAME":   "broker.example.org",
		"SLUIS_AMQP_EXTERNAL_AUTH": "true",
	})
	if err != nil {
		t.Fatal(err)
	}
	want := Broker{AMQPCAFile: "ca.pem", AMQPCertFile: "client.pem", AMQPKeyFile: "client-key.pem",
		AMQPServerName: "broker.example.org", AMQPExternalAuth: true}
	if c.Broker != want {
		t.Fatalf("got %+v, want %+v", c.Broker, want)
	}
	if d, err := Parse(map[string]string{}); err != nil || d.AMQPAllowPlaintext {
		t.Fatalf("plaintext must be off by default: %+v, %v", d.Broker, err)
	}
}
