package plaidemu

import (
	"fmt"
	"net/http"
	"strings"
)

// apiError is an error answer in Plaid's shape.
type apiError struct {
	Status  int
	Type    string
	Code    string
	Message string
	Display string // display_message; "" is sent as null
	Reason  string // error_code_reason; "" is sent as null
}

func (e *apiError) Error() string { return e.Code + ": " + e.Message }

// errorSpec is what Plaid documents for an error code.
type errorSpec struct {
	Type    string
	Status  int
	Message string
	Display string
}

// errorCatalog holds the codes the emulator produces, including every code
// a fault may inject.
var errorCatalog = map[string]errorSpec{
	"ITEM_LOGIN_REQUIRED": {"ITEM_ERROR", 400,
		"the login details of this item have changed (credentials, MFA, or required user action) and a user login is required to update this information. use Link's update mode to restore the item to a good state",
		"The login details of this item have changed. Please log in again to continue."},
	"ITEM_NOT_FOUND": {"ITEM_ERROR", 400, "the requested item was not found", ""},
	"PRODUCT_NOT_READY": {"ITEM_ERROR", 400,
		"the requested product is not yet ready. please provide a webhook or try the request again later", ""},
	"NO_INVESTMENT_ACCOUNTS": {"ITEM_ERROR", 400, "no investment accounts were found for this item", ""},
	"NO_LIABILITY_ACCOUNTS":  {"ITEM_ERROR", 400, "no liability accounts were found for this item", ""},
	"INVALID_ACCESS_TOKEN":   {"INVALID_INPUT", 400, "provided access token is in an invalid format. expected format: access-<environment>-<identifier>", ""},
	"INVALID_API_KEYS":       {"INVALID_INPUT", 400, "invalid client_id or secret provided", ""},
	"INVALID_PUBLIC_TOKEN":   {"INVALID_INPUT", 400, "provided public token is expired or has already been exchanged", ""},
	"INVALID_LINK_TOKEN":     {"INVALID_INPUT", 400, "provided link token is in an invalid format or has expired", ""},
	"INVALID_INSTITUTION":    {"INVALID_INPUT", 400, "invalid institution_id provided", ""},
	"LAST_UPDATED_DATETIME_OUT_OF_RANGE": {"INVALID_RESULT", 400,
		"requested datetime is out of range, most recent update time is earlier than requested datetime", ""},
	"INSTITUTION_DOWN": {"INSTITUTION_ERROR", 400, "this institution is not currently responding to this request. please try again soon",
		"This financial institution is not currently responding to requests. We apologize for the inconvenience."},
	"INSTITUTION_NOT_RESPONDING": {"INSTITUTION_ERROR", 400, "this institution is not currently responding to this request. please try again soon",
		"This financial institution is not currently responding to requests. We apologize for the inconvenience."},
	"INTERNAL_SERVER_ERROR": {"API_ERROR", 500, "an unexpected error occurred",
		"Something went wrong. Please try again later."},
	"PLANNED_MAINTENANCE": {"API_ERROR", 503, "the Plaid API is temporarily unavailable due to planned maintenance. visit https://status.plaid.com/ for more information",
		"The Plaid API is temporarily unavailable due to planned maintenance. Please try again later."},
	"TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION": {"TRANSACTIONS_ERROR", 400,
		"underlying transaction data changed since last page was fetched. please restart pagination from last update", ""},
	"INVALID_BODY":        {"INVALID_REQUEST", 400, "body could not be parsed as JSON", ""},
	"INVALID_FIELD":       {"INVALID_REQUEST", 400, "one or more of the request fields are invalid", ""},
	"MISSING_FIELDS":      {"INVALID_REQUEST", 400, "the following required fields are missing", ""},
	"UNKNOWN_FIELDS":      {"INVALID_REQUEST", 400, "the following fields are not recognized by this endpoint", ""},
	"NOT_FOUND":           {"INVALID_REQUEST", 404, "the requested endpoint does not exist", ""},
	"METHOD_NOT_ALLOWED":  {"INVALID_REQUEST", 405, "only POST is allowed on Plaid API endpoints", ""},
	"SANDBOX_ONLY":        {"INVALID_REQUEST", 400, "this endpoint is only available in the sandbox", ""},
	"INVALID_CREDENTIALS": {"ITEM_ERROR", 400, "the provided credentials were not correct", "The provided credentials were not correct. Please try again."},
	// Item errors Plaid documents; the state ones (itemStateCodes) stay on
	// the item until Link's update mode repairs it.
	"ACCESS_NOT_GRANTED": {"ITEM_ERROR", 400, "access to this product was not granted for the account",
		"The user did not grant the necessary permissions for this product on their account."},
	"INSUFFICIENT_CREDENTIALS": {"ITEM_ERROR", 400, "insufficient authorization was provided to complete the request",
		"The user did not provide sufficient authorization to connect their account."},
	"INVALID_MFA": {"ITEM_ERROR", 400, "the provided MFA responses were not correct",
		"The provided MFA responses were not correct. Please try again."},
	"INVALID_SEND_METHOD": {"ITEM_ERROR", 400, "the provided MFA send_method was invalid", ""},
	"INVALID_UPDATED_USERNAME": {"ITEM_ERROR", 400, "the username provided in update mode does not match the original username",
		"The username you entered does not match the one originally linked. Please try again."},
	"ITEM_LOCKED": {"ITEM_ERROR", 400, "the account has been locked at the financial institution after too many attempts",
		"The financial institution indicated that your account is locked. Please resolve this with the institution."},
	"ITEM_NOT_SUPPORTED": {"ITEM_ERROR", 400, "this item cannot be connected by Plaid at this time",
		"Account not currently supported."},
	"MFA_NOT_SUPPORTED": {"ITEM_ERROR", 400, "this item requires a multi-factor authentication method Plaid does not support",
		"This account requires a form of multi-factor authentication that is not currently supported."},
	"NO_ACCOUNTS": {"ITEM_ERROR", 400, "no valid accounts were found for this item",
		"No valid accounts were found at the financial institution. Please visit your financial institution's website to confirm accounts are available."},
	"PASSWORD_RESET_REQUIRED": {"ITEM_ERROR", 400, "the user must reset their password at the financial institution",
		"The financial institution requires a password reset. Please reset your password with the institution and try again."},
	"USER_INPUT_TIMEOUT": {"ITEM_ERROR", 400, "the user did not complete a step in the Link flow in time", "Your session has expired. Please try again."},
	"USER_SETUP_REQUIRED": {"ITEM_ERROR", 400, "the account requires additional setup at the financial institution",
		"Your account is not yet set up at the financial institution. Please log in to its website to complete the setup."},
	"ITEM_CONCURRENTLY_DELETED":   {"ITEM_ERROR", 400, "this item was deleted while the operation was in progress", ""},
	"PRODUCTS_NOT_SUPPORTED":      {"ITEM_ERROR", 400, "the requested product is not supported for this item", ""},
	"PRODUCT_NOT_ENABLED":         {"ITEM_ERROR", 400, "the requested product is not enabled for this item", ""},
	"ADDITIONAL_CONSENT_REQUIRED": {"ITEM_ERROR", 400, "client does not have user consent to access the requested product", ""},
	"TRANSACTIONS_SYNC_LIMIT":     {"RATE_LIMIT_EXCEEDED", 429, "rate limit exceeded for attempts to access this item. please try again later", ""},
	"TRANSACTIONS_LIMIT":          {"RATE_LIMIT_EXCEEDED", 429, "rate limit exceeded for attempts to access this item. please try again later", ""},
	"ACCOUNTS_LIMIT":              {"RATE_LIMIT_EXCEEDED", 429, "rate limit exceeded for attempts to access this item. please try again later", ""},
	"ACCOUNTS_BALANCE_GET_LIMIT": {"RATE_LIMIT_EXCEEDED", 429,
		"rate limit exceeded for attempts to access this item. please try again later", ""},
	"ITEM_GET_LIMIT":                {"RATE_LIMIT_EXCEEDED", 429, "rate limit exceeded for attempts to access this item. please try again later", ""},
	"INVESTMENT_HOLDINGS_GET_LIMIT": {"RATE_LIMIT_EXCEEDED", 429, "rate limit exceeded for attempts to access this item. please try again later", ""},
	"INVESTMENT_TRANSACTIONS_LIMIT": {"RATE_LIMIT_EXCEEDED", 429, "rate limit exceeded for attempts to access this item. please try again later", ""},
	"INSTITUTIONS_GET_BY_ID_LIMIT":  {"RATE_LIMIT_EXCEEDED", 429, "rate limit exceeded for attempts to access this endpoint. please try again later", ""},
	"RATE_LIMIT":                    {"RATE_LIMIT_EXCEEDED", 429, "rate limit exceeded. please try again later", ""},
}

