package plaidemu

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// endpointFunc answers one Plaid endpoint: a response value (encoded as
// JSON) or Plaid's error.
type endpointFunc func(e *Emulator, c *call) (any, *apiError)

// plaidEndpoints are the Plaid API paths the emulator serves.
var plaidEndpoints map[string]endpointFunc

func init() {
	plaidEndpoints = map[string]endpointFunc{
		"/link/token/create":            (*Emulator).linkTokenCreate,
		"/link/token/get":               (*Emulator).linkTokenGet,
		"/item/public_token/exchange":   (*Emulator).itemPublicTokenExchange,
		"/item/get":                     (*Emulator).itemGet,
		"/item/remove":                  (*Emulator).itemRemove,
		"/accounts/get":                 (*Emulator).accountsGet,
		"/accounts/balance/get":         (*Emulator).accountsBalanceGet,
		"/transactions/sync":            (*Emulator).transactionsSync,
		"/transactions/get":             (*Emulator).transactionsGet,
		"/transactions/refresh":         (*Emulator).transactionsRefresh,
		"/institutions/get_by_id":       (*Emulator).institutionsGetByID,
		"/sandbox/public_token/create":  (*Emulator).sandboxPublicTokenCreate,
		"/sandbox/item/reset_login":     (*Emulator).sandboxItemResetLogin,
		"/sandbox/transactions/create":  (*Emulator).sandboxTransactionsCreate,
		"/investments/holdings/get":     (*Emulator).investmentsHoldingsGet,
		"/investments/transactions/get": (*Emulator).investmentsTransactionsGet,
		"/liabilities/get":              (*Emulator).liabilitiesGet,
	}
}

// maxBody bounds request bodies; Plaid's requests are small.
const maxBody = 1 << 20

// call is one Plaid API request being answered.
type call struct {
	path      string
	body      []byte
	requestID string
	req       *http.Request
	token     string // access_token of the body, if any
	cursor    string // cursor of the body, if any
}

// decode reads the body into v, turning JSON problems into Plaid's errors.
func (c *call) decode(v any) *apiError {
	if err := json.Unmarshal(c.body, v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			field := te.Field
			if field == "" {
				field = "body"
			}
			return invalidField("%s must be of type %s", field, jsonKind(te.Type.String()))
		}
		return plaidErr("INVALID_BODY")
	}
	return nil
}

func jsonKind(goType string) string {
	switch {
	case strings.Contains(goType, "int"), strings.Contains(goType, "float"):
		return "number"
	case strings.Contains(goType, "string"):
		return "string"
	case strings.Contains(goType, "bool"):
		return "boolean"
	case strings.HasPrefix(goType, "[]"), strings.HasPrefix(goType, "*[]"):
		return "array"
	}
	return "object"
}

// routes builds the emulator's handler: Plaid endpoints, Link pages and
// the control endpoints, behind a recover guard.
func (e *Emulator) routes() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		lw := &loggingWriter{ResponseWriter: w}
		path := cleanPath(r.URL.Path)
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				if !lw.wrote {
					e.writeError(lw, plaidErrf("INTERNAL_SERVER_ERROR", "internal error: %v", v), e.newRequestID())
				}
			}
			if e.cfg.Logf != nil {
				e.cfg.Logf("%s %s %d %s %s", r.Method, path, lw.status, time.Since(start).Round(time.Microsecond), lw.note)
			}
		}()
		switch {
		case plaidEndpoints[path] != nil:
			e.servePlaid(lw, r, path)
		case strings.HasPrefix(path, "/emulator/"):
			e.serveAdmin(lw, r, path)
		case strings.HasPrefix(path, "/link/"):
			if !e.serveLinkUI(lw, r, path) {
				e.writeError(lw, plaidErr("NOT_FOUND"), e.newRequestID())
			}
		default:
			e.writeError(lw, plaidErr("NOT_FOUND"), e.newRequestID())
		}
	})
}

