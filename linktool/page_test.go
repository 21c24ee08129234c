package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

var pageURLRe = regexp.MustCompile(`Open the following page in your browser to continue:\n    (http://127\.0\.0\.1:(\d+)/link\?token=([A-Za-z0-9_-]{43}))\n`)

type pageRequest struct {
	method, path, token, host, origin, contentType, body string
}

// send makes a raw request to the page server, with the Host and Origin
// headers a browser (or an attacker) would send.
func (r pageRequest) send(t *testing.T, port string) (int, http.Header, string) {
	t.Helper()
	target := "http://127.0.0.1:" + port + r.path
	if r.token != "" {
		target += "?token=" + url.QueryEscape(r.token)
	}
	req, err := http.NewRequest(r.method, target, strings.NewReader(r.body))
	require.NoError(t, err)
	if r.host != "" {
		req.Host = r.host
	}
	if r.origin != "" {
		req.Header.Set("Origin", r.origin)
	}
	if r.contentType != "" {
		req.Header.Set("Content-Type", r.contentType)
	}
	client := &http.Client{Timeout: 10 * time.Second}
	resp, err := client.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, resp.Header, string(body)
}

func TestPageRejectsForeignRequests(t *testing.T) {
	_, emuURL := startEmulator(t, -1)
	path, original := writeINI(t, t.TempDir(), emuURL)
	b := startTool(t, "-c", path, "--link", "Page Bank", "--listen", "127.0.0.1:0")
	m := b.stdout.waitFor(t, pageURLRe, 20*time.Second)
	port, token := m[2], m[3]
	self := "127.0.0.1:" + port
	wrongToken := strings.Repeat("A", len(token))
	success := `{"public_token":"public-sandbox-00000000-0000-0000-0000-000000000000","metadata":{}}`

	status, header, body := pageRequest{method: "GET", path: "/link", token: token}.send(t, port)
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, "default-src 'none'; script-src 'self' "+emuURL+"/link/v2/stable/link-initialize.js; frame-src "+emuURL+
		"; connect-src 'self' "+emuURL+"; style-src 'self' 'unsafe-inline'; img-src 'self' data: "+emuURL+"; font-src "+emuURL+
		"; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
		header.Get("Content-Security-Policy"))
	require.Equal(t, "DENY", header.Get("X-Frame-Options"))
	require.Equal(t, "no-referrer", header.Get("Referrer-Policy"))
	require.Equal(t, "no-store", header.Get("Cache-Control"))
	require.Contains(t, body, "Page Bank")
	require.Contains(t, body, `<script src="`+emuURL+`/link/v2/stable/link-initialize.js"></script>`)
	require.Contains(t, body, `<script src="/static/link.js" defer></script>`)
	require.NotRegexp(t, `<script(?: [^>]*)?>[^<]`, body, "no inline script")

	tests := []struct {
		name string
		req  pageRequest
		want int
	}{
		{"page without token", pageRequest{method: "GET", path: "/link"}, http.StatusForbidden},
		{"page with wrong token", pageRequest{method: "GET", path: "/link", token: wrongToken}, http.StatusForbidden},
		{"page through a rebound name", pageRequest{method: "GET", path: "/link", token: token, host: "attacker.example:" + port}, http.StatusForbidden},
		{"page on another port's name", pageRequest{method: "GET", path: "/link", token: token, host: "127.0.0.1:1"}, http.StatusForbidden},
		{"page as localhost", pageRequest{method: "GET", path: "/link", token: token, host: "localhost:" + port}, http.StatusOK},
		{"success without token", pageRequest{method: "POST", path: "/link/success", origin: "http://" + self, contentType: "application/json", body: success}, http.StatusForbidden},
		{"success with wrong token", pageRequest{method: "POST", path: "/link/success", token: wrongToken, origin: "http://" + self, contentType: "application/json", body: success}, http.StatusForbidden},
		{"success from another site", pageRequest{method: "POST", path: "/link/success", token: token, origin: "http://attacker.example", contentType: "application/json", body: success}, http.StatusForbidden},
		{"success without origin", pageRequest{method: "POST", path: "/link/success", token: token, contentType: "application/json", body: success}, http.StatusForbidden},
		{"success through a rebound name", pageRequest{method: "POST", path: "/link/success", token: token, host: "attacker.example:" + port, origin: "http://attacker.example:" + port, contentType: "application/json", body: success}, http.StatusForbidden},
		{"success as a form post", pageRequest{method: "POST", path: "/link/success", token: token, origin: "http://" + self, contentType: "text/plain", body: success}, http.StatusUnsupportedMediaType},
		{"success without public token", pageRequest{method: "POST", path: "/link/success", token: token, origin: "http://" + self, contentType: "application/json", body: `{"public_token":"access-sandbox-x"}`}, http.StatusBadRequest},
		{"success by GET", pageRequest{method: "GET", path: "/link/success", token: token}, http.StatusMethodNotAllowed},
		{"unknown path", pageRequest{method: "GET", path: "/admin", token: token}, http.StatusNotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, header, _ := tc.req.send(t, port)
			require.Equal(t, tc.want, status)
			require.Equal(t, "DENY", header.Get("X-Frame-Options"))
		})
	}
	requireUntouched(t, path, original)
	select {
	case code := <-b.done:
		t.Fatalf("linktool ended (%d) on a rejected request", code)
	default:
	}

	// The page's own report is accepted once; the public token is real.
	public := sandboxPublicToken(t, emuURL)
	good := pageRequest{method: "POST", path: "/link/success", token: token, origin: "http://" + self, contentType: "application/json",
		body: `{"public_token":"` + public + `","metadata":{"institution":{"name":"First Platypus Bank"}}}`}
	status, _, _ = good.send(t, port)
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, exitOK, b.wait(t, 20*time.Second), b.stderr.String())
	requireSaved(t, result{stdout: b.stdout.String()}, path, original)
	require.NotEmpty(t, savedToken(t, path, "Page Bank"))
}

