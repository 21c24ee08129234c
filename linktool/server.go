package main

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"embed"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"net"
	"net/http"
	"strings"
	"sync"
	"syscall"
	"time"
)

// The local page that runs Plaid Link. Anyone who can reach it could hand
// linktool a bank link of their choosing, or read the link token, so it
// listens on loopback only, answers only with the per-run token from the
// printed URL, only to Host names of its own (against DNS rebinding), takes
// POSTs only from its own origin, and forbids framing and inline script.

//go:embed web
var webFiles embed.FS

var pageTemplate = template.Must(template.ParseFS(webFiles, "web/link.html"))

const maxReportBytes = 64 << 10

// The page's server gives a client this long to send a request's headers,
// and its whole request with the body: a stalled or hostile client must not
// hold a connection (and linktool) for ever. Variables for the tests.
var (
	pageHeaderTimeout = 10 * time.Second
	pageReadTimeout   = 30 * time.Second
	pageWriteTimeout  = time.Minute
	pageIdleTimeout   = 30 * time.Second
)

// pageResult is what the browser reported: a public token, or an exit.
type pageResult struct {
	publicToken string
	exited      bool
	exitCode    string // Plaid's error_code when Link exited with an error
	exitMessage string
	exitStatus  string // where the person left, e.g. requires_credentials
}

// linkPage serves the page for one Link session.
type linkPage struct {
	listener  net.Listener
	server    *http.Server
	url       string
	pageToken string
	hosts     map[string]bool // Host header values that name this server

	// Set by start.
	name      string
	update    bool
	linkToken string
	sdkURL    string
	sdkOrigin string
	apiOrigin string

	mu        sync.Mutex
	finished  bool
	results   chan pageResult
	closeOnce sync.Once
}

// listenPage binds the page's address (loopback only) with a new page token.
func listenPage(addr string) (*linkPage, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, usagef("--listen %q: %v (use 127.0.0.1:PORT)", addr, err)
	}
	if strings.EqualFold(host, "localhost") {
		host = "127.0.0.1"
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return nil, usagef("--listen %s: only loopback addresses (127.0.0.1, ::1, localhost) are allowed, since the page hands bank links to linktool; on a headless host use ssh -L %s:127.0.0.1:%s HOST, or --hosted", addr, port, port)
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(host, port))
	if err != nil {
		if errors.Is(err, syscall.EADDRINUSE) {
			return nil, fmt.Errorf("port %s is in use; pick another with --listen 127.0.0.1:PORT", port)
		}
		return nil, fmt.Errorf("listening on %s: %w", addr, err)
	}
	port = fmt.Sprint(ln.Addr().(*net.TCPAddr).Port)
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		_ = ln.Close()
		return nil, err
	}
	p := &linkPage{
		listener:  ln,
		pageToken: base64.RawURLEncoding.EncodeToString(secret),
		hosts: map[string]bool{
			net.JoinHostPort(host, port):  true,
			"127.0.0.1:" + port:           true,
			"localhost:" + port:           true,
			net.JoinHostPort("::1", port): host == "::1",
		},
		results: make(chan pageResult, 1),
	}
	p.url = "http://" + net.JoinHostPort(host, port) + "/link?token=" + p.pageToken
	return p, nil
}

// start serves the page for a link token in the background. sdkURL is the
// Link SDK the page loads, apiURL the Plaid API it talks to.
func (p *linkPage) start(name string, update bool, linkToken, sdkURL, apiURL string) {
	p.name, p.update, p.linkToken, p.sdkURL = name, update, linkToken, sdkURL
	p.sdkOrigin = originOf(sdkURL)
	p.apiOrigin = originOf(apiURL)
	p.server = &http.Server{
		Handler:           p,
		ReadHeaderTimeout: pageHeaderTimeout,
		ReadTimeout:       pageReadTimeout,
		WriteTimeout:      pageWriteTimeout,
		IdleTimeout:       pageIdleTimeout,
	}
	go func() { _ = p.server.Serve(p.listener) }()
}

// wait returns the browser's report, or ctx's error.
func (p *linkPage) wait(ctx context.Context) (pageResult, error) {
	select {
	case r := <-p.results:
		return r, nil
	case <-ctx.Done():
		return pageResult{}, ctx.Err()
	}
}

