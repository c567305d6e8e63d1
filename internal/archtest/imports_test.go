package archtest

import (
	"bytes"
	"encoding/json"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/sluis-gateway/sluis"

// mayUseAdapters says whether a package may depend on adapters/: the
// adapters themselves, the binaries under cmd/ and the composition root
// internal/app. Every other package (the domain, the flows, the shared
// helpers) sees the adapters only through the interfaces it declares.
func mayUseAdapters(pkg string) bool {
	rel := strings.TrimPrefix(pkg, module)
	for _, root := range []string{"/adapters", "/cmd", "/internal/app"} {
		if rel == root || strings.HasPrefix(rel, root+"/") {
			return true
		}
	}
	return false
}

type listed struct {
	ImportPath string
	Imports    []string
	Deps       []string
}

// TestOnlyTheCompositionRootImportsAdapters fails for every package outside
// adapters/, cmd/ and internal/app whose code (tests aside: they may test
// against the real adapters) depends on a package under adapters/, directly
// or through another package.
func TestOnlyTheCompositionRootImportsAdapters(t *testing.T) {
	pkgs := list(t)
	if len(pkgs) < 10 {
		t.Fatalf("go list found %d packages: not the whole module", len(pkgs))
	}
	for _, p := range pkgs {
		if mayUseAdapters(p.ImportPath) {
			continue
		}
		var direct, via []string
		for _, d := range p.Deps {
			if !strings.HasPrefix(d, module+"/adapters/") && d != module+"/adapters" {
				continue
			}
			if slices.Contains(p.Imports, d) {
				direct = append(direct, d)
			} else {
				via = append(via, d)
			}
		}
		if len(direct) > 0 {
			t.Errorf("%s imports %s: only cmd/ and internal/app may import adapters/", p.ImportPath, strings.Join(direct, ", "))
		}
		if len(via) > 0 {
			t.Errorf("%s depends on %s through its imports: only cmd/ and internal/app may depend on adapters/", p.ImportPath, strings.Join(via, ", "))
		}
	}
}

func TestMayUseAdapters(t *testing.T) {
	for _, tc := range []struct {
		pkg  string
		want bool
	}{
		{module + "/adapters/amqp", true},
		{module + "/cmd/sluis", true},
		{module + "/cmd/sluis/cli", true},
		{module + "/internal/app", true},
		{module + "/internal/apply", false},
		{module + "/internal/pipeline", false},
		{module + "/messages", false},
		{module + "/adaptersx", false},
	} {
		t.Run(tc.pkg, func(t *testing.T) {
			if got := mayUseAdapters(tc.pkg); got != tc.want {
				t.Errorf("mayUseAdapters(%s) = %v, want %v", tc.pkg, got, tc.want)
			}
		})
	}
}

// list runs `go list -json` over the whole module.
func list(t *testing.T) []listed {
	t.Helper()
	cmd := exec.Command("go", "list", "-json=ImportPath,Imports,Deps", module+"/...")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	var pkgs []listed
	dec := json.NewDecoder(bytes.NewReader(out))
	for dec.More() {
		var p listed
		if err := dec.Decode(&p); err != nil {
			t.Fatalf("go list output: %v", err)
		}
		pkgs = append(pkgs, p)
	}
	return pkgs
}
