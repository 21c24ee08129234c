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
	"time"

	"github.com/plaid-sync/telegraf-plaid/internal/execdlog"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

const usage = `plaid-sync syncs bank transactions, balances and item health from Plaid
and writes them as InfluxDB line protocol, for Telegraf's execd input.

Usage:
  plaid-sync -config plugin.conf [-poll_interval_disabled]   under Telegraf (signal = "STDIN")
  plaid-sync -config plugin.conf -once                        one sync, then exit
  plaid-sync -demo [-poll_interval 5s]                        try it with no Plaid keys
  plaid-sync -config plugin.conf -verify|-repair -influx-url URL -influx-database NAME
                                                              is InfluxDB right? (README: "Is my dashboard right?")

Flags:
`

type options struct {
	configPath           string
	pollInterval         time.Duration
	pollIntervalDisabled bool
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
	fs.SetOutput(stderr)
	fs.StringVar(&o.configPath, "config", "", "the plugin's config file (plugin.conf)")
	fs.DurationVar(&o.pollInterval, "poll_interval", 0, "also gather on this interval; by default the plugin gathers only when Telegraf writes a newline to stdin")
	fs.BoolVar(&o.pollIntervalDisabled, "poll_interval_disabled", false, "gather only on newlines from stdin (the default; for signal = \"STDIN\")")
	fs.BoolVar(&o.once, "once", false, "gather once: line protocol to stdout, a summary to stderr; exit status 1 when an item failed")
	fs.BoolVar(&o.shardPlan, "shard-plan", false, "with -once: print which instance of the config's shard = \"I/N\" syncs each item, and exit")
	fs.BoolVar(&o.demo, "demo", false, "run against a built-in Plaid emulator with sandbox items, no keys needed")
	fs.BoolVar(&o.version, "version", false, "print the version and exit")
	fs.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile (go tool pprof) to this file")
	fs.StringVar(&o.memProfile, "memprofile", "", "write a heap profile to this file on exit")
	addVerifyFlags(fs, &o.verify)
	fs.Usage = func() {
		fmt.Fprint(stderr, usage)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return o, err
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

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	o, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "E! %v\n", err)
		return 2
	}
	if o.version {
		fmt.Fprintf(stdout, "plaid-sync %s\n", version)
		return 0
	}
	if o.verify.enabled() {
		return runVerify(o, stdout, stderr)
	}
	stopProfiles, err := startProfiles(o)
	if err != nil {
		fmt.Fprintf(stderr, "E! %v\n", err)
		return 2
	}
	defer stopProfiles(stderr)
	if o.demo {
		return runDemo(o, stdout, stderr)
	}

	log := execdlog.New(stderr, execdlog.LevelInfo)
	p, logLevel, err := loadConfig(o.configPath)
	if err != nil {
		log.Errorf("%v", err)
		return 1
	}
	if logLevel != "" {
		level, err := execdlog.ParseLevel(logLevel)
		if err != nil {
			log.Errorf("%s: log_level: %v", o.configPath, err)
			return 1
		}
		log.SetLevel(level)
	}
	p.Log = log
	if o.shardPlan {
		if err := p.ShardPlan(stdout); err != nil {
			log.Errorf("%s: %v", o.configPath, err)
			return 1
		}
		return 0
	}
	if err := p.Init(); err != nil {
		log.Errorf("%s: %v", o.configPath, err)
		return 1
	}
	if o.once {
		return gatherOnce(p, stdout, stderr)
	}
	return runExecd(p, o, stdin, stdout)
}
