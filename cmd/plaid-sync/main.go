// Command plaid-sync is the telegraf-plaid input plugin as a program for
// Telegraf's execd input: on every newline on stdin (signal = "STDIN") it
// syncs every linked Plaid item and writes line protocol to stdout.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/plaid-sync/telegraf-plaid/internal/buildinfo"
	"github.com/plaid-sync/telegraf-plaid/internal/execdlog"
)

// version is set at build time with -ldflags "-X main.version=..." (the
// Makefile does); without it -version shows the module version and commit
// that the Go toolchain records.
var version string

const usage = `plaid-sync syncs bank transactions, balances and item health from Plaid
and writes them as InfluxDB line protocol, for Telegraf's execd input.

Usage:
  plaid-sync -config plugin.conf [-poll_interval_disabled]   under Telegraf (signal = "STDIN")
  plaid-sync -config plugin.conf -once                        one sync, then exit
  plaid-sync -demo [-poll_interval 5s]                        try it with no Plaid keys
  plaid-sync -config plugin.conf -verify|-repair -influx-url URL -influx-database NAME
                                                              is InfluxDB right? (README: "Is my dashboard right?")

Exit status: 0 done (with -once: every bank synced); 1 a bank or Plaid
failed, or no bank is linked (-once); 2 a wrong flag or configuration;
130 interrupted (SIGINT, SIGTERM). Under Telegraf plaid-sync runs until
its stdin closes and then exits 0.

Flags:
`

type options struct {
	configPath           string
	pollInterval         time.Duration
	pollIntervalDisabled bool
	gatherAtStart        bool
	once                 bool
	shardPlan            bool
	demo                 bool
	version              bool
	cpuProfile           string
	memProfile           string
	verify               verifyOptions
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

func parseFlags(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("plaid-sync", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // run reports a parse error once, with an example
	fs.StringVar(&o.configPath, "config", "", "the plugin's config file (plugin.conf)")
	fs.DurationVar(&o.pollInterval, "poll_interval", 0, "also gather on this interval; by default the plugin gathers only when Telegraf writes a newline to stdin")
	fs.BoolVar(&o.pollIntervalDisabled, "poll_interval_disabled", false, "gather only on newlines from stdin (the default; for signal = \"STDIN\")")
	fs.BoolVar(&o.gatherAtStart, "gather_at_start", true, "gather as soon as the process starts, before the first newline (false: wait for Telegraf's first newline)")
	fs.BoolVar(&o.once, "once", false, "gather once: line protocol to stdout, a summary to stderr; exit status 1 when an item failed")
	fs.BoolVar(&o.shardPlan, "shard-plan", false, "with -once: print which instance of the config's shard = \"I/N\" syncs each item, and exit")
	fs.BoolVar(&o.demo, "demo", false, "run against the project's Plaid emulator (plaid-emulator, started for the demo) with sandbox items, no keys needed")
	fs.BoolVar(&o.version, "version", false, "print the version, commit and Go version of this build, and exit")
	fs.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile (go tool pprof) to this file")
	fs.StringVar(&o.memProfile, "memprofile", "", "write a heap profile to this file on exit")
	addVerifyFlags(fs, &o.verify)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stderr, usage)
			fs.SetOutput(stderr)
			fs.PrintDefaults()
			return o, err
		}
		return o, withExample(err)
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	if !o.version && !o.demo && o.configPath == "" {
		return o, errors.New("-config is required (or -demo to try it without Plaid keys)")
	}
	if o.pollInterval < 0 {
		return o, errors.New("-poll_interval must be positive")
	}
	return o, nil
}

// logErrors logs each of several joined errors on its own line: Telegraf
// shows a stderr line without a level prefix as an unrelated error.
func logErrors(log *execdlog.Logger, prefix string, err error) {
	for _, line := range strings.Split(err.Error(), "\n") {
		if strings.TrimSpace(line) != "" {
			log.Errorf("%s%s", prefix, line)
		}
	}
}

// flagExamples are values that each flag taking one accepts.
var flagExamples = map[string]string{
	"config":        "-config /etc/telegraf/plaid-plugin.conf",
	"poll_interval": "-poll_interval 30s",
	"cpuprofile":    "-cpuprofile cpu.prof",
	"memprofile":    "-memprofile mem.prof",
}

// withExample adds to a flag error an example of a value the flag takes.
func withExample(err error) error {
	msg := err.Error()
	for name, example := range flagExamples {
		if strings.Contains(msg, "flag -"+name+":") || strings.HasSuffix(msg, "flag needs an argument: -"+name) {
			return fmt.Errorf("%s (e.g. %s)", msg, example)
		}
	}
	return err
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	o, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if err != nil {
		fmt.Fprintf(stderr, "E! %v\n", err)
		fmt.Fprintln(stderr, "I! run plaid-sync -h for the flags")
		return exitUsage
	}
	if o.version {
		fmt.Fprintln(stdout, buildinfo.Line("plaid-sync", version))
		return exitOK
	}
	if o.verify.enabled() {
		return runVerify(o, stdout, stderr)
	}
	stopProfiles, err := startProfiles(o)
	if err != nil {
		fmt.Fprintf(stderr, "E! %v\n", err)
		return exitUsage
	}
	defer stopProfiles(stderr)
	if o.demo {
		return runDemo(o, stdout, stderr)
	}

	log := execdlog.New(stderr, execdlog.LevelInfo)
	p, logLevel, err := loadConfig(o.configPath)
	if err != nil {
		logErrors(log, "", err)
		return exitUsage
	}
	if logLevel != "" {
		level, err := execdlog.ParseLevel(logLevel)
		if err != nil {
			log.Errorf("%s: log_level: %v", o.configPath, err)
			return exitUsage
		}
		log.SetLevel(level)
	}
	p.Log = log
	if o.shardPlan {
		if err := p.ShardPlan(stdout); err != nil {
			log.Errorf("%s: %v", o.configPath, err)
			return exitUsage
		}
		return exitOK
	}
	if o.once {
		p.GiveUpUnreachable = true
		log.Infof("read %s: accounts in %s, state in %s", o.configPath, p.AccountsFile, p.StateDir)
	}
	if err := p.Init(); err != nil {
		logErrors(log, o.configPath+": ", err)
		return exitUsage
	}
	if o.once {
		return gatherOnce(p, stdout, stderr)
	}
	return runExecd(p, o, stdin, stdout)
}
