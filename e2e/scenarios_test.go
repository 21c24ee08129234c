//go:build e2e

package e2e

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/plaid-sync/telegraf-plaid/internal/plaidemu"
)

// backfillBank is ten banks with two years of history: about 57,000
// transactions.
var backfillBank = plaidemu.Config{Seed: 1, Items: 10, HistoryDays: 730}

var overflowRe = regexp.MustCompile(`Metric buffer overflow; (\d+) metrics have been dropped`)

// droppedMetrics adds up what Telegraf's log says its buffer dropped.
func droppedMetrics(log string) int {
	total := 0
	for _, m := range overflowRe.FindAllStringSubmatch(log, -1) {
		n, _ := strconv.Atoi(m[1])
		total += n
	}
	return total
}

// backfillDuringOutage runs a first sync of every item while InfluxDB is
// down, so that all of it has to wait in Telegraf's buffer, then starts
// InfluxDB.
func backfillDuringOutage(t *testing.T, opts pipelineOptions) *pipeline {
	t.Helper()
	opts.noStart = true
	p := newPipeline(t, opts)
	if err := p.influx.stop(); err != nil {
		t.Fatal(err)
	}
	before := p.balanceCalls()
	p.startTelegraf()
	p.waitGathersAtPlaid(before, 2, 3*time.Minute)
	if !strings.Contains(p.tg.log(), "When writing to ["+p.influx.url()+"]") {
		t.Fatalf("Telegraf did not report failed writes while InfluxDB was down")
	}
	if err := p.influx.start(); err != nil {
		t.Fatalf("starting InfluxDB again: %v", err)
	}
	return p
}

// Scenario 1: ten banks, two years, more than 50,000 transactions reach
// InfluxDB without loss through the shipped configuration, even though
// InfluxDB is down for the whole first sync. The control run shows what
// makes it so: with Telegraf's default buffer the same backfill loses the
// oldest points for good.
func TestBackfill(t *testing.T) {
	t.Run("shipped configuration", func(t *testing.T) {
		start := time.Now()
		p := backfillDuringOutage(t, pipelineOptions{emulator: backfillBank})
		gt := p.emu.GroundTruth()
		if gt.Count < 50000 {
			t.Fatalf("the emulator holds %d transactions; the backfill scenario needs 50,000 or more", gt.Count)
		}
		p.requireMatch(start, 3*time.Minute)
		log := p.tg.log()
		if n := droppedMetrics(log); n > 0 {
			t.Fatalf("Telegraf dropped %d metrics", n)
		}
		// One plaid-sync process throughout: no restart, so no replay
		// could have filled a gap.
		if n := strings.Count(log, "Starting process: "+p.tools.plaidSync); n != 1 {
			t.Fatalf("plaid-sync was started %d times, expected once", n)
		}
		t.Logf("%d transactions of %d items in %s", gt.Count, len(gt.Items), time.Since(start).Round(time.Second))
	})
	t.Run("control: Telegraf's default buffer loses the oldest points", func(t *testing.T) {
		start := time.Now()
		p := backfillDuringOutage(t, pipelineOptions{emulator: backfillBank, telegrafDefaultBuffer: true, noSelfCheck: true})
		p.settle(start, 3*time.Minute)
		dropped := droppedMetrics(p.tg.log())
		if dropped == 0 {
			t.Fatal("with a 10,000-metric buffer Telegraf dropped nothing: the control shows nothing")
		}
		gt := p.emu.GroundTruth()
		problems := p.compare(gt)
		if len(problems) == 0 {
			t.Fatalf("Telegraf dropped %d metrics, yet InfluxDB matches Plaid: the comparison cannot see losses", dropped)
		}
		if lost := int64(gt.Count) - p.liveCount(); lost <= 0 {
			t.Fatalf("Telegraf dropped %d metrics, yet InfluxDB holds %d of %d live transactions", dropped, p.liveCount(), gt.Count)
		}
		t.Logf("Telegraf dropped %d metrics; InfluxDB holds %d of %d live transactions (%d problems)", dropped, p.liveCount(), gt.Count, len(problems))
	})
}

