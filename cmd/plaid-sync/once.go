package main

import (
	"context"
	"fmt"
	"io"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/plaid-sync/telegraf-plaid/internal/itemhealth"
	"github.com/plaid-sync/telegraf-plaid/internal/redact"
	"github.com/plaid-sync/telegraf-plaid/plugins/inputs/plaid"
)

// gatherOnce runs one gather with line protocol to stdout and a summary to
// stderr, saying what it does as it goes. Its exit status is exitFailed when
// any item failed or no bank is linked, exitInterrupted after SIGINT or
// SIGTERM (what was synced until then is written and kept).
func gatherOnce(p *plaid.Plaid, stdout, stderr io.Writer) int {
	acc := newLineAccumulator(stdout, func(err error) { p.Log.Errorf("dropping a metric: %v", err) })
	acc.onError = func(err error) { p.Log.Errorf("%v", err) }

	ctx, cancelSignals := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer cancelSignals()
	stopWatch := context.AfterFunc(ctx, func() {
		p.Log.Infof("interrupted: finishing what was committed; the next run resumes from there")
		p.Interrupt()
	})

	items := p.Items()
	p.Log.Infof("syncing %d %s with Plaid at %s: %s", len(items), plural(len(items), "bank", "banks"), p.PlaidURL(), strings.Join(items, ", "))
	start := time.Now()
	gatherErr := p.Gather(acc)
	flushErr := acc.flush()
	wasInterrupted := !stopWatch()
	p.Stop()
	if gatherErr != nil {
		p.Log.Errorf("%v", gatherErr)
		return exitFailed
	}
	if flushErr != nil {
		p.Log.Errorf("writing line protocol: %v", flushErr)
		return exitFailed
	}
	p.Log.Infof("gather finished in %s; line protocol is on stdout, the summary follows", time.Since(start).Round(time.Millisecond))
	results := p.Results()
	writeSummary(stderr, results, time.Now())
	switch {
	case wasInterrupted:
		return exitInterrupted
	case len(results) == 0:
		return exitFailed // the plugin said how to link a bank
	}
	for i := range results {
		if results[i].Failed() {
			return exitFailed
		}
	}
	return exitOK
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// Statuses of the plugin's own (not Plaid error codes) as the summary
// names them.
var statusWords = map[string]string{
	"STATE_ERROR":         "state store error",
	"NETWORK_ERROR":       "cannot reach Plaid",
	"SYNC_INCOMPLETE":     "sync incomplete",
	"CONFIG_ERROR":        "not linked",
	"UNEXPECTED_RESPONSE": "unexpected answer from Plaid",
}

// credentialErrors are Plaid's answers about the client_id and secret: the
// same for every bank, so the summary says them once.
var credentialErrors = map[string]bool{"INVALID_API_KEYS": true, "INVALID_CLIENT_ID": true, "INVALID_SECRET": true}

// writeSummary reads like plaid-sync's: one line per bank (a Plaid item),
// Plaid's error with the command that fixes it, and warnings about items
// that stopped updating. It is written past the logger, so it goes through
// the process-wide redactor the plugin registered its credentials with.
func writeSummary(stderr io.Writer, results []plaid.ItemResult, now time.Time) {
	w := redact.New().Writer(stderr)
	if len(results) == 0 {
		return
	}
	width := 0
	accounts := 0
	for i := range results {
		width = max(width, len([]rune(results[i].Name)))
		accounts += results[i].Accounts
	}
	pad := strings.Repeat(" ", width)
	fmt.Fprintf(w, "\nFinished syncing %d %s (Plaid items) with %d %s\n\n",
		len(results), plural(len(results), "bank", "banks"), accounts, plural(accounts, "account", "accounts"))
	var credentialErr *plaid.ItemResult
	refused := 0
	for i := range results {
		r := &results[i]
		fmt.Fprintf(w, "%-*s : %d new transactions (%d pending), %d removed (tombstones) over %d %s\n",
			width, r.Name, r.Added, r.Pending, r.Removed, r.Accounts, plural(r.Accounts, "account", "accounts"))
		if r.UpdateStatus == "NOT_READY" && !r.Failed() {
			fmt.Fprintf(w, "%s : Plaid is still preparing the history; run again in a minute\n", pad)
		}
		if !r.Failed() {
			continue
		}
		if credentialErrors[r.Status] {
			fmt.Fprintf(w, "%s : *** Plaid error: %s (see below) ***\n", pad, r.Status)
			if credentialErr == nil {
				credentialErr = r
			}
			refused++
			continue
		}
		if word, ok := statusWords[r.Status]; ok {
			fmt.Fprintf(w, "%s : *** %s ***\n", pad, word)
		} else {
			fmt.Fprintf(w, "%s : *** Plaid error: %s ***\n", pad, r.Status)
		}
		if r.Err != nil {
			for _, line := range wrap(redact.Text(r.Err.Error()), 72) {
				fmt.Fprintf(w, "%s : %s\n", pad, line)
			}
		}
		if r.UpdateCommand != "" {
			fmt.Fprintf(w, "%s : *** re-run with: ***\n", pad)
			fmt.Fprintf(w, "%s : %s\n", pad, r.UpdateCommand)
			fmt.Fprintf(w, "%s : to fix\n", pad)
		}
	}
	if credentialErr != nil {
		fmt.Fprintf(w, "\n*** Plaid refused the client_id and secret (%s) for %d of %d %s: check them in the [PLAID] section of the accounts file, or in plugin.conf ***\n",
			credentialErr.Status, refused, len(results), plural(len(results), "bank", "banks"))
		if credentialErr.Err != nil {
			for _, line := range wrap(redact.Text(credentialErr.Err.Error()), 72) {
				fmt.Fprintf(w, "    %s\n", line)
			}
		}
	}
	for i := range results {
		r := &results[i]
		st := r.Health
		success, failure := unixTime(st.LastSuccessfulUpdate), unixTime(st.LastFailedUpdate)
		switch {
		case st.LastFailedUpdate > st.LastSuccessfulUpdate:
			fmt.Fprintf(w, "%-*s : Last attempt failed!  Last failure: %s  Last success: %s\n", width, r.Name, failure, success)
		case st.LastSuccessfulUpdate != 0 && itemhealth.Stale(time.Unix(st.LastSuccessfulUpdate, 0), now):
			fmt.Fprintf(w, "%-*s : Last successful update > 3 days ago!  Last failure: %s  Last success: %s\n", width, r.Name, failure, success)
		}
	}
}

func unixTime(sec int64) string {
	if sec == 0 {
		return "never"
	}
	return time.Unix(sec, 0).UTC().Format(time.RFC3339)
}

// wrap breaks s into lines of at most width runes at spaces.
func wrap(s string, width int) []string {
	var lines []string
	line := ""
	for _, word := range strings.Fields(s) {
		if line != "" && len([]rune(line))+1+len([]rune(word)) > width {
			lines = append(lines, line)
			line = ""
		}
		if line != "" {
			line += " "
		}
		line += word
	}
	if line != "" {
		lines = append(lines, line)
	}
	return lines
}
