package plaid

import (
	"errors"
	"fmt"
	"time"

	"github.com/plaid-sync/telegraf-plaid/internal/plaidapi"
	"github.com/plaid-sync/telegraf-plaid/internal/redact"
)

// apiOptions merges the [PLAID] section of accounts_file with the
// credentials of the plugin's own configuration, which win.
func (p *Plaid) apiOptions() (plaidapi.Options, error) {
	s := p.accounts.settings
	clientID, environment, baseURL := s.ClientID, s.Environment, s.BaseURL
	secret := s.Secret
	if p.ClientID != "" {
		clientID = p.ClientID
	}
	if !p.Secret.Empty() {
		buf, err := p.Secret.Get()
		if err != nil {
			return plaidapi.Options{}, fmt.Errorf("secret: %w", err)
		}
		secret = buf.String()
		buf.Destroy()
	}
	if p.Environment != "" {
		environment = p.Environment
	}
	if p.BaseURL != "" {
		baseURL = p.BaseURL
	}
	var errs []error
	if clientID == "" {
		errs = append(errs, fmt.Errorf("client_id: not set in plugin.conf nor in the [PLAID] section of %s", p.AccountsFile))
	}
	if secret == "" {
		errs = append(errs, fmt.Errorf("secret: not set in plugin.conf nor in the [PLAID] section of %s (an unset environment variable expands to nothing)", p.AccountsFile))
	}
	url, err := plaidapi.BaseURL(environment, baseURL)
	if err != nil {
		errs = append(errs, fmt.Errorf("environment: %w", err))
	}
	if len(errs) > 0 {
		return plaidapi.Options{}, errors.Join(errs...)
	}
	return plaidapi.Options{
		ClientID:  clientID,
		Secret:    secret,
		BaseURL:   url,
		Timeout:   time.Duration(p.RequestTimeout),
		Transport: p.Transport,
		UserAgent: "telegraf-plaid",
	}, nil
}

// redactSecrets registers the credentials process-wide, for the metrics'
// error messages, Plaid's errors and plaid-sync's log, whose redactor
// applies the process-wide secrets too (internal/redact). Registered once,
// they are held once: with thousands of items, each access token costs
// memory in every set that holds it.
func (p *Plaid) redactSecrets(opts plaidapi.Options) {
	secrets := []string{opts.Secret, opts.ClientID}
	for _, it := range p.accounts.settings.Items {
		secrets = append(secrets, it.AccessToken)
	}
	redact.Register(secrets...)
}

// currentAPI returns the Plaid client for the current credentials, building a
// new one when accounts_file changed them.
func (p *Plaid) currentAPI() (*api, error) {
	opts, err := p.apiOptions()
	if err != nil {
		return nil, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.api == nil || opts != p.apiOptionsInUse {
		p.api = newAPI(opts, p.MaxConcurrency, p.limiter)
		p.api.pfcVersion = p.PFCVersion
		p.apiOptionsInUse = opts
	}
	p.redactSecrets(opts)
	return p.api, nil
}
