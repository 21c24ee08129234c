package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/plaid-sync/telegraf-plaid/internal/plaidapi"
	"github.com/plaid/plaid-go/v42/plaid"
)

// hostedPollInterval is how often Hosted Link's outcome is asked for: often
// enough to feel immediate, rarely enough to stay far from rate limits.
var hostedPollInterval = 3 * time.Second

// errLinkExpired ends a Hosted Link wait whose link token has expired.
var errLinkExpired = errors.New("the link token expired before the Link session finished")

// waitHosted polls /link/token/get until a session of the Hosted Link
// succeeds or exits, the link token expires, or ctx ends.
func (a *app) waitHosted(ctx context.Context, lt linkToken) (pageResult, error) {
	transient := 0
	for {
		select {
		case <-ctx.Done():
			return pageResult{}, ctx.Err()
		case <-time.After(hostedPollInterval):
		}
		resp, err := a.getLinkToken(ctx, lt.token)
		if err != nil {
			if ctx.Err() != nil {
				return pageResult{}, ctx.Err()
			}
			if pe, ok := plaidapi.AsError(err); ok && pe.Retryable() {
				transient++
				if transient == 1 {
					fmt.Fprintf(a.stderr, "Checking the Link session failed (%v); still trying.\n", err)
				}
				continue
			}
			return pageResult{}, err
		}
		transient = 0
		if res, done := hostedOutcome(resp.GetLinkSessions()); done {
			return res, nil
		}
		expires := resp.GetExpiration()
		if expires.IsZero() {
			expires = lt.expiration
		}
		if !expires.IsZero() && time.Now().After(expires) {
			return pageResult{}, errLinkExpired
		}
	}
}

// hostedOutcome looks for a public token in any session (results first,
// then on_success), else for a finished session that exited.
func hostedOutcome(sessions []plaid.LinkTokenGetSessionsResponse) (pageResult, bool) {
	for _, s := range sessions {
		if results, ok := s.GetResultsOk(); ok && results != nil {
			for _, r := range results.GetItemAddResults() {
				if t := r.GetPublicToken(); t != "" {
					return pageResult{publicToken: t}, true
				}
			}
		}
		if success, ok := s.GetOnSuccessOk(); ok && success != nil && success.GetPublicToken() != "" {
			return pageResult{publicToken: success.GetPublicToken()}, true
		}
	}
	for _, s := range sessions {
		if exit, ok := s.GetExitOk(); ok && exit != nil {
			res := pageResult{exited: true}
			if md, ok := exit.GetMetadataOk(); ok && md != nil {
				res.exitStatus = md.GetStatus()
			}
			if e, ok := exit.GetErrorOk(); ok && e != nil {
				res.exitCode, res.exitMessage = e.ErrorCode, firstNonEmpty(e.GetDisplayMessage(), e.ErrorMessage)
			}
			return res, true
		}
		if exit, ok := s.GetOnExitOk(); ok && exit != nil {
			res := pageResult{exited: true}
			if md, ok := exit.GetMetadataOk(); ok && md != nil {
				res.exitStatus = md.GetStatus()
			}
			return res, true
		}
	}
	return pageResult{}, false
}
