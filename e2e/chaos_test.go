//go:build e2e

package e2e

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/plaid-sync/telegraf-plaid/internal/plaidemu"
)

var chaosSeed = flag.Uint64("chaos-seed", 0, "seed of TestChaos; 0 takes one from the clock (the test prints it)")

// chaosFaults are the emulator faults the chaos draws from. Each strikes a
// few calls and then leaves: the item keeps its status, and the pipeline can
// settle once the chaos is over.
func chaosFault(r *rand.Rand) plaidemu.Fault {
	n := 1 + r.IntN(3)
	switch r.IntN(7) {
	case 0:
		return plaidemu.Fault{Endpoint: "/transactions/sync", ErrorCode: "TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION", Page: 2, Count: n}
	case 1:
		return plaidemu.Fault{Endpoint: "/transactions/sync", ErrorCode: "RATE_LIMIT_EXCEEDED", Count: n}
	case 2:
		return plaidemu.Fault{Endpoint: "*", ErrorCode: "INTERNAL_SERVER_ERROR", Count: n}
	case 3:
		return plaidemu.Fault{Endpoint: "/transactions/sync", Drop: true, Count: n}
	case 4:
		return plaidemu.Fault{Endpoint: "/transactions/sync", Truncate: true, Count: n}
	case 5:
		return plaidemu.Fault{Endpoint: "/accounts/get", Drop: true, Count: n}
	default:
		return plaidemu.Fault{Endpoint: "/transactions/sync", LatencyMS: 200 + r.IntN(600), Count: n}
	}
}

// crashTelegraf kills Telegraf and plaid-sync with SIGKILL, as a crash of the
// service would end its whole process group, and starts Telegraf again.
func (p *pipeline) crashTelegraf() {
	p.t.Helper()
	if err := p.tg.proc.kill(); err != nil {
		p.t.Fatal(err)
	}
	p.tg.proc = nil
	p.startTelegraf()
}

// chaosFigures count what the chaos did.
type chaosFigures struct {
	syncKills       int // plaid-sync killed at a random moment
	positions       int // plaid-sync processes started to die at a chosen stdout write
	writeKills      int // of those, the ones that did (the others were killed first)
	telegrafCrashes int
	faults          int
	advances        int
}

func (f chaosFigures) String() string {
	return fmt.Sprintf("%d SIGKILLs of plaid-sync at random moments, %d at a chosen stdout write (of %d planned), %d Telegraf crashes, %d emulator faults, %d days advanced",
		f.syncKills, f.writeKills, f.positions, f.telegrafCrashes, f.faults, f.advances)
}

// Random SIGKILLs of plaid-sync (at random moments and at random stdout
// writes), crashes of Telegraf, emulator faults and days passing, from one
// seed; when it is over and the pipeline has settled, InfluxDB must equal
// the bank exactly.
//
// Telegraf is crashed only once the backfill has settled. A crashed Telegraf
// loses the points its buffer holds, which plaid-sync counted as delivered
// when Telegraf read them; only the replay (replay_window, 30 days as
// shipped, run when plaid-sync starts) writes them again. Every change a
// bank day makes is recent, so the shipped replay heals a crash after the
// backfill; a crash during the backfill would lose older history for good,
// which is beyond what the shipped configuration promises.
func TestChaos(t *testing.T) {
	start := time.Now()
	seed := *chaosSeed
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	t.Logf("chaos seed %d (again: ./scripts/e2e.sh -run TestChaos -args -chaos-seed=%d)", seed, seed)
	r := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))

	opts := pipelineOptions{emulator: plaidemu.Config{Seed: int64(seed % (1 << 62)), Items: 3, HistoryDays: 365}, noStart: true}
	plan := withKillPlan(t, &opts)
	p := newPipeline(t, opts)
	var figures chaosFigures

	addFault := func() {
		if _, err := p.emu.AddFault(chaosFault(r)); err != nil {
			t.Fatal(err)
		}
		figures.faults++
	}
	// A running plaid-sync is killed; during Telegraf's restart delay there
	// is none, and the kill waits for the next. One that dies at its chosen
	// write just before is gone, and the kill goes to the next one.
	killSync := func() {
		err := waitFor(30*time.Second, 50*time.Millisecond, func() (bool, error) {
			pids := p.tg.plaidSyncPIDs()
			return len(pids) == 1 && syscall.Kill(pids[0], syscall.SIGKILL) == nil, nil
		})
		if err != nil {
			t.Fatalf("no plaid-sync to kill: %v", err)
		}
		figures.syncKills++
	}
	pause := func() { time.Sleep(time.Duration(200+r.IntN(1800)) * time.Millisecond) }

	// The backfill: plaid-sync killed at random writes and random moments,
	// faults at Plaid.
	positions := make([]int, 4)
	for i := range positions {
		positions[i] = 1 + r.IntN(250)
	}
	plan.set(positions)
	figures.positions = len(positions)
	p.startTelegraf()
	for range 8 {
		pause()
		if r.IntN(2) == 0 {
			addFault()
		} else {
			killSync()
		}
	}
	p.waitPlanDone(plan, 3*time.Minute)
	p.settle(time.Now(), 3*time.Minute)
	figures.writeKills = p.killsSeen() - figures.syncKills
	t.Logf("backfill settled after %s: %s", time.Since(start).Round(time.Second), figures)

	// Daily life, with everything.
	for range 28 {
		switch r.IntN(5) {
		case 0:
			if _, err := p.emu.Advance(1); err != nil {
				t.Fatal(err)
			}
			figures.advances++
		case 1:
			killSync()
		case 2:
			p.crashTelegraf()
			figures.telegrafCrashes++
		case 3:
			addFault()
		default:
			plan.set([]int{1 + r.IntN(36)})
			figures.positions++
			killSync()
		}
		pause()
	}
	// Plaid's last word is a new day, seen by a pipeline at peace.
	if _, err := p.emu.Advance(1); err != nil {
		t.Fatal(err)
	}
	figures.advances++
	p.waitPlanDone(plan, 3*time.Minute)
	p.emu.ClearFaults()
	settleFrom := time.Now()
	p.waitPlaidSyncRunning()
	p.settle(settleFrom, 3*time.Minute)

	// Telegraf logs the death of each plaid-sync it did not take down
	// with it; those the test did not kill at a random moment died at a
	// chosen write.
	figures.writeKills = p.killsSeen() - figures.syncKills
	gt := p.emu.GroundTruth()
	cut := p.findCutLines()
	lost, doubled := p.lostAndDoubled(gt)
	problems := p.compare(gt)
	t.Logf("seed %d: %s; transactions: %d; lost: %d; doubled: %d; cut lines: %s", seed, figures, gt.Count, lost, doubled, cut)
	if cut.total() > 0 {
		t.Errorf("lines reached Telegraf cut short: %s", cut)
	}
	if len(problems) > 0 {
		t.Errorf("InfluxDB differs from Plaid (%d problems):\n  %s", len(problems), strings.Join(limit(problems, 30), "\n  "))
	}
	t.Logf("chaos took %s", time.Since(start).Round(time.Second))
}
