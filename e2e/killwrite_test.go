//go:build e2e

package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/plaid-sync/telegraf-plaid/internal/plaidemu"
)

// killAtWriteScript runs plaid-sync as Telegraf would, except when the plan
// file (its first argument) names a position N: then that one process runs
// under strace, which kills it with SIGKILL on entry to a write(2) to stdout,
// before that write has moved a byte. So the process dies exactly between
// two of its stdout writes, with everything before them in the pipe and
// nothing after. strace counts writes per thread, and Go moves goroutines
// among threads, so the kill falls on the Nth write of the first thread to
// make N of them: N or more writes of the process. Each start takes one
// position off the plan; once it is empty plaid-sync runs untraced. -P
// selects writes to the pipe Telegraf reads (stderr writes and the Go
// runtime's own do not count); strace's --seccomp-bpf is not used because
// with it the injection did not fire.
const killAtWriteScript = `#!/bin/sh
plan="$1"; shift
n=$(head -n 1 "$plan" 2>/dev/null)
if [ -n "$n" ]; then
	sed -i 1d "$plan"
	exec strace -f -qq -o /dev/null -P "$(readlink /proc/$$/fd/1)" \
		-e trace=write -e inject=write:signal=SIGKILL:when="$n" "$@"
fi
exec "$@"
`

// killPlan is the plan file of a pipeline whose plaid-sync runs through
// killAtWriteScript.
type killPlan struct {
	t    *testing.T
	path string
}

// withKillPlan makes opts run plaid-sync through killAtWriteScript and
// returns the plan it reads.
func withKillPlan(t *testing.T, opts *pipelineOptions) *killPlan {
	t.Helper()
	if _, err := exec.LookPath("strace"); err != nil {
		t.Fatalf("strace is missing: run make setup (%v)", err)
	}
	dir := t.TempDir()
	script := filepath.Join(dir, "kill-at-write.sh")
	writeFile(t, script, killAtWriteScript, 0o755)
	plan := &killPlan{t: t, path: filepath.Join(dir, "kill-plan")}
	writeFile(t, plan.path, "", 0o644)
	opts.wrap = func(command []string) []string {
		return append([]string{"/bin/sh", script, plan.path}, command...)
	}
	return plan
}

// set replaces the plan: the next len(positions) starts of plaid-sync are
// killed at these stdout writes, in order.
func (k *killPlan) set(positions []int) {
	k.t.Helper()
	var b strings.Builder
	for _, n := range positions {
		fmt.Fprintf(&b, "%d\n", n)
	}
	// Written aside and renamed: the script never reads half a plan.
	tmp := k.path + ".new"
	writeFile(k.t, tmp, b.String(), 0o644)
	if err := os.Rename(tmp, k.path); err != nil {
		k.t.Fatal(err)
	}
}

// left is how many positions no plaid-sync has taken yet.
func (k *killPlan) left() int {
	k.t.Helper()
	b, err := os.ReadFile(k.path)
	if err != nil {
		k.t.Fatal(err)
	}
	return strings.Count(string(b), "\n")
}

var killedRe = regexp.MustCompile(`Process \S+ exited: signal: killed`)

// killsSeen counts the plaid-sync processes that Telegraf saw die of SIGKILL.
func (p *pipeline) killsSeen() int { return len(killedRe.FindAllString(p.tg.log(), -1)) }

// tracedRunning counts the plaid-sync processes running under strace.
func (p *pipeline) tracedRunning() int {
	if p.tg.proc == nil {
		return 0
	}
	return len(childrenNamed(p.tg.proc.pid(), "strace"))
}

// waitPlanDone waits until every position of the plan was taken and no
// plaid-sync runs under strace any more: each planned process has died.
func (p *pipeline) waitPlanDone(plan *killPlan, timeout time.Duration) {
	p.t.Helper()
	err := waitFor(timeout, 100*time.Millisecond, func() (bool, error) {
		return plan.left() == 0 && p.tracedRunning() == 0, nil
	})
	if err != nil {
		p.t.Fatalf("plaid-sync processes planned to die at a write are still running (%d positions not taken, %d kills seen): %v", plan.left(), p.killsSeen(), err)
	}
}

