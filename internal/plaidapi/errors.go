package plaidapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/plaid/plaid-go/v42/plaid"

	"github.com/plaid-sync/telegraf-plaid/internal/redact"
)

// Error is a failed Plaid call: either Plaid's error object with its HTTP
// status, or a transport failure (Status 0) such as a refused or dropped
// connection, a timeout or a truncated body.
//
// Plaid, or a proxy on the way, may echo the request in its answer. Errors
// made here hold no token, secret or client id of the request: what comes
// from the response is redacted as it is read, and Error() redacts again,
// for errors built elsewhere.
type Error struct {
	Status         int    // HTTP status; 0 when no complete response arrived
	Type           string `json:"error_type"`
	Code           string `json:"error_code"`
	Reason         string `json:"error_code_reason"` // OAuth item errors only, e.g. OAUTH_USER_REVOKED
	Message        string `json:"error_message"`
	DisplayMessage string `json:"display_message"`
	RequestID      string `json:"request_id"`
	Cause          error  `json:"-"` // transport error, when Status is 0 or the body was unreadable
}

func (e *Error) Error() string { return redact.Text(e.message()) }

func (e *Error) message() string {
	switch {
	case e.Code != "":
		msg := strings.TrimSpace(e.Message)
		if msg == "" {
			msg = e.Type
		}
		code := e.Code
		if e.Reason != "" {
			code += " (" + e.Reason + ")"
		}
		if e.RequestID != "" {
			return fmt.Sprintf("%s: %s (HTTP %d, request_id %s)", code, msg, e.Status, e.RequestID)
		}
		return fmt.Sprintf("%s: %s (HTTP %d)", code, msg, e.Status)
	case e.Status != 0 && e.Cause != nil:
		return fmt.Sprintf("HTTP %d: %v", e.Status, e.Cause)
	case e.Status != 0:
		return fmt.Sprintf("HTTP %d %s", e.Status, http.StatusText(e.Status))
	case e.Cause != nil:
		return e.Cause.Error()
	default:
		return "unknown Plaid error"
	}
}

func (e *Error) Unwrap() error { return e.Cause }

// Retryable reports whether the same call may succeed later without the
// user doing anything: rate limits, Plaid's own failures, institutions that
// are down, planned maintenance and transport failures. Login problems,
// invalid tokens or keys and removed items are never retried.
func (e *Error) Retryable() bool {
	switch {
	case e.Status == 0:
		return true
	case e.Status == http.StatusTooManyRequests, e.Type == "RATE_LIMIT_EXCEEDED":
		return true
	case e.Status >= 500:
		return true
	case e.Code == "INSTITUTION_NO_LONGER_SUPPORTED":
		return false // for good: the item must be linked elsewhere
	case e.Type == "INSTITUTION_ERROR", strings.HasPrefix(e.Code, "INSTITUTION_"):
		return true
	case e.Code == "PLANNED_MAINTENANCE", e.Code == "INTERNAL_SERVER_ERROR":
		return true
	case e.Code == "" && e.Status == http.StatusRequestTimeout:
		return true
	}
	return false
}

// MutationDuringPagination reports Plaid's request to restart a
// /transactions/sync page loop from its first cursor.
func (e *Error) MutationDuringPagination() bool {
	return e.Code == "TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION"
}

// AsError returns err as an *Error when it is one.
func AsError(err error) (*Error, bool) {
	var pe *Error
	ok := errors.As(err, &pe)
	return pe, ok
}

// FromResponse decodes Plaid's error object from a non-2xx response body.
// Token shapes and the secrets registered with redact.Register are removed.
func FromResponse(status int, body []byte) *Error {
	return fromResponse(status, body, nil)
}

func fromResponse(status int, body []byte, r *redact.Redactor) *Error {
	e := &Error{Status: status}
	if err := json.Unmarshal(body, e); err != nil || e.Code == "" {
		e.Code, e.Reason, e.Type, e.Message, e.DisplayMessage, e.RequestID = "", "", "", "", "", ""
		e.Cause = fmt.Errorf("unexpected response: %s", snippet(body, r))
	}
	e.Status = status
	e.redactFields(r)
	return e
}

// redactFields cleans what the server wrote: any field may carry an echo.
func (e *Error) redactFields(r *redact.Redactor) {
	clean := redact.Text
	if r != nil {
		clean = r.String
	}
	e.Type, e.Code, e.Reason, e.Message = clean(e.Type), clean(e.Code), clean(e.Reason), clean(e.Message)
	e.DisplayMessage, e.RequestID = clean(e.DisplayMessage), clean(e.RequestID)
}

// FromPlaidGo turns the error of a plaid-go call into an *Error. resp is the
// call's *http.Response, nil when the request never got one. The client id,
// secret and tokens of resp's request are removed from everything the
// response contributes.
func FromPlaidGo(err error, resp *http.Response) error {
	if err == nil {
		return nil
	}
	status := 0
	if resp != nil {
		status = resp.StatusCode
	}
	var generic plaid.GenericOpenAPIError
	if errors.As(err, &generic) {
		r := requestRedactor(resp)
		if status >= 300 || status == 0 && len(generic.Body()) > 0 {
			if pe, convErr := plaid.ToPlaidError(err); convErr == nil && pe.ErrorCode != "" {
				e := &Error{
					Status:         status,
					Type:           string(pe.ErrorType),
					Code:           pe.ErrorCode,
					Reason:         pe.GetErrorCodeReason(),
					Message:        pe.ErrorMessage,
					DisplayMessage: pe.GetDisplayMessage(),
					RequestID:      pe.GetRequestId(),
				}
				e.redactFields(r)
				return e
			}
		}
		if status >= 300 {
			return &Error{Status: status, Cause: fmt.Errorf("unexpected response: %s", snippet(generic.Body(), r))}
		}
		// A 2xx answer that could not be decoded: a truncated or garbled body.
		return &Error{Status: 0, Cause: fmt.Errorf("reading Plaid's response: %s", r.String(generic.Error()))}
	}
	return &Error{Cause: err}
}

// credentialFields are the request fields that hold secrets.
var credentialFields = []string{"access_token", "public_token", "link_token", "secret", "client_id"}

// requestRedactor knows the secrets the request of resp carried: the
// credential headers and the credential fields of its JSON body.
func requestRedactor(resp *http.Response) *redact.Redactor {
	r := redact.New()
	if resp == nil || resp.Request == nil {
		return r
	}
	req := resp.Request
	r.Add(req.Header.Get("PLAID-CLIENT-ID"), req.Header.Get("PLAID-SECRET"))
	if req.GetBody == nil {
		return r
	}
	body, err := req.GetBody()
	if err != nil {
		return r
	}
	defer body.Close()
	data, err := io.ReadAll(io.LimitReader(body, 1<<20))
	if err != nil {
		return r
	}
	var fields map[string]json.RawMessage
	if json.Unmarshal(data, &fields) != nil {
		return r
	}
	for _, name := range credentialFields {
		var v string
		if json.Unmarshal(fields[name], &v) == nil {
			r.Add(v)
		}
	}
	return r
}

// snippet shows the start of an unexpected body, redacted before it is cut
// so that a secret cut in half is still recognised whole.
func snippet(body []byte, r *redact.Redactor) string {
	const max = 200
	s := strings.TrimSpace(string(body))
	if s == "" {
		return "(empty body)"
	}
	if r != nil {
		s = r.String(s)
	} else {
		s = redact.Text(s)
	}
	if len(s) > max {
		cut := max
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "..."
	}
	return fmt.Sprintf("%q", s)
}
