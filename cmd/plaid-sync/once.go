package main

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/plaid-sync/telegraf-plaid/internal/itemhealth"
	"github.com/plaid-sync/telegraf-plaid/internal/redact"
	"github.com/plaid-sync/telegraf-plaid/plugins/inputs/plaid"
)

// gatherOnce runs one gather with line protocol to stdout and a summary to
// stderr. Its exit status is 1 when any item failed.
func gatherOnce(p *plaid.Plaid, stdout, stderr io.Writer) int {
	acc := newLineAccumulator(stdout, func(err error) { p.Log.Errorf("dropping a metric: %v", err) })
	acc.onError = func(err error) { p.Log.Errorf("%v", err) }
	gatherErr := p.Gather(acc)
	flushErr := acc.flush()
	p.Stop()
	if gatherErr != nil {
		p.Log.Errorf("%v", gatherErr)
		return 1
	}
	if flushErr != nil {
		p.Log.Errorf("writing line protocol: %v", flushErr)
		return 1
	}
	results := p.Results()
	writeSummary(stderr, results, time.Now())
	for i := range results {
		if results[i].Failed() {
			return 1
		}
	}
	return 0
}

// writeSummary reads like plaid-sync's: one line per item, Plaid's error with
// the command that fixes it, and warnings about items that stopped updating.
// It is written past the logger, so it goes through the process-wide
// redactor the plugin registered its credentials with.
func writeSummary(stderr io.Writer, results []plaid.ItemResult, now time.Time) {
	w := redact.New().Writer(stderr)
	width := 0
	for i := range results {
		width = max(width, len([]rune(results[i].Name)))
	}
	pad := strings.Repeat(" ", width)
	fmt.Fprintf(w, "\nFinished syncing %d Plaid accounts\n\n", len(results))
	for i := range results {
		r := &results[i]
		fmt.Fprintf(w, "%-*s : %d new transactions (%d pending), %d archived transactions over %d accounts\n",
			width, r.Name, r.Added, r.Pending, r.Removed, r.Accounts)
		if !r.Failed() {
			continue
		}
		fmt.Fprintf(w, "%s : *** Plaid error: %s ***\n", pad, r.Status)
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
