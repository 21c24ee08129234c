#!/usr/bin/env bash
# make bench: builds the binaries, runs the Go benchmarks (reference floors
# and the plugin's stages) and the scenario harness (cmd/plaid-bench), and
# prints one results table. docs/benchmarks.md explains every number.
#
#   BENCH_RUNS=5   repetitions of each measurement (medians are reported)
#   BENCH_SCALE_ITEMS=10,100,1000,5000,10000   sizes of the scale table
#                  (10,000 items take about 20 minutes, 5,000 about 10)
#   BENCH_OUT=bin/bench   where the binaries, the Markdown table, the raw Go
#                  benchmark output and the CPU and heap profiles are kept
set -euo pipefail
cd "$(dirname "$0")/.."

GO=${GO:-go}
RUNS=${BENCH_RUNS:-5}
OUT=${BENCH_OUT:-bin/bench}
mkdir -p "$OUT"
BIN=$OUT/bin
mkdir -p "$BIN"

echo "== machine"
echo "date:   $(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "cpu:    $(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo 2>/dev/null || uname -p), $(nproc) cores"
echo "memory: $(awk '/^MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo 2>/dev/null)"
echo "kernel: $(uname -sr)"
echo "go:     $($GO version)"
echo "load:   $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null)"

echo "== building"
$GO build -o "$BIN/" ./cmd/plaid-sync ./cmd/plaid-emulator ./linktool ./cmd/plaid-bench
# The peers' Telegraf (section 9 of docs/benchmarks.md): inputs.http and the
# json_v2 parser for the do-it-yourself configuration, at the version
# scripts/setup.sh builds; Go's build cache makes a second build quick.
GOBIN="$(cd "$BIN" && pwd)" $GO install \
	-tags custom,inputs.http,inputs.execd,parsers.json_v2,outputs.file,outputs.influxdb \
	github.com/influxdata/telegraf/cmd/telegraf@v1.37.2

echo "== Go benchmarks (count $RUNS)"
{
	$GO test -run '^$' -bench 'BenchmarkPlaidGoSyncPageDecode|BenchmarkNeededFields|BenchmarkLineEncode' \
		-benchmem -count "$RUNS" ./bench/
	$GO test -run '^$' -bench 'BenchmarkPlugin' -benchmem -count "$RUNS" ./plugins/inputs/plaid/
} | tee "$OUT/gobench.txt" | grep -E '^(Benchmark|ok|FAIL|---)'

echo "== scenarios ($RUNS runs each)"
"$BIN/plaid-bench" -bin "$BIN" -runs "$RUNS" -gobench "$OUT/gobench.txt" \
	-scale-items "${BENCH_SCALE_ITEMS:-10,100,1000,5000,10000}" \
	-markdown "$OUT/table.md" -profiles "$OUT"
echo
echo "Markdown table: $OUT/table.md"
echo "Profiles of a 50,000-transaction backfill: go tool pprof -top $BIN/plaid-sync $OUT/backfill-cpu.prof"
echo "                                       and go tool pprof -sample_index=alloc_space -top $BIN/plaid-sync $OUT/backfill-heap.prof"