// dailyLife advances emulated time a few times and requires a match after
// each advance. It returns what changed at Plaid.
func dailyLife(t *testing.T, p *pipeline, days []int) (plaidemu.AdvanceSummary, []string) {
	t.Helper()
	var total plaidemu.AdvanceSummary
	for _, d := range days {
		sum, at := p.advance(d)
		t.Logf("advanced %d days to %s: %d added, %d posted, %d dropped, %d modified, %d removed", d, sum.Today, sum.Added, sum.Posted, sum.Dropped, sum.Modified, sum.Removed)
		total.Added += sum.Added
		total.Posted += sum.Posted
		total.Dropped += sum.Dropped
		total.Modified += sum.Modified
		total.Removed += sum.Removed
		p.settle(at, 2*time.Minute)
		if problems := p.compare(p.emu.GroundTruth()); len(problems) > 0 {
			return total, problems
		}
	}
	return total, nil
}

// Scenario 2: days pass with new pending transactions, postings,
// corrections that change the category, and removals; InfluxDB matches
// Plaid after each.
func TestDailyLife(t *testing.T) {
	start := time.Now()
	p := newPipeline(t, pipelineOptions{emulator: plaidemu.Config{Seed: 2, Items: 4, HistoryDays: 120}})
	p.requireMatch(start, 2*time.Minute)
	total, problems := dailyLife(t, p, []int{1, 2, 3, 4})
	if len(problems) > 0 {
		t.Fatalf("InfluxDB differs from Plaid after an advance:\n  %s", strings.Join(limit(problems, 30), "\n  "))
	}
	if total.Added == 0 || total.Posted == 0 || total.Modified == 0 || total.Removed+total.Dropped == 0 {
		t.Fatalf("the advances did not exercise every kind of change: %+v", total)
	}
	if n := p.recategorised(); n == 0 {
		t.Fatal("no transaction changed its category: the scenario did not exercise recategorisation")
	} else {
		t.Logf("%d transactions changed category", n)
	}
}

// recategorised counts transactions that InfluxDB holds live in a category
// other than one of their tombstones: corrections that moved them.
func (p *pipeline) recategorised() int {
	p.t.Helper()
	tombstones := map[string][]string{}
	for _, s := range p.query(`SELECT "transaction_id", "category" FROM "plaid_transaction" WHERE "removed" = true`) {
		for i := range s.Values {
			id, cat := fmt.Sprint(s.column("transaction_id")[i]), fmt.Sprint(s.column("category")[i])
			tombstones[id] = append(tombstones[id], cat)
		}
	}
	moved := 0
	for id, cats := range tombstones {
		for _, s := range p.query(`SELECT "transaction_id", "category" FROM "plaid_transaction" WHERE "removed" = false AND "transaction_id" = ` + quoteString(id)) {
			for i := range s.Values {
				live := fmt.Sprint(s.column("category")[i])
				for _, c := range cats {
					if c != live {
						moved++
					}
				}
			}
		}
	}
	return moved
}

// The harness must catch a plugin that loses tombstones: the same daily
// life through a plaid-sync whose output loses every removed=true line has
// to fail the comparison.
func TestBrokenPluginIsCaught(t *testing.T) {
	start := time.Now()
	p := newPipeline(t, pipelineOptions{
		emulator: plaidemu.Config{Seed: 2, Items: 4, HistoryDays: 120},
		wrap: func(command []string) []string {
			quoted := make([]string, len(command))
			for i, arg := range command {
				quoted[i] = shellQuote(arg)
			}
			return []string{"/bin/sh", "-c", strings.Join(quoted, " ") + " | grep --line-buffered -v 'removed=true'"}
		},
	})
	// A first sync has no tombstones: it still matches.
	p.requireMatch(start, 2*time.Minute)
	_, problems := dailyLife(t, p, []int{1, 2, 3, 4})
	if len(problems) == 0 {
		t.Fatal("a plugin that drops tombstones passed the daily-life comparison")
	}
	if !strings.Contains(strings.Join(problems, "\n"), "live transactions") {
		t.Fatalf("the comparison failed, but not on the live counts that lost tombstones inflate:\n  %s", strings.Join(limit(problems, 10), "\n  "))
	}
	t.Logf("the comparison caught the broken plugin (%d problems), e.g.:\n  %s", len(problems), strings.Join(limit(problems, 5), "\n  "))
}

