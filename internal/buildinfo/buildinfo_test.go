package buildinfo_test

import (
	"runtime"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/sluis-gateway/sluis/internal/buildinfo"
)

// The metric carries what Read returns (one source for both).
func TestCollectorCarriesRead(t *testing.T) {
	i := buildinfo.Read()
	if i.GoVersion != runtime.Version() || i.Version == "" || i.Revision == "" {
		t.Fatalf("Read = %+v", i)
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(buildinfo.NewCollector())
	want := `# HELP sluis_build_info The running build of sluis (value 1): module version, VCS revision, Go version and platform.
# TYPE sluis_build_info gauge
sluis_build_info{branch="",goarch="` + i.GOARCH + `",goos="` + i.GOOS + `",goversion="` + i.GoVersion +
		`",revision="` + i.Revision + `",tags="` + i.Tags + `",version="` + i.Version + `"} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "sluis_build_info"); err != nil {
		t.Fatal(err)
	}
}
