// Command plaid-emulator serves a faithful emulation of the Plaid API with
// realistic, deterministic bank data, so telegraf-plaid can be run and
// tested without Plaid keys. See README.md.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/plaid-sync/telegraf-plaid/internal/buildinfo"
	"github.com/plaid-sync/telegraf-plaid/internal/plaidemu"
)

// version is set at build time with -ldflags "-X main.version=...".
var version string

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, "plaid-emulator:", err)
		os.Exit(2)
	}
}

// run parses flags, serves until ctx ends and shuts down.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("plaid-emulator", flag.ContinueOnError)
	fs.SetOutput(stderr)
	listen := fs.String("listen", "127.0.0.1:4580", "address to listen on (host:port; port 0 picks a free one)")
	seed := fs.Int64("seed", 1, "data generator seed: the same seed gives the same data")
	items := fs.Int("items", 3, "items linked at start (0 for none)")
	historyDays := fs.Int("history-days", 730, "days of transaction history per item (1..730)")
	txPerDay := fs.Float64("tx-per-day", 8, "average transactions per day per item")
	clientID := fs.String("client-id", "test_client_id", "Plaid client_id the emulator accepts")
	secret := fs.String("secret", "test_secret", "Plaid secret the emulator accepts")
	rateLimits := fs.Bool("rate-limits", false, "enforce Plaid's per-minute rate limits")
	today := fs.String("today", "", "emulated current date, YYYY-MM-DD (default: today, UTC)")
	notReady := fs.Int("not-ready-syncs", 1, "/transactions/sync calls answered NOT_READY for newly linked items")
	initialSyncs := fs.Int("initial-update-syncs", 0, "/transactions/sync calls answered INITIAL_UPDATE_COMPLETE (last 30 days only) for newly linked items, after the NOT_READY ones")
	pfcVersion := fs.String("pfc-version", "v1", "the client's personal finance category taxonomy: v1 (v2 on request) or v2 (always v2)")
	verbose := fs.Bool("v", false, "log every request to stderr (never secrets or tokens)")
	showVersion := fs.Bool("version", false, "print the version of this build and exit")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *showVersion {
		_, err := fmt.Fprintln(stdout, buildinfo.Line("plaid-emulator", version))
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %v", fs.Args())
	}

	cfg := plaidemu.Config{
		Seed:          *seed,
		Items:         *items,
		HistoryDays:   *historyDays,
		TxPerDay:      *txPerDay,
		ClientID:      *clientID,
		Secret:        *secret,
		RateLimits:    *rateLimits,
		NotReadySyncs: *notReady,

		InitialUpdateSyncs: *initialSyncs,
		PFCVersion:         *pfcVersion,
	}
	// Config's zero values mean "default"; the flags mean what they say.
	if *items == 0 {
		cfg.Items = -1
	} else if *items < 0 {
		return fmt.Errorf("-items must not be negative, got %d", *items)
	}
	if *notReady == 0 {
		cfg.NotReadySyncs = -1
	} else if *notReady < 0 {
		return fmt.Errorf("-not-ready-syncs must not be negative, got %d", *notReady)
	}
	if *seed == 0 {
		return errors.New("-seed must not be 0")
	}
	if *historyDays <= 0 {
		return fmt.Errorf("-history-days must be 1..730, got %d", *historyDays)
	}
	if *txPerDay <= 0 {
		return fmt.Errorf("-tx-per-day must be more than 0, got %v", *txPerDay)
	}
	if *today != "" {
		t, err := time.Parse(time.DateOnly, *today)
		if err != nil {
			return fmt.Errorf("-today must be YYYY-MM-DD: %w", err)
		}
		cfg.Today = t
	}
	logger := log.New(stderr, "", log.LstdFlags)
	if *verbose {
		cfg.Logf = logger.Printf
	}

	emu, err := plaidemu.New(cfg)
	if err != nil {
		return err
	}
	url, err := emu.Serve(*listen)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "listening on %s\n", url)
	logger.Printf("%d items, today %s; client_id %q", len(emu.Items()), emu.GroundTruth().Today, *clientID)

	<-ctx.Done()
	logger.Printf("shutting down")
	return emu.Close()
}