// Scenario 3: plaid-sync is killed with SIGKILL in the middle of the
// backfill, twice, and Telegraf is restarted while it goes on; in the end
// nothing is missing and nothing is counted twice.
func TestRestarts(t *testing.T) {
	start := time.Now()
	p := newPipeline(t, pipelineOptions{emulator: plaidemu.Config{Seed: 3, Items: 8, HistoryDays: 730}, noStart: true})
	// Slow pages stretch the backfill so that the kills land inside it.
	if _, err := p.emu.AddFault(plaidemu.Fault{Endpoint: "/transactions/sync", LatencyMS: 60}); err != nil {
		t.Fatal(err)
	}
	pages := backfillPages(p.emu.GroundTruth())
	p.startTelegraf()

	p.waitSyncCalls(pages/4, 2*time.Minute)
	old := p.killPlaidSync()
	t.Logf("killed plaid-sync (pid %d) after %d of about %d backfill pages; InfluxDB holds %d live transactions", old, p.syncCalls(), pages, p.liveCount())
	p.waitPlaidSyncRestarted(old)

	p.waitSyncCalls(pages/2, 2*time.Minute)
	p.restartTelegraf()
	t.Logf("restarted Telegraf after %d sync calls; InfluxDB holds %d live transactions", p.syncCalls(), p.liveCount())

	p.waitSyncCalls(3*pages/4, 2*time.Minute)
	old = p.killPlaidSync()
	t.Logf("killed plaid-sync (pid %d) after %d sync calls; InfluxDB holds %d live transactions", old, p.syncCalls(), p.liveCount())
	p.waitPlaidSyncRestarted(old)

	p.emu.ClearFaults()
	// The comparison counts distinct transaction ids too: a transaction
	// written twice under another identity would show.
	p.requireMatch(time.Now(), 3*time.Minute)
	log := p.tg.log()
	if n := droppedMetrics(log); n > 0 {
		t.Fatalf("Telegraf dropped %d metrics", n)
	}
	// Started by the first Telegraf, after the first kill, by the second
	// Telegraf, after the second kill: four processes, no other crash.
	if n := strings.Count(log, "Starting process: "+p.tools.plaidSync); n != 4 {
		t.Fatalf("plaid-sync was started %d times, expected 4", n)
	}

	// The host moves (a new container, a migrated VM): the replay at
	// plaid-sync's start rewrites the last 30 days from the new host, and
	// those points must overwrite the ones already there, not add to them.
	p.restartTelegrafAs("renamed-host")
	p.requireMatch(time.Now(), 3*time.Minute)
	t.Logf("restarts scenario took %s", time.Since(start).Round(time.Second))
}

