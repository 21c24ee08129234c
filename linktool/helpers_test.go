package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/plaid-sync/telegraf-plaid/internal/plaidapi"
	"github.com/plaid-sync/telegraf-plaid/internal/plaidemu"
	"github.com/plaid-sync/telegraf-plaid/internal/plaidini"
	"github.com/plaid/plaid-go/v42/plaid"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

const (
	emuClientID = "linktool-test-id"
	emuSecret   = "linktool-test-secret"
)

// startEmulator runs the Plaid emulator on a random loopback port.
func startEmulator(t *testing.T, items int) (*plaidemu.Emulator, string) {
	t.Helper()
	emu, err := plaidemu.New(plaidemu.Config{Seed: 7, Items: items, HistoryDays: 30, TxPerDay: 2, ClientID: emuClientID, Secret: emuSecret})
	require.NoError(t, err)
	url, err := emu.Serve("127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = emu.Close() })
	return emu, url
}

// writeINI writes a configuration for the emulator at url, with a comment
// and the given item sections, and returns its path and content.
func writeINI(t *testing.T, dir, url string, items ...plaidemu.ItemInfo) (string, string) {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "# telegraf-plaid test configuration\n[PLAID]\nclient_id = %s\nsecret = %s\nenvironment = sandbox\nbase_url = %s\n\n[plaid-sync]\ndbfile = /tmp/unused.db\n", emuClientID, emuSecret, url)
	for _, it := range items {
		fmt.Fprintf(&b, "\n# %s\n[%s]\naccess_token = %s\n", it.InstitutionName, it.Name, it.AccessToken)
	}
	path := filepath.Join(dir, "plaid.ini")
	require.NoError(t, os.WriteFile(path, []byte(b.String()), 0o600))
	return path, b.String()
}

// syncBuffer is an io.Writer that tests can read while linktool writes.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.String()
}

// waitFor polls the buffer until re matches, failing after timeout.
func (s *syncBuffer) waitFor(t *testing.T, re *regexp.Regexp, timeout time.Duration) []string {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if m := re.FindStringSubmatch(s.String()); m != nil {
			return m
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("output never matched %s:\n%s", re, s.String())
	return nil
}

type result struct {
	code           int
	stdout, stderr string
}

// runTool runs linktool in-process to completion.
func runTool(t *testing.T, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var stdout, stderr syncBuffer
	code := run(ctx, args, nil, &stdout, &stderr)
	return result{code: code, stdout: stdout.String(), stderr: stderr.String()}
}

// background runs linktool in-process without waiting for it.
type background struct {
	stdout, stderr syncBuffer
	done           chan int
	cancel         context.CancelFunc
}

func startTool(t *testing.T, args ...string) *background {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	b := &background{done: make(chan int, 1), cancel: cancel}
	go func() { b.done <- run(ctx, args, nil, &b.stdout, &b.stderr) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-b.done:
		case <-time.After(10 * time.Second):
			t.Error("linktool did not stop")
		}
	})
	return b
}

