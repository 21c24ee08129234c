// Command linktool links banks to Plaid through Plaid Link and keeps the
// INI file shared with the plaid-sync plugin up to date: it adds, repairs,
// checks and removes items.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

// Exit codes, documented in -h and the README.
const (
	exitOK          = 0
	exitFailed      = 1 // the operation failed or an item needs attention
	exitUsage       = 2 // bad command line or configuration
	exitInterrupted = 130
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
