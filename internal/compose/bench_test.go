package compose_test

import (
	"testing"
	"time"

	"github.com/sluis-gateway/sluis/internal/compose"
	"github.com/sluis-gateway/sluis/internal/disclosure"
	"github.com/sluis-gateway/sluis/internal/loadtest"
	"github.com/sluis-gateway/sluis/internal/receipts"
)

// BenchmarkCompose builds the 301 Bericht (iWmo and iJw, 1-3 products) from
// the load test's generated requests: mapping, the standard's rules and XML
// serialisation. Validation against the XSD and signing are separate stages
// (xsd.BenchmarkValidateWMO301, signing.BenchmarkSeal).
func BenchmarkCompose(b *testing.B) {
	g, err := loadtest.NewGenerator(loadtest.ProviderAGBs(5), disclosure.BasisLegalObligation, 1)
	if err != nil {
		b.Fatal(err)
	}
	reqs := make([]disclosure.Request, 256)
	for i := range reqs {
		reqs[i] = g.Next()
	}
	rec := receipts.Record{Identificatie: "1234", CreatedAt: time.Now()}
	c := compose.New()
	b.ReportAllocs()
	i, size := 0, 0
	for b.Loop() {
		doc, err := c.Compose(reqs[i%len(reqs)], rec)
		if err != nil {
			b.Fatal(err)
		}
		size += len(doc)
		i++
	}
	b.ReportMetric(float64(size)/float64(i), "bytes/doc")
}