// cleanPath collapses repeated slashes: plaid-go sends "//path" when its
// base URL ends with a slash, and Plaid accepts it.
func cleanPath(p string) string {
	if !strings.Contains(p, "//") {
		return p
	}
	var b strings.Builder
	prevSlash := false
	for i := 0; i < len(p); i++ {
		if p[i] == '/' {
			if prevSlash {
				continue
			}
			prevSlash = true
		} else {
			prevSlash = false
		}
		b.WriteByte(p[i])
	}
	return b.String()
}

func (e *Emulator) newRequestID() string {
	n := e.requestNo.Add(1)
	return shortID(newRand(uint64(e.cfg.Seed), streamRequestIDs, n), 15)
}

// servePlaid runs one Plaid API call: method and body checks,
// authentication, faults, rate limits, then the endpoint.
func (e *Emulator) servePlaid(w *loggingWriter, r *http.Request, path string) {
	reqID := e.newRequestID()
	// reject answers calls that fail before an item is known.
	reject := func(apiErr *apiError) {
		e.stats.count(path, "")
		e.writeCounted(w, path, "", apiErr, reqID)
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		reject(plaidErr("METHOD_NOT_ALLOWED"))
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil || len(body) > maxBody {
		reject(plaidErrf("INVALID_BODY", "body could not be read or is larger than %d bytes", maxBody))
		return
	}
	c := &call{path: path, body: body, requestID: reqID, req: r}
	var common struct {
		ClientID    *string `json:"client_id"`
		Secret      *string `json:"secret"`
		AccessToken any     `json:"access_token"`
		Cursor      any     `json:"cursor"`
	}
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 || trimmed[0] != '{' || json.Unmarshal(body, &common) != nil {
		if len(trimmed) > 0 && trimmed[0] == '{' && json.Valid(trimmed) {
			reject(invalidField("client_id and secret must be strings"))
			return
		}
		reject(plaidErr("INVALID_BODY"))
		return
	}
	c.token, _ = common.AccessToken.(string)
	c.cursor, _ = common.Cursor.(string)

	clientID, secret := r.Header.Get("PLAID-CLIENT-ID"), r.Header.Get("PLAID-SECRET")
	if clientID == "" && common.ClientID != nil {
		clientID = *common.ClientID
	}
	if secret == "" && common.Secret != nil {
		secret = *common.Secret
	}

	e.mu.Lock()
	it := e.byToken[c.token]
	itemName := ""
	if it != nil {
		itemName = it.Name
	}
	w.note = itemName
	e.stats.count(path, itemName)
	if clientID == "" || secret == "" {
		e.mu.Unlock()
		e.writeCounted(w, path, itemName, plaidErrf("INVALID_API_KEYS", "client_id and secret are required, in the PLAID-CLIENT-ID and PLAID-SECRET headers or in the body"), reqID)
		return
	}
	if clientID != e.cfg.ClientID || secret != e.cfg.Secret {
		e.mu.Unlock()
		e.writeCounted(w, path, itemName, plaidErr("INVALID_API_KEYS"), reqID)
		return
	}
	page := 1
	if path == "/transactions/sync" && c.cursor != "" {
		if cur, err := decodeCursor(c.cursor, e.cursorKey()); err == nil && cur.intermediate {
			page = int(cur.page)
		}
	}
	eff := e.matchFaults(path, it, page)
	limited := false
	if e.rateLimits && eff.err == nil && !eff.drop {
		itemID := ""
		if it != nil {
			itemID = it.ID
		}
		limited = !e.limiter.allow(path, itemID, time.Now())
	}
	e.mu.Unlock()

	if eff.latency > 0 {
		t := time.NewTimer(eff.latency)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return
		case <-e.done:
			t.Stop()
		}
	}
	if eff.drop {
		w.note += " fault:drop"
		hijackClose(w, nil)
		return
	}
	var status int
	var out []byte
	switch {
	case eff.err != nil:
		w.note += " fault:" + eff.err.Code
		status, out = e.errorJSON(eff.err, reqID)
	case limited:
		status, out = e.errorJSON(plaidErr(limitCode(path)), reqID)
	default:
		status, out = e.runEndpoint(plaidEndpoints[path], c)
		if eff.malform != "" && status == http.StatusOK {
			w.note += " fault:malformed"
			out = leaveOutField(out, eff.malform)
		}
	}
	if eff.truncate {
		w.note += " fault:truncate"
		e.stats.addBytes(path, itemName, len(out)/2)
		hijackClose(w, func(bw *bufio.Writer) {
			fmt.Fprintf(bw, "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\n\r\n",
				status, http.StatusText(status), len(out))
			bw.Write(out[:len(out)/2])
		})
		return
	}
	e.stats.addBytes(path, itemName, len(out))
	writeJSONBytes(w, status, out)
}

