package main

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/plaid-sync/telegraf-plaid/internal/plaidemu"
	"github.com/plaid-sync/telegraf-plaid/plugins/inputs/plaid"
)

func TestOnceSaysWhatItDoes(t *testing.T) {
	e := newEnv(t, plaidemu.Config{Seed: 51, Items: 2, HistoryDays: 10, TxPerDay: 3})
	_, stderr, code := runOnce(t, e)
	require.Equal(t, exitOK, code, stderr)
	require.Contains(t, stderr, "I! read "+e.conf+": accounts in "+e.ini)
	require.Contains(t, stderr, "I! syncing 2 banks with Plaid at "+e.url+": Test Chase, Test Amex")
	require.Regexp(t, `I! gather finished in [0-9.]+m?s; line protocol is on stdout`, stderr)
}

// closedPort is a loopback address nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())
	return addr
}

// A wrong base_url or a Plaid that is down is not worth minutes of retries
// at a terminal: -once gives up on the first refused connection and says so.
func TestOnceGivesUpOnAnUnreachablePlaid(t *testing.T) {
	e := newEnv(t, plaidemu.Config{Seed: 52, Items: 2, HistoryDays: 10, TxPerDay: 3})
	ini, err := os.ReadFile(e.ini)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(e.ini, []byte(strings.Replace(string(ini), e.url, "http://"+closedPort(t), 1)), 0o600))

	start := time.Now()
	_, stderr, code := runOnce(t, e)
	took := time.Since(start)
	t.Logf("gave up after %s", took.Round(time.Millisecond))
	require.Equal(t, exitFailed, code, stderr)
	require.Equal(t, 2, strings.Count(stderr, "*** cannot reach Plaid ***"), stderr)
	require.Contains(t, stderr, "connection refused")
	// With retries (1 s doubling to 30 s, 8 attempts) it would take over a
	// minute and a half.
	require.Less(t, took, 30*time.Second)
}

// Under execd the same failure is retried within the gather's timeout: a
// network that comes back within it loses no gather.
func TestExecdRetriesAnUnreachablePlaid(t *testing.T) {
	e := newEnv(t, plaidemu.Config{Seed: 53, Items: 1, HistoryDays: 10, TxPerDay: 3})
	ini, err := os.ReadFile(e.ini)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(e.ini, []byte(strings.Replace(string(ini), e.url, "http://"+closedPort(t), 1)), 0o600))
	e.writeConf(t, "  log_level = \"debug\"\n")
	p := startProc(t, "-config", e.conf, "-poll_interval_disabled")
	deadline := time.Now().Add(20 * time.Second)
	for strings.Count(p.stderr.String(), "connection refused; retrying in") < 2 {
		require.True(t, time.Now().Before(deadline), "no retries seen:\n%s", p.stderr.String())
		time.Sleep(50 * time.Millisecond)
	}
	require.Zero(t, itemLines(p.stdout.String(), "NETWORK_ERROR"), "the gather has not given up")
}

func TestOnceExplainsNotReady(t *testing.T) {
	e := newEnv(t, plaidemu.Config{Seed: 54, Items: -1, HistoryDays: 30, TxPerDay: 4, NotReadySyncs: 1})
	linkSandboxItem(t, e, "New Bank", "ins_3")
	_, stderr, code := runOnce(t, e)
	require.Equal(t, exitOK, code, stderr)
	require.Regexp(t, `(?m)^New Bank : 0 new transactions \(0 pending\), 0 removed \(tombstones\) over \d accounts$`, stderr)
	require.Contains(t, stderr, "         : Plaid is still preparing the history; run again in a minute\n")
	_, stderr, code = runOnce(t, e)
	require.Equal(t, exitOK, code, stderr)
	require.NotContains(t, stderr, "still preparing")
}

func TestNoBankLinked(t *testing.T) {
	e := newEnv(t, plaidemu.Config{Seed: 55, Items: -1})
	_, stderr, code := runOnce(t, e)
	require.Equal(t, exitFailed, code, stderr)
	want := fmt.Sprintf("W! no bank is linked in %s: link one with: linktool -c %s --link 'My Bank'", e.ini, e.ini)
	require.Contains(t, stderr, want)

	p := startProc(t, "-config", e.conf, "-poll_interval_disabled")
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(p.stderr.String(), want) {
		require.True(t, time.Now().Before(deadline), "no warning under execd:\n%s", p.stderr.String())
		time.Sleep(50 * time.Millisecond)
	}
}

