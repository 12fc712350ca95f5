# syncore — build and test on amd64 (native), ppc64le and arm64 (emulated with qemu-user).
#
#   make test            vet + native tests (-race where cgo is available) + ppc64le and arm64 tests under qemu
#   make test-native     native tests only (and, on linux/amd64, the pure packages' tests for 386)
#   make test-ppc64le    ppc64le tests only, under qemu-ppc64le-static (installed when missing and root)
#   make test-arm64      arm64 tests only, under qemu-aarch64-static (the same package)
#   make fuzz            long fuzzing runs (FUZZTIME=2m per target); make test runs each for FUZZTIME_SHORT
#   make vet             go vet for both ISAs, cross-builds for other platforms, and gofmt
#   make stress          jitdemo stress natively (STRESS_FLAGS="--duration 10s --threads 8")
#   make stress-ppc64le  the same cross-built for ppc64le and run under qemu (emulated)
#   make bench           the benchmark module (bench/) against wazero, cgo and Go: -count 6, benchstat
#   make bench-quick     the same comparisons in one short pass (under 2 minutes)

GO          ?= go
QEMU_PPC64LE ?= qemu-ppc64le-static
QEMU_ARM64  ?= qemu-aarch64-static
FUZZTIME    ?= 2m
FUZZTIME_SHORT ?= 5s
LOGDIR      ?= .test-logs

# -race needs cgo and a C compiler; without them the native run goes on without it and says so.
RACE := $(shell [ "$$($(GO) env CGO_ENABLED)" = 1 ] && command -v gcc >/dev/null 2>&1 && echo -race)

.PHONY: all test vet test-native test-ppc64le test-arm64 fuzz-short qemu perf fuzz stress stress-ppc64le clean bench bench-quick
all: test

test: vet test-native fuzz-short test-ppc64le test-arm64

# Every platform builds: codegen, jit/jasm and compiling/listing code (jitdemo disasm) are pure Go;
# running machine code needs linux/amd64, linux/ppc64le or linux/arm64, and elsewhere jit.New returns an error
# matching jit.ErrUnsupported. CROSS_VET also type-checks the tests there.
CROSS_BUILD ?= darwin/arm64 windows/amd64 freebsd/amd64 linux/arm64 linux/386
CROSS_VET   ?= darwin/arm64 windows/amd64

vet:
	@echo "== vet (amd64, ppc64le, arm64, $(CROSS_VET)), build ($(CROSS_BUILD)) and gofmt"
	$(GO) vet ./...
	GOARCH=ppc64le $(GO) vet ./...
	GOARCH=arm64 $(GO) vet ./...
	@set -e; for t in $(CROSS_VET); do \
		echo "GOOS=$${t%/*} GOARCH=$${t#*/} $(GO) vet ./..."; GOOS=$${t%/*} GOARCH=$${t#*/} $(GO) vet ./...; done
	@set -e; for t in $(CROSS_BUILD); do \
		echo "GOOS=$${t%/*} GOARCH=$${t#*/} $(GO) build ./..."; GOOS=$${t%/*} GOARCH=$${t#*/} $(GO) build ./...; done
	@out=$$(gofmt -l .); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

test-native: perf
	@echo "== native tests ($$($(GO) env GOARCH)) $(if $(RACE),with -race,WITHOUT -race: cgo or gcc unavailable)"
	@.ci/gotest "$$($(GO) env GOARCH) (native)" $(LOGDIR)/native.log $(RACE) -count=1 -timeout 10m ./...
	@# The pure packages' tests where int is 32 bits and no JIT runs (386 binaries run on an amd64
	@# kernel), and the runtime's refusal there (jit.ErrUnsupported).
	@if [ "$$($(GO) env GOHOSTOS)/$$($(GO) env GOHOSTARCH)" = linux/amd64 ]; then \
		echo "== linux/386 tests: codegen, jit/jasm, and jit's unsupported-platform contract"; \
		CGO_ENABLED=0 GOARCH=386 $(GO) test -count=1 ./codegen/... ./jit/jasm/... && \
		CGO_ENABLED=0 GOARCH=386 $(GO) test -count=1 -run Unsupported ./jit/; \
	fi

test-ppc64le: qemu
	@echo "== ppc64le tests (emulated with $(QEMU_PPC64LE))"
	@GOARCH=ppc64le SYNCORE_EXEC_WRAPPER=$(QEMU_PPC64LE) \
		.ci/gotest "ppc64le (emulated)" $(LOGDIR)/ppc64le.log -exec $(QEMU_PPC64LE) -count=1 -timeout 15m ./...

