package plaidapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/plaid/plaid-go/v42/plaid"
	"github.com/stretchr/testify/require"
)

func TestBaseURL(t *testing.T) {
	cases := []struct {
		env, base, want, err string
	}{
		{env: "sandbox", want: "https://sandbox.plaid.com"},
		{env: "Production", want: "https://production.plaid.com"},
		{env: "sandbox", base: "http://127.0.0.1:4580/", want: "http://127.0.0.1:4580"},
		{env: "development", err: "shut down by Plaid on 2024-06-20"},
		{env: "", err: "environment is not set"},
		{env: "staging", err: `"staging" is not one of`},
		{base: "127.0.0.1:4580", err: "must start with http:// or https://"},
	}
	for _, tc := range cases {
		got, err := BaseURL(tc.env, tc.base)
		if tc.err != "" {
			require.ErrorContains(t, err, tc.err)
			continue
		}
		require.NoError(t, err)
		require.Equal(t, tc.want, got)
	}
}

func TestErrorClassification(t *testing.T) {
	cases := []struct {
		name                 string
		err                  Error
		retryable            bool
		mutationDuringPaging bool
	}{
		{"rate limit", Error{Status: 429, Type: "RATE_LIMIT_EXCEEDED", Code: "TRANSACTIONS_SYNC_LIMIT"}, true, false},
		{"internal", Error{Status: 500, Type: "API_ERROR", Code: "INTERNAL_SERVER_ERROR"}, true, false},
		{"maintenance", Error{Status: 503, Type: "API_ERROR", Code: "PLANNED_MAINTENANCE"}, true, false},
		{"institution down", Error{Status: 400, Type: "INSTITUTION_ERROR", Code: "INSTITUTION_DOWN"}, true, false},
		{"institution gone", Error{Status: 400, Type: "INSTITUTION_ERROR", Code: "INSTITUTION_NO_LONGER_SUPPORTED"}, false, false},
		{"transport", Error{Cause: errors.New("connection reset")}, true, false},
		{"login", Error{Status: 400, Type: "ITEM_ERROR", Code: "ITEM_LOGIN_REQUIRED"}, false, false},
		{"bad token", Error{Status: 400, Type: "INVALID_INPUT", Code: "INVALID_ACCESS_TOKEN"}, false, false},
		{"bad keys", Error{Status: 400, Type: "INVALID_INPUT", Code: "INVALID_API_KEYS"}, false, false},
		{"removed item", Error{Status: 400, Type: "ITEM_ERROR", Code: "ITEM_NOT_FOUND"}, false, false},
		{"mutation", Error{Status: 400, Type: "TRANSACTIONS_ERROR", Code: "TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION"}, false, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.retryable, tc.err.Retryable())
			require.Equal(t, tc.mutationDuringPaging, tc.err.MutationDuringPagination())
		})
	}
}

// FromPlaidGo reads Plaid's error object out of what plaid-go returns, and
// tells a garbled success answer from a transport failure.
func TestFromPlaidGo(t *testing.T) {
	responses := map[string]func(w http.ResponseWriter){
		"/item/get": func(w http.ResponseWriter) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			w.Write([]byte(`{"error_type":"ITEM_ERROR","error_code":"ITEM_LOGIN_REQUIRED","error_message":"login required","display_message":null,"request_id":"r1"}`))
		},
		"/accounts/get": func(w http.ResponseWriter) {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(http.StatusBadGateway)
			w.Write([]byte(`<html>bad gateway</html>`))
		},
		"/institutions/get_by_id": func(w http.ResponseWriter) {
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`{"institution": {"name": `))
		},
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { responses[r.URL.Path](w) }))
	defer srv.Close()
	client := NewClient(Options{ClientID: "id", Secret: "secret", BaseURL: srv.URL})
	ctx := context.Background()

	_, resp, err := client.PlaidApi.ItemGet(ctx).ItemGetRequest(*plaid.NewItemGetRequest("access-sandbox-x")).Execute()
	pe, ok := AsError(FromPlaidGo(err, resp))
	require.True(t, ok)
	require.Equal(t, "ITEM_LOGIN_REQUIRED", pe.Code)
	require.Equal(t, 400, pe.Status)
	require.Equal(t, "ITEM_LOGIN_REQUIRED: login required (HTTP 400, request_id r1)", pe.Error())

	_, resp, err = client.PlaidApi.AccountsGet(ctx).AccountsGetRequest(*plaid.NewAccountsGetRequest("access-sandbox-x")).Execute()
	pe, ok = AsError(FromPlaidGo(err, resp))
	require.True(t, ok)
	require.Equal(t, 502, pe.Status)
	require.True(t, pe.Retryable())
	require.Contains(t, pe.Error(), "bad gateway")

	_, resp, err = client.PlaidApi.InstitutionsGetById(ctx).InstitutionsGetByIdRequest(*plaid.NewInstitutionsGetByIdRequest("ins_1", []plaid.CountryCode{plaid.COUNTRYCODE_US})).Execute()
	pe, ok = AsError(FromPlaidGo(err, resp))
	require.True(t, ok)
	require.Equal(t, 0, pe.Status, "a truncated answer counts as a transport failure")
	require.True(t, pe.Retryable())

	require.NoError(t, FromPlaidGo(nil, nil))
}

