//go:build e2e

package e2e

import (
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/plaid-sync/telegraf-plaid/internal/plaidemu"
)

// A first install, the shipped way: Telegraf with interval = "30m" (its
// first newline to plaid-sync comes up to 30 minutes after the start), two
// banks linked long ago and one linked with linktool a moment before, which
// Plaid answers NOT_READY at first. All of it is in InfluxDB within a
// minute of Telegraf's start, with no newline from Telegraf.
func TestFirstInstallShowsDataWithinAMinute(t *testing.T) {
	p := newPipeline(t, pipelineOptions{
		emulator: plaidemu.Config{Seed: 61, Items: 2, HistoryDays: 90, TxPerDay: 5, NotReadySyncs: 1},
		interval: "30m",
		noStart:  true,
	})
	out, err := exec.Command(p.tools.linktool, "-c", p.iniPath, "--sandbox-link", "Just Linked", "--institution", "ins_3").CombinedOutput()
	if err != nil {
		t.Fatalf("linktool --sandbox-link: %v\n%s", err, out)
	}
	// The ground truth names items as the emulator does: the accounts file
	// takes those names, with the token linktool just got for the new one.
	items := p.emu.Items()
	p.writeAccountsFile(items)
	newItem := items[len(items)-1].Name

	start := time.Now()
	p.startTelegraf()
	gt := p.emu.GroundTruth()
	if len(gt.Items) != 3 {
		t.Fatalf("the emulator holds %d items, expected 3", len(gt.Items))
	}
	var problems []string
	err = waitFor(time.Minute, time.Second, func() (bool, error) {
		rows, err := p.influx.query(p.database, `SELECT last("status") FROM "plaid_item" WHERE "update_status" <> 'NOT_READY' GROUP BY "item"`)
		if err != nil {
			return false, err
		}
		if len(rows) < len(gt.Items) {
			problems = []string{fmt.Sprintf("%d of %d items have reported their history", len(rows), len(gt.Items))}
			return false, nil
		}
		// The new link's history exists once Plaid has prepared it.
		gt = p.emu.GroundTruth()
		problems = p.compare(gt)
		return len(problems) == 0, nil
	})
	took := time.Since(start)
	if err != nil {
		t.Fatalf("InfluxDB does not match Plaid %s after Telegraf started (interval = \"30m\"): %v\n  %s",
			took.Round(time.Second), err, strings.Join(limit(problems, 20), "\n  "))
	}
	log := p.tg.log()
	if !strings.Contains(log, "Plaid is still preparing the history of "+newItem+" (NOT_READY)") {
		t.Fatalf("the newly linked item never answered NOT_READY; the test did not test the retry")
	}
	t.Logf("InfluxDB matches Plaid %s after Telegraf started with interval = \"30m\": %d live transactions of %d items, one of them NOT_READY at first",
		took.Round(100*time.Millisecond), gt.Count, len(gt.Items))
}
