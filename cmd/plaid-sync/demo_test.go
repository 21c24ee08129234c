package main

import (
	"bytes"
	"context"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// The program that runs under Telegraf carries no emulator: -demo starts
// plaid-emulator as a program of its own.
func TestPlaidSyncDoesNotLinkTheEmulator(t *testing.T) {
	const emu = "github.com/plaid-sync/telegraf-plaid/internal/plaidemu"
	deps, err := exec.Command("go", "list", "-deps", ".").Output()
	require.NoError(t, err)
	require.Contains(t, string(deps), "github.com/plaid-sync/telegraf-plaid/plugins/inputs/plaid\n", "the listing is of plaid-sync's packages")
	require.NotContains(t, string(deps), emu+"\n")

	modules, err := exec.Command("go", "version", "-m", binary).Output()
	require.NoError(t, err)
	require.NotContains(t, string(modules), "plaidemu")
	symbols, err := exec.Command("go", "tool", "nm", binary).Output()
	require.NoError(t, err)
	require.Contains(t, string(symbols), "telegraf-plaid/plugins/inputs/plaid.", "the symbol table names the plugin's functions")
	require.NotContains(t, string(symbols), emu+".")
}

// -demo -poll_interval moves the emulated bank on a day per interval, over
// the emulator's control endpoint, and gathers what changed; it writes
// every measurement the plugin has.
func TestDemoAdvancesTheBank(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, "-demo", "-poll_interval", "1s")
	var stdout bytes.Buffer
	var stderr syncBuffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	require.NoError(t, cmd.Start())
	for strings.Count(stderr.String(), "I! demo: the bank's day is now") < 2 {
		require.NoError(t, ctx.Err(), stderr.String())
		time.Sleep(50 * time.Millisecond)
	}
	require.NoError(t, cmd.Process.Signal(syscall.SIGINT))
	require.NoError(t, cmd.Wait(), stderr.String())
	require.GreaterOrEqual(t, strings.Count(stderr.String(), "Finished syncing 3 banks"), 3, stderr.String())
	for _, m := range []string{"plaid_transaction", "plaid_balance", "plaid_item", "plaid_liability", "plaid_holding", "plaid_investment_transaction"} {
		require.Contains(t, stdout.String(), m+",", "the demo writes %s", m)
	}
}
