package identity

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDevelopmentRegistry(t *testing.T) {
	r, err := Development()
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(r.IDs(), ","); got != "regsys-bench,regsys-demo,regsys-rotterdam" {
		t.Fatalf("IDs = %s", got)
	}
	demo, err := r.Get("regsys-demo")
	if err != nil || demo.Municipalities[0] != "0363" || len(demo.LegalBases) != 3 {
		t.Fatalf("regsys-demo = %+v, %v", demo, err)
	}
}

func TestDeployExampleLoads(t *testing.T) {
	r, err := Load(filepath.Join("..", "..", "deploy", "systems.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(r.IDs()) == 0 {
		t.Fatal("no systems")
	}
}

func TestBadRegistries(t *testing.T) {
	raw, err := os.ReadFile("testdata/bad-registries.json")
	if err != nil {
		t.Fatal(err)
	}
	var cases []struct {
		Name     string          `json:"name"`
		Registry json.RawMessage `json:"registry"`
		Entry    string          `json:"entry"`
		Field    string          `json:"field"`
	}
	if err := json.Unmarshal(raw, &cases); err != nil {
		t.Fatal(err)
	}
	for _, tc := range cases {
		t.Run(tc.Name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "systems.json")
			if err := os.WriteFile(path, tc.Registry, 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := Load(path)
			if !errors.Is(err, ErrInvalidRegistry) {
				t.Fatalf("want ErrInvalidRegistry, got %v", err)
			}
			if !strings.Contains(err.Error(), tc.Entry) || !strings.Contains(err.Error(), tc.Field) {
				t.Fatalf("error %q does not name %q and %q", err, tc.Entry, tc.Field)
			}
		})
	}
}

func TestLoadRefuses(t *testing.T) {
	dir := t.TempDir()
	trailing := filepath.Join(dir, "trailing.json")
	if err := os.WriteFile(trailing, []byte(`[] []`), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, path string
		want       error
	}{
		{"a missing file", filepath.Join(dir, "missing.json"), os.ErrNotExist},
		{"data after the array", trailing, ErrInvalidRegistry},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := Load(tc.path); !errors.Is(err, tc.want) {
				t.Fatalf("Load = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestLookups(t *testing.T) {
	r, err := New([]System{
		{ID: "amqp-only", Municipalities: []string{"0363"}, LegalBases: []string{BasisConsent}, BrokerUser: "regsys-amqp"},
		{ID: "http-only", Municipalities: []string{"0599"}, LegalBases: []string{BasisConsent}, Certificate: &CertificateMatch{SubjectCN: "h"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		lookup func() (System, error)
		want   string
		err    error
	}{
		{"by id", func() (System, error) { return r.Get("http-only") }, "http-only", nil},
		{"unknown id", func() (System, error) { return r.Get("nobody") }, "", ErrUnknownSystem},
		{"by broker user", func() (System, error) { return r.ByBrokerUser("regsys-amqp") }, "amqp-only", nil},
		{"unknown broker user", func() (System, error) { return r.ByBrokerUser("guest") }, "", ErrUnknownBrokerUser},
		{"no broker user at all", func() (System, error) { return r.ByBrokerUser("") }, "", ErrUnknownBrokerUser},
		{"broker user by system id", func() (System, error) { return r.ByBrokerUser("amqp-only") }, "", ErrUnknownBrokerUser},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, err := tc.lookup()
			if !errors.Is(err, tc.err) || s.ID != tc.want {
				t.Fatalf("got %q, %v; want %q, %v", s.ID, err, tc.want, tc.err)
			}
		})
	}
}

func TestRegistryIsImmutable(t *testing.T) {
	r, err := Development()
	if err != nil {
		t.Fatal(err)
	}
	s, err := r.Get("regsys-rotterdam")
	if err != nil {
		t.Fatal(err)
	}
	s.Municipalities[0] = "0363"
	s.LegalBases = append(s.LegalBases[:0], BasisSafetyOverride)
	s.Certificate.SubjectCN = "changed"
	again, err := r.Get("regsys-rotterdam")
	if err != nil {
		t.Fatal(err)
	}
	if again.Municipalities[0] != "0599" || again.LegalBases[0] != BasisConsent || again.Certificate.SubjectCN != "regsys-rotterdam (DEVELOPMENT ONLY)" {
		t.Fatalf("the registry changed through a returned entry: %+v", again)
	}
}
