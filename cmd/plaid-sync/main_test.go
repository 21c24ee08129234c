package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/plaid-sync/telegraf-plaid/internal/lptruth"
	"github.com/plaid-sync/telegraf-plaid/internal/plaidemu"
)

// binary is plaid-sync built from this package, run as Telegraf runs it.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "plaid-sync-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "plaid-sync")
	if out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building plaid-sync: %v\n%s", err, out)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

const (
	testClientID = "binary_test_client"
	testSecret   = "binary_test_secret_5f1e2d3c"
)

// env is an emulator on loopback plus the two files a user writes.
type env struct {
	emu  *plaidemu.Emulator
	url  string
	dir  string
	ini  string
	conf string
}

func newEnv(t *testing.T, cfg plaidemu.Config) *env {
	t.Helper()
	cfg.ClientID, cfg.Secret = testClientID, testSecret
	emu, err := plaidemu.New(cfg)
	require.NoError(t, err)
	url, err := emu.Serve("127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { emu.Close() })
	e := &env{emu: emu, url: url, dir: t.TempDir()}
	e.ini = filepath.Join(e.dir, "plaid.ini")
	e.conf = filepath.Join(e.dir, "plugin.conf")
	var b strings.Builder
	fmt.Fprintf(&b, "[PLAID]\nclient_id = %s\nsecret = %s\nenvironment = sandbox\nbase_url = %s\n", testClientID, testSecret, url)
	for _, it := range emu.Items() {
		fmt.Fprintf(&b, "\n[%s]\naccess_token = %s\n", it.Name, it.AccessToken)
	}
	require.NoError(t, os.WriteFile(e.ini, []byte(b.String()), 0o600))
	e.writeConf(t, "")
	return e
}

func (e *env) writeConf(t *testing.T, extra string) {
	t.Helper()
	conf := fmt.Sprintf("[[inputs.plaid]]\n  accounts_file = %q\n  state_dir = %q\n  timezone = \"UTC\"\n%s", e.ini, filepath.Join(e.dir, "state"), extra)
	require.NoError(t, os.WriteFile(e.conf, []byte(conf), 0o600))
}

// syncBuffer is a bytes.Buffer safe for a process's writer and the test.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// completeLines drops a line cut short by a killed process, as Telegraf's
// parser would.
func (b *syncBuffer) completeLines() []byte {
	s := b.String()
	return []byte(s[:strings.LastIndex(s, "\n")+1])
}

// proc is plaid-sync running as execd runs it: stdin for ticks, stdout for
// line protocol, stderr for logs.
type proc struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	stdout *syncBuffer
	stderr *syncBuffer
	done   chan error
}

func startProc(t *testing.T, args ...string) *proc {
	t.Helper()
	p := &proc{stdout: &syncBuffer{}, stderr: &syncBuffer{}, done: make(chan error, 1)}
	p.cmd = exec.Command(binary, args...)
	p.cmd.Stdout, p.cmd.Stderr = p.stdout, p.stderr
	var err error
	p.stdin, err = p.cmd.StdinPipe()
	require.NoError(t, err)
	require.NoError(t, p.cmd.Start())
	go func() { p.done <- p.cmd.Wait() }()
	t.Cleanup(func() {
		_ = p.cmd.Process.Kill()
		<-p.done
	})
	return p
}

func (p *proc) tick(t *testing.T) {
	t.Helper()
	_, err := io.WriteString(p.stdin, "\n")
	require.NoError(t, err)
}

