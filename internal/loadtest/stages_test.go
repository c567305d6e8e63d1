package loadtest

import (
	"testing"
	"time"

	"github.com/sluis-gateway/sluis/internal/consent"
	"github.com/sluis-gateway/sluis/internal/disclosure"
	"github.com/sluis-gateway/sluis/internal/minimise"
)

// Stage benchmarks of the screening stage on the load test's requests
// (legal_obligation basis, as the end-to-end run sends them). The consent
// path has its own benchmark, consent.BenchmarkDecideConsent.

func generatedRequests(b *testing.B, n int) []disclosure.Request {
	b.Helper()
	g, err := NewGenerator(ProviderAGBs(5), disclosure.BasisLegalObligation, 1)
	if err != nil {
		b.Fatal(err)
	}
	out := make([]disclosure.Request, n)
	for i := range out {
		out[i] = g.Next()
	}
	return out
}

// BenchmarkDecide is consent.Decide, the legal-basis decision.
func BenchmarkDecide(b *testing.B) {
	reqs := generatedRequests(b, 256)
	on := time.Now()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		d := consent.Decide(reqs[i%len(reqs)], consent.Register{}, "client-key", on)
		if !d.Allowed {
			b.Fatalf("refused: %+v", d.Reasons)
		}
		i++
	}
}

// BenchmarkMinimise is the purpose-profile check of minimise.Check.
func BenchmarkMinimise(b *testing.B) {
	reqs := generatedRequests(b, 256)
	profiles, err := minimise.Embedded()
	if err != nil {
		b.Fatal(err)
	}
	on := time.Now()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		req := reqs[i%len(reqs)]
		p, err := profiles.For(req.Standard, req.MessageType, req.Purpose)
		if err != nil {
			b.Fatal(err)
		}
		res := minimise.Check(req, p, minimise.BasisOf(req, consent.Register{}, "client-key", on))
		if !res.Allowed {
			b.Fatalf("refused: %s", res.Sentence())
		}
		i++
	}
}
