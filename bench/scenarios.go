package bench

import (
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/plaid-sync/telegraf-plaid/internal/plaidemu"
)

// Env is where the scenarios find the binaries and put their files.
type Env struct {
	BinDir   string    // plaid-sync, plaid-emulator and linktool
	TempDir  string    // removed by the caller
	Runs     int       // repetitions of each timed measurement
	Profiles string    // directory for pprof profiles; "" for none
	Log      io.Writer // progress
}

func (env *Env) bin(name string) string { return filepath.Join(env.BinDir, name) }

func (env *Env) logf(format string, args ...any) {
	fmt.Fprintf(env.Log, format+"\n", args...)
}

func (env *Env) dir(name string) (string, error) {
	d := filepath.Join(env.TempDir, name)
	return d, os.MkdirAll(d, 0o700)
}

// setup starts an emulator and writes a plugin workspace for it in a
// directory of its own. The caller closes the emulator.
func (env *Env) setup(name string, o EmulatorOptions, cfg PluginConfig) (*Emulator, []plaidemu.ItemInfo, *Workspace, error) {
	emu, err := StartEmulator(env.bin("plaid-emulator"), o)
	if err != nil {
		return nil, nil, nil, err
	}
	items, err := emu.Items()
	if err != nil {
		emu.Close()
		return nil, nil, nil, err
	}
	dir, err := env.dir(name)
	if err != nil {
		emu.Close()
		return nil, nil, nil, err
	}
	ws, err := NewWorkspace(dir, emu.URL, items, cfg)
	if err != nil {
		emu.Close()
		return nil, nil, nil, err
	}
	return emu, items, ws, nil
}

// gatherTimeout bounds one gather; the largest backfill takes seconds.
const gatherTimeout = 10 * time.Minute

// Per-endpoint paths as the emulator counts them.
const (
	endpointSync        = "/transactions/sync"
	endpointItemGet     = "/item/get"
	endpointAccountsGet = "/accounts/get"
	endpointBalanceGet  = "/accounts/balance/get"
	endpointTxGet       = "/transactions/get"
)

// callsPerItemGather divides the calls of each endpoint by items x gathers.
func callsPerItemGather(s plaidemu.Stats, items, gathers int) map[string]float64 {
	out := map[string]float64{}
	for endpoint, n := range s.Calls {
		out[endpoint] = float64(n) / float64(items*gathers)
	}
	return out
}

func totalCalls(s plaidemu.Stats) int {
	n := 0
	for _, c := range s.Calls {
		n += c
	}
	return n
}

func totalBytes(s plaidemu.Stats) int64 {
	var n int64
	for _, b := range s.Bytes {
		n += b
	}
	return n
}