// faultCodes are the codes a Fault may name (besides RATE_LIMIT_EXCEEDED).
var faultCodes = []string{
	"ITEM_LOGIN_REQUIRED", "ITEM_NOT_FOUND", "INVALID_ACCESS_TOKEN", "INVALID_API_KEYS",
	"INSTITUTION_DOWN", "INSTITUTION_NOT_RESPONDING", "INTERNAL_SERVER_ERROR", "PLANNED_MAINTENANCE",
	"TRANSACTIONS_SYNC_LIMIT", "TRANSACTIONS_LIMIT", "ACCOUNTS_LIMIT", "ACCOUNTS_BALANCE_GET_LIMIT", "ITEM_GET_LIMIT",
	"INVESTMENT_HOLDINGS_GET_LIMIT", "INVESTMENT_TRANSACTIONS_LIMIT", "INSTITUTIONS_GET_BY_ID_LIMIT", "RATE_LIMIT",
	"TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION", "PRODUCT_NOT_READY",
	"ACCESS_NOT_GRANTED", "INSUFFICIENT_CREDENTIALS", "INVALID_CREDENTIALS", "INVALID_MFA", "INVALID_SEND_METHOD",
	"INVALID_UPDATED_USERNAME", "ITEM_LOCKED", "ITEM_NOT_SUPPORTED", "MFA_NOT_SUPPORTED", "NO_ACCOUNTS",
	"PASSWORD_RESET_REQUIRED", "USER_INPUT_TIMEOUT", "USER_SETUP_REQUIRED", "ITEM_CONCURRENTLY_DELETED",
	"PRODUCTS_NOT_SUPPORTED", "PRODUCT_NOT_ENABLED", "NO_INVESTMENT_ACCOUNTS", "NO_LIABILITY_ACCOUNTS",
}

