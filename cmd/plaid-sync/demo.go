package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/plaid/plaid-go/v42/plaid"

	"github.com/plaid-sync/telegraf-plaid/internal/execdlog"
	"github.com/plaid-sync/telegraf-plaid/internal/plaidapi"
	plaidinput "github.com/plaid-sync/telegraf-plaid/plugins/inputs/plaid"
)

// demoItems are linked through the emulator's sandbox, as a user would link
// banks with linktool, with the products that show every measurement: cards
// with liabilities, a brokerage account with investments.
var demoItems = []struct {
	name, institution string
	products          []plaid.Products
}{
	{"Test Chase", "ins_3", []plaid.Products{plaid.PRODUCTS_TRANSACTIONS, plaid.PRODUCTS_LIABILITIES}},
	{"Test Amex", "ins_10", []plaid.Products{plaid.PRODUCTS_TRANSACTIONS, plaid.PRODUCTS_LIABILITIES}},
	{"Test Platypus", "ins_109508", []plaid.Products{plaid.PRODUCTS_TRANSACTIONS, plaid.PRODUCTS_INVESTMENTS}},
}

const (
	demoClientID = "demo_client_id"
	demoSecret   = "demo_secret"
)

// runDemo runs the plugin against the project's Plaid emulator, started as
// a program of its own (plaid-emulator) and reached over HTTP as Plaid is:
// it links a few sandbox items, gathers once and prints line protocol and
// the summary. With -poll_interval it keeps going, advancing the emulator a
// day per interval, so that pending transactions post and tombstones appear.
//
// The emulator is not linked into plaid-sync: the binary that runs under
// Telegraf for months carries no fake bank, and its size and dependencies
// are those of the plugin alone.
func runDemo(o options, stdout, stderr io.Writer) int {
	log := execdlog.New(stderr, execdlog.LevelInfo)
	dir, err := os.MkdirTemp("", "plaid-sync-demo-")
	if err != nil {
		log.Errorf("%v", err)
		return exitFailed
	}
	defer os.RemoveAll(dir)

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	emu, err := startDemoEmulator(ctx, log, dir)
	if err != nil {
		log.Errorf("starting the Plaid emulator: %v", err)
		return exitFailed
	}
	defer emu.close()

	accountsFile, err := writeDemoAccounts(dir, emu.url)
	if err != nil {
		log.Errorf("linking the demo items: %v", err)
		return exitFailed
	}
	log.Infof("demo: Plaid emulator at %s; %d sandbox items linked into %s", emu.url, len(demoItems), accountsFile)

	p := plaidinput.New()
	p.AccountsFile, p.StateDir, p.Log = accountsFile, filepath.Join(dir, "state"), log
	if err := p.Init(); err != nil {
		log.Errorf("%v", err)
		return exitFailed
	}
	defer p.Stop()

	for {
		if code := demoGather(p, stdout, stderr); code != 0 || o.pollInterval <= 0 {
			return code
		}
		select {
		case <-ctx.Done():
			return exitOK
		case <-time.After(o.pollInterval):
		}
		summary, err := emu.advance(ctx, 1)
		if err != nil {
			log.Errorf("advancing the emulator: %v", err)
			return exitFailed
		}
		log.Infof("demo: the bank's day is now %s: %d new, %d posted, %d modified, %d removed",
			summary.Today, summary.Added, summary.Posted, summary.Modified, summary.Removed)
	}
}

func demoGather(p *plaidinput.Plaid, stdout, stderr io.Writer) int {
	acc := newLineAccumulator(stdout, func(err error) { p.Log.Errorf("dropping a metric: %v", err) })
	if err := p.Gather(acc); err != nil {
		p.Log.Errorf("%v", err)
		return exitFailed
	}
	if err := acc.flush(); err != nil {
		p.Log.Errorf("writing line protocol: %v", err)
		return exitFailed
	}
	writeSummary(stderr, p.Results(), time.Now())
	return exitOK
}

// writeDemoAccounts links the demo items through /sandbox/public_token/create
// and writes the INI file the plugin reads, as linktool would.
func writeDemoAccounts(dir, baseURL string) (string, error) {
	client := plaidapi.NewClient(plaidapi.Options{ClientID: demoClientID, Secret: demoSecret, BaseURL: baseURL})
	var b strings.Builder
	fmt.Fprintf(&b, "[PLAID]\nclient_id = %s\nsecret = %s\nenvironment = sandbox\nbase_url = %s\n", demoClientID, demoSecret, baseURL)
	ctx := context.Background()
	for _, item := range demoItems {
		req := plaid.NewSandboxPublicTokenCreateRequest(item.institution, item.products)
		created, resp, err := client.PlaidApi.SandboxPublicTokenCreate(ctx).SandboxPublicTokenCreateRequest(*req).Execute()
		if err != nil {
			return "", fmt.Errorf("%s: %w", item.name, plaidapi.FromPlaidGo(err, resp))
		}
		exchanged, resp, err := client.PlaidApi.ItemPublicTokenExchange(ctx).
			ItemPublicTokenExchangeRequest(*plaid.NewItemPublicTokenExchangeRequest(created.PublicToken)).Execute()
		if err != nil {
			return "", fmt.Errorf("%s: %w", item.name, plaidapi.FromPlaidGo(err, resp))
		}
		fmt.Fprintf(&b, "\n[%s]\naccess_token = %s\n", item.name, exchanged.AccessToken)
	}
	path := filepath.Join(dir, "plaid.ini")
	return path, os.WriteFile(path, []byte(b.String()), 0o600)
}
