// Package e2e runs telegraf-plaid the way users do: a real Telegraf built at
// the pinned version runs the plaid-sync binary under inputs.execd and writes
// to a real InfluxDB, while the project's Plaid emulator plays the bank. Every
// scenario ends with InfluxQL queries compared with what the emulator holds.
//
// The tests carry the build tag e2e and need Telegraf and InfluxDB on the
// machine; scripts/e2e.sh (make e2e) installs and finds them. See README.md.
package e2e