// wait returns the exit code, failing the test after timeout.
func (b *background) wait(t *testing.T, timeout time.Duration) int {
	t.Helper()
	select {
	case code := <-b.done:
		b.done <- code // keep it for Cleanup
		return code
	case <-time.After(timeout):
		t.Fatalf("linktool still running after %s\nstdout:\n%s\nstderr:\n%s", timeout, b.stdout.String(), b.stderr.String())
		return -1
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	return string(data)
}

func requireMode(t *testing.T, path string, want os.FileMode) {
	t.Helper()
	info, err := os.Stat(path)
	require.NoError(t, err)
	require.Equal(t, want, info.Mode().Perm(), path)
}

// backups lists the backups of the configuration at path.
func backups(t *testing.T, path string) []string {
	t.Helper()
	m, err := filepath.Glob(path + ".*.bkp")
	require.NoError(t, err)
	return m
}

// requireSaved checks the result of a successful rewrite: one backup
// holding the original, both files 0600, and the printed messages.
func requireSaved(t *testing.T, res result, path, original string) string {
	t.Helper()
	return requireSavedWithMode(t, res, path, original, 0o600)
}

// requireSavedWithMode is requireSaved for a file that keeps another mode.
func requireSavedWithMode(t *testing.T, res result, path, original string, mode os.FileMode) string {
	t.Helper()
	b := backups(t, path)
	require.Len(t, b, 1)
	require.Equal(t, original, readFile(t, b[0]), "the backup holds the original")
	requireMode(t, b[0], 0o600)
	requireMode(t, path, mode)
	require.Contains(t, res.stdout, "Backing up existing configuration to: "+b[0]+"\n")
	require.Contains(t, res.stdout, "Overwriting existing config file: "+path+"\n")
	content := readFile(t, path)
	require.True(t, strings.HasPrefix(content, original) || len(content) < len(original), "comments and layout are kept")
	return content
}

// requireUntouched checks that the configuration is unchanged and not backed up.
func requireUntouched(t *testing.T, path, original string) {
	t.Helper()
	require.Equal(t, original, readFile(t, path))
	require.Empty(t, backups(t, path))
}

// savedToken returns the access token saved for item name.
func savedToken(t *testing.T, path, name string) string {
	t.Helper()
	f, err := plaidini.Load(path)
	require.NoError(t, err)
	st, err := f.Settings()
	require.NoError(t, err)
	it, ok := st.Item(name)
	require.True(t, ok, "item %q saved", name)
	return it.AccessToken
}

// emuItem returns the emulator's item with this access token.
func emuItem(t *testing.T, emu *plaidemu.Emulator, accessToken string) (plaidemu.ItemInfo, bool) {
	t.Helper()
	for _, it := range emu.Items() {
		if it.AccessToken == accessToken {
			return it, true
		}
	}
	return plaidemu.ItemInfo{}, false
}

// testClient is a plaid-go client for the emulator, as the plugin has.
func testClient(url string) *plaid.APIClient {
	return plaidapi.NewClient(plaidapi.Options{ClientID: emuClientID, Secret: emuSecret, BaseURL: url, Timeout: 20 * time.Second})
}

// sandboxPublicToken makes a fresh public token through the emulator.
func sandboxPublicToken(t *testing.T, url string) string {
	t.Helper()
	req := plaid.NewSandboxPublicTokenCreateRequest("ins_109508", []plaid.Products{plaid.PRODUCTS_TRANSACTIONS})
	resp, _, err := testClient(url).PlaidApi.SandboxPublicTokenCreate(context.Background()).SandboxPublicTokenCreateRequest(*req).Execute()
	require.NoError(t, err)
	return resp.GetPublicToken()
}

// syncOnce runs one /transactions/sync call for the item.
func syncOnce(url, accessToken string) error {
	req := plaid.NewTransactionsSyncRequest(accessToken)
	_, httpResp, err := testClient(url).PlaidApi.TransactionsSync(context.Background()).TransactionsSyncRequest(*req).Execute()
	return callError("/transactions/sync", err, httpResp)
}

// readOnlyDir returns a directory linktool can read but not write: a
// read-only tmpfs for root (who ignores permissions), else mode 0500.
func readOnlyDir(t *testing.T, fill func(dir string)) string {
	t.Helper()
	if os.Geteuid() != 0 {
		dir := t.TempDir()
		fill(dir)
		require.NoError(t, os.Chmod(dir, 0o500))
		t.Cleanup(func() { _ = os.Chmod(dir, 0o700) })
		return dir
	}
	dir := filepath.Join(t.TempDir(), "ro")
	require.NoError(t, os.Mkdir(dir, 0o700))
	require.NoError(t, unix.Mount("tmpfs", dir, "tmpfs", 0, "size=64k,mode=0700"), "root needs to mount a tmpfs for this test")
	t.Cleanup(func() { _ = unix.Unmount(dir, unix.MNT_DETACH) })
	fill(dir)
	require.NoError(t, unix.Mount("tmpfs", dir, "tmpfs", unix.MS_REMOUNT|unix.MS_RDONLY, ""))
	return dir
}
