# telegraf-plaid. `make test` is the one command that checks everything; on a
# fresh Debian machine (as root) it first installs what the tests need.

GO ?= go
BIN := bin
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.7.0
# VERSION is what -version prints first: the nearest tag, commits since, the
# commit, and "-dirty" for uncommitted changes. (The Go toolchain also records
# the commit itself, but not in a git worktree, nor with -buildvcs=false.)
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo unknown)
LDFLAGS := -X main.version=$(VERSION)

.PHONY: all build test unit e2e bench demo emulator lint setup clean

all: build

build:
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN)/ ./cmd/plaid-sync ./cmd/plaid-emulator ./linktool

## setup installs influxdb and chromium (Debian packages) and builds Telegraf.
setup:
	./scripts/setup.sh

## test runs every test: unit and integration tests (emulator over HTTP,
## headless Chromium), then the end-to-end pipeline with Telegraf and InfluxDB.
test: setup
	$(GO) test -count=1 ./...
	./scripts/e2e.sh

## unit runs the Go tests only.
unit:
	$(GO) test -count=1 ./...

## e2e runs the end-to-end pipeline alone.
e2e: setup
	./scripts/e2e.sh

## bench prints the benchmark table (docs/benchmarks.md explains it).
bench:
	./scripts/bench.sh

## demo runs the plugin against the built-in emulator: no Plaid keys needed.
demo:
	$(GO) run ./cmd/plaid-sync -demo

emulator:
	$(GO) run ./cmd/plaid-emulator -listen 127.0.0.1:4580

lint:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt would change:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...

clean:
	rm -rf $(BIN)