// waitUntracedRunning waits until Telegraf runs one plaid-sync, not under
// strace: a plan set now applies to the processes started after it.
func (p *pipeline) waitUntracedRunning() {
	p.t.Helper()
	if err := waitFor(30*time.Second, 50*time.Millisecond, func() (bool, error) {
		return len(p.tg.plaidSyncPIDs()) == 1 && p.tracedRunning() == 0, nil
	}); err != nil {
		p.t.Fatalf("Telegraf runs no untraced plaid-sync: %v", err)
	}
}

// waitPlaidSyncRunning waits until Telegraf runs one plaid-sync.
func (p *pipeline) waitPlaidSyncRunning() {
	p.t.Helper()
	if err := waitFor(30*time.Second, 50*time.Millisecond, func() (bool, error) { return len(p.tg.plaidSyncPIDs()) == 1, nil }); err != nil {
		p.t.Fatalf("Telegraf runs no plaid-sync: %v", err)
	}
}

var parseErrorRe = regexp.MustCompile(`(?i)parse error`)

// cutLines is what a line cut short leaves behind once Telegraf parsed it.
type cutLines struct {
	parseErrors   int   // lines Telegraf could not parse (logged)
	before2000    int64 // points whose timestamp was cut: they land near 1970
	missingFields int64 // plaid_transaction points without amount, removed or transaction_id
}

func (c cutLines) total() int64 { return int64(c.parseErrors) + c.before2000 + c.missingFields }

func (c cutLines) String() string {
	return fmt.Sprintf("%d parse errors in Telegraf's log, %d points before 2000, %d transaction points missing a field",
		c.parseErrors, c.before2000, c.missingFields)
}

// findCutLines looks in Telegraf's log and in InfluxDB for the traces of a
// line that reached Telegraf cut short.
func (p *pipeline) findCutLines() cutLines {
	p.t.Helper()
	var c cutLines
	c.parseErrors = len(parseErrorRe.FindAllString(p.tg.log(), -1))
	for _, s := range p.query(`SELECT count(*) FROM /^plaid_/ WHERE time < '2000-01-01T00:00:00Z'`) {
		var most int64
		for _, v := range s.Values[0][1:] {
			if v != nil {
				most = max(most, asInt(v))
			}
		}
		c.before2000 += most
	}
	if s := p.query(`SELECT count("amount"), count("removed"), count("transaction_id") FROM "plaid_transaction"`); len(s) > 0 {
		row := s[0].Values[0]
		amounts, removed, ids := asInt(row[1]), asInt(row[2]), asInt(row[3])
		c.missingFields = max(amounts, removed, ids)*3 - amounts - removed - ids
	}
	return c
}

// lostAndDoubled compares live transactions per account with Plaid: lost
// are those Plaid holds and InfluxDB lacks, doubled those InfluxDB holds
// more often than Plaid (written twice, or under another identity).
func (p *pipeline) lostAndDoubled(gt plaidemu.GroundTruth) (lost, doubled int64) {
	p.t.Helper()
	live := map[acctKey]int64{}
	for _, s := range p.query(qLiveByAccount) {
		live[acctKey{s.Tags["item"], s.Tags["account_id"]}] = asInt(s.Values[0][1])
	}
	distinct := map[acctKey]int64{}
	for _, s := range p.query(qDistinctByAccount) {
		distinct[acctKey{s.Tags["item"], s.Tags["account_id"]}] = asInt(s.Values[0][1])
	}
	known := map[acctKey]bool{}
	for _, it := range gt.Items {
		for _, a := range it.Accounts {
			k := acctKey{it.Name, a.AccountID}
			known[k] = true
			lost += max(0, int64(a.Count)-distinct[k])
			doubled += max(0, live[k]-int64(a.Count))
		}
	}
	for k, n := range live {
		if !known[k] {
			doubled += n
		}
	}
	return lost, doubled
}