// Scenario 4: InfluxDB is down long enough for Telegraf's buffer (the
// shipped 200,000 metrics) to overflow; once it is back, the plugin's
// replay rewrites what was dropped and the sums match again.
func TestOutage(t *testing.T) {
	start := time.Now()
	// 10 banks at 30 transactions a day for two years: more points than
	// the buffer holds.
	p := newPipeline(t, pipelineOptions{
		emulator:       plaidemu.Config{Seed: 4, Items: 10, HistoryDays: 730, TxPerDay: 30},
		replayInterval: "1m",
		replayWindow:   "800d",
		noStart:        true,
	})
	gt := p.emu.GroundTruth()
	if gt.Count <= 200000 {
		t.Fatalf("the emulator holds %d transactions; the outage needs more than the buffer's 200,000", gt.Count)
	}
	if err := p.influx.stop(); err != nil {
		t.Fatal(err)
	}
	down := time.Now()
	before := p.balanceCalls()
	p.startTelegraf()
	p.waitGathersAtPlaid(before, 1, 3*time.Minute)
	// Days pass during the outage: their changes wait in the buffer too.
	_, advanced := p.advance(2)
	p.waitGathersAtPlaid(p.balanceCalls(), 2, 2*time.Minute)
	err := waitFor(30*time.Second, 250*time.Millisecond, func() (bool, error) { return droppedMetrics(p.tg.log()) > 0, nil })
	if err != nil {
		t.Fatalf("Telegraf's buffer did not overflow while InfluxDB was down: %v", err)
	}
	t.Logf("InfluxDB down for %s; Telegraf dropped %d metrics", time.Since(down).Round(time.Second), droppedMetrics(p.tg.log()))
	if err := p.influx.start(); err != nil {
		t.Fatalf("starting InfluxDB again: %v", err)
	}
	// Telegraf writes what it kept; the dropped points come back with the
	// next replay (every minute here, covering the whole history).
	p.settle(advanced, 2*time.Minute)
	if problems := p.compare(p.emu.GroundTruth()); len(problems) > 0 {
		t.Logf("InfluxDB is back and holds what the buffer kept: %d of %d live transactions (%d problems); waiting for the replay",
			p.liveCount(), p.emu.GroundTruth().Count, len(problems))
		// The totals are cheap to watch; requireMatch below compares it all.
		gt := p.emu.GroundTruth()
		var count, sum int64
		err := waitFor(3*time.Minute, 2*time.Second, func() (bool, error) {
			count, sum = p.liveCount(), p.sumCents()
			return count == int64(gt.Count) && sum == gt.SumCents, nil
		})
		if err != nil {
			t.Fatalf("the replay did not heal InfluxDB: %v: %d live transactions summing %s, Plaid holds %d summing %s",
				err, count, centsString(sum), gt.Count, centsString(gt.SumCents))
		}
		t.Logf("healed %s after the start", time.Since(start).Round(time.Second))
	} else {
		t.Log("a replay had already run by the time the buffer was written")
	}
	// And the match holds: nothing arrives late to spoil it.
	p.requireMatch(time.Now(), 2*time.Minute)
	t.Logf("outage scenario took %s", time.Since(start).Round(time.Second))
}

// Scenario 5: one item's login expires. plaid_item shows login_required and
// the command that repairs it while the other items keep syncing; running
// that command (linktool's update flow, Hosted Link completed at the
// emulator) repairs the item and the next gathers catch up.
func TestLoginExpiry(t *testing.T) {
	start := time.Now()
	p := newPipeline(t, pipelineOptions{emulator: plaidemu.Config{Seed: 5, Items: 4, HistoryDays: 90}})
	p.requireMatch(start, 2*time.Minute)

	broken := p.emu.Items()[1]
	p.plaidCall("/sandbox/item/reset_login", map[string]any{"access_token": broken.AccessToken})
	_, at := p.advance(2)
	// requireMatch checks plaid_item too: ITEM_LOGIN_REQUIRED, login_required
	// and the repair command for the broken item, "ok" for the others,
	// whose new days are in InfluxDB.
	gt := p.requireMatch(at, 2*time.Minute)
	if itemTruth(gt, broken.Name).Error != "ITEM_LOGIN_REQUIRED" {
		t.Fatalf("the emulator does not hold %q in ITEM_LOGIN_REQUIRED", broken.Name)
	}
	command := p.updateCommand(broken.Name)
	if !strings.Contains(p.tg.log(), "run: "+command) {
		t.Fatalf("Telegraf's log does not warn with the repair command %q", command)
	}
	status := runLinktool(t, p.tools.linktool, "-c", p.iniPath, "--status")
	if status.code != 1 || !strings.Contains(status.stdout, broken.Name+":") || !strings.Contains(status.stdout+status.stderr, "ITEM_LOGIN_REQUIRED") {
		t.Fatalf("linktool --status does not report the broken login (exit %d):\n%s%s", status.code, status.stdout, status.stderr)
	}
	countBefore := itemCount(itemTruth(gt, broken.Name))

	// The user runs the repair command, with --hosted on a headless host.
	repair := p.repairWithHostedLink(command + " --hosted")
	if !strings.Contains(repair, "There is nothing else to do") {
		t.Fatalf("linktool's update did not finish:\n%s", repair)
	}
	repaired := time.Now()
	gt = p.requireMatch(repaired, 2*time.Minute)
	if after := itemCount(itemTruth(gt, broken.Name)); after <= countBefore {
		t.Fatalf("%q holds %d transactions after the repair, %d before: the missed days did not come", broken.Name, after, countBefore)
	} else {
		t.Logf("%q caught up: %d live transactions, %d before the repair", broken.Name, after, countBefore)
	}
}