// describeCalls lists calls per item per gather by endpoint.
func describeCalls(perItem map[string]float64) string {
	keys := make([]string, 0, len(perItem))
	for k := range perItem {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s %.2f", k, perItem[k]))
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

// onlySyncOncePerItem checks that every item made exactly one
// /transactions/sync call per gather and nothing else was called.
func onlySyncOncePerItem(s plaidemu.Stats, items []plaidemu.ItemInfo, gathers int) error {
	for endpoint, n := range s.Calls {
		if endpoint != endpointSync && n > 0 {
			return fmt.Errorf("%d calls to %s", n, endpoint)
		}
	}
	for _, it := range items {
		if n := s.ByItem[it.Name][endpointSync]; n != gathers {
			return fmt.Errorf("%s: %d /transactions/sync calls in %d gathers", it.Name, n, gathers)
		}
	}
	return nil
}

// Economy measures the Plaid calls and bytes of steady-state gathers
// (nothing new at Plaid) and compares them with plaid-sync's approach.
func (env *Env) Economy() ([]Row, error) {
	const (
		itemCount = 10
		steady    = 10
	)
	env.logf("economy: %d items, 90 days of history; %d steady-state gathers, a restart, %d more", itemCount, steady, steady)
	// Real-time balances: the billed call, the one that must stay rare.
	emu, items, ws, err := env.setup("economy", EmulatorOptions{Items: itemCount, HistoryDays: 90, TxPerDay: 7},
		PluginConfig{Balances: "realtime", BalanceInterval: "6h", ItemStatusInterval: "1h"})
	if err != nil {
		return nil, err
	}
	defer emu.Close()

	// phase runs a process for gathers gathers and returns the emulator's
	// counters of its first gather and of the rest.
	phase := func(ws *Workspace, gathers int) (first, rest plaidemu.Stats, err error) {
		proc, err := StartSync(env.bin("plaid-sync"), ws)
		if err != nil {
			return first, rest, err
		}
		defer func() {
			if _, stopErr := proc.Stop(); err == nil {
				err = stopErr
			}
		}()
		if err = emu.ResetStats(); err != nil {
			return first, rest, err
		}
		if _, err = proc.Gather(len(items), gatherTimeout); err != nil {
			return first, rest, err
		}
		if first, err = emu.Stats(); err != nil {
			return first, rest, err
		}
		if err = emu.ResetStats(); err != nil {
			return first, rest, err
		}
		for range gathers - 1 {
			if _, err = proc.Gather(len(items), gatherTimeout); err != nil {
				return first, rest, err
			}
		}
		rest, err = emu.Stats()
		return first, rest, err
	}

	backfill, steadyStats, err := phase(ws, steady+1)
	if err != nil {
		return nil, err
	}
	restartFirst, restartRest, err := phase(ws, steady)
	if err != nil {
		return nil, err
	}

	// Every interval due at every gather.
	dueDir, err := env.dir("economy-due")
	if err != nil {
		return nil, err
	}
	dueWS, err := NewWorkspace(dueDir, emu.URL, items, PluginConfig{Balances: "realtime", BalanceInterval: "1ns", ItemStatusInterval: "1ns"})
	if err != nil {
		return nil, err
	}
	_, dueStats, err := phase(dueWS, steady+1)
	if err != nil {
		return nil, err
	}

	// plaid-sync's approach against the same emulator.
	truth, err := emu.Truth()
	if err != nil {
		return nil, err
	}
	if err := emu.ResetStats(); err != nil {
		return nil, err
	}
	client := NewRefetchClient(emu.URL)
	reread := 0
	for range steady {
		for _, it := range items {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			n, err := RefetchRun(ctx, client, it.AccessToken, truth.Today)
			cancel()
			if err != nil {
				return nil, fmt.Errorf("plaid-sync's approach, %s: %w", it.Name, err)
			}
			reread += n
		}
	}
	refetchStats, err := emu.Stats()
	if err != nil {
		return nil, err
	}

	var rows []Row
	steadyErr := onlySyncOncePerItem(steadyStats, items, steady)
	rows = append(rows, Row{
		Metric:   fmt.Sprintf("1. Plaid calls per item per steady-state gather (%d items x %d gathers)", itemCount, steady),
		Target:   "1 (/transactions/sync); others only when due",
		Measured: describeCalls(callsPerItemGather(steadyStats, itemCount, steady)),
		Verdict:  verdict(steadyErr == nil, "%v", steadyErr),
	})
	restartStats := mergeStats(restartFirst, restartRest)
	restartErr := onlySyncOncePerItem(restartStats, items, steady)
	rows = append(rows, Row{
		Metric:   fmt.Sprintf("1. the same after a restart (state kept; %d gathers)", steady),
		Target:   "1 (/transactions/sync)",
		Measured: describeCalls(callsPerItemGather(restartStats, itemCount, steady)),
		Verdict:  verdict(restartErr == nil, "%v", restartErr),
	})
	duePer := callsPerItemGather(dueStats, itemCount, steady)
	dueOK := duePer[endpointSync] == 1 && duePer[endpointItemGet] == 1 && duePer[endpointBalanceGet] == 1 && len(duePer) == 3
	rows = append(rows, Row{
		Metric:   "1. Plaid calls per item per gather, both intervals due (1ns)",
		Target:   "sync 1 + /item/get 1 + balance 1",
		Measured: describeCalls(duePer),
		Verdict:  verdict(dueOK, "unexpected calls"),
	})
	billed := []int{backfill.Calls[endpointBalanceGet], steadyStats.Calls[endpointBalanceGet], restartFirst.Calls[endpointBalanceGet], restartRest.Calls[endpointBalanceGet]}
	billedTotal := billed[0] + billed[1] + billed[2] + billed[3]
	rows = append(rows, Row{
		Metric:   fmt.Sprintf("1. billed /accounts/balance/get per item over %d gathers, a restart and %d more (balance_interval 6h, within minutes)", steady+1, steady),
		Target:   "at most 1 per balance_interval",
		Measured: fmt.Sprintf("%.2f (first gather %d, then %d, after restart %d, then %d; %d items)", float64(billedTotal)/itemCount, billed[0], billed[1], billed[2], billed[3], itemCount),
		Verdict:  verdict(billedTotal == itemCount && billed[0] == itemCount, "%d billed calls for %d items", billedTotal, itemCount),
	})
	refetchCalls := float64(totalCalls(refetchStats)) / float64(itemCount*steady)
	refetchBilled := float64(refetchStats.Calls[endpointBalanceGet]) / float64(itemCount*steady)
	rows = append(rows, Row{
		Metric:   "1. plaid-sync's approach, per item per run (same emulator)",
		Target:   "reference",
		Measured: fmt.Sprintf("%.2f calls (%s), %.2f billed, %d transactions re-read per run", refetchCalls, describeCalls(callsPerItemGather(refetchStats, itemCount, steady)), refetchBilled, reread/(itemCount*steady)),
		Verdict:  "reference",
	})
	pluginBytes := float64(totalBytes(steadyStats)) / float64(itemCount*steady)
	refetchBytes := float64(totalBytes(refetchStats)) / float64(itemCount*steady)
	rows = append(rows, Row{
		Metric:   "1. bytes downloaded per item per steady-state gather",
		Target:   "fewer than plaid-sync's approach",
		Measured: fmt.Sprintf("%.0f B vs plaid-sync's %.0f B (%.0fx fewer)", pluginBytes, refetchBytes, refetchBytes/pluginBytes),
		Verdict:  verdict(pluginBytes < refetchBytes, "more bytes than plaid-sync"),
	})
	return rows, nil
}

func mergeStats(a, b plaidemu.Stats) plaidemu.Stats {
	out := plaidemu.Stats{Calls: map[string]int{}, Bytes: map[string]int64{}, ByItem: map[string]map[string]int{}, BytesByItem: map[string]int64{}}
	for _, s := range []plaidemu.Stats{a, b} {
		for k, v := range s.Calls {
			out.Calls[k] += v
		}
		for k, v := range s.Bytes {
			out.Bytes[k] += v
		}
		for item, m := range s.ByItem {
			if out.ByItem[item] == nil {
				out.ByItem[item] = map[string]int{}
			}
			for k, v := range m {
				out.ByItem[item][k] += v
			}
		}
		for k, v := range s.BytesByItem {
			out.BytesByItem[k] += v
		}
	}
	return out
}

// backfillSize is one backfill volume: 10 items x 730 days at a rate.
type backfillSize struct {
	label    string
	txPerDay float64
}

var backfillSizes = []backfillSize{{"5,000", 0.7}, {"50,000", 7}, {"100,000", 14}}

// BackfillResult is what the backfill runs measured at one size.
type BackfillResult struct {
	Label        string
	Transactions int
	CPUPerTxn    Summary // µs, execd mode
	OnceCPUPerTx Summary // µs, -once mode (50,000 only)
	PeakRSS      Summary // MiB
	// PeakAnon and PeakStore split the largest sampled RSS of each run into
	// anonymous memory and the state store's memory map.
	PeakAnon, PeakStore Summary // MiB
	Day                 *DayResult
}

// DayResult is the resident memory over a day of gathers after a backfill.
type DayResult struct {
	Gathers    int
	Samples    []RSSSample
	GatherWall Summary // seconds per steady-state gather
}

// RSSSample is the process's RSS after a gather.
type RSSSample struct {
	Gather int
	MiB    float64
}

// Backfills runs the full-history backfills (items 2 and 3): whole-process
// CPU per transaction and peak RSS, plus a day of gathers for idle memory.
func (env *Env) Backfills() ([]BackfillResult, error) {
	var results []BackfillResult
	for _, size := range backfillSizes {
		res, err := env.backfill(size)
		if err != nil {
			return results, fmt.Errorf("backfill of %s: %w", size.label, err)
		}
		results = append(results, res)
	}
	return results, nil
}

func (env *Env) backfill(size backfillSize) (BackfillResult, error) {
	res := BackfillResult{Label: size.label}
	const itemCount = 10
	emu, _, ws, err := env.setup("backfill-"+strings.ReplaceAll(size.label, ",", ""),
		EmulatorOptions{Items: itemCount, HistoryDays: 730, TxPerDay: size.txPerDay}, PluginConfig{})
	if err != nil {
		return res, err
	}
	defer emu.Close()
	truth, err := emu.Truth()
	if err != nil {
		return res, err
	}
	res.Transactions = truth.Count
	main := size.txPerDay == 7
	env.logf("backfill: %d transactions, %d items, %d runs in execd mode%s", truth.Count, itemCount, env.Runs, map[bool]string{true: " and -once mode", false: ""}[main])

	var cpu, rss, anon, store, onceCPU []float64
	for range env.Runs {
		if err := ws.ResetState(); err != nil {
			return res, err
		}
		proc, err := StartSync(env.bin("plaid-sync"), ws)
		if err != nil {
			return res, err
		}
		stopSampling := proc.SampleMemory(20 * time.Millisecond)
		g, err := proc.Gather(itemCount, gatherTimeout)
		peak := stopSampling()
		anon = append(anon, float64(peak.Anon)/(1<<20))
		store = append(store, float64(peak.Store)/(1<<20))
		if err != nil {
			proc.Kill()
			return res, err
		}
		u, err := proc.Stop()
		if err != nil {
			return res, err
		}
		if g.Lines["plaid_transaction"] != truth.Count {
			return res, fmt.Errorf("wrote %d transaction points for %d transactions", g.Lines["plaid_transaction"], truth.Count)
		}
		cpu = append(cpu, float64(u.CPU().Microseconds())/float64(truth.Count))
		rss = append(rss, float64(u.MaxRSS)/(1<<20))
	}
	res.CPUPerTxn, res.PeakRSS = Summarize(cpu), Summarize(rss)
	res.PeakAnon, res.PeakStore = Summarize(anon), Summarize(store)
	if !main {
		return res, nil
	}
	for range env.Runs {
		if err := ws.ResetState(); err != nil {
			return res, err
		}
		u, lines, err := RunOnce(env.bin("plaid-sync"), ws)
		if err != nil {
			return res, err
		}
		if lines["plaid_transaction"] != truth.Count {
			return res, fmt.Errorf("-once wrote %d transaction points for %d transactions", lines["plaid_transaction"], truth.Count)
		}
		onceCPU = append(onceCPU, float64(u.CPU().Microseconds())/float64(truth.Count))
	}
	res.OnceCPUPerTx = Summarize(onceCPU)
	if env.Profiles != "" {
		if err := env.profileBackfill(ws); err != nil {
			return res, err
		}
	}
	day, err := env.day(emu, ws, itemCount)
	if err != nil {
		return res, err
	}
	res.Day = &day
	return res, nil
}

// profileBackfill runs one more backfill, not counted, with CPU and heap
// profiles.
func (env *Env) profileBackfill(ws *Workspace) error {
	if err := ws.ResetState(); err != nil {
		return err
	}
	proc, err := StartSync(env.bin("plaid-sync"), ws,
		"-cpuprofile", filepath.Join(env.Profiles, "backfill-cpu.prof"),
		"-memprofile", filepath.Join(env.Profiles, "backfill-heap.prof"))
	if err != nil {
		return err
	}
	if _, err := proc.Gather(10, gatherTimeout); err != nil {
		proc.Kill()
		return err
	}
	_, err = proc.Stop()
	return err
}

// dayGathers is a day of gathers at Telegraf's interval of one minute.
const dayGathers = 1440

// day backfills in a new process, then runs a day's worth of gathers, the
// bank's day moving on half way, and samples the RSS.
func (env *Env) day(emu *Emulator, ws *Workspace, itemCount int) (DayResult, error) {
	env.logf("day: backfill, then %d gathers, the bank's day advanced once half way", dayGathers)
	res := DayResult{Gathers: dayGathers}
	if err := ws.ResetState(); err != nil {
		return res, err
	}
	proc, err := StartSync(env.bin("plaid-sync"), ws)
	if err != nil {
		return res, err
	}
	defer proc.Kill()
	if _, err := proc.Gather(itemCount, gatherTimeout); err != nil {
		return res, err
	}
	sample := func(gather int) error {
		rss, err := proc.RSS()
		if err != nil {
			return err
		}
		res.Samples = append(res.Samples, RSSSample{Gather: gather, MiB: float64(rss) / (1 << 20)})
		return nil
	}
	if err := sample(0); err != nil {
		return res, err
	}
	var walls []float64
	for i := 1; i <= dayGathers; i++ {
		if i == dayGathers/2 {
			if _, err := emu.Advance(1); err != nil {
				return res, err
			}
		}
		g, err := proc.Gather(itemCount, time.Minute)
		if err != nil {
			return res, err
		}
		walls = append(walls, g.Wall.Seconds())
		if i%(dayGathers/8) == 0 {
			if err := sample(i); err != nil {
				return res, err
			}
		}
	}
	res.GatherWall = Summarize(walls)
	_, err = proc.Stop()
	return res, err
}

// BackfillRows turns the backfill results into table rows (items 2 and 3).
// floor is the measured floor per transaction (µs), 0 when unknown.
func BackfillRows(results []BackfillResult, floor float64) []Row {
	var rows []Row
	target := "<= 2x floor (about 17 µs)"
	limit := 17.0
	if floor > 0 {
		limit = 2 * floor
		target = fmt.Sprintf("<= 2x floor = %.1f µs (issue: about 17 µs)", limit)
	}
	for _, r := range results {
		if r.Label != "50,000" {
			continue
		}
		rows = append(rows, Row{
			Metric:   fmt.Sprintf("2. CPU per transaction, backfill of %d, execd mode, whole process", r.Transactions),
			Target:   target,
			Measured: r.CPUPerTxn.Format(micros),
			Verdict:  verdict(r.CPUPerTxn.Median <= limit, "%.1fx the floor", r.CPUPerTxn.Median/math.Max(floor, 1e-9)),
		})
		rows = append(rows, Row{
			Metric:   fmt.Sprintf("2. CPU per transaction, backfill of %d, -once mode, whole process", r.Transactions),
			Target:   target,
			Measured: r.OnceCPUPerTx.Format(micros),
			Verdict:  verdict(r.OnceCPUPerTx.Median <= limit, "%.1fx the floor", r.OnceCPUPerTx.Median/math.Max(floor, 1e-9)),
		})
	}
	for _, r := range results {
		if r.Label == "50,000" {
			continue
		}
		rows = append(rows, Row{
			Metric:   fmt.Sprintf("2. CPU per transaction, backfill of %d, execd mode", r.Transactions),
			Target:   "report",
			Measured: r.CPUPerTxn.Format(micros),
			Verdict:  "reference",
		})
	}
	var smallest, largest float64
	for _, r := range results {
		rows = append(rows, Row{
			Metric:   fmt.Sprintf("3. peak RSS, backfill of %d transactions", r.Transactions),
			Target:   "< 64 MiB",
			Measured: fmt.Sprintf("%s; at the largest sample %s anonymous, %s state store map", r.PeakRSS.Format(mib), mib(r.PeakAnon.Median), mib(r.PeakStore.Median)),
			Verdict:  verdict(r.PeakRSS.Median < 64, "%.1f MiB", r.PeakRSS.Median),
		})
		if smallest == 0 || r.PeakRSS.Median < smallest {
			smallest = r.PeakRSS.Median
		}
		largest = max(largest, r.PeakRSS.Median)
	}
	if smallest > 0 {
		rows = append(rows, Row{
			Metric:   "3. peak RSS, largest backfill / smallest (medians)",
			Target:   "<= 1.3x (flat)",
			Measured: ratio(largest / smallest),
			Verdict:  verdict(largest/smallest <= 1.3, "memory grows with the backfill"),
		})
	}
	for _, r := range results {
		if r.Day == nil || len(r.Day.Samples) < 3 {
			continue
		}
		s := r.Day.Samples
		last := s[len(s)-1]
		warm := s[2] // a quarter of the day in: after the first replays and pools settle
		var series []string
		for _, x := range s {
			series = append(series, fmt.Sprintf("%.1f", x.MiB))
		}
		rows = append(rows, Row{
			Metric:   fmt.Sprintf("3. RSS after a day of gathers (%d, after a %d backfill in the same process)", r.Day.Gathers, r.Transactions),
			Target:   "< 32 MiB",
			Measured: fmt.Sprintf("%s (every %d gathers: %s MiB)", mib(last.MiB), r.Day.Gathers/8, strings.Join(series, " ")),
			Verdict:  verdict(last.MiB < 32, "%.1f MiB", last.MiB),
		})
		rows = append(rows, Row{
			Metric:   fmt.Sprintf("3. RSS growth from gather %d to %d", warm.Gather, last.Gather),
			Target:   "not growing (<= +5%)",
			Measured: fmt.Sprintf("%+.1f MiB (%.2fx)", last.MiB-warm.MiB, last.MiB/warm.MiB),
			Verdict:  verdict(last.MiB <= warm.MiB*1.05, "grew %.1f MiB", last.MiB-warm.MiB),
		})
		rows = append(rows, Row{
			Metric:   "3. wall time of a steady-state gather, 10 items, zero latency",
			Target:   "report",
			Measured: r.Day.GatherWall.Format(func(v float64) string { return fmt.Sprintf("%.1f ms", v*1000) }),
			Verdict:  "reference",
		})
	}
	return rows
}

// Latency measures gathers of 20 items with 300 ms added to every Plaid
// call and max_concurrency = 8 (item 4).
func (env *Env) Latency() ([]Row, error) {
	const (
		itemCount   = 20
		concurrency = 8
		latency     = 300 * time.Millisecond
	)
	waves := (itemCount + concurrency - 1) / concurrency
	env.logf("latency: %d items, %s per call, max_concurrency %d", itemCount, latency, concurrency)
	emu, _, ws, err := env.setup("latency", EmulatorOptions{Items: itemCount, HistoryDays: 90, TxPerDay: 7},
		PluginConfig{MaxConcurrency: concurrency})
	if err != nil {
		return nil, err
	}
	defer emu.Close()
	if err := emu.AddFault(plaidemu.Fault{Endpoint: "*", LatencyMS: int(latency / time.Millisecond)}); err != nil {
		return nil, err
	}

	// criticalPath is the slowest item's calls (its api_calls field) times
	// the latency times the number of waves.
	criticalPath := func(g Gather) (time.Duration, int64, error) {
		var slowest int64
		for _, line := range g.ItemLines {
			n, ok := intField(line, "api_calls")
			if !ok {
				return 0, 0, fmt.Errorf("no api_calls in %q", line)
			}
			slowest = max(slowest, n)
		}
		return time.Duration(slowest) * latency * time.Duration(waves), slowest, nil
	}

	var firstRatios, steadyRatios, firstWalls, steadyWalls []float64
	var firstCalls, steadyCalls int64
	var firstPath, steadyPath time.Duration
	for run := range env.Runs {
		if err := ws.ResetState(); err != nil {
			return nil, err
		}
		proc, err := StartSync(env.bin("plaid-sync"), ws)
		if err != nil {
			return nil, err
		}
		g, err := proc.Gather(itemCount, gatherTimeout)
		if err != nil {
			proc.Kill()
			return nil, err
		}
		if firstPath, firstCalls, err = criticalPath(g); err != nil {
			proc.Kill()
			return nil, err
		}
		firstRatios = append(firstRatios, g.Wall.Seconds()/firstPath.Seconds())
		firstWalls = append(firstWalls, g.Wall.Seconds())
		// Steady-state gathers in the first process only: they do not
		// depend on how the backfill went.
		if run == 0 {
			for range env.Runs {
				g, err := proc.Gather(itemCount, gatherTimeout)
				if err != nil {
					proc.Kill()
					return nil, err
				}
				if steadyPath, steadyCalls, err = criticalPath(g); err != nil {
					proc.Kill()
					return nil, err
				}
				steadyRatios = append(steadyRatios, g.Wall.Seconds()/steadyPath.Seconds())
				steadyWalls = append(steadyWalls, g.Wall.Seconds())
			}
		}
		if _, err := proc.Stop(); err != nil {
			return nil, err
		}
	}
	steady, first := Summarize(steadyRatios), Summarize(firstRatios)
	return []Row{
		{
			Metric:   fmt.Sprintf("4. steady-state gather wall / critical path (%d items, %s a call, max_concurrency %d)", itemCount, latency, concurrency),
			Target:   "<= 1.25x",
			Measured: fmt.Sprintf("%s; wall %s, critical path %s (%d call x %d waves)", steady.Format(ratio), Summarize(steadyWalls).Format(secs), secs(steadyPath.Seconds()), steadyCalls, waves),
			Verdict:  verdict(steady.Median <= 1.25, "%.2fx", steady.Median),
		},
		{
			Metric:   "4. first gather (backfill of 90 days) wall / critical path",
			Target:   "<= 1.25x",
			Measured: fmt.Sprintf("%s; wall %s, critical path %s (%d calls x %d waves)", first.Format(ratio), Summarize(firstWalls).Format(secs), secs(firstPath.Seconds()), firstCalls, waves),
			Verdict:  verdict(first.Median <= 1.25, "%.2fx", first.Median),
		},
	}, nil
}

// Linking measures how soon an item linked by linktool shows up while the
// plugin runs (item 5), with Plaid's data ready at once and with one
// NOT_READY answer first, as Plaid gives while it fetches a new item.
func (env *Env) Linking() ([]Row, error) {
	var rows []Row
	for _, notReady := range []int{0, 1} {
		r, err := env.linking(notReady)
		if err != nil {
			return rows, err
		}
		rows = append(rows, r...)
	}
	return rows, nil
}

// maxGathersAfterLink bounds the wait for a linked item's transactions.
const maxGathersAfterLink = 5

func (env *Env) linking(notReady int) ([]Row, error) {
	links := env.Runs
	env.logf("linking: %d links with linktool while plaid-sync runs (NOT_READY syncs: %d)", links, notReady)
	emu, items, ws, err := env.setup(fmt.Sprintf("linking-%d", notReady),
		EmulatorOptions{Items: 2, HistoryDays: 90, TxPerDay: 7, NotReadySyncs: notReady}, PluginConfig{})
	if err != nil {
		return nil, err
	}
	defer emu.Close()
	proc, err := StartSync(env.bin("plaid-sync"), ws)
	if err != nil {
		return nil, err
	}
	defer proc.Kill()
	itemCount := len(items)
	for range 2 {
		if _, err := proc.Gather(itemCount, gatherTimeout); err != nil {
			return nil, err
		}
	}
	var itemGathers, txGathers, itemLatency, txLatency []float64
	for i := 1; i <= links; i++ {
		name := fmt.Sprintf("New Bank %d", i)
		ctx, cancel := context.WithTimeout(rootContext, time.Minute)
		out, err := exec.CommandContext(ctx, env.bin("linktool"), "-c", ws.AccountsFile, "--sandbox-link", name, "--institution", "ins_109508").CombinedOutput()
		cancel()
		if err != nil {
			return nil, fmt.Errorf("linktool --sandbox-link: %w: %s", err, out)
		}
		itemCount++
		var gotItem, gotTx bool
		for g := 1; g <= maxGathersAfterLink && !gotTx; g++ {
			start := time.Now()
			if _, err := proc.Gather(itemCount, time.Minute); err != nil {
				return nil, fmt.Errorf("gather %d after linking %s: %w", g, name, err)
			}
			if t, ok := proc.FirstSeen(name, "plaid_item"); ok && !gotItem {
				gotItem = true
				itemGathers = append(itemGathers, float64(g))
				itemLatency = append(itemLatency, t.Sub(start).Seconds())
			}
			if t, ok := proc.FirstSeen(name, "plaid_transaction"); ok {
				gotTx = true
				txGathers = append(txGathers, float64(g))
				txLatency = append(txLatency, t.Sub(start).Seconds())
			}
		}
		if !gotTx {
			return nil, fmt.Errorf("%s: no transactions within %d gathers", name, maxGathersAfterLink)
		}
	}
	if _, err := proc.Stop(); err != nil {
		return nil, err
	}
	ms := func(v float64) string { return fmt.Sprintf("%.0f ms", v*1000) }
	gathers := func(v float64) string { return fmt.Sprintf("%.0f", v) }
	ig, tg := Summarize(itemGathers), Summarize(txGathers)
	if notReady == 0 {
		return []Row{
			{
				Metric:   "5. gathers after linktool adds an item until its first metrics (data ready at Plaid)",
				Target:   "1 (the next gather, no restart)",
				Measured: fmt.Sprintf("item and balances: %s; transactions: %s", ig.Format(gathers), tg.Format(gathers)),
				Verdict:  verdict(ig.Max == 1 && tg.Max == 1, "up to %.0f gathers", tg.Max),
			},
			{
				Metric:   "5. time from that gather's start to the new item's first line",
				Target:   "report",
				Measured: fmt.Sprintf("plaid_item %s; first transaction %s", Summarize(itemLatency).Format(ms), Summarize(txLatency).Format(ms)),
				Verdict:  "reference",
			},
		}, nil
	}
	return []Row{{
		Metric:   fmt.Sprintf("5. the same when Plaid first answers NOT_READY (%d sync)", notReady),
		Target:   "item at the next gather; transactions once Plaid has them",
		Measured: fmt.Sprintf("item and balances: gather %s; transactions: gather %s", ig.Format(gathers), tg.Format(gathers)),
		Verdict:  verdict(ig.Max == 1 && tg.Max == float64(notReady+1), "transactions at gather %.0f", tg.Max),
	}}, nil
}

// ErrorRow reports a scenario that could not run.
func ErrorRow(scenario string, err error) Row {
	return Row{Metric: scenario, Target: "-", Measured: "-", Verdict: "error: " + strings.ReplaceAll(err.Error(), "\n", " ")}
}
