// Package bench measures telegraf-plaid the way it runs in production: the
// real plaid-sync binary, driven as Telegraf's execd input drives it (a
// newline on stdin per gather, line protocol read from stdout), against the
// plaid-emulator binary in its own process, over HTTP on 127.0.0.1.
//
// Scenarios return rows of one results table; cmd/plaid-bench prints it and
// scripts/bench.sh (make bench) runs everything. The tests in this package
// are the deterministic part that CI asserts: call counts per gather and
// memory growth bounds, never wall-clock times.
package bench
