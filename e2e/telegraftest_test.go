//go:build e2e

package e2e

import (
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/plaid-sync/telegraf-plaid/internal/plaidemu"
)

// The README's way to look at what Telegraf gets: --test --test-wait 30
// shows plaid-sync's metrics. A plain --test or --once stops an execd
// plugin at once; what they show is logged, for the README's figure.
func TestTelegrafTestWaitShowsThePlugin(t *testing.T) {
	p := newPipeline(t, pipelineOptions{
		emulator: plaidemu.Config{Seed: 62, Items: 2, HistoryDays: 30, TxPerDay: 4},
		interval: "30m",
		noStart:  true,
	})
	run := func(args ...string) (string, time.Duration) {
		ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, p.tools.telegraf, append([]string{"--config", p.tg.confPath}, args...)...)
		start := time.Now()
		out, err := cmd.CombinedOutput()
		if ctx.Err() != nil {
			t.Fatalf("telegraf %v did not finish: %s", args, out)
		}
		if err != nil {
			t.Logf("telegraf %v: %v; its last lines:\n%s", args, err, tail2(string(out), 6))
		}
		return string(out), time.Since(start)
	}
	out, took := run("--test", "--test-wait", "30")
	items := strings.Count(out, "> plaid_item,")
	t.Logf("--test --test-wait 30: %d plaid_item and %d plaid_transaction lines in %s", items, strings.Count(out, "> plaid_transaction,"), took.Round(100*time.Millisecond))
	// One gather as plaid-sync starts and one for Telegraf's newline.
	if items < 2 {
		t.Fatalf("--test --test-wait 30 shows %d plaid_item lines, expected one per bank at least:\n%s", items, tail2(out, 20))
	}
	for _, args := range [][]string{{"--test"}, {"--once"}} {
		out, took := run(args...)
		n := strings.Count(out, "plaid_item,")
		t.Logf("%v: %d plaid_item lines in %s:\n%s", args, n, took.Round(100*time.Millisecond), tail2(out, 4))
	}
}

func tail2(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