func itemTruth(gt plaidemu.GroundTruth, name string) plaidemu.ItemTruth {
	for _, it := range gt.Items {
		if it.Name == name {
			return it
		}
	}
	return plaidemu.ItemTruth{}
}

func itemCount(it plaidemu.ItemTruth) int {
	n := 0
	for _, a := range it.Accounts {
		n += a.Count
	}
	return n
}

// Scenario 6: rate limits, server errors, slow answers, dropped and cut
// connections and mutation during pagination strike at random (from the
// emulator's fixed seed) while every item backfills, and days pass in the
// middle of it; the end state still matches.
func TestFaults(t *testing.T) {
	start := time.Now()
	p := newPipeline(t, pipelineOptions{emulator: plaidemu.Config{Seed: 6, Items: 6, HistoryDays: 730}, noStart: true})
	// The rarer kinds strike a fixed number of times, each on a page of its
	// own, and come first: the first fault that fires on a call decides its
	// answer, so none of them is hidden behind another. The frequent kinds
	// strike at random, from the emulator's seed.
	faults := []plaidemu.Fault{
		{Endpoint: "/transactions/sync", ErrorCode: "TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION", Page: 2, Count: 3},
		{Endpoint: "/transactions/sync", Drop: true, Page: 3, Count: 2},
		{Endpoint: "/transactions/sync", Truncate: true, Page: 4, Count: 2},
		{Endpoint: "/transactions/sync", ErrorCode: "TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION", Page: 6, Count: 2},
		{Endpoint: "/transactions/sync", ErrorCode: "RATE_LIMIT_EXCEEDED", Probability: 0.1},
		{Endpoint: "*", ErrorCode: "INTERNAL_SERVER_ERROR", Probability: 0.05},
		{Endpoint: "/transactions/sync", LatencyMS: 400, Probability: 0.1},
	}
	for _, f := range faults {
		if _, err := p.emu.AddFault(f); err != nil {
			t.Fatal(err)
		}
	}
	pages := backfillPages(p.emu.GroundTruth())
	p.startTelegraf()
	p.waitSyncCalls(pages/3, 2*time.Minute)
	// A real mutation during pagination: new bank days while pages are read.
	_, advanced := p.advance(1)
	p.settle(advanced, 4*time.Minute)
	// A fault with a count leaves the list once it has fired that often.
	active := p.emu.Faults()
	if len(active) != 3 {
		t.Errorf("%d faults are still active, expected the 3 random ones: %+v", len(active), active)
	}
	for _, f := range active {
		if f.Fired == 0 {
			t.Errorf("fault %s (%+v) never fired: the scenario did not exercise it", f.ID, f.Fault)
		} else {
			t.Logf("fault %s fired %d times: %s %s%s", f.ID, f.Fired, f.Endpoint, f.ErrorCode, faultKind(f.Fault))
		}
	}
	p.emu.ClearFaults()
	p.requireMatch(time.Now(), 2*time.Minute)
	t.Logf("faults scenario took %s", time.Since(start).Round(time.Second))
}

func faultKind(f plaidemu.Fault) string {
	switch {
	case f.Drop:
		return "dropped connection"
	case f.Truncate:
		return "truncated body"
	case f.LatencyMS > 0:
		return fmt.Sprintf("%d ms late", f.LatencyMS)
	case f.Page > 0:
		return fmt.Sprintf(" on page %d", f.Page)
	}
	return ""
}
