package storetest

import (
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sluis-gateway/sluis/internal/consent"
	"github.com/sluis-gateway/sluis/internal/receipts"
)

// Parallelism is the goroutines per GOMAXPROCS the benchmarks run with
// (b.SetParallelism): enough waiting callers for group commit to matter.
const Parallelism = 8

// BenchRegister measures Register of new ids from parallel goroutines, all
// for one municipality and message type (one Identificatie counter: the
// worst case), and reports commits per second ("tx/s").
func BenchRegister(b *testing.B, s Store) {
	ctx := Ctx(b)
	var next atomic.Int64
	b.SetParallelism(Parallelism)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			id := "b-" + strconv.FormatInt(next.Add(1), 10)
			if _, _, err := s.Register(ctx, NewRecord(id, "0363", "WMO301")); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "tx/s")
}

// BenchRegisterSpread is BenchRegister with each goroutine registering for
// its own municipality, so Identificatie counters do not contend.
func BenchRegisterSpread(b *testing.B, s Store) {
	ctx := Ctx(b)
	var next, goroutines atomic.Int64
	b.SetParallelism(Parallelism)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		municipality := strconv.FormatInt(1000+goroutines.Add(1), 10)
		for pb.Next() {
			id := "s-" + strconv.FormatInt(next.Add(1), 10)
			if _, _, err := s.Register(ctx, NewRecord(id, municipality, "WMO301")); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "tx/s")
}

// BenchMove measures one Move (received -> allowed) of distinct records from
// parallel goroutines; the records are registered before the timer starts.
func BenchMove(b *testing.B, s Store) {
	ctx := Ctx(b)
	prefix := "m" + strconv.Itoa(b.N) + "-"
	for i := range b.N {
		if _, _, err := s.Register(ctx, NewRecord(prefix+strconv.Itoa(i), "0363", "WMO301")); err != nil {
			b.Fatal(err)
		}
	}
	var next atomic.Int64
	b.SetParallelism(Parallelism)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			id := prefix + strconv.FormatInt(next.Add(1)-1, 10)
			if _, err := s.Move(ctx, id, receipts.Change{To: receipts.Allowed}); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "tx/s")
}

// BenchDisclosure measures one disclosure's store work as the pipeline does
// it: Register, then allowed, published, delivered (4 transactions), and
// reports disclosures per second.
func BenchDisclosure(b *testing.B, s Store) {
	ctx := Ctx(b)
	var next atomic.Int64
	steps := []receipts.State{receipts.Allowed, receipts.Published, receipts.Delivered}
	b.SetParallelism(Parallelism)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			id := "f-" + strconv.FormatInt(next.Add(1), 10)
			if _, _, err := s.Register(ctx, NewRecord(id, "0363", "WMO301")); err != nil {
				b.Error(err)
				return
			}
			for _, st := range steps {
				if _, err := s.Move(ctx, id, receipts.Change{To: st}); err != nil {
					b.Error(err)
					return
				}
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "disclosures/s")
	b.ReportMetric(4*float64(b.N)/b.Elapsed().Seconds(), "tx/s")
}

// BenchScreen measures the store work of screening one consent-based
// disclosure: ConsentRegister of a client with four consents and a
// restriction, then UseConsents of the client's single-share consent (one
// transaction). Each goroutine works on its own clients, prepared before
// the timer starts; reports disclosures per second.
func BenchScreen(b *testing.B, s ConsentStore) {
	ctx := Ctx(b)
	prefix := "bs" + strconv.Itoa(b.N) + "-"
	for i := range b.N {
		client := prefix + "client-" + strconv.Itoa(i)
		for j, c := range []consent.Consent{
			NewPeriodConsent(prefix+"p1-"+strconv.Itoa(i), client),
			NewPeriodConsent(prefix+"p2-"+strconv.Itoa(i), client),
			NewPeriodConsent(prefix+"p3-"+strconv.Itoa(i), client),
			NewSingleShareConsent(prefix+"s-"+strconv.Itoa(i), client),
		} {
			if err := s.RecordConsent(ctx, c); err != nil {
				b.Fatalf("RecordConsent %d/%d: %v", i, j, err)
			}
		}
		if err := s.RecordRestriction(ctx, client, time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)); err != nil {
			b.Fatal(err)
		}
	}
	var next atomic.Int64
	b.SetParallelism(Parallelism)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := strconv.FormatInt(next.Add(1)-1, 10)
			reg, err := s.ConsentRegister(ctx, prefix+"client-"+i)
			if err != nil || len(reg.Consents) != 4 {
				b.Errorf("ConsentRegister: %d consents, %v", len(reg.Consents), err)
				return
			}
			if err := s.UseConsents(ctx, prefix+"d-"+i, []string{prefix + "s-" + i}); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "disclosures/s")
}
