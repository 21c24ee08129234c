package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/plaid-sync/telegraf-plaid/internal/plaidemu"
)

// recordingProxy forwards to the emulator and keeps the bodies of the
// /link/token/create requests linktool sends.
func recordingProxy(t *testing.T, target string) (string, func() []map[string]any) {
	t.Helper()
	u, err := url.Parse(target)
	require.NoError(t, err)
	proxy := httputil.NewSingleHostReverseProxy(u)
	var mu sync.Mutex
	var bodies []map[string]any
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/link/token/create" {
			data, err := io.ReadAll(r.Body)
			require.NoError(t, err)
			var body map[string]any
			require.NoError(t, json.Unmarshal(data, &body))
			mu.Lock()
			bodies = append(bodies, body)
			mu.Unlock()
			r.Body = io.NopCloser(bytes.NewReader(data))
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL, func() []map[string]any {
		mu.Lock()
		defer mu.Unlock()
		return append([]map[string]any(nil), bodies...)
	}
}

// Update mode asks Plaid for account selection (so NO_ACCOUNTS can be
// repaired), with the countries and language given.
func TestUpdateModeRequest(t *testing.T) {
	fastHostedPolling(t)
	emu, emuURL := startEmulator(t, 1)
	url, requests := recordingProxy(t, emuURL)
	items := emu.Items()
	path, _ := writeINI(t, t.TempDir(), url, items...)

	b := startTool(t, "-c", path, "--update", items[0].Name, "--hosted", "--country-codes", "us,gb", "--language", "fr")
	m := b.stdout.waitFor(t, hostedURLRe, 20*time.Second)
	_, err := emu.CompleteLink(hostedLinkToken(t, m[1]), "", "user_good", plaidemu.GoodPassword)
	require.NoError(t, err)
	require.Equal(t, exitOK, b.wait(t, 20*time.Second), b.stderr.String())

	reqs := requests()
	require.Len(t, reqs, 1)
	req := reqs[0]
	update, ok := req["update"].(map[string]any)
	require.True(t, ok, "update mode sends update options: %v", req)
	require.Equal(t, true, update["account_selection_enabled"])
	require.Equal(t, []any{"US", "GB"}, req["country_codes"])
	require.Equal(t, "fr", req["language"])
	require.NotContains(t, req, "products", "update mode names no products")
}

// A new link asks for the products of --products in Plaid's three roles,
// and --status shows the linked item's products.
func TestLinkProductsRequest(t *testing.T) {
	fastHostedPolling(t)
	emu, emuURL := startEmulator(t, -1)
	url, requests := recordingProxy(t, emuURL)
	path, _ := writeINI(t, t.TempDir(), url)

	b := startTool(t, "-c", path, "--link", "Broker", "--hosted",
		"--products", "transactions, investments:required_if_supported,liabilities:optional")
	m := b.stdout.waitFor(t, hostedURLRe, 20*time.Second)
	_, err := emu.CompleteLink(hostedLinkToken(t, m[1]), "ins_109508", "user_good", plaidemu.GoodPassword)
	require.NoError(t, err)
	require.Equal(t, exitOK, b.wait(t, 20*time.Second), b.stderr.String())

	reqs := requests()
	require.Len(t, reqs, 1)
	req := reqs[0]
	require.Equal(t, []any{"transactions"}, req["products"])
	require.Equal(t, []any{"investments"}, req["required_if_supported_products"])
	require.Equal(t, []any{"liabilities"}, req["optional_products"])
	require.Contains(t, req, "transactions", "days_requested goes with the Transactions product")

	res := runTool(t, "-c", path, "--status")
	require.Equal(t, exitOK, res.code, res.stdout+res.stderr)
	// First Platypus Bank supports both; this item holds a card but no
	// investment account, so Investments is not added.
	require.Regexp(t, `^Broker: First Platypus Bank, 3 accounts, .*, products transactions\+liabilities, error none\n$`, res.stdout)
}

// Without --products a new link asks for Transactions alone.
func TestLinkDefaultProducts(t *testing.T) {
	fastHostedPolling(t)
	emu, emuURL := startEmulator(t, -1)
	url, requests := recordingProxy(t, emuURL)
	path, _ := writeINI(t, t.TempDir(), url)
	b := startTool(t, "-c", path, "--link", "Bank", "--hosted")
	m := b.stdout.waitFor(t, hostedURLRe, 20*time.Second)
	_, err := emu.CompleteLink(hostedLinkToken(t, m[1]), "ins_109508", "user_good", plaidemu.GoodPassword)
	require.NoError(t, err)
	require.Equal(t, exitOK, b.wait(t, 20*time.Second), b.stderr.String())
	req := requests()[0]
	require.Equal(t, []any{"transactions"}, req["products"])
	require.NotContains(t, req, "required_if_supported_products")
	require.NotContains(t, req, "optional_products")
}