// close stops the server, letting the last answer reach the browser.
func (p *linkPage) close() {
	p.closeOnce.Do(func() {
		if p.server == nil {
			_ = p.listener.Close()
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		if err := p.server.Shutdown(ctx); err != nil {
			_ = p.server.Close()
		}
	})
}

func originOf(rawURL string) string {
	i := strings.Index(rawURL, "://")
	if i < 0 {
		return rawURL
	}
	rest := rawURL[i+3:]
	if j := strings.IndexByte(rest, '/'); j >= 0 {
		rest = rest[:j]
	}
	return rawURL[:i+3] + rest
}

// csp allows what Plaid's documentation says Link needs, and nothing more:
// the SDK script itself (no inline script), its frame, its calls to the
// Plaid API, and the inline styles it gives its overlay.
func (p *linkPage) csp() string {
	return "default-src 'none'; script-src 'self' " + p.sdkURL +
		"; frame-src " + p.sdkOrigin +
		"; connect-src 'self' " + p.apiOrigin +
		"; style-src 'self' 'unsafe-inline'; img-src 'self' data: " + p.sdkOrigin +
		"; font-src " + p.sdkOrigin +
		"; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
}

func (p *linkPage) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", p.csp())
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")

	if !p.hosts[strings.ToLower(r.Host)] {
		http.Error(w, "This page answers only to its own address (127.0.0.1 or localhost).", http.StatusForbidden)
		return
	}
	switch r.URL.Path {
	case "/link":
		if !allowMethod(w, r, http.MethodGet, http.MethodHead) || !p.checkToken(w, r) {
			return
		}
		p.servePage(w)
	case "/static/link.js":
		p.serveStatic(w, r, "web/link.js", "text/javascript; charset=utf-8")
	case "/static/link.css":
		p.serveStatic(w, r, "web/link.css", "text/css; charset=utf-8")
	case "/link/success", "/link/exit":
		if !allowMethod(w, r, http.MethodPost) || !p.checkToken(w, r) || !p.checkOrigin(w, r) {
			return
		}
		p.serveReport(w, r)
	default:
		http.NotFound(w, r)
	}
}

func allowMethod(w http.ResponseWriter, r *http.Request, methods ...string) bool {
	for _, m := range methods {
		if r.Method == m {
			return true
		}
	}
	w.Header().Set("Allow", strings.Join(methods, ", "))
	http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	return false
}

// checkToken compares the URL's token with the page token in constant time.
func (p *linkPage) checkToken(w http.ResponseWriter, r *http.Request) bool {
	got := r.URL.Query().Get("token")
	if subtle.ConstantTimeCompare([]byte(got), []byte(p.pageToken)) != 1 {
		http.Error(w, "Missing or wrong token: open the exact URL linktool printed.", http.StatusForbidden)
		return false
	}
	return true
}

// checkOrigin accepts POSTs only from the page itself.
func (p *linkPage) checkOrigin(w http.ResponseWriter, r *http.Request) bool {
	if r.Header.Get("Origin") != "http://"+r.Host {
		http.Error(w, "cross-origin request refused", http.StatusForbidden)
		return false
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		http.Error(w, "expected application/json", http.StatusUnsupportedMediaType)
		return false
	}
	return true
}

func (p *linkPage) servePage(w http.ResponseWriter) {
	mode := "link"
	if p.update {
		mode = "update"
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_ = pageTemplate.Execute(w, map[string]any{
		"Name": p.name, "Update": p.update, "Mode": mode,
		"LinkToken": p.linkToken, "PageToken": p.pageToken, "SDKURL": p.sdkURL,
	})
}

func (p *linkPage) serveStatic(w http.ResponseWriter, r *http.Request, file, contentType string) {
	if !allowMethod(w, r, http.MethodGet, http.MethodHead) {
		return
	}
	body, err := webFiles.ReadFile(file)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", contentType)
	_, _ = w.Write(body)
}

// report is what the page posts: onSuccess's or onExit's arguments.
type report struct {
	PublicToken string `json:"public_token"`
	Error       *struct {
		ErrorCode      string `json:"error_code"`
		ErrorMessage   string `json:"error_message"`
		DisplayMessage string `json:"display_message"`
	} `json:"error"`
	Metadata struct {
		Status string `json:"status"`
	} `json:"metadata"`
}

func (p *linkPage) serveReport(w http.ResponseWriter, r *http.Request) {
	var rep report
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxReportBytes))
	if err := dec.Decode(&rep); err != nil {
		http.Error(w, "invalid report: "+err.Error(), http.StatusBadRequest)
		return
	}
	var res pageResult
	if r.URL.Path == "/link/success" {
		if !strings.HasPrefix(rep.PublicToken, "public-") || len(rep.PublicToken) > 200 {
			http.Error(w, "the report holds no public token", http.StatusBadRequest)
			return
		}
		res.publicToken = rep.PublicToken
	} else {
		res.exited, res.exitStatus = true, rep.Metadata.Status
		if rep.Error != nil {
			res.exitCode = rep.Error.ErrorCode
			res.exitMessage = firstNonEmpty(rep.Error.DisplayMessage, rep.Error.ErrorMessage)
		}
	}
	p.mu.Lock()
	done := p.finished
	p.finished = true
	p.mu.Unlock()
	if done {
		http.Error(w, "This link session is already over; close this page.", http.StatusConflict)
		return
	}
	p.results <- res
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write([]byte(`{"ok":true}`))
}

func firstNonEmpty(values ...string) string {
	for _, v := range values {
		if v != "" {
			return v
		}
	}
	return ""
}
