// Command linktool links banks to Plaid through Plaid Link and keeps the
// INI file shared with the plaid-sync plugin up to date: it adds, repairs,
// checks and removes items.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

// version is set at build time with -ldflags "-X main.version=..."; without
// it -version shows what the Go toolchain recorded (module version, commit).
var version string

// flagExamples are values that each flag taking one accepts.
var flagExamples = map[string]string{
	"c":            "-c /etc/telegraf/plaid.ini",
	"config":       "--config /etc/telegraf/plaid.ini",
	"link":         "--link 'Test Chase'",
	"link-account": "--link-account 'Test Chase'",
	"update":       "--update 'Test Chase'",
	"exchange":     "--exchange 'Test Chase'",
	"remove":       "--remove 'Test Chase'",
	"sandbox-link": "--sandbox-link 'Sandbox Bank'",
	"public-token": "--public-token - (then paste it)",
	"listen":       "--listen 127.0.0.1:4583",
	"timeout":      "--timeout 30m",
	"institution":  "--institution ins_109508",
	"username":     "--username user_good",
}

// withExample adds to a flag error an example of a value the flag takes.
func withExample(err error) error {
	msg := err.Error()
	for name, example := range flagExamples {
		if strings.Contains(msg, "flag -"+name+":") || strings.HasSuffix(msg, "flag needs an argument: -"+name) {
			return fmt.Errorf("%w (e.g. %s)", err, example)
		}
	}
	return err
}

// wantsVersion reports -version or --version before any "--".
func wantsVersion(args []string) bool {
	for _, arg := range args {
		switch arg {
		case "--":
			return false
		case "-version", "--version":
			return true
		}
	}
	return false
}

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
