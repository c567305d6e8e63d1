package deploy

import (
	"bufio"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"
)

// composeFile is the part of compose.yaml the test reads.
type composeFile struct {
	Services map[string]struct {
		Image string `yaml:"image"`
		Build *struct {
			Context    string `yaml:"context"`
			Dockerfile string `yaml:"dockerfile"`
		} `yaml:"build"`
		Environment map[string]string `yaml:"environment"`
		Ports       []string          `yaml:"ports"`
		Volumes     []string          `yaml:"volumes"`
		Tmpfs       []string          `yaml:"tmpfs"`
		ReadOnly    bool              `yaml:"read_only"`
		User        string            `yaml:"user"`
		DependsOn   map[string]struct {
			Condition string `yaml:"condition"`
		} `yaml:"depends_on"`
		Healthcheck *struct {
			Test []string `yaml:"test"`
		} `yaml:"healthcheck"`
	} `yaml:"services"`
	Volumes map[string]any `yaml:"volumes"`
}

// TestCompose parses deploy/compose/compose.yaml and checks its references
// (it is not started: the project's machines have no container engine).
func TestCompose(t *testing.T) {
	var f composeFile
	readYAML(t, filepath.Join("compose", "compose.yaml"), &f)
	for _, name := range []string{"sluis", "rabbitmq", "postgres"} {
		if _, ok := f.Services[name]; !ok {
			t.Fatalf("no service %s", name)
		}
	}
	gw := f.Services["sluis"]
	cfg := checkConfig(t, "compose service sluis", gw.Environment)
	// A trial: development settings (SLUIS_DEV=true), but nothing missing.
	checkServes(t, "compose service sluis", cfg)

	t.Run("broker and store", func(t *testing.T) {
		amqpURL, _ := url.Parse(cfg.AMQPURL)
		host, port := urlHostPort(t, cfg.AMQPURL)
		rabbit := f.Services["rabbitmq"].Environment
		pass, _ := amqpURL.User.Password()
		if host != "rabbitmq" || port != "5672" {
			t.Errorf("SLUIS_AMQP_URL %s is not the rabbitmq service on 5672", host+":"+port)
		}
		if amqpURL.User.Username() != rabbit["RABBITMQ_DEFAULT_USER"] || pass != rabbit["RABBITMQ_DEFAULT_PASS"] {
			t.Error("SLUIS_AMQP_URL's user and password are not the rabbitmq service's")
		}
		if cfg.Store != "postgres" {
			t.Fatalf("SLUIS_STORE=%s, want postgres (the compose file has PostgreSQL)", cfg.Store)
		}
		pgURL, _ := url.Parse(cfg.PostgresURL)
		host, port = urlHostPort(t, cfg.PostgresURL)
		pg := f.Services["postgres"].Environment
		pass, _ = pgURL.User.Password()
		if host != "postgres" || port != "5432" {
			t.Errorf("SLUIS_POSTGRES_URL %s is not the postgres service on 5432", host+":"+port)
		}
		if pgURL.User.Username() != pg["POSTGRES_USER"] || pass != pg["POSTGRES_PASSWORD"] || strings.TrimPrefix(pgURL.Path, "/") != pg["POSTGRES_DB"] {
			t.Error("SLUIS_POSTGRES_URL's user, password and database are not the postgres service's")
		}
		for dep, d := range gw.DependsOn {
			if d.Condition == "service_healthy" && f.Services[dep].Healthcheck == nil {
				t.Errorf("sluis waits for %s to be healthy, which has no healthcheck", dep)
			}
		}
		for _, dep := range []string{"rabbitmq", "postgres"} {
			if _, ok := gw.DependsOn[dep]; !ok {
				t.Errorf("sluis does not depend on %s", dep)
			}
		}
	})

	t.Run("port", func(t *testing.T) {
		port := httpPort(t, "compose", cfg.HTTPAddr)
		published := false
		for _, p := range gw.Ports {
			parts := strings.Split(p, ":")
			published = published || parts[len(parts)-1] == port
		}
		if !published {
			t.Errorf("ports %v do not publish the container's HTTP port %s", gw.Ports, port)
		}
		if expose := containerfile(t)["EXPOSE"]; expose != port {
			t.Errorf("the Containerfile exposes %q, the gateway listens on %s", expose, port)
		}
	})

	t.Run("volumes and files", func(t *testing.T) {
		var writable []string
		for _, v := range gw.Volumes {
			src, dst, ok := strings.Cut(v, ":")
			if !ok {
				t.Errorf("volume %q without a target", v)
				continue
			}
			dst, _, _ = strings.Cut(dst, ":")
			if !strings.HasPrefix(src, ".") && !strings.HasPrefix(src, "/") {
				if _, declared := f.Volumes[src]; !declared {
					t.Errorf("volume %s is not declared under volumes:", src)
				}
			}
			writable = append(writable, dst)
		}
		writable = append(writable, gw.Tmpfs...)
		if !gw.ReadOnly {
			t.Error("the sluis container's root filesystem is not read_only")
		}
		if !contains(gw.Tmpfs, "/tmp") {
			t.Error("no tmpfs /tmp: the XSD validator writes its schemas to a temp folder")
		}
		// With development keys the gateway writes the key files: they must
		// lie on a volume.
		for _, s := range fileSettings {
			fp := gw.Environment[s]
			if fp == "" {
				continue
			}
			ok := false
			for _, w := range writable {
				ok = ok || under(fp, w)
			}
			if !ok {
				t.Errorf("%s=%s is on no volume of the sluis service", s, fp)
			}
		}
	})

	t.Run("image", func(t *testing.T) {
		if gw.Build == nil {
			t.Fatal("the sluis service has no build section")
		}
		ctx := filepath.Join("compose", filepath.FromSlash(gw.Build.Context))
		if _, err := os.Stat(filepath.Join(ctx, "go.mod")); err != nil {
			t.Errorf("build context %s is not the repository root: %v", gw.Build.Context, err)
		}
		if _, err := os.Stat(filepath.Join(ctx, filepath.FromSlash(gw.Build.Dockerfile))); err != nil {
			t.Errorf("dockerfile %s: %v", gw.Build.Dockerfile, err)
		}
		if user := containerfile(t)["USER"]; user != gw.User {
			t.Errorf("the Containerfile runs as %q, compose as %q", user, gw.User)
		}
	})
}

// containerfile returns the last value of each instruction of
// deploy/container/Containerfile, after checking it builds cmd/sluis and
// does not run as root.
func containerfile(t *testing.T) map[string]string {
	t.Helper()
	fh, err := os.Open(filepath.Join("container", "Containerfile"))
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	last := map[string]string{}
	builds := false
	sc := bufio.NewScanner(fh)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		instr, arg, _ := strings.Cut(line, " ")
		last[strings.ToUpper(instr)] = strings.TrimSpace(arg)
		builds = builds || strings.Contains(line, "go build") && strings.Contains(line, "./cmd/sluis")
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if !builds {
		t.Error("the Containerfile does not build ./cmd/sluis")
	}
	if u, _, _ := strings.Cut(last["USER"], ":"); u == "" || u == "0" || u == "root" {
		t.Errorf("the Containerfile runs as %q", last["USER"])
	}
	return last
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if path.Clean(x) == s {
			return true
		}
	}
	return false
}
