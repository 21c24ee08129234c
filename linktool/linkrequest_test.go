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
