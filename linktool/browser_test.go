package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
)

const chromiumPath = "/usr/bin/chromium"

// newBrowser starts a headless Chromium with a fresh profile. The name
// rebind.test resolves to 127.0.0.1, as a DNS rebinding attack would make it.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	if testing.Short() {
		t.Skip("browser test; run without -short")
	}
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Fatalf("Chromium is needed for the browser tests (%v): run apt-get install -y chromium", err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("host-resolver-rules", "MAP rebind.test 127.0.0.1"),
		chromedp.UserDataDir(t.TempDir()),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(allocCtx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 60*time.Second)
	t.Cleanup(func() {
		cancelTimeout()
		cancelCtx()
		cancelAlloc()
	})
	require.NoError(t, chromedp.Do(ctx), "starting Chromium")
	return ctx
}

// dialogFrame waits for the Link iframe to show and returns its node, so
// that queries can run inside the dialog.
func dialogFrame(t *testing.T, ctx context.Context) *chromedp.Node {
	t.Helper()
	const sel = `iframe[data-testid="plaid-link-iframe"]`
	require.NoError(t, chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS(sel))))
	frames, err := chromedp.Run(ctx, chromedp.Nodes(chromedp.CSS(sel)))
	require.NoError(t, err)
	require.Len(t, frames, 1)
	return frames[0]
}

// openLinkPage loads the page linktool printed and opens Plaid Link.
func openLinkPage(t *testing.T, ctx context.Context, b *background) *chromedp.Node {
	t.Helper()
	m := b.stdout.waitFor(t, pageURLRe, 20*time.Second)
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Navigate(m[1]),
		chromedp.WaitEnabled(chromedp.CSS(`#open-link`)),
		chromedp.Click(chromedp.CSS(`#open-link`)),
	))
	return dialogFrame(t, ctx)
}

// logIn fills in the dialog's credentials form and continues after success.
func logIn(t *testing.T, ctx context.Context, frame *chromedp.Node) {
	t.Helper()
	in := chromedp.FromNode(frame)
	require.NoError(t, chromedp.Do(ctx,
		chromedp.WaitVisible(chromedp.CSS(`#username`), in),
		chromedp.SendKeys(chromedp.CSS(`#username`), "user_good", in),
		chromedp.SendKeys(chromedp.CSS(`#password`), "pass_good", in),
		chromedp.Click(chromedp.CSS(`#submit`), in),
		chromedp.WaitVisible(chromedp.CSS(`#continue`), in),
		chromedp.Click(chromedp.CSS(`#continue`), in),
	))
}

func pageStatus(t *testing.T, ctx context.Context, want string) string {
	t.Helper()
	_, err := chromedp.Run(ctx, chromedp.Poll[bool](fmt.Sprintf(`document.getElementById("status").textContent.indexOf(%q) >= 0`, want),
		chromedp.WithPollingTimeout(20*time.Second)))
	require.NoError(t, err, "page status never showed %q", want)
	status, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`#status`)))
	require.NoError(t, err)
	return status
}

func TestBrowserLinkNewItem(t *testing.T) {
	ctx := newBrowser(t)
	emu, emuURL := startEmulator(t, -1)
	path, original := writeINI(t, t.TempDir(), emuURL)
	b := startTool(t, "-c", path, "--link", "Browser Bank", "--listen", "127.0.0.1:0")

	frame := openLinkPage(t, ctx, b)
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`[data-testid="institution-ins_109508"]`), chromedp.FromNode(frame)),
	))
	logIn(t, ctx, frame)
	pageStatus(t, ctx, "Done.")

	require.Equal(t, exitOK, b.wait(t, 20*time.Second), b.stderr.String())
	res := result{stdout: b.stdout.String(), stderr: b.stderr.String()}
	require.Contains(t, res.stdout, "Public token obtained [public-sandbox-")
	require.Contains(t, res.stdout, "Browser Bank is linked and is ready to sync.\n")
	requireSaved(t, res, path, original)
	token := savedToken(t, path, "Browser Bank")
	it, ok := emuItem(t, emu, token)
	require.True(t, ok)
	require.Equal(t, "ins_109508", it.InstitutionID)

	// The page shows Plaid's response, public token included, for recovery.
	shown, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`#result`)))
	require.NoError(t, err)
	require.Contains(t, shown, `"public_token": "public-sandbox-`)
	require.Contains(t, shown, `"institution"`)
}

func TestBrowserUpdateItem(t *testing.T) {
	ctx := newBrowser(t)
	emu, emuURL := startEmulator(t, 1)
	items := emu.Items()
	path, original := writeINI(t, t.TempDir(), emuURL, items...)
	b := startTool(t, "-c", path, "--update", items[0].Name, "--listen", "127.0.0.1:0")

	frame := openLinkPage(t, ctx, b)
	it, _ := emuItem(t, emu, items[0].AccessToken)
	require.Equal(t, "ITEM_LOGIN_REQUIRED", it.Error, "reset_login ran first")
	require.Error(t, syncOnce(emuURL, items[0].AccessToken), "the item cannot sync before the update")
	logIn(t, ctx, frame)
	pageStatus(t, ctx, "Done.")

	require.Equal(t, exitOK, b.wait(t, 20*time.Second), b.stderr.String())
	require.Contains(t, b.stdout.String(), "There is nothing else to do, the account should sync properly now with the existing credentials.\n")
	requireUntouched(t, path, original)
	require.NoError(t, syncOnce(emuURL, items[0].AccessToken), "the item syncs after the update")
	note, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`#result-note`)))
	require.NoError(t, err)
	require.Contains(t, note, "No new token is needed")
}

