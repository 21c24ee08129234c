package bench

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// Issue 15's scale table: items with 30 days of 3 transactions a day,
// max_concurrency 4, zero latency, the real binaries. One plaid-sync process
// per size: the backfill (first gather), then one gather that settles deliveries and steadyGathers gathers that find
// nothing new.
const steadyGathers = 2

// ScaleResult is one size of the scale table.
type ScaleResult struct {
	Items, Transactions  int
	BackfillWall         time.Duration
	BackfillCPU          time.Duration
	SteadyWall           time.Duration // per gather, median
	SteadyCPU            time.Duration // per gather, mean
	PeakRSS              int64         // bytes, the process's high-water mark
	AtPeak               MemorySample  // the largest of samples every 200 ms
	StateBytes           int64         // the state file after the backfill
	SyncCallsPerItemGath float64       // /transactions/sync per item per steady gather
}

// Scale runs the scale table for each size.
func (env *Env) Scale(sizes []int) ([]ScaleResult, error) {
	var out []ScaleResult
	for _, n := range sizes {
		r, err := env.scale(n)
		if err != nil {
			return out, fmt.Errorf("%d items: %w", n, err)
		}
		out = append(out, r)
	}
	return out, nil
}

func (env *Env) scale(items int) (ScaleResult, error) {
	env.logf("scale: %d items x 30 days x 3 transactions a day", items)
	res := ScaleResult{Items: items}
	emu, _, ws, err := env.setup(fmt.Sprintf("scale-%d", items), EmulatorOptions{Items: items, HistoryDays: 30, TxPerDay: 3, Seed: 15},
		PluginConfig{Balances: "cached", MaxConcurrency: 4, Timeout: "30m"})
	if err != nil {
		return res, err
	}
	defer emu.Close()
	proc, err := StartSync(env.bin("plaid-sync"), ws)
	if err != nil {
		return res, err
	}
	defer proc.Kill()
	stopSampling := proc.SampleMemory(200 * time.Millisecond)
	cpu0, err := processCPU(proc.PID())
	if err != nil {
		stopSampling()
		return res, err
	}
	g, err := proc.Gather(items, 30*time.Minute)
	if err != nil {
		return res, err
	}
	cpu1, err := processCPU(proc.PID())
	if err != nil {
		return res, err
	}
	res.BackfillWall, res.BackfillCPU = g.Wall, cpu1-cpu0
	res.Transactions = g.Lines["plaid_transaction"]
	if info, err := os.Stat(ws.StateDir + "/plaid-state.db"); err == nil {
		res.StateBytes = info.Size()
	}
	// One gather to settle deliveries, then the measured ones.
	if _, err := proc.Gather(items, 10*time.Minute); err != nil {
		return res, err
	}
	if err := emu.ResetStats(); err != nil {
		return res, err
	}
	before, err := processCPU(proc.PID())
	if err != nil {
		return res, err
	}
	var walls []float64
	for range steadyGathers {
		g, err := proc.Gather(items, 10*time.Minute)
		if err != nil {
			return res, err
		}
		walls = append(walls, g.Wall.Seconds())
	}
	after, err := processCPU(proc.PID())
	if err != nil {
		return res, err
	}
	res.SteadyWall = time.Duration(Summarize(walls).Median * float64(time.Second))
	res.SteadyCPU = (after - before) / steadyGathers
	if s, err := emu.Stats(); err == nil {
		res.SyncCallsPerItemGath = float64(s.Calls[endpointSync]) / float64(items*steadyGathers)
	}
	res.AtPeak = stopSampling()
	if res.PeakRSS, err = statusField(proc.PID(), "VmHWM:"); err != nil {
		return res, err
	}
	_, err = proc.Stop()
	return res, err
}

// processCPU is the user plus system time of a running process, from
// /proc (clock ticks of 10 ms).
func processCPU(pid int) (time.Duration, error) {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// Fields after the command name, which is in parentheses.
	rest := string(raw[strings.LastIndexByte(string(raw), ')')+2:])
	f := strings.Fields(rest)
	if len(f) < 13 {
		return 0, fmt.Errorf("short /proc/%d/stat", pid)
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("bad /proc/%d/stat", pid)
	}
	return time.Duration(utime+stime) * 10 * time.Millisecond, nil
}

func statusField(pid int, field string) (int64, error) {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for line := range strings.SplitSeq(string(raw), "\n") {
		if rest, ok := strings.CutPrefix(line, field); ok {
			kib, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kib * 1024, err
		}
	}
	return 0, fmt.Errorf("no %s in /proc/%d/status", field, pid)
}

// ScaleRows turns the scale results into table rows.
func ScaleRows(results []ScaleResult) []Row {
	var rows []Row
	for _, r := range results {
		perItem := float64(r.SteadyCPU.Microseconds()) / 1000 / float64(r.Items)
		verdict := "reference"
		target := "report"
		if r.Items >= 10000 {
			target = "steady CPU <= 0.25 ms per item; peak RSS <= 128 MiB"
			verdict = "met"
			if perItem > 0.25 || r.PeakRSS > 128<<20 {
				verdict = "not met"
			}
		}
		perTx := 0.0
		if r.Transactions > 0 {
			perTx = float64(r.BackfillCPU.Microseconds()) / float64(r.Transactions)
		}
		rows = append(rows, Row{
			Metric: fmt.Sprintf("7. scale, %d items (30 days x 3 a day, max_concurrency 4)", r.Items),
			Target: target,
			Measured: fmt.Sprintf("backfill %.2f s wall / %.2f s CPU (%.1f µs per transaction, %d); peak RSS %.1f MiB (largest sample: %.1f MiB anonymous, %.1f MiB state store map); state file %.0f B per transaction; steady gather %.0f ms wall / %.0f ms CPU (%.3f ms CPU per item, %.2f syncs per item)",
				r.BackfillWall.Seconds(), r.BackfillCPU.Seconds(), perTx, r.Transactions, float64(r.PeakRSS)/(1<<20), float64(r.AtPeak.Anon)/(1<<20), float64(r.AtPeak.Store)/(1<<20),
				float64(r.StateBytes)/float64(max(r.Transactions, 1)), float64(r.SteadyWall.Milliseconds()), float64(r.SteadyCPU.Milliseconds()), perItem, r.SyncCallsPerItemGath),
			Verdict: verdict,
		})
	}
	return rows
}
