// Package plaidapi holds what the plugin and linktool share about talking to
// Plaid: where the API lives, how the client is built, what its errors mean,
// and that those errors never carry a secret of the request.
package plaidapi

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/plaid/plaid-go/v42/plaid"
)

// Environments Plaid serves today; Development was shut down on 2024-06-20.
const (
	EnvSandbox    = "sandbox"
	EnvProduction = "production"
)

// BaseURL returns the API root for an environment, or baseURL when one is
// given (the emulator or a proxy). The result never ends with a slash:
// plaid-go would otherwise request "//path".
func BaseURL(environment, baseURL string) (string, error) {
	if baseURL != "" {
		u := strings.TrimRight(baseURL, "/")
		if !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://") {
			return "", fmt.Errorf("base_url %q must start with http:// or https://", baseURL)
		}
		return u, nil
	}
	switch strings.ToLower(strings.TrimSpace(environment)) {
	case EnvSandbox:
		return string(plaid.Sandbox), nil
	case EnvProduction:
		return string(plaid.Production), nil
	case "development":
		return "", errors.New(`environment "development" was shut down by Plaid on 2024-06-20; use "sandbox" or "production"`)
	case "":
		return "", errors.New(`environment is not set; use "sandbox" or "production"`)
	default:
		return "", fmt.Errorf(`environment %q is not one of "sandbox" or "production"`, environment)
	}
}

// Options describe one Plaid API client.
type Options struct {
	ClientID string
	Secret   string
	BaseURL  string        // from BaseURL
	Timeout  time.Duration // per request; zero means 60 s
	// Transport, when set, replaces the default HTTP transport (tests, proxies).
	Transport http.RoundTripper
	UserAgent string
}

// HTTPClient returns the HTTP client the API client uses, so that callers that
// make their own requests (the plugin's lean /transactions/sync decoder) share
// its connection pool and timeout.
func (o Options) HTTPClient() *http.Client {
	timeout := o.Timeout
	if timeout <= 0 {
		timeout = 60 * time.Second
	}
	return &http.Client{Timeout: timeout, Transport: o.Transport}
}

// NewClient builds a plaid-go client for the options.
func NewClient(o Options) *plaid.APIClient {
	return NewClientWithHTTP(o, o.HTTPClient())
}

// NewClientWithHTTP builds a plaid-go client that sends through httpClient.
func NewClientWithHTTP(o Options, httpClient *http.Client) *plaid.APIClient {
	cfg := plaid.NewConfiguration()
	cfg.AddDefaultHeader("PLAID-CLIENT-ID", o.ClientID)
	cfg.AddDefaultHeader("PLAID-SECRET", o.Secret)
	cfg.UseEnvironment(plaid.Environment(o.BaseURL))
	cfg.HTTPClient = httpClient
	if o.UserAgent != "" {
		cfg.UserAgent = o.UserAgent
	}
	return plaid.NewAPIClient(cfg)
}
