package plaidemu_test

import (
	"context"
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/plaid/plaid-go/v42/plaid"
	"github.com/stretchr/testify/require"

	"github.com/plaid-sync/telegraf-plaid/internal/plaidemu"
)

// chromiumPath finds the browser the Link tests drive.
func chromiumPath(t testing.TB) string {
	t.Helper()
	if p := os.Getenv("CHROMIUM_PATH"); p != "" {
		return p
	}
	for _, name := range []string{"/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Fatal("the Link tests need Chromium: install it or set CHROMIUM_PATH")
	return ""
}

// startBrowser starts headless Chromium with an empty profile; it stops
// when the test ends.
func startBrowser(t testing.TB) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath(t)),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.NoFirstRun,
		chromedp.UserDataDir(t.TempDir()),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(allocCtx)
	t.Cleanup(func() {
		cancel()
		cancelAlloc()
	})
	require.NoError(t, chromedp.Do(ctx), "starting Chromium")
	return ctx
}

// embeddingPage serves the test page on its own port (another origin than
// the emulator) with the Content-Security-Policy linktool uses.
func embeddingPage(t testing.TB, emulatorURL, linkToken string) string {
	t.Helper()
	tmpl := template.Must(template.ParseFiles(filepath.Join("testdata", "linkpage", "index.html")))
	app, err := os.ReadFile(filepath.Join("testdata", "linkpage", "app.js"))
	require.NoError(t, err)
	csp := fmt.Sprintf("script-src 'self' %[1]s; frame-src %[1]s; connect-src 'self'; style-src 'self'", emulatorURL)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", csp)
		switch r.URL.Path {
		case "/":
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			_ = tmpl.Execute(w, map[string]string{"EmulatorURL": emulatorURL, "LinkToken": linkToken})
		case "/app.js":
			w.Header().Set("Content-Type", "text/javascript")
			_, _ = w.Write(app)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	require.NotEqual(t, emulatorURL, srv.URL)
	return srv.URL
}

// tab opens a new tab that records console errors and uncaught exceptions;
// the test fails if there were any besides the expected ones (substrings).
func tab(t *testing.T, browser context.Context, expected ...string) context.Context {
	t.Helper()
	ctx, cancel := chromedp.NewContext(browser)
	require.NoError(t, chromedp.Do(ctx))
	consoleCtx, stopConsole := context.WithCancel(ctx)
	messages := chromedp.Console(consoleCtx)
	var mu sync.Mutex
	var problems []string
	done := make(chan struct{})
	go func() {
		defer close(done)
		for m, err := range messages {
			if err != nil {
				return
			}
			text := m.String()
			if m.Type == chromedp.ConsoleError && slices.ContainsFunc(expected, func(e string) bool { return strings.Contains(text, e) }) {
				continue
			}
			if m.Type == chromedp.ConsoleError || m.IsException() {
				mu.Lock()
				problems = append(problems, text)
				mu.Unlock()
			}
		}
	}()
	t.Cleanup(func() {
		stopConsole()
		<-done
		cancel()
		mu.Lock()
		defer mu.Unlock()
		require.Empty(t, problems, "console errors in the browser")
	})
	timed, cancelTimed := context.WithTimeout(ctx, 30*time.Second)
	t.Cleanup(cancelTimed)
	return timed
}

// linkFrame waits until Link is ready on the embedding page, opens it and
// returns the iframe's node for queries inside the dialog.
func linkFrame(t *testing.T, ctx context.Context, pageURL string) *chromedp.Node {
	t.Helper()
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Navigate(pageURL),
		chromedp.WaitEnabled(chromedp.CSS("#open")),
		chromedp.Click(chromedp.CSS("#open")),
		chromedp.WaitVisible(chromedp.CSS(`iframe[data-testid="plaid-link-iframe"]`)),
	))
	nodes, err := chromedp.Run(ctx, chromedp.Nodes(chromedp.CSS(`iframe[data-testid="plaid-link-iframe"]`)))
	require.NoError(t, err)
	require.Len(t, nodes, 1)
	return nodes[0]
}

type linkResult struct {
	PublicToken string         `json:"public_token"`
	Error       any            `json:"error"`
	Metadata    map[string]any `json:"metadata"`
	Events      []string       `json:"events"`
	Violations  []string       `json:"violations"`
}

