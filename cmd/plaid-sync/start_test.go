package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/plaid/plaid-go/v42/plaid"
	"github.com/stretchr/testify/require"

	"github.com/plaid-sync/telegraf-plaid/internal/plaidapi"
	"github.com/plaid-sync/telegraf-plaid/internal/plaidemu"
)

// Telegraf writes its first newline only at the next interval (30 minutes
// with the shipped configuration): plaid-sync must not wait for it.
func TestStartGathersAndReplaysWithoutANewline(t *testing.T) {
	e := newEnv(t, plaidemu.Config{Seed: 41, Items: 2, HistoryDays: 20, TxPerDay: 4})
	_, stderr, code := runOnce(t, e) // an earlier run: the state store has history to replay
	require.Equal(t, 0, code, stderr)

	start := time.Now()
	p := startProc(t, "-config", e.conf, "-poll_interval_disabled")
	p.waitFor(t, 20*time.Second, "a gather of every item with no newline sent", func(out string) bool {
		return itemLines(out, "ok") == len(e.emu.Items())
	})
	took := time.Since(start)
	out := p.stdout.String()
	// Nothing changed at the bank since the earlier run, so every
	// transaction written now is the replay of the last 30 days.
	replayed := strings.Count(out, "plaid_transaction,")
	t.Logf("no newline sent: %d transactions replayed and %d items synced %s after the start", replayed, itemLines(out, "ok"), took.Round(time.Millisecond))
	require.Positive(t, replayed, "the replay window was written at start")
	require.Less(t, strings.Index(out, "plaid_transaction,"), strings.Index(out, "plaid_item,"), "the replay comes before the sync")

	// A newline still asks for one more gather.
	p.tick(t)
	p.waitFor(t, 20*time.Second, "a second gather after a newline", func(out string) bool {
		return itemLines(out, "ok") == 2*len(e.emu.Items())
	})
	require.NoError(t, p.stdin.Close())
	require.Equal(t, 0, p.wait(t, 30*time.Second), p.stderr.String())
}

func TestGatherAtStartCanBeTurnedOff(t *testing.T) {
	e := newEnv(t, plaidemu.Config{Seed: 42, Items: 1, HistoryDays: 10, TxPerDay: 2})
	p := startProc(t, "-config", e.conf, "-poll_interval_disabled", "-gather_at_start=false")
	time.Sleep(2 * time.Second)
	require.Zero(t, e.emu.Stats().Calls["/transactions/sync"], "no gather before the first newline")
	p.tick(t)
	p.waitFor(t, 20*time.Second, "the gather the newline asked for", func(out string) bool { return itemLines(out, "ok") == 1 })
}

// linkSandboxItem links an item through /sandbox/public_token/create, as
// linktool --sandbox-link does, and adds its section to the accounts file.
// The emulator answers NOT_READY to such an item's first sync, as Plaid
// does while it prepares a new link's history.
func linkSandboxItem(t *testing.T, e *env, name, institution string) {
	t.Helper()
	client := plaidapi.NewClient(plaidapi.Options{ClientID: testClientID, Secret: testSecret, BaseURL: e.url})
	ctx := context.Background()
	req := plaid.NewSandboxPublicTokenCreateRequest(institution, []plaid.Products{plaid.PRODUCTS_TRANSACTIONS})
	created, resp, err := client.PlaidApi.SandboxPublicTokenCreate(ctx).SandboxPublicTokenCreateRequest(*req).Execute()
	require.NoError(t, plaidapi.FromPlaidGo(err, resp))
	exchanged, resp, err := client.PlaidApi.ItemPublicTokenExchange(ctx).
		ItemPublicTokenExchangeRequest(*plaid.NewItemPublicTokenExchangeRequest(created.PublicToken)).Execute()
	require.NoError(t, plaidapi.FromPlaidGo(err, resp))
	f, err := os.OpenFile(e.ini, os.O_APPEND|os.O_WRONLY, 0)
	require.NoError(t, err)
	_, err = fmt.Fprintf(f, "\n[%s]\naccess_token = %s\n", name, exchanged.AccessToken)
	require.NoError(t, err)
	require.NoError(t, f.Close())
}

// A bank linked a moment ago answers NOT_READY: plaid-sync asks again within
// seconds instead of a whole interval later.
func TestNotReadyItemIsRetriedSoon(t *testing.T) {
	e := newEnv(t, plaidemu.Config{Seed: 43, Items: -1, HistoryDays: 30, TxPerDay: 4, NotReadySyncs: 1})
	linkSandboxItem(t, e, "New Bank", "ins_3")

	start := time.Now()
	p := startProc(t, "-config", e.conf, "-poll_interval_disabled")
	p.waitFor(t, 20*time.Second, "the NOT_READY answer", func(out string) bool {
		return strings.Contains(out, `update_status="NOT_READY"`)
	})
	require.Zero(t, strings.Count(p.stdout.String(), "plaid_transaction,"))
	p.waitFor(t, 40*time.Second, "the history, with no newline sent", func(out string) bool {
		return strings.Count(out, "plaid_transaction,") > 0 && itemLines(out, "ok") >= 2
	})
	t.Logf("NOT_READY first, then %d transactions %s after the start, with no newline",
		strings.Count(p.stdout.String(), "plaid_transaction,"), time.Since(start).Round(time.Millisecond))
	require.Contains(t, p.stderr.String(), "I! Plaid is still preparing the history of New Bank (NOT_READY): gathering again in 10s")
	require.Equal(t, 2, e.emu.Stats().Calls["/transactions/sync"], "one NOT_READY answer, then the history in one page")
}
