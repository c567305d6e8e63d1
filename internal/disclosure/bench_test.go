package disclosure_test

import (
	"testing"

	"github.com/sluis-gateway/sluis/internal/disclosure"
	"github.com/sluis-gateway/sluis/internal/loadtest"
	"github.com/sluis-gateway/sluis/internal/testenv"
)

// BenchmarkDecode is the intake's first stage: JSON Schema validation of the
// contract, decoding and the rule checks (11-proef, dates), on the official
// example and on the load test's generated requests (1-3 products, address
// and phone numbers).
func BenchmarkDecode(b *testing.B) {
	dec, err := disclosure.NewDecoder()
	if err != nil {
		b.Fatal(err)
	}
	example := testenv.ContractExample(b, "iwmo-301.json")
	g, err := loadtest.NewGenerator(loadtest.ProviderAGBs(5), disclosure.BasisLegalObligation, 1)
	if err != nil {
		b.Fatal(err)
	}
	generated, err := loadtest.Prepare(g, 256)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("example", func(b *testing.B) {
		b.SetBytes(int64(len(example)))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := dec.Decode(example); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("generated", func(b *testing.B) {
		b.SetBytes(int64(loadtest.MeanSize(generated)))
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			if _, err := dec.Decode(generated[i%len(generated)].Body); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
}