func TestPageAcceptsOneReport(t *testing.T) {
	_, emuURL := startEmulator(t, -1)
	path, original := writeINI(t, t.TempDir(), emuURL)
	b := startTool(t, "-c", path, "--link", "Page Bank", "--listen", "127.0.0.1:0")
	m := b.stdout.waitFor(t, pageURLRe, 20*time.Second)
	port, token := m[2], m[3]
	exit := pageRequest{method: "POST", path: "/link/exit", token: token, origin: "http://127.0.0.1:" + port, contentType: "application/json",
		body: `{"error":null,"metadata":{"status":"institution_not_found"}}`}
	status, _, _ := exit.send(t, port)
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, exitFailed, b.wait(t, 20*time.Second))
	require.Contains(t, b.stderr.String(), "You cancelled Plaid Link (while choosing the bank); nothing was linked. "+path+" was not changed. To try again, run:\n    linktool -c "+path+" --link 'Page Bank' --listen 127.0.0.1:0\n")
	requireUntouched(t, path, original)
}

func TestPageSecondReportConflicts(t *testing.T) {
	p, err := listenPage("127.0.0.1:0")
	require.NoError(t, err)
	defer p.close()
	p.start("Bank", false, "link-sandbox-x", "http://127.0.0.1:1/link/v2/stable/link-initialize.js", "http://127.0.0.1:1")
	port := p.listener.Addr().(*net.TCPAddr).Port
	self := "127.0.0.1:" + strconv.Itoa(port)
	post := func(path, body string) int {
		req := httptest.NewRequest(http.MethodPost, "http://"+self+path+"?token="+p.pageToken, strings.NewReader(body))
		req.Header.Set("Origin", "http://"+self)
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		p.ServeHTTP(rec, req)
		return rec.Code
	}
	require.Equal(t, http.StatusOK, post("/link/success", `{"public_token":"public-sandbox-1"}`))
	require.Equal(t, http.StatusConflict, post("/link/success", `{"public_token":"public-sandbox-2"}`))
	require.Equal(t, http.StatusConflict, post("/link/exit", `{"error":null}`))
	res, err := p.wait(context.Background())
	require.NoError(t, err)
	require.Equal(t, pageResult{publicToken: "public-sandbox-1"}, res)
}

// With Plaid itself, the page allows exactly the sources Plaid's Link
// documentation lists: the SDK script, its frame, and the API host.
func TestPagePolicyForPlaidsCDN(t *testing.T) {
	p, err := listenPage("127.0.0.1:0")
	require.NoError(t, err)
	defer p.close()
	p.start("Bank", false, "link-production-x", plaidSDKURL, "https://production.plaid.com")
	rec := httptest.NewRecorder()
	p.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "http://"+p.listener.Addr().String()+"/link?token="+p.pageToken, nil))
	require.Equal(t, http.StatusOK, rec.Code)
	csp := rec.Header().Get("Content-Security-Policy")
	for _, directive := range []string{
		"default-src 'none'",
		"script-src 'self' https://cdn.plaid.com/link/v2/stable/link-initialize.js;",
		"frame-src https://cdn.plaid.com;",
		"connect-src 'self' https://production.plaid.com;",
		"frame-ancestors 'none'",
	} {
		require.Contains(t, csp, directive)
	}
	require.NotRegexp(t, `script-src[^;]*'unsafe-inline'`, csp, "no inline script")
}
