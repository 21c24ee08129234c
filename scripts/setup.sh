#!/usr/bin/env bash
# Installs what the tests need on a fresh Debian machine and prints where it is:
# Debian's influxdb and chromium packages, and a minimal Telegraf built from the
# Go module proxy at the pinned version (cached between runs).
set -euo pipefail

TELEGRAF_VERSION=v1.37.2
TELEGRAF_TAGS=custom,inputs.execd,outputs.influxdb,outputs.file
CACHE_DIR=${TELEGRAF_PLAID_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/telegraf-plaid}
TELEGRAF_BIN="$CACHE_DIR/telegraf-$TELEGRAF_VERSION/telegraf"

need_packages=()
command -v influxd >/dev/null 2>&1 || need_packages+=(influxdb)
command -v chromium >/dev/null 2>&1 || need_packages+=(chromium)
# strace kills plaid-sync at a chosen stdout write (e2e/killwrite_test.go).
command -v strace >/dev/null 2>&1 || need_packages+=(strace)
if [ ${#need_packages[@]} -gt 0 ]; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "setup: missing ${need_packages[*]}; run as root, or: sudo apt-get install -y ${need_packages[*]}" >&2
		exit 1
	fi
	echo "setup: installing ${need_packages[*]} from Debian" >&2
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_packages[@]}" >/dev/null
fi

if [ ! -x "$TELEGRAF_BIN" ]; then
	echo "setup: building Telegraf $TELEGRAF_VERSION ($TELEGRAF_TAGS) into $CACHE_DIR" >&2
	mkdir -p "$(dirname "$TELEGRAF_BIN")"
	GOBIN="$(dirname "$TELEGRAF_BIN")" \
		go install -tags "$TELEGRAF_TAGS" "github.com/influxdata/telegraf/cmd/telegraf@$TELEGRAF_VERSION"
fi

echo "TELEGRAF_BIN=$TELEGRAF_BIN"
echo "INFLUXD_BIN=$(command -v influxd)"
echo "CHROMIUM_BIN=$(command -v chromium)"
