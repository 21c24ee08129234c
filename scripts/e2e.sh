#!/usr/bin/env bash
# Runs the end-to-end tests: the emulator as Plaid, plaid-sync under a real
# Telegraf, a real InfluxDB, the Grafana dashboard's queries (e2e/README.md).
# Extra arguments go to `go test`, e.g.:
#   scripts/e2e.sh -run TestOutage
#   scripts/e2e.sh -run TestDashboard -args -render-dashboard
set -euo pipefail
cd "$(dirname "$0")/.."

# setup.sh installs what is missing (once) and prints where everything is.
eval "$(./scripts/setup.sh | grep -E '^(TELEGRAF_BIN|INFLUXD_BIN|CHROMIUM_BIN)=')"
export TELEGRAF_BIN INFLUXD_BIN CHROMIUM_BIN

# Every temporary file and directory of the run lives here, and goes when
# the run ends, whatever happened.
run_dir=$(mktemp -d "${TMPDIR:-/tmp}/telegraf-plaid-e2e.XXXXXX")

# leftovers lists processes whose command line mentions the run's directory:
# nothing the tests started may outlive them.
leftovers() {
	local dir pid cmd
	for dir in /proc/[0-9]*; do
		pid=${dir#/proc/}
		cmd=$(tr '\0' ' ' <"$dir/cmdline" 2>/dev/null) || continue
		if [[ $cmd == *"$run_dir"* ]]; then
			echo "$pid"
		fi
	done
}

cleanup() {
	local status=$? pids
	pids=$(leftovers)
	if [ -n "$pids" ]; then
		echo "e2e: processes left behind by the tests (a harness bug):" >&2
		for pid in $pids; do
			echo "  $pid $(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)" >&2
		done
		kill -9 $pids 2>/dev/null || true
		status=1
	fi
	rm -rf "$run_dir"
	exit "$status"
}
trap cleanup EXIT

TMPDIR="$run_dir" go test -count=1 -tags e2e -timeout 20m -v ./e2e/... "$@"
