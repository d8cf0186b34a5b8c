# The two commands: `make run` and `make test`. Both start the project's own PostgreSQL from the
# system's binaries (scripts/localpg, port 54329) unless DATABASE_URL is set.
SHELL := /bin/bash
export PATH := $(PATH):/usr/local/go/bin
GO ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X main.version=$(VERSION)

.PHONY: run test build generate check-generated lint lint-contract bench db-start db-stop clean faults readme-check

## run: start PostgreSQL (unless DATABASE_URL is set), migrate, seed the demo district, serve on 127.0.0.1:8080
## (migrations as the owner of the tables, the server as rapport_app, which reads and writes rows only)
run: build
	@set -euo pipefail; \
	if [ -z "$${DATABASE_URL:-}" ]; then \
	  export RAPPORT_MIGRATE_DATABASE_URL="$$(scripts/localpg start)"; \
	  export DATABASE_URL="$$(scripts/localpg app-url)"; \
	fi; \
	./bin/rapport seed; \
	scripts/howto; \
	exec ./bin/rapport serve

## test: the whole suite against a real PostgreSQL started the same way (and PgBouncer)
test:
	@set -euo pipefail; \
	scripts/ensure-pgbouncer; \
	url="$${RAPPORT_TEST_DATABASE_URL:-$${DATABASE_URL:-}}"; \
	if [ -z "$$url" ]; then \
	  started=; scripts/localpg status 2>/dev/null || started=yes; \
	  url=$$(scripts/localpg start); \
	  if [ -n "$$started" ]; then trap 'scripts/localpg stop' EXIT; fi; \
	fi; \
	start=$$(date +%s); \
	RAPPORT_TEST_DATABASE_URL="$$url" $(GO) test -count=1 -race ./... ; \
	echo "make test: passed in $$(( $$(date +%s) - start )) s"

## readme-check: run the README's walk-through (its sh blocks between the readme-check markers) against a server and
## database of its own, on a fresh seed and again after a second seed, failing on any answer it does not expect
readme-check:
	@scripts/readme-check

## build: the rapport binary in bin/
build:
	$(GO) build -trimpath -ldflags "$(LDFLAGS)" -o bin/rapport ./cmd/rapport

## generate: regenerate api/api.gen.go from openapi.yaml
generate:
	$(GO) generate ./...

## check-generated: fail when openapi.yaml and the generated code disagree
check-generated: generate
	@git diff --exit-code --stat -- api/ internal/httpapi/docs/openapi.yaml || { echo "go generate changed tracked files: commit the regenerated code"; exit 1; }

## lint: formatting and vet
lint:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt would change: $$unformatted"; exit 1; fi
	$(GO) vet ./...

## lint-contract: lint openapi.yaml: Spectral's spectral:oas and Redocly's recommended rules fail on any error or warning,
## Spectral's OWASP API security ruleset on any error (needs Node.js 20.19+ and npm; rules and exceptions in tools/contract-lint)
lint-contract:
	@tools/contract-lint/run

## bench: the benchmark harness (see bench/README.md)
bench: build
	bench/run

db-start:
	@scripts/localpg start

db-stop:
	@scripts/localpg stop

clean:
	rm -rf bin

## faults: crash PostgreSQL, kill the server and freeze it while clients create with Idempotency-Keys, and
## check that every write happened exactly once (its own cluster and server; see cmd/rapport/faults_test.go)
faults:
	$(GO) test -tags faults -count=1 -run TestFaults -v ./cmd/rapport/