// waitFor polls the output until cond holds, at most for timeout.
func (p *proc) waitFor(t *testing.T, timeout time.Duration, what string, cond func(stdout string) bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond(p.stdout.String()) {
		if time.Now().After(deadline) {
			t.Fatalf("waited %s for %s\nstderr:\n%s", timeout, what, p.stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (p *proc) wait(t *testing.T, timeout time.Duration) int {
	t.Helper()
	select {
	case <-p.done:
		p.done <- nil // for the cleanup
		return p.cmd.ProcessState.ExitCode()
	case <-time.After(timeout):
		t.Fatalf("plaid-sync did not exit within %s\nstderr:\n%s", timeout, p.stderr.String())
		return -1
	}
}

func itemLines(stdout, status string) int {
	n := 0
	for _, line := range strings.Split(stdout, "\n") {
		if strings.HasPrefix(line, "plaid_item,") && strings.Contains(line, `status="`+status+`"`) {
			n++
		}
	}
	return n
}

func runOnce(t *testing.T, e *env, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, append([]string{"-config", e.conf, "-once"}, args...)...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	if err != nil {
		if _, ok := err.(*exec.ExitError); !ok {
			t.Fatalf("running plaid-sync: %v", err)
		}
	}
	return out.String(), errOut.String(), cmd.ProcessState.ExitCode()
}

func TestOnceWritesLineProtocolAndASummary(t *testing.T) {
	e := newEnv(t, plaidemu.Config{Seed: 31, Items: 3, HistoryDays: 60, TxPerDay: 5})
	stdout, stderr, code := runOnce(t, e)
	require.Equal(t, 0, code, stderr)

	view := lptruth.NewView()
	require.NoError(t, view.AddLineProtocolBytes([]byte(stdout)))
	require.NoError(t, view.Check(e.emu.GroundTruth()))
	require.Contains(t, stderr, "Finished syncing 3 Plaid accounts")
	for _, it := range e.emu.Items() {
		require.Regexp(t, `(?m)^`+it.Name+` +: \d+ new transactions \(\d+ pending\), 0 archived transactions over \d accounts$`, stderr)
	}
}

func TestOnceReportsTheItemThatNeedsItsLogin(t *testing.T) {
	e := newEnv(t, plaidemu.Config{Seed: 32, Items: 2, HistoryDays: 20, TxPerDay: 3})
	broken := e.emu.Items()[0]
	_, err := e.emu.AddFault(plaidemu.Fault{Endpoint: "*", Item: broken.Name, ErrorCode: "ITEM_LOGIN_REQUIRED"})
	require.NoError(t, err)
	stdout, stderr, code := runOnce(t, e)
	require.Equal(t, 1, code, "an item failed")
	require.Contains(t, stderr, "*** Plaid error: ITEM_LOGIN_REQUIRED ***")
	require.Contains(t, stderr, "*** re-run with: ***")
	require.Contains(t, stderr, fmt.Sprintf("linktool -c %s --update '%s'", e.ini, broken.Name))
	require.Contains(t, stderr, fmt.Sprintf("E! [%s] ITEM_LOGIN_REQUIRED", broken.Name))
	require.Contains(t, stdout, `login_required=true`)
}

func TestKilledMidSyncThenRestartedLosesAndDoublesNothing(t *testing.T) {
	e := newEnv(t, plaidemu.Config{Seed: 33, Items: 4, HistoryDays: 730, TxPerDay: 6})
	items := e.emu.Items()
	// The first item finishes quickly; the others are still paging when the
	// process is killed.
	for i, it := range items {
		_, err := e.emu.AddFault(plaidemu.Fault{Endpoint: "/transactions/sync", Item: it.Name, LatencyMS: 20 + 250*i})
		require.NoError(t, err)
	}
	first := startProc(t, "-config", e.conf, "-poll_interval_disabled")
	first.tick(t)
	first.waitFor(t, time.Minute, "the first transactions", func(out string) bool {
		return strings.Count(out, "plaid_transaction,") > 100
	})
	require.NoError(t, first.cmd.Process.Signal(syscall.SIGKILL))
	first.wait(t, 10*time.Second)
	firstLines := strings.Count(first.stdout.String(), "plaid_transaction,")
	require.Less(t, firstLines, e.emu.GroundTruth().Count, "the first process finished before it was killed")

	e.emu.ClearFaults()
	second := startProc(t, "-config", e.conf, "-poll_interval_disabled")
	second.tick(t)
	second.waitFor(t, 2*time.Minute, "every item synced", func(out string) bool { return itemLines(out, "ok") == len(items) })
	require.NoError(t, second.stdin.Close())
	require.Equal(t, 0, second.wait(t, 30*time.Second), second.stderr.String())

	view := lptruth.NewView()
	require.NoError(t, view.AddLineProtocolBytes(first.stdout.completeLines()))
	require.NoError(t, view.AddLineProtocolBytes(second.stdout.completeLines()))
	require.NoError(t, view.Check(e.emu.GroundTruth()))
}

func TestClosedStdinEndsAGatherInProgress(t *testing.T) {
	e := newEnv(t, plaidemu.Config{Seed: 34, Items: 2, HistoryDays: 400, TxPerDay: 6})
	_, err := e.emu.AddFault(plaidemu.Fault{Endpoint: "/transactions/sync", LatencyMS: 2000})
	require.NoError(t, err)
	p := startProc(t, "-config", e.conf, "-poll_interval_disabled")
	p.tick(t)
	time.Sleep(300 * time.Millisecond)
	require.NoError(t, p.stdin.Close())
	start := time.Now()
	require.Equal(t, 0, p.wait(t, 15*time.Second), p.stderr.String())
	require.Less(t, time.Since(start), 10*time.Second)
}

func TestSecretsNeverAppearInOutput(t *testing.T) {
	e := newEnv(t, plaidemu.Config{Seed: 35, Items: 4, HistoryDays: 30, TxPerDay: 4})
	items := e.emu.Items()
	faults := []plaidemu.Fault{
		{Endpoint: "/transactions/sync", Item: items[0].Name, ErrorCode: "INTERNAL_SERVER_ERROR", Count: 1},
		{Endpoint: "*", Item: items[1].Name, ErrorCode: "ITEM_LOGIN_REQUIRED"},
		{Endpoint: "/transactions/sync", Item: items[2].Name, ErrorCode: "INVALID_ACCESS_TOKEN"},
		{Endpoint: "/transactions/sync", Item: items[3].Name, Truncate: true, Count: 1},
	}
	for _, f := range faults {
		_, err := e.emu.AddFault(f)
		require.NoError(t, err)
	}
	e.writeConf(t, "  log_level = \"debug\"\n  secret = \"${PLAID_TEST_SECRET}\"\n")
	t.Setenv("PLAID_TEST_SECRET", testSecret)
	stdout, stderr, code := runOnce(t, e)
	require.Equal(t, 1, code)
	require.Contains(t, stderr, "D! ", "debug logging was on")
	secrets := []string{testSecret}
	for _, it := range items {
		secrets = append(secrets, it.AccessToken, strings.TrimPrefix(it.AccessToken, "access-sandbox-"))
	}
	for _, s := range secrets {
		require.NotContains(t, stdout, s)
		require.NotContains(t, stderr, s)
	}
	require.NotContains(t, stdout+stderr, "public-sandbox-")
}

func TestDemoRunsWithoutKeys(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, "-demo")
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	require.NoError(t, cmd.Run(), errOut.String())
	view := lptruth.NewView()
	require.NoError(t, view.AddLineProtocolBytes(out.Bytes()))
	require.NotEmpty(t, view.Points("plaid_transaction"))
	require.NotEmpty(t, view.Points("plaid_balance"))
	require.Len(t, view.Points("plaid_item"), 3)
	require.Contains(t, errOut.String(), "Finished syncing 3 Plaid accounts")
}