// The positions, in stdout writes of one plaid-sync thread, at which the
// backfill's processes are killed: large ones first, so that each process
// gets well into the history before it dies, then small ones, which land in
// what a new process writes first (the undelivered groups and the replay).
var backfillKillPositions = []int{300, 250, 200, 180, 160, 140, 120, 110, 100, 90, 75, 64, 48, 33, 20, 12, 7, 3, 2, 1}

// The positions for the days of changes: a new process writes the changes
// it did not deliver, then the 30-day replay, which holds the day's
// postings, corrections and removals.
var dailyKillPositions = []int{1, 2, 4, 6, 9, 12, 15, 18, 22, 26, 31, 36}

// plaid-sync is killed with SIGKILL between two of its stdout writes, at 32
// positions across a backfill and two days of changes. No line may reach
// Telegraf cut short, and InfluxDB must equal the bank exactly.
func TestKillBetweenWrites(t *testing.T) {
	start := time.Now()
	opts := pipelineOptions{emulator: plaidemu.Config{Seed: 11, Items: 3, HistoryDays: 730}, noStart: true}
	plan := withKillPlan(t, &opts)
	p := newPipeline(t, opts)
	// Should a wait fail, the traces of cut lines so far still count.
	defer func() {
		if t.Failed() {
			t.Logf("cut lines so far: %s", p.findCutLines())
		}
	}()

	plan.set(backfillKillPositions)
	p.startTelegraf()
	p.waitPlanDone(plan, 4*time.Minute)
	kills := len(backfillKillPositions)
	t.Logf("backfill: %d kills in %s", kills, time.Since(start).Round(time.Second))
	p.settle(time.Now(), 3*time.Minute)

	// The days: the idle untraced process is killed after each advance, so
	// that the traced ones that follow write the day's changes.
	daysStart := time.Now()
	half := len(dailyKillPositions) / 2
	var modified, removed int
	for _, positions := range [][]int{dailyKillPositions[:half], dailyKillPositions[half:]} {
		p.waitUntracedRunning()
		plan.set(positions)
		sum, _ := p.advance(1)
		t.Logf("advanced a day to %s: %d added, %d posted, %d dropped, %d modified, %d removed", sum.Today, sum.Added, sum.Posted, sum.Dropped, sum.Modified, sum.Removed)
		modified, removed = modified+sum.Modified, removed+sum.Removed
		p.killPlaidSync()
		kills += 1 + len(positions)
		p.waitPlanDone(plan, 3*time.Minute)
	}
	if modified == 0 || removed == 0 {
		t.Fatalf("the days brought %d modifications and %d removals: the scenario needs both", modified, removed)
	}
	t.Logf("days of changes: %d kills in %s", 2+len(dailyKillPositions), time.Since(daysStart).Round(time.Second))

	p.settle(time.Now(), 3*time.Minute)
	gt := p.emu.GroundTruth()
	cut := p.findCutLines()
	lost, doubled := p.lostAndDoubled(gt)
	problems := p.compare(gt)
	t.Logf("kills: %d (%d at a chosen stdout write); transactions: %d; lost: %d; doubled: %d; cut lines: %s",
		kills, len(backfillKillPositions)+len(dailyKillPositions), gt.Count, lost, doubled, cut)
	if cut.total() > 0 {
		t.Errorf("lines reached Telegraf cut short: %s", cut)
	}
	if len(problems) > 0 {
		t.Errorf("InfluxDB differs from Plaid (%d problems):\n  %s", len(problems), strings.Join(limit(problems, 30), "\n  "))
	}
	if n := p.killsSeen(); n != kills {
		t.Errorf("Telegraf saw %d plaid-sync processes killed, the test caused %d", n, kills)
	}
	t.Logf("kill-between-writes scenario took %s", time.Since(start).Round(time.Second))
}
