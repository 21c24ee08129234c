// Package hostile is a fake Plaid for tests: a loopback server in front of
// the emulator that answers chosen endpoints with errors echoing the
// request (method, path, query, headers with the client id and secret, and
// the body with its tokens), the way a careless API or a proxy in between
// might: in JSON error objects and HTML error pages, cut at various
// lengths, upper-cased, URL-encoded and JSON-escaped. Every other request
// goes to the emulator, so that flows reach the endpoints under test.
package hostile

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
)

// Style is how the echo is wrapped.
type Style string

const (
	JSON400 Style = "JSON error, HTTP 400"
	JSON500 Style = "JSON error, HTTP 500" // retryable
	HTML400 Style = "HTML page, HTTP 400"
	HTML502 Style = "HTML page, HTTP 502" // retryable
)

// Form is what happened to the echoed text.
type Form string

const (
	AsSent       Form = "as sent"
	UpperCased   Form = "upper-cased"
	URLEncoded   Form = "URL-encoded"
	URLEveryByte Form = "URL-encoded, every byte"
	JSONEscaped  Form = "JSON-escaped"
	HTMLEntity   Form = "HTML character references"
)

// Cut is which part of the echo is kept.
type Cut string

const (
	Whole         Cut = "whole"
	First200      Cut = "first 200 bytes"
	InSecret      Cut = "cut inside the secret"
	InToken       Cut = "cut inside the token"
	FromMidToken  Cut = "starting inside the token"
	FromMidSecret Cut = "starting inside the secret"
)

// Echo is one hostile answer.
type Echo struct {
	Style Style
	Form  Form
	Cut   Cut
}

func (e Echo) String() string { return fmt.Sprintf("%s, %s, %s", e.Style, e.Form, e.Cut) }

var (
	Styles = []Style{JSON400, JSON500, HTML400, HTML502}
	Forms  = []Form{AsSent, UpperCased, URLEncoded, URLEveryByte, JSONEscaped, HTMLEntity}
	Cuts   = []Cut{Whole, First200, InSecret, InToken, FromMidToken, FromMidSecret}
)

// Echoes returns every combination of the given styles with every form
// and cut.
func Echoes(styles ...Style) []Echo {
	var out []Echo
	for _, s := range styles {
		for _, f := range Forms {
			for _, c := range Cuts {
				out = append(out, Echo{s, f, c})
			}
		}
	}
	return out
}

// Server is the fake Plaid.
type Server struct {
	URL string

	srv      *http.Server
	upstream *httputil.ReverseProxy

	mu     sync.Mutex
	paths  []string // endpoints answered with echoes; "*" for all
	echoes []Echo   // used in turn, one per answered request
	next   int
	used   []Echo
	tokens map[string]bool // every token seen in requests and answers
}

// New serves on a random loopback port in front of the emulator at
// upstream. Until Answer is called every request goes to the emulator.
func New(upstream string) (*Server, error) {
	target, err := url.Parse(upstream)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &Server{URL: "http://" + ln.Addr().String(), upstream: httputil.NewSingleHostReverseProxy(target), tokens: map[string]bool{}}
	s.upstream.ModifyResponse = func(resp *http.Response) error {
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		resp.Body = io.NopCloser(bytes.NewReader(body))
		s.see(body)
		return err
	}
	s.srv = &http.Server{Handler: s}
	go func() { _ = s.srv.Serve(ln) }()
	return s, nil
}

// Close stops the server.
func (s *Server) Close() error { return s.srv.Close() }

// Answer makes the server answer requests to paths ("*" for every path)
// with the echoes, one after the other, starting over after the last.
func (s *Server) Answer(echoes []Echo, paths ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.paths, s.echoes, s.next = paths, echoes, 0
}

func (s *Server) see(data []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, t := range tokenRe.FindAll(data, -1) {
		s.tokens[string(t)] = true
	}
}

// Tokens returns every access, public and link token that went through the
// server, either way.
func (s *Server) Tokens() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]string, 0, len(s.tokens))
	for t := range s.tokens {
		out = append(out, t)
	}
	slices.Sort(out)
	return out
}