// runEndpoint calls an endpoint and encodes its answer.
func (e *Emulator) runEndpoint(fn endpointFunc, c *call) (int, []byte) {
	if apiErr := validateRequest(c.path, c.body); apiErr != nil {
		return e.errorJSON(apiErr, c.requestID)
	}
	res, apiErr := fn(e, c)
	if apiErr != nil {
		return e.errorJSON(apiErr, c.requestID)
	}
	out, err := marshalJSON(res)
	if err != nil {
		return e.errorJSON(plaidErrf("INTERNAL_SERVER_ERROR", "encoding the response: %v", err), c.requestID)
	}
	return http.StatusOK, out
}

// leaveOutField removes field from the first transaction of a
// /transactions/sync page (added, else modified) or /transactions/get
// answer; a page without transactions stays as it is.
func leaveOutField(body []byte, field string) []byte {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var page map[string]any
	if dec.Decode(&page) != nil {
		return body
	}
	for _, list := range []string{"added", "modified", "transactions"} {
		if txns, _ := page[list].([]any); len(txns) > 0 {
			if first, ok := txns[0].(map[string]any); ok {
				delete(first, field)
				if out, err := marshalJSON(page); err == nil {
					return out
				}
			}
			return body
		}
	}
	return body
}

// marshalJSON encodes like Plaid: '<', '>' and '&' stay as they are.
func marshalJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

func (e *Emulator) errorJSON(apiErr *apiError, reqID string) (int, []byte) {
	out, err := marshalJSON(apiErr.body(reqID))
	if err != nil {
		out = []byte(`{"error_type":"API_ERROR","error_code":"INTERNAL_SERVER_ERROR"}`)
	}
	return statusOr(0, apiErr.Status), out
}

func (e *Emulator) writeError(w http.ResponseWriter, apiErr *apiError, reqID string) {
	status, out := e.errorJSON(apiErr, reqID)
	writeJSONBytes(w, status, out)
}

func (e *Emulator) writeCounted(w http.ResponseWriter, path, itemName string, apiErr *apiError, reqID string) {
	status, out := e.errorJSON(apiErr, reqID)
	e.stats.addBytes(path, itemName, len(out))
	writeJSONBytes(w, status, out)
}

func writeJSONBytes(w http.ResponseWriter, status int, body []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := marshalJSON(v)
	if err != nil {
		status, body = http.StatusInternalServerError, []byte(`{"error":"encoding the response failed"}`)
	}
	writeJSONBytes(w, status, body)
}

// hijackClose takes over the connection, writes what write produces (if
// anything) and closes it: a dropped connection or a cut-off answer.
func hijackClose(w http.ResponseWriter, write func(*bufio.Writer)) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler)
	}
	conn, bufrw, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	defer conn.Close()
	if write != nil {
		write(bufrw.Writer)
		_ = bufrw.Flush()
	}
}

// loggingWriter remembers the status for the request log and lets the
// fault code hijack the connection.
type loggingWriter struct {
	http.ResponseWriter
	status int
	wrote  bool
	note   string
}

func (l *loggingWriter) WriteHeader(code int) {
	if !l.wrote {
		l.status, l.wrote = code, true
	}
	l.ResponseWriter.WriteHeader(code)
}

func (l *loggingWriter) Write(b []byte) (int, error) {
	if !l.wrote {
		l.status, l.wrote = http.StatusOK, true
	}
	return l.ResponseWriter.Write(b)
}

func (l *loggingWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	hj, ok := l.ResponseWriter.(http.Hijacker)
	if !ok {
		return nil, nil, errors.New("connection cannot be hijacked")
	}
	l.status, l.wrote = 0, true
	return hj.Hijack()
}

func (l *loggingWriter) Flush() {
	if f, ok := l.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}
