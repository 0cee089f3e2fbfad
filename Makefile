# readyctl: build, test, benchmark, lint. `make test` is what CI runs.
GO      ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X github.com/readyctl/readyctl/internal/cli.Version=$(VERSION)

.PHONY: build test bench bench-load lint demo clean fuzz fuzz-short image soak schema

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

# The container image (FROM scratch, static binary), with buildah or podman.
image:
	bash scripts/build-image.sh

# readyctl serve over many rounds: RSS and goroutines must stay flat.
soak:
	bash scripts/serve-soak.sh 1000

# Regenerate the committed JSON Schema and reference page after changing a
# kind or a checklist field (tests keep them identical to the code).
schema:
	$(GO) run ./cmd/readyctl schema > schema/checklist.schema.json
	$(GO) run ./cmd/readyctl docs

# The load probe against wrk on the same loopback server (needs wrk).
bench-load:
	bash scripts/bench-load.sh

# Every native Go fuzz target in the repository (func FuzzXxx in a
# _test.go file), one after the other, each for FUZZTIME. New targets are
# picked up without editing this file. CI runs fuzz-short.
FUZZTIME ?= 20s
fuzz:
	@set -e; for f in $$(grep -rl --include='*_test.go' '^func Fuzz' . | sort); do \
		d=./$$(dirname $${f#./}); \
		for t in $$(sed -n 's/^func \(Fuzz[A-Za-z0-9_]*\)(.*/\1/p' $$f); do \
			echo "fuzz $$d $$t ($(FUZZTIME))"; \
			$(GO) test -run '^$$' -fuzz "^$$t\$$" -fuzztime $(FUZZTIME) $$d; \
		done; \
	done

# CI's short run counts executions instead of seconds: Go 1.26's fuzz
# coordinator can report a spurious "context deadline exceeded" when a
# time budget ends under load (golang/go#75804, fixed in Go 1.27); a count
# has no deadline to race.
fuzz-short:
	$(MAKE) fuzz FUZZTIME=3000x

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

demo:
	$(GO) run ./cmd/readyctl demo

clean:
	rm -rf bin