// Used returns the echoes answered so far, in order.
func (s *Server) Used() []Echo {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.used)
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	r.Body = io.NopCloser(bytes.NewReader(body))
	s.see(body)
	s.mu.Lock()
	hostile := len(s.echoes) > 0 && (slices.Contains(s.paths, "*") || slices.Contains(s.paths, r.URL.Path))
	var e Echo
	if hostile {
		e = s.echoes[s.next%len(s.echoes)]
		s.next++
		s.used = append(s.used, e)
	}
	s.mu.Unlock()
	if !hostile {
		s.upstream.ServeHTTP(w, r)
		return
	}
	text := e.apply(requestText(r, body), r.Header.Get("Plaid-Secret"))
	switch e.Style {
	case JSON400, JSON500:
		status, code, typ := http.StatusBadRequest, "INVALID_FIELD", "INVALID_REQUEST"
		if e.Style == JSON500 {
			status, code, typ = http.StatusInternalServerError, "INTERNAL_SERVER_ERROR", "API_ERROR"
		}
		msg, _ := json.Marshal("the request could not be read: " + text)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		fmt.Fprintf(w, `{"error_type":%q,"error_code":%q,"error_message":%s,"display_message":%s,"request_id":"echo-%d","echo":%s}`,
			typ, code, msg, msg, len(text), msg)
	default:
		status := http.StatusBadRequest
		if e.Style == HTML502 {
			status = http.StatusBadGateway
		}
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(status)
		fmt.Fprintf(w, "<html><head><title>%d %s</title></head><body><h1>%s</h1><p>Request:</p><pre>%s</pre><!-- %s --></body></html>\n",
			status, http.StatusText(status), http.StatusText(status), html.EscapeString(text), text)
	}
}

// requestText is the request as a proxy would dump it.
func requestText(r *http.Request, body []byte) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s?%s %s\n", r.Method, r.URL.Path, r.URL.RawQuery, r.Proto)
	names := make([]string, 0, len(r.Header))
	for name := range r.Header {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		fmt.Fprintf(&b, "%s: %s\n", name, strings.Join(r.Header[name], ", "))
	}
	b.WriteString("\n")
	b.Write(body)
	return b.String()
}

var tokenRe = regexp.MustCompile(`(access|public|link)-(sandbox|production)-[0-9a-zA-Z-]+`)

// apply cuts the echo, then changes its form.
func (e Echo) apply(text, secret string) string {
	tok := tokenRe.FindIndex([]byte(text))
	sec := -1
	if secret != "" {
		sec = strings.Index(text, secret)
	}
	switch e.Cut {
	case First200:
		text = text[:min(200, len(text))]
	case InSecret:
		if sec >= 0 {
			text = text[:sec+len(secret)*2/3]
		}
	case InToken:
		if tok != nil {
			text = text[:tok[0]+(tok[1]-tok[0])*2/3]
		}
	case FromMidToken:
		if tok != nil {
			text = text[tok[0]+(tok[1]-tok[0])/3:]
		}
	case FromMidSecret:
		if sec >= 0 {
			text = text[sec+len(secret)/3:]
		}
	}
	switch e.Form {
	case UpperCased:
		text = strings.ToUpper(text)
	case URLEncoded:
		text = strings.ReplaceAll(url.QueryEscape(text), "-", "%2D")
	case URLEveryByte:
		var b strings.Builder
		for _, c := range []byte(text) {
			fmt.Fprintf(&b, "%%%02X", c)
		}
		text = b.String()
	case JSONEscaped:
		var b bytes.Buffer
		for _, c := range []byte(text) {
			if c == '-' || c == '_' || c == '"' {
				fmt.Fprintf(&b, `\u%04x`, c)
			} else {
				b.WriteByte(c)
			}
		}
		text = b.String()
	case HTMLEntity:
		text = strings.NewReplacer("-", "&#45;", "_", "&#x5F;").Replace(text)
	}
	return text
}

// Leaks returns the parts of the secrets (12 consecutive characters or
// more, in any case) found in text. For Plaid tokens only what follows the
// kind and environment counts: "access-sandbox-" is no secret.
func Leaks(text string, secrets ...string) []string {
	lo := strings.ToLower(text)
	var found []string
	for _, s := range secrets {
		if m := tokenPrefixRe.FindString(s); m != "" {
			s = s[len(m):]
		}
		s = strings.ToLower(s)
		for i := 0; i+12 <= len(s); i++ {
			if strings.Contains(lo, s[i:i+12]) {
				found = append(found, s[i:i+12])
				break
			}
		}
	}
	return found
}

var tokenPrefixRe = regexp.MustCompile(`^(access|public|link)-(sandbox|production|development)-`)
