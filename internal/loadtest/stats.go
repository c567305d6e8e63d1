package loadtest

import (
	"slices"
	"time"
)

// Percentiles summarises a set of latencies.
type Percentiles struct {
	Count              int
	P50, P95, P99, Max time.Duration
	Mean               time.Duration
}

// Summarise computes nearest-rank percentiles of ds (which it sorts).
func Summarise(ds []time.Duration) Percentiles {
	if len(ds) == 0 {
		return Percentiles{}
	}
	slices.Sort(ds)
	var sum time.Duration
	for _, d := range ds {
		sum += d
	}
	return Percentiles{
		Count: len(ds),
		P50:   rank(ds, 50),
		P95:   rank(ds, 95),
		P99:   rank(ds, 99),
		Max:   ds[len(ds)-1],
		Mean:  sum / time.Duration(len(ds)),
	}
}

// rank is the nearest-rank percentile p of sorted ds: the smallest value
// with at least p% of the values at or below it.
func rank(sorted []time.Duration, p int) time.Duration {
	n := len(sorted)
	i := (p*n + 99) / 100 // ceil(p*n/100)
	if i < 1 {
		i = 1
	}
	return sorted[i-1]
}
