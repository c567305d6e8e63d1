package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// TestReferenceIsCurrent regenerates reference_gen.go and
// docs/configuration.md from the source and fails when the committed files
// differ: run `go generate ./internal/config` after changing a setting.
func TestReferenceIsCurrent(t *testing.T) {
	ref, err := Read("..")
	if err != nil {
		t.Fatal(err)
	}
	src, err := GoSource(ref)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, path string
		want       []byte
	}{
		{"Go settings", filepath.Join("..", "reference_gen.go"), src},
		{"Markdown reference", filepath.Join("..", "..", "..", "docs", "configuration.md"), Markdown(ref)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := os.ReadFile(tc.path)
			if err != nil {
				t.Fatalf("%v (run go generate ./internal/config)", err)
			}
			if !bytes.Equal(got, tc.want) {
				t.Fatalf("%s is stale: run go generate ./internal/config", tc.path)
			}
		})
	}
}

// TestReadFindsEverySection: embedded sections, markers, shared docs,
// defaults and types come out of the source.
func TestReadFindsEverySection(t *testing.T) {
	ref, err := Read("..")
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]Setting{}
	for _, s := range ref.Settings {
		if _, dup := byName[s.Name]; dup {
			t.Errorf("%s twice", s.Name)
		}
		if s.Doc == "" {
			t.Errorf("%s has no doc comment", s.Name)
		}
		byName[s.Name] = s
	}
	cases := []struct {
		name                   string
		section, def, typ, doc string
	}{
		{"SLUIS_AMQP_URL", "Broker", "amqp://guest:guest@127.0.0.1:5672/", "string", "SLUIS_AMQP_URL is the RabbitMQ connection URL."},
		{"SLUIS_AMQP_EXTERNAL_AUTH", "Broker", "false", "boolean", ""},
		{"SLUIS_AMQP_KEY_FILE", "Broker", "", "string", ""}, // shares its doc with SLUIS_AMQP_CERT_FILE
		{"SLUIS_SIGNING_NEXT_FROM", "Signing", "", "time (RFC 3339)", ""},
		{"SLUIS_CONFIRM_TIMEOUT", "Processing", "10s", "duration", ""},
		{"SLUIS_WORKERS", "Processing", "32", "integer", ""},
		{"SLUIS_DEV_LOGIN", "Identity", "false", "boolean", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, ok := byName[tc.name]
			if !ok {
				t.Fatal("missing")
			}
			if s.Section != tc.section || s.Default != tc.def || s.Type != tc.typ || (tc.doc != "" && s.Doc != tc.doc) {
				t.Fatalf("got %+v", s)
			}
		})
	}
}