// itemStateCodes are the item errors that put the item in an error state:
// /item/get shows them in item.error, every data call answers them, and
// Link's update mode repairs the item.
var itemStateCodes = []string{
	"ITEM_LOGIN_REQUIRED", "ACCESS_NOT_GRANTED", "INSUFFICIENT_CREDENTIALS", "INVALID_CREDENTIALS", "INVALID_MFA",
	"INVALID_SEND_METHOD", "INVALID_UPDATED_USERNAME", "ITEM_LOCKED", "ITEM_NOT_SUPPORTED", "MFA_NOT_SUPPORTED",
	"NO_ACCOUNTS", "PASSWORD_RESET_REQUIRED", "USER_INPUT_TIMEOUT", "USER_SETUP_REQUIRED",
}

// oauthReasons are Plaid's error_code_reason values, set on OAuth items'
// ITEM_LOGIN_REQUIRED and ACCESS_NOT_GRANTED errors.
var oauthReasons = []string{"OAUTH_INVALID_TOKEN", "OAUTH_CONSENT_EXPIRED", "OAUTH_USER_REVOKED"}

// reasonCodes are the error codes that may carry an error_code_reason.
var reasonCodes = []string{"ITEM_LOGIN_REQUIRED", "ACCESS_NOT_GRANTED"}

// plaidErr builds the error for code with Plaid's message.
func plaidErr(code string) *apiError {
	s, ok := errorCatalog[code]
	if !ok {
		s = errorCatalog["INTERNAL_SERVER_ERROR"]
	}
	return &apiError{Status: s.Status, Type: s.Type, Code: code, Message: s.Message, Display: s.Display}
}

// plaidErrf is plaidErr with a specific message.
func plaidErrf(code, format string, args ...any) *apiError {
	e := plaidErr(code)
	e.Message = fmt.Sprintf(format, args...)
	return e
}

func invalidField(format string, args ...any) *apiError {
	return plaidErrf("INVALID_FIELD", format, args...)
}

func missingFields(fields ...string) *apiError {
	return plaidErrf("MISSING_FIELDS", "the following required fields are missing: %s", strings.Join(fields, ", "))
}

// errorBody is Plaid's error object on the wire.
type errorBody struct {
	ErrorType        string  `json:"error_type"`
	ErrorCode        string  `json:"error_code"`
	ErrorCodeReason  *string `json:"error_code_reason"`
	ErrorMessage     string  `json:"error_message"`
	DisplayMessage   *string `json:"display_message"`
	RequestID        string  `json:"request_id,omitempty"`
	Causes           []any   `json:"causes"`
	Status           int     `json:"status"`
	DocumentationURL string  `json:"documentation_url"`
	SuggestedAction  *string `json:"suggested_action"`
}

func (e *apiError) body(requestID string) errorBody {
	b := errorBody{ErrorType: e.Type, ErrorCode: e.Code, ErrorMessage: e.Message, RequestID: requestID,
		Causes: []any{}, Status: e.Status, DocumentationURL: docURL(e.Type, e.Code)}
	if e.Display != "" {
		d := e.Display
		b.DisplayMessage = &d
	}
	if e.Reason != "" {
		r := e.Reason
		b.ErrorCodeReason = &r
	}
	return b
}

// docURL points at Plaid's documentation page of an error, as Plaid does.
func docURL(errType, code string) string {
	page := map[string]string{
		"ITEM_ERROR": "item", "INVALID_INPUT": "invalid-input", "INVALID_REQUEST": "invalid-request",
		"INSTITUTION_ERROR": "institution", "API_ERROR": "api", "RATE_LIMIT_EXCEEDED": "rate-limit-exceeded",
		"TRANSACTIONS_ERROR": "transactions", "INVALID_RESULT": "invalid-result",
	}[errType]
	if page == "" {
		return "https://plaid.com/docs/errors/"
	}
	return "https://plaid.com/docs/errors/" + page + "/#" + strings.ToLower(code)
}

// statusOr returns override when set, else the error's own status.
func statusOr(override, status int) int {
	if override >= 100 && override <= 599 {
		return override
	}
	if status == 0 {
		return http.StatusBadRequest
	}
	return status
}