func TestBrowserCancel(t *testing.T) {
	ctx := newBrowser(t)
	_, emuURL := startEmulator(t, -1)
	path, original := writeINI(t, t.TempDir(), emuURL)
	b := startTool(t, "-c", path, "--link", "Browser Bank", "--listen", "127.0.0.1:0")

	frame := openLinkPage(t, ctx, b)
	require.NoError(t, chromedp.Do(ctx,
		chromedp.WaitVisible(chromedp.CSS(`#cancel`), chromedp.FromNode(frame)),
		chromedp.Click(chromedp.CSS(`#cancel`), chromedp.FromNode(frame)),
	))
	require.Equal(t, exitFailed, b.wait(t, 20*time.Second))
	require.Contains(t, b.stderr.String(), "You cancelled Plaid Link")
	require.Contains(t, b.stderr.String(), "To try again, run:\n    linktool -c "+path+" --link 'Browser Bank' --listen 127.0.0.1:0\n")
	requireUntouched(t, path, original)
	pageStatus(t, ctx, "Nothing was changed")
}

// attackerPage serves a page from another origin that posts a forged
// success to linktool, as a malicious site open in the same browser could.
func attackerPage(t *testing.T, target string) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><title>attacker</title><p id="out">sending</p><script>
fetch(%q, {method: "POST", mode: "no-cors", headers: {"Content-Type": "text/plain"},
  body: JSON.stringify({public_token: "public-sandbox-forged", metadata: {}})})
  .then(function () { document.getElementById("out").textContent = "sent"; },
        function (e) { document.getElementById("out").textContent = "sent: " + e; });
</script>`, target)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestBrowserForgedRequests(t *testing.T) {
	ctx := newBrowser(t)
	_, emuURL := startEmulator(t, -1)
	path, original := writeINI(t, t.TempDir(), emuURL)
	b := startTool(t, "-c", path, "--link", "Browser Bank", "--listen", "127.0.0.1:0")
	m := b.stdout.waitFor(t, pageURLRe, 20*time.Second)
	port, token := m[2], m[3]
	base := "http://127.0.0.1:" + port

	tests := []struct {
		name, target string
	}{
		{"forged post without the token", base + "/link/success"},
		{"forged post from another site with the token", base + "/link/success?token=" + token},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(attackerPage(t, tc.target))))
			_, err := chromedp.Run(ctx, chromedp.Poll[bool](`document.getElementById("out").textContent.indexOf("sent") === 0`,
				chromedp.WithPollingTimeout(10*time.Second)))
			require.NoError(t, err, "the attacker page sent its request")
		})
	}

	t.Run("page through a rebound host name", func(t *testing.T) {
		require.NoError(t, chromedp.Do(ctx, chromedp.Navigate("http://rebind.test:"+port+"/link?token="+token)))
		body, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`body`)))
		require.NoError(t, err)
		require.Contains(t, body, "This page answers only to its own address")
		hasButton, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.getElementById("open-link") !== null`))
		require.NoError(t, err)
		require.False(t, hasButton, "the page is not served under a foreign name")
	})

	t.Run("page without the token", func(t *testing.T) {
		require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(base+"/link")))
		body, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`body`)))
		require.NoError(t, err)
		require.Contains(t, body, "Missing or wrong token")
	})

	// None of it reached linktool: it still waits, and the file is untouched.
	select {
	case code := <-b.done:
		t.Fatalf("linktool ended (%d) after forged requests:\n%s", code, b.stderr.String())
	case <-time.After(300 * time.Millisecond):
	}
	requireUntouched(t, path, original)
	b.cancel()
	require.Equal(t, exitInterrupted, b.wait(t, 10*time.Second))
	require.False(t, strings.Contains(b.stdout.String(), "Public token obtained"))
	requireUntouched(t, path, original)
}

// Link offers only the banks that support every --products product, and
// the item gets them: Capital One, without Investments, is not listed.
func TestBrowserLinkProducts(t *testing.T) {
	ctx := newBrowser(t)
	emu, emuURL := startEmulator(t, -1)
	path, _ := writeINI(t, t.TempDir(), emuURL)
	b := startTool(t, "-c", path, "--link", "Broker", "--listen", "127.0.0.1:0", "--products", "transactions,investments")

	frame := openLinkPage(t, ctx, b)
	in := chromedp.FromNode(frame)
	require.NoError(t, chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS(`[data-testid="institution-ins_109508"]`), in)))
	capitalOne, err := chromedp.Run(ctx, chromedp.Nodes(chromedp.CSS(`[data-testid="institution-ins_128026"]`), chromedp.AtLeast(0), in))
	require.NoError(t, err)
	require.Empty(t, capitalOne, "Capital One does not support Investments")
	require.NoError(t, chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`[data-testid="institution-ins_109508"]`), in)))
	logIn(t, ctx, frame)
	pageStatus(t, ctx, "Done.")
	require.Equal(t, exitOK, b.wait(t, 20*time.Second), b.stderr.String())

	res := runTool(t, "-c", path, "--status")
	require.Equal(t, exitOK, res.code, res.stdout+res.stderr)
	require.Regexp(t, `^Broker: First Platypus Bank, \d accounts, .*, products transactions\+investments, error none\n$`, res.stdout)
	it, ok := emuItem(t, emu, savedToken(t, path, "Broker"))
	require.True(t, ok)
	require.Equal(t, "ins_109508", it.InstitutionID)
}