// A server or proxy that echoes the request back in its errors: nothing of
// the client id, the secret or the token reaches the *Error, whatever the
// echo's form.
func TestErrorsCarryNoSecretOfTheRequest(t *testing.T) {
	const (
		clientID = "5f0c1d2e3a4b5c6d7e8f9a0b"
		secret   = "8c2d0e6f4a1b3c5d7e9f0a2b4c6d8e"
		token    = "access-production-8f3a1b2c-1111-4222-8333-444455556666"
	)
	echoes := map[string]func(w http.ResponseWriter, echo string){
		"json error": func(w http.ResponseWriter, echo string) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			msg, _ := json.Marshal("bad request: " + echo)
			fmt.Fprintf(w, `{"error_type":"INVALID_REQUEST","error_code":"INVALID_FIELD","error_message":%s,"display_message":%s,"request_id":%s}`, msg, msg, msg)
		},
		"html 502": func(w http.ResponseWriter, echo string) {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(http.StatusBadGateway)
			fmt.Fprintf(w, "<html><body><h1>502 Bad Gateway</h1><pre>%s</pre></body></html>", html.EscapeString(echo))
		},
		"garbled 200": func(w http.ResponseWriter, echo string) {
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprintf(w, `{"item": %s`, echo)
		},
	}
	forms := map[string]func(string) string{
		"as sent":      func(s string) string { return s },
		"upper-cased":  strings.ToUpper,
		"url-encoded":  func(s string) string { return strings.ReplaceAll(url.QueryEscape(s), "-", "%2D") },
		"json-escaped": func(s string) string { return strings.ReplaceAll(s, "-", `\u002d`) },
		"cut at 90":    func(s string) string { return s[:90] },
		"cut at 131":   func(s string) string { return s[:131] },
	}
	var kind, form string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		echo := fmt.Sprintf("%s %s?%s id=%s secret=%s %s", r.Method, r.URL.Path, r.URL.RawQuery,
			r.Header.Get("PLAID-CLIENT-ID"), r.Header.Get("PLAID-SECRET"), body)
		echoes[kind](w, forms[form](echo))
	}))
	defer srv.Close()
	client := NewClient(Options{ClientID: clientID, Secret: secret, BaseURL: srv.URL})
	tried := 0
	for kind = range echoes {
		for form = range forms {
			_, resp, err := client.PlaidApi.ItemGet(context.Background()).ItemGetRequest(*plaid.NewItemGetRequest(token)).Execute()
			pe, ok := AsError(FromPlaidGo(err, resp))
			require.True(t, ok, "%s, %s", kind, form)
			all := strings.ToLower(fmt.Sprint(pe.Error(), pe.Message, pe.DisplayMessage, pe.RequestID, pe.Code, pe.Type))
			for _, s := range []string{clientID, secret, strings.TrimPrefix(token, "access-production-")} {
				for i := 0; i+12 <= len(s); i++ {
					require.NotContains(t, all, s[i:i+12], "%s, %s: %s", kind, form, pe.Error())
				}
			}
			tried++
		}
	}
	t.Logf("%d echoes tried", tried)
}
