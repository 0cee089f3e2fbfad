# readyctl: build, test, benchmark, lint. `make test` is what CI runs.
GO      ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X github.com/readyctl/readyctl/internal/cli.Version=$(VERSION)

.PHONY: build test bench bench-load lint demo clean

build:
	$(GO) build -ldflags "$(LDFLAGS)" -o bin/readyctl ./cmd/readyctl

# Every test, with the race detector. Tests that need PostgreSQL, Redis,
# Prometheus or the Pushgateway start their own servers from the binaries
# and skip when a binary is missing (fail instead with
# READYCTL_REQUIRE_SERVICES=1, as CI sets).
test:
	$(GO) vet ./...
	$(GO) test -race -count=1 -timeout 9m ./...

# Go benchmarks: runner overhead, checklist loading, validate's wall time
# and peak memory.
bench:
	$(GO) test -run '^$$' -bench . -benchtime 3x ./internal/... ./cmd/...

# The load probe against wrk on the same loopback server (needs wrk).
bench-load:
	bash scripts/bench-load.sh

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

demo:
	$(GO) run ./cmd/readyctl demo

clean:
	rm -rf bin