test-arm64: qemu
	@echo "== arm64 tests (emulated with $(QEMU_ARM64))"
	@GOARCH=arm64 SYNCORE_EXEC_WRAPPER=$(QEMU_ARM64) \
		.ci/gotest "arm64 (emulated)" $(LOGDIR)/arm64.log -exec $(QEMU_ARM64) -count=1 -timeout 15m ./...

# qemu-user-static runs the ppc64le and arm64 test binaries. Installed when missing and root; otherwise the exact
# command is printed and the run fails: a missing emulator never turns into skipped tests.
qemu:
	@command -v $(QEMU_PPC64LE) >/dev/null 2>&1 && command -v $(QEMU_ARM64) >/dev/null 2>&1 && exit 0; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "== installing qemu-user-static (needed for the ppc64le and arm64 tests)"; \
		DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq qemu-user-static >/dev/null || exit 1; \
		command -v $(QEMU_PPC64LE) >/dev/null 2>&1 || { echo "qemu-user-static installed but $(QEMU_PPC64LE) not found"; exit 1; }; \
		command -v $(QEMU_ARM64) >/dev/null 2>&1 || { echo "qemu-user-static installed but $(QEMU_ARM64) not found"; exit 1; }; \
	else \
		echo "$(QEMU_PPC64LE) or $(QEMU_ARM64) is missing; install them with:  sudo apt-get install -y qemu-user-static"; exit 1; \
	fi

# perf (Debian linux-perf) runs in the profiling test (perf record, perf inject --jit, perf report).
# Installed when missing and root, like qemu; a machine that refuses perf_event_open is reported by the test.
perf:
	@command -v perf >/dev/null 2>&1 && perf --version >/dev/null 2>&1 && exit 0; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "== installing linux-perf (needed for the profiling test)"; \
		DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq linux-perf >/dev/null || exit 1; \
	else \
		echo "perf is missing; install it with:  sudo apt-get install -y linux-perf"; exit 1; \
	fi

fuzz-short:
	@.ci/fuzz $(FUZZTIME_SHORT)

fuzz:
	@.ci/fuzz $(FUZZTIME)

# The stress tool: workers run JIT code while patchers change it (STRESS_FLAGS are jitdemo stress flags).
STRESS_FLAGS ?= --duration 10s
stress:
	$(GO) run ./cmd/jitdemo stress $(STRESS_FLAGS)

# The same under qemu-user: cross-built for ppc64le, the report says "emulated".
stress-ppc64le: qemu
	@mkdir -p $(LOGDIR)
	GOARCH=ppc64le $(GO) build -o $(LOGDIR)/jitdemo-ppc64le ./cmd/jitdemo
	SYNCORE_EXEC_WRAPPER=$(QEMU_PPC64LE) $(QEMU_PPC64LE) $(LOGDIR)/jitdemo-ppc64le stress $(STRESS_FLAGS)

clean:
	rm -rf $(LOGDIR)

# Benchmarks: bench/ is a module of its own (it requires wazero; the main module does not), so
# ./... never includes it. make bench writes bench/results/{raw,benchstat,ratios}.txt (ignored by git);
# docs/PERFORMANCE.md records one run. benchratio prints each case's medians and their ratios.
BENCH_COUNT ?= 6
BENCH_FLAGS ?=
BENCHSTAT   ?= $(GO) run golang.org/x/perf/cmd/benchstat@v0.0.0-20260908200009-22c9c6c9d4da
bench bench-quick: SHELL := /bin/bash
bench bench-quick: .SHELLFLAGS := -o pipefail -c

bench:
	@mkdir -p bench/results
	cd bench && $(GO) test ./...   # the benchmarks' own checks (programs match examples/)
	cd bench && $(GO) test -run '^$$' -bench . -count $(BENCH_COUNT) -timeout 60m $(BENCH_FLAGS) | tee results/raw.txt
	cd bench && $(BENCHSTAT) results/raw.txt | tee results/benchstat.txt
	cd bench && $(GO) run ./cmd/benchratio results/raw.txt | tee results/ratios.txt

bench-quick:
	@mkdir -p bench/results
	cd bench && $(GO) test ./...
	cd bench && $(GO) test -run '^$$' -bench . -benchtime 200ms -count 2 -timeout 10m $(BENCH_FLAGS) | tee results/quick.txt
	cd bench && $(GO) run ./cmd/benchratio results/quick.txt
