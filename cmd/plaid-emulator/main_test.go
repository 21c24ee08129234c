package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/plaid/plaid-go/v42/plaid"
	"github.com/stretchr/testify/require"
)

var binary string

// TestMain builds the command once; the tests run it as a real process.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "plaid-emulator-test-")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "plaid-emulator")
	build := exec.Command("go", "build", "-o", binary, ".")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		os.RemoveAll(dir)
		panic("building plaid-emulator: " + err.Error())
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// process is a running plaid-emulator.
type process struct {
	cmd    *exec.Cmd
	url    string
	stderr *syncBuffer
	done   chan error
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

var listeningRe = regexp.MustCompile(`^listening on (http://127\.0\.0\.1:\d+)$`)

// start runs the emulator with args and waits for its "listening on" line.
func start(t *testing.T, args ...string) *process {
	t.Helper()
	cmd := exec.Command(binary, append([]string{"-listen", "127.0.0.1:0"}, args...)...)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	p := &process{cmd: cmd, stderr: &syncBuffer{}, done: make(chan error, 1)}
	cmd.Stderr = p.stderr
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			<-p.done
		}
	})
	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			default:
			}
		}
		_, _ = io.Copy(io.Discard, stdout)
	}()
	go func() { p.done <- cmd.Wait() }()
	select {
	case line := <-lines:
		m := listeningRe.FindStringSubmatch(line)
		require.NotNil(t, m, "first line of stdout: %q", line)
		p.url = m[1]
	case err := <-p.done:
		t.Fatalf("plaid-emulator exited before listening: %v\n%s", err, p.stderr.String())
	case <-time.After(30 * time.Second):
		t.Fatalf("plaid-emulator did not report its address in time\n%s", p.stderr.String())
	}
	return p
}

// stop sends sig and waits for a clean exit.
func (p *process) stop(t *testing.T, sig os.Signal) {
	t.Helper()
	require.NoError(t, p.cmd.Process.Signal(sig))
	select {
	case err := <-p.done:
		require.NoError(t, err, "exit after %v\n%s", sig, p.stderr.String())
	case <-time.After(15 * time.Second):
		t.Fatalf("plaid-emulator did not stop after %v", sig)
	}
}

func client(url, id, secret string) *plaid.APIClient {
	cfg := plaid.NewConfiguration()
	cfg.AddDefaultHeader("PLAID-CLIENT-ID", id)
	cfg.AddDefaultHeader("PLAID-SECRET", secret)
	cfg.UseEnvironment(plaid.Environment(url))
	cfg.HTTPClient = &http.Client{Timeout: 30 * time.Second}
	return plaid.NewAPIClient(cfg)
}

type itemInfo struct {
	Name        string `json:"name"`
	AccessToken string `json:"access_token"`
}

func getJSON(t *testing.T, url string, v any) {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.NoError(t, json.NewDecoder(resp.Body).Decode(v))
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}

func TestServesUntilSignalled(t *testing.T) {
	for _, sig := range []os.Signal{syscall.SIGTERM, os.Interrupt} {
		t.Run(sig.String(), func(t *testing.T) {
			p := start(t, "-items", "2", "-history-days", "20", "-seed", "5", "-today", "2026-03-14", "-v")
			var items []itemInfo
			getJSON(t, p.url+"/emulator/items", &items)
			require.Len(t, items, 2)
			require.Equal(t, "Test Chase", items[0].Name)

			c := client(p.url, "test_client_id", "test_secret")
			req := plaid.NewTransactionsSyncRequest(items[0].AccessToken)
			req.SetCount(500)
			resp, _, err := c.PlaidApi.TransactionsSync(ctx(t)).TransactionsSyncRequest(*req).Execute()
			require.NoError(t, err)
			require.NotEmpty(t, resp.GetAdded())
			require.Equal(t, plaid.TRANSACTIONSUPDATESTATUS_HISTORICAL_UPDATE_COMPLETE, resp.GetTransactionsUpdateStatus())

			var truth struct {
				Today string `json:"today"`
			}
			getJSON(t, p.url+"/emulator/ground_truth", &truth)
			require.Equal(t, "2026-03-14", truth.Today)

			p.stop(t, sig)
			log := p.stderr.String()
			require.Contains(t, log, "POST /transactions/sync 200")
			require.Contains(t, log, "shutting down")
			require.NotContains(t, log, items[0].AccessToken, "the request log never shows tokens")
			require.NotContains(t, log, "test_secret", "the request log never shows the secret")
		})
	}
}

