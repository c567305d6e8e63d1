// Package buildinfo says which build of sluis is running: the module version
// and VCS revision the Go toolchain recorded (runtime/debug.ReadBuildInfo).
// `sluis version` prints it and the sluis_build_info metric carries it, from
// the one function Read.
package buildinfo

import (
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/prometheus/client_golang/prometheus"
)

// Unknown stands for what the build did not record (e.g. a build with
// -buildvcs=false has no revision).
const Unknown = "unknown"

// Info is the running build.
type Info struct {
	// Version is the main module's version ("(devel)" for a build from a
	// working tree, vX.Y.Z when installed with go install mod@vX.Y.Z).
	Version string
	// Revision is the VCS commit the build was made from.
	Revision string
	// Modified: the working tree had uncommitted changes.
	Modified bool
	// Time is the commit time (RFC 3339) or Unknown.
	Time string
	// Tags are the build tags (-tags), empty when none.
	Tags string
	// GoVersion, GOOS and GOARCH are the toolchain and the platform.
	GoVersion, GOOS, GOARCH string
}

// Read returns the running build's information.
func Read() Info {
	i := Info{Version: Unknown, Revision: Unknown, Time: Unknown,
		GoVersion: runtime.Version(), GOOS: runtime.GOOS, GOARCH: runtime.GOARCH}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return i
	}
	if bi.Main.Version != "" {
		i.Version = bi.Main.Version
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			i.Revision = s.Value
		case "vcs.time":
			i.Time = s.Value
		case "vcs.modified":
			i.Modified = s.Value == "true"
		case "-tags":
			i.Tags = s.Value
		}
	}
	return i
}

// String is the line `sluis version` prints.
func (i Info) String() string {
	rev := i.Revision
	if i.Modified {
		rev += " (modified)"
	}
	return fmt.Sprintf("sluis %s revision %s committed %s %s %s/%s", i.Version, rev, i.Time, i.GoVersion, i.GOOS, i.GOARCH)
}

// NewCollector is the sluis_build_info gauge: always 1, the build in its
// labels version, revision, goversion, goos, goarch, branch and tags (the
// label set of Prometheus's own build_info; branch is not recorded by Go
// builds and stays empty).
func NewCollector() prometheus.Collector {
	i := Read()
	g := prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "sluis_build_info",
		Help: "The running build of sluis (value 1): module version, VCS revision, Go version and platform.",
		ConstLabels: prometheus.Labels{
			"version": i.Version, "revision": i.Revision, "goversion": i.GoVersion,
			"goos": i.GOOS, "goarch": i.GOARCH, "branch": "", "tags": i.Tags,
		},
	})
	g.Set(1)
	return g
}
