package messages_test

import (
	"path/filepath"
	"testing"

	"github.com/sluis-gateway/sluis/internal/testenv"
	"github.com/sluis-gateway/sluis/messages"
)

func BenchmarkParseWMO301(b *testing.B) {
	doc := testenv.ReadFile(b, filepath.Join(examplesDir, "iwmo/WMO301.xml"))
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := messages.Parse(doc); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkBuildWMO301(b *testing.B) {
	m, err := messages.Parse(testenv.ReadFile(b, filepath.Join(examplesDir, "iwmo/WMO301.xml")))
	if err != nil {
		b.Fatal(err)
	}
	opts := messages.BuildOptions{Today: goldenToday}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := messages.Build(m, opts); err != nil {
			b.Fatal(err)
		}
	}
}
