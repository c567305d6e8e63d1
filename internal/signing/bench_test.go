package signing

import (
	"crypto"
	"crypto/rand"
	"crypto/sha256"
	"io"
	"syscall"
	"testing"
	"time"
)

// Benchmarks run on the official WMO305 (2.2 KB) and WMO301 (7 KB) examples
// with an RSA-2048 key. The gateway's target is about 1,000 sealed messages
// per second on 2 cores; compare BenchmarkSeal with BenchmarkRSASign to see
// what the XML work costs on top of the RSA operation.

// processCPU is the CPU time (user and system) this process has used.
func processCPU(b *testing.B) time.Duration {
	b.Helper()
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPU adds the process CPU time per operation (cpu-ms/op) to a
// benchmark's result: unlike ns/op it does not grow when other processes
// share the cores, and it counts the work of an in-process PKCS#11 module.
// Call it first; it measures until the benchmark function returns.
func reportCPU(b *testing.B) {
	b.Helper()
	start := processCPU(b)
	b.Cleanup(func() {
		if b.N > 0 {
			b.ReportMetric(float64(processCPU(b)-start)/float64(time.Millisecond)/float64(b.N), "cpu-ms/op")
		}
	})
}

var benchBerichten = []struct{ name, file string }{
	{"WMO305_2KB", "WMO305.xml"},
	{"WMO301_7KB", "WMO301.xml"},
}

func BenchmarkSeal(b *testing.B) { benchSeal(b, mustSigner(b, trustedPair(b))) }

// benchSeal runs s.Seal on each benchBerichten as a sub-benchmark.
func benchSeal(b *testing.B, s *Signer) {
	for _, bb := range benchBerichten {
		bericht := example(b, bb.file)
		b.Run(bb.name, func(b *testing.B) {
			b.SetBytes(int64(len(bericht)))
			b.ReportAllocs()
			reportCPU(b)
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := s.Seal(testMeta(), bericht); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}

func BenchmarkOpen(b *testing.B) {
	p := trustedPair(b)
	s, v := mustSigner(b, p), mustVerifier(b, p.cert)
	for _, bb := range benchBerichten {
		signed := mustSeal(b, s, testMeta(), example(b, bb.file))
		b.Run(bb.name, func(b *testing.B) {
			b.SetBytes(int64(len(signed)))
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := v.Open(signed); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}

// BenchmarkRSASign is the floor for Seal: one PKCS#1 v1.5 SHA-256 signature
// with the same key (Go's crypto/rsa).
func BenchmarkRSASign(b *testing.B) { benchSign(b, trustedPair(b).key) }

// benchSign measures one PKCS#1 v1.5 SHA-256 signature by key.
func benchSign(b *testing.B, key crypto.Signer) {
	digest := sha256.Sum256([]byte("sluis"))
	b.ReportAllocs()
	reportCPU(b)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := key.Sign(rand.Reader, digest[:], crypto.SHA256); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// nullSigner returns a fixed signature: BenchmarkSealXML uses it to measure
// the XML work Seal does around the RSA operation.
type nullSigner struct{ pub crypto.PublicKey }

func (n nullSigner) Public() crypto.PublicKey { return n.pub }
func (n nullSigner) Sign(io.Reader, []byte, crypto.SignerOpts) ([]byte, error) {
	return make([]byte, 256), nil
}

// BenchmarkSealXML is Seal without the RSA signature: parse, checks,
// envelope, two exclusive C14N passes, serialization.
func BenchmarkSealXML(b *testing.B) {
	p := trustedPair(b)
	s, err := newSigner(nullSigner{&p.key.PublicKey}, p.cert)
	if err != nil {
		b.Fatal(err)
	}
	for _, bb := range benchBerichten {
		bericht := example(b, bb.file)
		b.Run(bb.name, func(b *testing.B) {
			b.SetBytes(int64(len(bericht)))
			b.ReportAllocs()
			reportCPU(b)
			for b.Loop() {
				if _, err := s.Seal(testMeta(), bericht); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