func TestExitCodes(t *testing.T) {
	e := newEnv(t, plaidemu.Config{Seed: 56, Items: 1, HistoryDays: 400, TxPerDay: 6})
	for _, c := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"help", []string{"-h"}, exitOK, "Exit status:"},
		{"version", []string{"-version"}, exitOK, "plaid-sync "},
		{"unknown flag", []string{"-config", e.conf, "-onse"}, exitUsage, "flag provided but not defined: -onse"},
		{"bad value", []string{"-config", e.conf, "-poll_interval", "5"}, exitUsage, "e.g. -poll_interval 30s"},
		{"no config", []string{"-once"}, exitUsage, "-config is required"},
		{"config missing", []string{"-config", e.conf + ".missing", "-once"}, exitUsage, "reading the plugin config"},
	} {
		t.Run(c.name, func(t *testing.T) {
			cmd := exec.Command(binary, c.args...)
			out, _ := cmd.CombinedOutput()
			require.Equal(t, c.code, cmd.ProcessState.ExitCode(), "%s", out)
			require.Contains(t, string(out), c.want)
		})
	}

	t.Run("several configuration errors, one a line", func(t *testing.T) {
		e.writeConf(t, "  balances = \"sometimes\"\n  max_concurrency = 0\n")
		cmd := exec.Command(binary, "-config", e.conf, "-once")
		out, _ := cmd.CombinedOutput()
		require.Equal(t, exitUsage, cmd.ProcessState.ExitCode(), "%s", out)
		require.Regexp(t, `(?m)^E! .*plugin.conf: balances: "sometimes" is not one of`, string(out))
		require.Regexp(t, `(?m)^E! .*plugin.conf: max_concurrency: 0 is outside 1-64$`, string(out))
		e.writeConf(t, "")
	})

	t.Run("interrupted", func(t *testing.T) {
		_, err := e.emu.AddFault(plaidemu.Fault{Endpoint: "/transactions/sync", LatencyMS: 400})
		require.NoError(t, err)
		defer e.emu.ClearFaults()
		cmd := exec.Command(binary, "-config", e.conf, "-once")
		var stderr syncBuffer
		cmd.Stderr = &stderr
		require.NoError(t, cmd.Start())
		deadline := time.Now().Add(20 * time.Second)
		for !strings.Contains(stderr.String(), "I! syncing") {
			require.True(t, time.Now().Before(deadline), stderr.String())
			time.Sleep(20 * time.Millisecond)
		}
		time.Sleep(300 * time.Millisecond)
		require.NoError(t, cmd.Process.Signal(syscall.SIGINT))
		_ = cmd.Wait()
		require.Equal(t, exitInterrupted, cmd.ProcessState.ExitCode(), stderr.String())
		require.Contains(t, stderr.String(), "I! interrupted")
	})
}

func TestSummaryWording(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	diskFull := fmt.Errorf("ledger: writing the journal: %w", syscall.ENOSPC)
	keys := errors.New("INVALID_API_KEYS: invalid client_id or secret provided (HTTP 400)")
	var b strings.Builder
	writeSummary(&b, []plaid.ItemResult{
		{Name: "Chase", Status: "STATE_ERROR", Err: diskFull, Accounts: 2},
		{Name: "Amex", Status: "INVALID_API_KEYS", Err: keys, Accounts: 1},
		{Name: "Wells", Status: "INVALID_API_KEYS", Err: keys, Accounts: 1},
		{Name: "Citi", Status: "ok", Added: 5, Pending: 1, Removed: 2, Accounts: 1},
	}, now)
	got := b.String()
	t.Logf("\n%s", got)
	require.Contains(t, got, "Finished syncing 4 banks (Plaid items) with 5 accounts\n")
	require.Contains(t, got, "      : *** state store error ***\n      : ledger: writing the journal: no space left on device\n")
	require.NotContains(t, got, "Plaid error: STATE_ERROR")
	require.Equal(t, 1, strings.Count(got, "invalid client_id or secret provided"), "Plaid's answer about the keys, once")
	require.Contains(t, got, "*** Plaid refused the client_id and secret (INVALID_API_KEYS) for 2 of 4 banks:")
	require.Contains(t, got, "Citi  : 5 new transactions (1 pending), 2 removed (tombstones) over 1 account\n")
}

// A wrong secret fails every bank alike: one gather error says so.
func TestWrongSecretIsReportedOnce(t *testing.T) {
	e := newEnv(t, plaidemu.Config{Seed: 57, Items: 3, HistoryDays: 10, TxPerDay: 3})
	ini, err := os.ReadFile(e.ini)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(e.ini, []byte(strings.Replace(string(ini), "secret = "+testSecret, "secret = wrong_secret_0123456789abcd", 1)), 0o600))
	stdout, stderr, code := runOnce(t, e)
	require.Equal(t, exitFailed, code, stderr)
	require.Equal(t, 1, strings.Count(stderr, "E! "), stderr)
	require.Contains(t, stderr, "INVALID_API_KEYS")
	require.Contains(t, stderr, "this is said once per gather")
	require.Equal(t, 3, itemLines(stdout, "INVALID_API_KEYS"), "every bank's plaid_item says it")
}
