package testenv

import (
	"os"
	"strconv"
)

// The tests of the intake run with batched passes (SLUIS_INTAKE_BATCH_SIZE,
// docs/broker.md) when SLUIS_TEST_INTAKE_BATCH_SIZE is set to a size
// above 0, e.g.
//
//	SLUIS_TEST_INTAKE_BATCH_SIZE=32 go test -race -count=1 ./internal/app/
//
// and with SLUIS_TEST_INTAKE_BATCH_WAIT as SLUIS_INTAKE_BATCH_WAIT when that
// is set too: DevSettings passes both on to every gateway a test starts (in
// process or as `sluis serve`, the fault and soak tests included), and
// the pipeline's tests hand their messages to HandleBatch.
const (
	EnvTestBatchSize = "SLUIS_TEST_INTAKE_BATCH_SIZE"
	EnvTestBatchWait = "SLUIS_TEST_INTAKE_BATCH_WAIT"
)

// BatchSize is the intake batch size the tests run with (0: batching off).
func BatchSize() int {
	n, err := strconv.Atoi(os.Getenv(EnvTestBatchSize))
	if err != nil || n < 0 {
		return 0
	}
	return n
}

// batchSettings are the batch settings DevSettings adds.
func batchSettings(m map[string]string) {
	if n := BatchSize(); n > 0 {
		m["SLUIS_INTAKE_BATCH_SIZE"] = strconv.Itoa(n)
		if w := os.Getenv(EnvTestBatchWait); w != "" {
			m["SLUIS_INTAKE_BATCH_WAIT"] = w
		}
	}
}
