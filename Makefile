# sluis: the two commands a newcomer needs are `make run` and `make test`.
GO        ?= go
BIN       := bin/sluis
PKGS      := ./...
FUZZTIME  ?= 20s

.PHONY: build run test soak rules lint bench fuzz clean generate

build:
	$(GO) build -o $(BIN) ./cmd/sluis

## run: a development gateway: SLUIS_DEV=true turns on every development
## convenience (generated signing key, certificate and client-key secret in
## var/dev/, the development CA and certificates in var/dev/identity/, the
## development registries of providers and systems, the development staff
## login, the local RabbitMQ over plaintext AMQP). `sluis serve` alone uses
## none of them (docs/security.md, "Fail closed").
run: export SLUIS_DEV ?= true
run: build
	./$(BIN) serve

## test: every test, race detector on, against the real RabbitMQ,
## PostgreSQL, SQLite, the official XSDs, xmlsec1 and Chromium (the
## console's browser tests keep their screenshots in var/test-artifacts/); then, alone and in
## order, the fault tests (build tag fault: gateway processes killed with
## SIGKILL, the broker restarted; see docs/fault-tests.md). They restart the
## local RabbitMQ, so they must never run next to other tests. Last, the
## short form of the soak test's cluster case (build tag soak: on RabbitMQ
## nodes of its own, never the local broker; the kills and broker restarts
## are the fault tests' here, and both soak cases run in `make soak`; see
## docs/fault-tests.md, "Soak test").
test: rules
	SLUIS_TEST_ARTIFACTS=$(CURDIR)/var/test-artifacts $(GO) test -race -shuffle=on -count=1 -timeout 15m $(PKGS)
	$(GO) test -race -count=1 -tags fault -run Fault -timeout 15m ./internal/app/
	$(GO) test -race -count=1 -tags soak -run TestSoakCluster -timeout 15m ./internal/app/

## soak: the long soak test (about 15 minutes): sustained load while the
## gateway is killed with SIGKILL and its RabbitMQ node restarted, in turn,
## then on a three-node RabbitMQ cluster with one node stopped mid-run; all
## on RabbitMQ nodes the test starts itself (docs/fault-tests.md, "Soak
## test"). -v prints the figures.
soak:
	$(GO) test -race -count=1 -tags soak -run Soak -timeout 60m -v ./internal/app/ -soak.long

## rules: the Prometheus alert rules (deploy/prometheus/), checked and
## unit-tested with promtool (Debian's prometheus package ships it; .ci/run
## installs it).
PROMTOOL ?= promtool
rules:
	@command -v $(PROMTOOL) >/dev/null 2>&1 || { echo "make rules: promtool not found; install it (Debian: the prometheus package, or bash .ci/run) or set PROMTOOL=/path/to/promtool" >&2; exit 1; }
	$(PROMTOOL) check rules deploy/prometheus/sluis.rules.yml
	$(PROMTOOL) test rules deploy/prometheus/sluis.rules.test.yml

## generate: the configuration reference (internal/config/reference_gen.go
## and docs/configuration.md) from internal/config's source; a test fails
## when the committed copy is stale.
generate:
	$(GO) generate ./internal/config

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)
	$(GO) test -count=1 ./internal/archtest/

## bench: Go benchmarks of each stage (decode, decide, minimise, compose,
## validate, sign, publish, the pipeline), with allocations; then the
## end-to-end load test of bin/sluis as its own process, which prints in one
## report: throughput, p99 at BENCH_RATE offered, CPU per disclosure of the
## gateway, RabbitMQ (in ceiling publishes) and the load, the broker
## operations per disclosure by kind (BENCH_OPS_N disclosures through
## counting proxies), each signer's cost (PEM, and PKCS#11 on a SoftHSM2
## token), peak RSS, and the issue-18 targets met or not (docs/performance.md).
## Shorter: make bench BENCH_N=5000 BENCH_LATENCY=10s. Keep the report:
## BENCH_OUT=report.txt. A CPU profile of the gateway during the throughput
## run, and its top: BENCH_PROFILE=var/bench/gateway.prof. More flags:
## BENCH_FLAGS='-workers 64 -keep -signer pkcs11 -env SLUIS_STATUS_UNROUTABLE_SKIP=0'.
## Not part of make test: it takes 5 to 10 minutes.
BENCH_N       ?= 20000
BENCH_RATE    ?= 500
BENCH_LATENCY ?= 20s
BENCH_OPS_N   ?= 2000
BENCH_OUT     ?=
BENCH_PROFILE ?=
BENCH_FLAGS   ?=
BENCH_PKGS    := ./internal/disclosure ./internal/consent ./internal/minimise ./internal/loadtest ./internal/compose ./xsd ./internal/signing ./adapters/amqp ./internal/pipeline
bench: build
	$(GO) test -run '^$$' -bench . -benchmem -timeout 30m $(BENCH_PKGS)
	$(GO) build -o bin/sluis-bench ./cmd/sluis-bench
	$(if $(BENCH_PROFILE),mkdir -p $(dir $(BENCH_PROFILE)))
	./bin/sluis-bench -gateway $(BIN) -n $(BENCH_N) -rate $(BENCH_RATE) -latency-for $(BENCH_LATENCY) -ops-n $(BENCH_OPS_N) \
	  $(if $(BENCH_OUT),-out $(BENCH_OUT)) $(if $(BENCH_PROFILE),-cpuprofile $(BENCH_PROFILE)) $(BENCH_FLAGS)
	$(if $(BENCH_PROFILE),$(GO) tool pprof -top -nodecount 40 $(BIN) $(BENCH_PROFILE))

## fuzz: each parser's fuzz target for a bounded time.
fuzz:
	@$(GO) list -f '{{.ImportPath}} {{.Dir}}' $(PKGS) | while read pkg dir; do \
	  for f in $$(grep -ho '^func Fuzz[A-Za-z0-9_]*' $$dir/*_test.go 2>/dev/null | sed 's/func //'); do \
	    echo "fuzz $$pkg $$f ($(FUZZTIME))"; \
	    $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
	  done; \
	done

clean:
	rm -rf bin
