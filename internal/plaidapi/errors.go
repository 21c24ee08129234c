package plaidapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/plaid/plaid-go/v42/plaid"
)

// Error is a failed Plaid call: either Plaid's error object with its HTTP
// status, or a transport failure (Status 0) such as a refused or dropped
// connection, a timeout or a truncated body.
type Error struct {
	Status         int    // HTTP status; 0 when no complete response arrived
	Type           string `json:"error_type"`
	Code           string `json:"error_code"`
	Message        string `json:"error_message"`
	DisplayMessage string `json:"display_message"`
	RequestID      string `json:"request_id"`
	Cause          error  `json:"-"` // transport error, when Status is 0 or the body was unreadable
}

func (e *Error) Error() string {
	switch {
	case e.Code != "":
		msg := strings.TrimSpace(e.Message)
		if msg == "" {
			msg = e.Type
		}
		if e.RequestID != "" {
			return fmt.Sprintf("%s: %s (HTTP %d, request_id %s)", e.Code, msg, e.Status, e.RequestID)
		}
		return fmt.Sprintf("%s: %s (HTTP %d)", e.Code, msg, e.Status)
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
	case e.Type == "INSTITUTION_ERROR", strings.HasPrefix(e.Code, "INSTITUTION_"):
		return true
	case e.Code == "PLANNED_MAINTENANCE", e.Code == "INTERNAL_SERVER_ERROR":
		return true
	case e.Code == "" && e.Status == http.StatusRequestTimeout:
		return true
	}
	return false
}

// LoginRequired reports whether the user has to repair the item's login
// through Link update mode.
func (e *Error) LoginRequired() bool {
	return e.Code == "ITEM_LOGIN_REQUIRED" || e.Code == "PENDING_EXPIRATION" || e.Code == "PENDING_DISCONNECT"
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
func FromResponse(status int, body []byte) *Error {
	e := &Error{Status: status}
	if err := json.Unmarshal(body, e); err != nil || e.Code == "" {
		e.Code, e.Type = "", ""
		e.Cause = fmt.Errorf("unexpected response: %s", snippet(body))
	}
	e.Status = status
	return e
}

// FromPlaidGo turns the error of a plaid-go call into an *Error. resp is the
// call's *http.Response, nil when the request never got one.
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
		if status >= 300 || status == 0 && len(generic.Body()) > 0 {
			if pe, convErr := plaid.ToPlaidError(err); convErr == nil && pe.ErrorCode != "" {
				return &Error{
					Status:         status,
					Type:           string(pe.ErrorType),
					Code:           pe.ErrorCode,
					Message:        pe.ErrorMessage,
					DisplayMessage: pe.GetDisplayMessage(),
					RequestID:      pe.GetRequestId(),
				}
			}
		}
		if status >= 300 {
			return &Error{Status: status, Cause: fmt.Errorf("unexpected response: %s", snippet(generic.Body()))}
		}
		// A 2xx answer that could not be decoded: a truncated or garbled body.
		return &Error{Status: 0, Cause: fmt.Errorf("reading Plaid's response: %s", generic.Error())}
	}
	return &Error{Cause: err}
}

func snippet(body []byte) string {
	const max = 200
	s := strings.TrimSpace(string(body))
	if s == "" {
		return "(empty body)"
	}
	if len(s) > max {
		s = s[:max] + "..."
	}
	return fmt.Sprintf("%q", s)
}