func readResult(t *testing.T, ctx context.Context, id string) linkResult {
	t.Helper()
	require.NoError(t, chromedp.Do(ctx, chromedp.WaitVisible(chromedp.ID(id))))
	text, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID(id)))
	require.NoError(t, err)
	var r linkResult
	require.NoError(t, json.Unmarshal([]byte(text), &r), text)
	require.Empty(t, r.Violations, "Content-Security-Policy violations")
	return r
}

// TestLinkInBrowser drives the Link SDK stand-in in headless Chromium from a
// page on another origin under a strict Content-Security-Policy: linking,
// a wrong password, leaving the dialog, update mode and Hosted Link.
func TestLinkInBrowser(t *testing.T) {
	emu, client := startEmulator(t, plaidemu.Config{Seed: 23, Items: 1, HistoryDays: 30})
	browser := startBrowser(t)

	t.Run("link an institution", func(t *testing.T) {
		lt := newLinkToken(t, client, "", false, 0)
		// The wrong password's 400 answer is logged by the browser.
		ctx := tab(t, browser, "status of 400 (Bad Request)")
		frame := linkFrame(t, ctx, embeddingPage(t, emu.URL(), lt.GetLinkToken()))
		in := chromedp.FromNode(frame)
		require.NoError(t, chromedp.Do(ctx,
			chromedp.WaitVisible(chromedp.CSS(`[data-testid="institution-ins_109508"]`), in),
			chromedp.Click(chromedp.CSS(`[data-testid="institution-ins_109508"]`), in),
			chromedp.WaitVisible(chromedp.CSS("#username"), in),
			chromedp.SendKeys(chromedp.CSS("#username"), "user_good", in),
			chromedp.SendKeys(chromedp.CSS("#password"), "wrong", in),
			chromedp.Click(chromedp.CSS("#submit"), in),
			chromedp.WaitVisible(chromedp.CSS(`[data-testid="error"]`), in),
		))
		msg, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`[data-testid="error"]`), in))
		require.NoError(t, err)
		require.Contains(t, msg, "credentials were not correct")

		password, err := chromedp.Run(ctx, chromedp.Value(chromedp.CSS("#password"), in))
		require.NoError(t, err)
		require.Empty(t, password, "a failed login clears the password")
		require.NoError(t, chromedp.Do(ctx,
			chromedp.SendKeys(chromedp.CSS("#password"), "pass_good", in),
			chromedp.Click(chromedp.CSS("#submit"), in),
			chromedp.WaitVisible(chromedp.CSS("#continue"), in),
			chromedp.Click(chromedp.CSS("#continue"), in),
		))
		res := readResult(t, ctx, "success")
		require.Regexp(t, `^public-sandbox-`, res.PublicToken)
		inst := res.Metadata["institution"].(map[string]any)
		require.Equal(t, "ins_109508", inst["institution_id"])
		require.Equal(t, "First Platypus Bank", inst["name"])
		accounts := res.Metadata["accounts"].([]any)
		require.NotEmpty(t, accounts)
		first := accounts[0].(map[string]any)
		for _, k := range []string{"id", "name", "mask", "type", "subtype"} {
			require.Contains(t, first, k)
		}
		require.NotEmpty(t, res.Metadata["link_session_id"])
		for _, ev := range []string{"OPEN", "SELECT_INSTITUTION", "HANDOFF"} {
			require.Contains(t, res.Events, ev)
		}
		require.NoError(t, chromedp.Do(ctx, chromedp.WaitNotVisible(chromedp.CSS(`iframe[data-testid="plaid-link-iframe"]`))))

		got := linkTokenGet(t, client, lt.GetLinkToken())
		sessions := got.GetLinkSessions()
		require.Len(t, sessions, 1)
		require.Equal(t, res.Metadata["link_session_id"], sessions[0].GetLinkSessionId())
		results := sessions[0].GetResults()
		require.Equal(t, res.PublicToken, results.GetItemAddResults()[0].GetPublicToken())
		ex := exchange(t, client, res.PublicToken)
		items := emu.Items()
		require.Equal(t, ex.GetItemId(), items[len(items)-1].ItemID)
	})

	t.Run("leave the dialog", func(t *testing.T) {
		lt := newLinkToken(t, client, "", false, 0)
		ctx := tab(t, browser)
		frame := linkFrame(t, ctx, embeddingPage(t, emu.URL(), lt.GetLinkToken()))
		in := chromedp.FromNode(frame)
		require.NoError(t, chromedp.Do(ctx,
			chromedp.WaitVisible(chromedp.CSS(`[data-testid="institution-ins_109511"]`), in),
			chromedp.Click(chromedp.CSS(`[data-testid="institution-ins_109511"]`), in),
			chromedp.WaitVisible(chromedp.CSS("#cancel"), in),
			chromedp.Click(chromedp.CSS("#cancel"), in),
		))
		res := readResult(t, ctx, "exit")
		require.Nil(t, res.Error)
		require.Equal(t, "requires_credentials", res.Metadata["status"])
		require.NotEmpty(t, res.Metadata["link_session_id"])
		require.Contains(t, res.Events, "EXIT")
		got := linkTokenGet(t, client, lt.GetLinkToken())
		sessions := got.GetLinkSessions()
		require.Len(t, sessions, 1)
		exit := sessions[0].GetExit()
		require.Equal(t, "requires_credentials", exit.Metadata.Get().GetStatus())
	})

	t.Run("update mode repairs the login", func(t *testing.T) {
		it := emu.Items()[0]
		_, _, err := client.PlaidApi.SandboxItemResetLogin(testContext(t)).SandboxItemResetLoginRequest(
			*plaid.NewSandboxItemResetLoginRequest(it.AccessToken)).Execute()
		require.NoError(t, err)
		lt := newLinkToken(t, client, it.AccessToken, false, 0)
		ctx := tab(t, browser)
		frame := linkFrame(t, ctx, embeddingPage(t, emu.URL(), lt.GetLinkToken()))
		in := chromedp.FromNode(frame)
		require.NoError(t, chromedp.Do(ctx,
			chromedp.WaitVisible(chromedp.CSS("#username"), in),
			chromedp.WaitNotVisible(chromedp.CSS(`[data-testid="institutions"]`), in),
		))
		title, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`[data-testid="institution-name"]`), in))
		require.NoError(t, err)
		require.Contains(t, title, it.InstitutionName, "update mode goes straight to the item's institution")
		require.NoError(t, chromedp.Do(ctx,
			chromedp.SendKeys(chromedp.CSS("#username"), "user_good", in),
			chromedp.SendKeys(chromedp.CSS("#password"), "pass_good", in),
			chromedp.Click(chromedp.CSS("#submit"), in),
			chromedp.WaitVisible(chromedp.CSS("#continue"), in),
			chromedp.Click(chromedp.CSS("#continue"), in),
		))
		res := readResult(t, ctx, "success")
		require.Equal(t, it.InstitutionID, res.Metadata["institution"].(map[string]any)["institution_id"])
		require.Empty(t, emu.Items()[0].Error, "the login works again")
	})

	t.Run("hosted link", func(t *testing.T) {
		lt := newLinkToken(t, client, "", true, 0)
		ctx := tab(t, browser)
		require.NoError(t, chromedp.Do(ctx,
			chromedp.Navigate(lt.GetHostedLinkUrl()),
			chromedp.WaitVisible(chromedp.CSS(`[data-testid="institution-ins_109512"]`)),
			chromedp.Click(chromedp.CSS(`[data-testid="institution-ins_109512"]`)),
			chromedp.SendKeys(chromedp.CSS("#username"), "user_good"),
			chromedp.SendKeys(chromedp.CSS("#password"), "pass_good"),
			chromedp.Click(chromedp.CSS("#submit")),
			chromedp.WaitVisible(chromedp.CSS("#continue")),
			chromedp.Click(chromedp.CSS("#continue")),
			chromedp.WaitVisible(chromedp.CSS(`[data-testid="done-message"]`)),
		))
		done, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`[data-testid="done-message"]`)))
		require.NoError(t, err)
		require.True(t, strings.Contains(done, "connected"), done)

		got := linkTokenGet(t, client, lt.GetLinkToken())
		sessions := got.GetLinkSessions()
		require.Len(t, sessions, 1)
		results := sessions[0].GetResults()
		pt := results.GetItemAddResults()[0].GetPublicToken()
		ex := exchange(t, client, pt)
		items := emu.Items()
		require.Equal(t, ex.GetItemId(), items[len(items)-1].ItemID)
		require.Equal(t, "ins_109512", items[len(items)-1].InstitutionID)
	})
}