func TestFlags(t *testing.T) {
	t.Run("no items, own keys, ready at once, rate limits", func(t *testing.T) {
		p := start(t, "-items", "0", "-client-id", "my_id", "-secret", "my_secret", "-not-ready-syncs", "0", "-rate-limits")
		var items []itemInfo
		getJSON(t, p.url+"/emulator/items", &items)
		require.Empty(t, items)
		var limits struct {
			Enabled bool `json:"enabled"`
		}
		getJSON(t, p.url+"/emulator/rate_limits", &limits)
		require.True(t, limits.Enabled)

		_, resp, err := client(p.url, "test_client_id", "test_secret").PlaidApi.InstitutionsGetById(ctx(t)).InstitutionsGetByIdRequest(
			*plaid.NewInstitutionsGetByIdRequest("ins_3", []plaid.CountryCode{plaid.COUNTRYCODE_US})).Execute()
		require.Error(t, err)
		pe, convErr := plaid.ToPlaidError(err)
		require.NoError(t, convErr)
		require.Equal(t, "INVALID_API_KEYS", pe.ErrorCode)
		require.Equal(t, http.StatusBadRequest, resp.StatusCode)

		c := client(p.url, "my_id", "my_secret")
		pt, _, err := c.PlaidApi.SandboxPublicTokenCreate(ctx(t)).SandboxPublicTokenCreateRequest(
			*plaid.NewSandboxPublicTokenCreateRequest("ins_109508", []plaid.Products{plaid.PRODUCTS_TRANSACTIONS})).Execute()
		require.NoError(t, err)
		ex, _, err := c.PlaidApi.ItemPublicTokenExchange(ctx(t)).ItemPublicTokenExchangeRequest(
			*plaid.NewItemPublicTokenExchangeRequest(pt.GetPublicToken())).Execute()
		require.NoError(t, err)
		sync, _, err := c.PlaidApi.TransactionsSync(ctx(t)).TransactionsSyncRequest(*plaid.NewTransactionsSyncRequest(ex.GetAccessToken())).Execute()
		require.NoError(t, err)
		require.Equal(t, plaid.TRANSACTIONSUPDATESTATUS_HISTORICAL_UPDATE_COMPLETE, sync.GetTransactionsUpdateStatus(),
			"-not-ready-syncs 0 makes new items ready at once")
		p.stop(t, syscall.SIGTERM)
	})

	t.Run("bad flags", func(t *testing.T) {
		busy, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		defer busy.Close()
		tests := []struct {
			args []string
			want string
		}{
			{[]string{"-history-days", "0"}, "-history-days"},
			{[]string{"-history-days", "800"}, "HistoryDays"},
			{[]string{"-today", "yesterday"}, "-today"},
			{[]string{"-tx-per-day", "-1"}, "-tx-per-day"},
			{[]string{"-items", "-3"}, "-items"},
			{[]string{"-seed", "0"}, "-seed"},
			{[]string{"-not-ready-syncs", "-2"}, "-not-ready-syncs"},
			{[]string{"-no-such-flag"}, "flag provided but not defined"},
			{[]string{"extra"}, "unexpected arguments"},
			{[]string{"-listen", busy.Addr().String()}, "listen"},
		}
		for _, tc := range tests {
			cmd := exec.Command(binary, tc.args...)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			err := cmd.Run()
			var exit *exec.ExitError
			require.True(t, errors.As(err, &exit), "%v should fail: %v", tc.args, err)
			require.Equal(t, 2, exit.ExitCode(), "%v", tc.args)
			require.Contains(t, stderr.String(), tc.want, "%v", tc.args)
		}
	})

	t.Run("help", func(t *testing.T) {
		out, err := exec.Command(binary, "-h").CombinedOutput()
		require.NoError(t, err)
		for _, flag := range []string{"-listen", "-seed", "-items", "-history-days", "-tx-per-day", "-client-id", "-secret",
			"-rate-limits", "-today", "-not-ready-syncs"} {
			require.True(t, strings.Contains(string(out), flag), "help mentions %s", flag)
		}
	})
}
