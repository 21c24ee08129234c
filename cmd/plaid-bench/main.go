// Command plaid-bench runs the benchmark scenarios of docs/benchmarks.md
// against the real plaid-sync and plaid-emulator binaries and prints the
// results table. scripts/bench.sh (make bench) builds the binaries, runs the
// Go benchmarks and then this command.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/plaid-sync/telegraf-plaid/bench"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("plaid-bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	binDir := fs.String("bin", "bin", "directory holding plaid-sync, plaid-emulator, linktool and (for peers) telegraf")
	runs := fs.Int("runs", 5, "repetitions of each timed measurement (medians are reported)")
	goBench := fs.String("gobench", "", "output of `go test -bench` with the reference benchmarks, for the CPU floor")
	markdown := fs.String("markdown", "", "also write the table as Markdown to this file")
	profiles := fs.String("profiles", "", "write CPU and heap profiles of a 50,000-transaction backfill to this directory")
	only := fs.String("only", "economy,backfill,latency,linking,scale,peers", "scenarios to run, comma-separated")
	scaleItems := fs.String("scale-items", "10,100,1000,5000,10000", "item counts of the scale table, comma-separated (10000 takes about 20 minutes: its gathers are paced by Plaid's per-client limits)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *runs < 1 || *runs > 50 {
		fmt.Fprintln(stderr, "plaid-bench: -runs must be 1..50")
		return 2
	}
	tmp, err := os.MkdirTemp("", "plaid-bench-")
	if err != nil {
		fmt.Fprintln(stderr, "plaid-bench:", err)
		return 1
	}
	defer os.RemoveAll(tmp)
	// Interrupted, leave no process and no file behind.
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-signals
		bench.StopAll(10 * time.Second)
		os.RemoveAll(tmp)
		os.Exit(130)
	}()
	if *profiles != "" {
		if err := os.MkdirAll(*profiles, 0o755); err != nil {
			fmt.Fprintln(stderr, "plaid-bench:", err)
			return 1
		}
		if *profiles, err = filepath.Abs(*profiles); err != nil {
			fmt.Fprintln(stderr, "plaid-bench:", err)
			return 1
		}
	}
	// The plugin runs in its workspace directory: the binaries need an
	// absolute path.
	bins, err := filepath.Abs(*binDir)
	if err != nil {
		fmt.Fprintln(stderr, "plaid-bench:", err)
		return 1
	}
	env := &bench.Env{BinDir: bins, TempDir: tmp, Runs: *runs, Profiles: *profiles, Log: stderr}
	want := map[string]bool{}
	for _, s := range strings.Split(*only, ",") {
		want[strings.TrimSpace(s)] = true
	}

	var rows []bench.Row
	failed := false
	add := func(scenario string, r []bench.Row, err error) {
		rows = append(rows, r...)
		if err != nil {
			failed = true
			rows = append(rows, bench.ErrorRow(scenario, err))
		}
	}
	if want["economy"] {
		r, err := env.Economy()
		add("1. API economy", r, err)
	}
	floor := 0.0
	if *goBench != "" {
		r, f, err := goBenchRows(*goBench)
		add("2. Go benchmarks", r, err)
		floor = f
	}
	if want["backfill"] {
		results, err := env.Backfills()
		add("2./3. backfills", bench.BackfillRows(results, floor), err)
	}
	if want["latency"] {
		r, err := env.Latency()
		add("4. gather latency", r, err)
	}
	if want["linking"] {
		r, err := env.Linking()
		add("5. linking", r, err)
	}
	if want["scale"] {
		var sizes []int
		for _, f := range strings.Split(*scaleItems, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil || n < 1 {
				fmt.Fprintf(stderr, "plaid-bench: -scale-items: %q is not a positive count\n", f)
				return 2
			}
			sizes = append(sizes, n)
		}
		results, err := env.Scale(sizes)
		add("7. scale", bench.ScaleRows(results), err)
	}
	if want["peers"] {
		r, err := env.Peers()
		add("9. peers", r, err)
	}

	fmt.Fprintln(stdout)
	bench.WriteText(stdout, rows)
	if *markdown != "" {
		f, err := os.Create(*markdown)
		if err != nil {
			fmt.Fprintln(stderr, "plaid-bench:", err)
			return 1
		}
		bench.WriteMarkdown(f, rows)
		if err := f.Close(); err != nil {
			fmt.Fprintln(stderr, "plaid-bench:", err)
			return 1
		}
	}
	if failed {
		return 1
	}
	return 0
}

// goBenchRows reads the reference benchmarks and returns their rows and the
// floor per transaction in µs.
func goBenchRows(path string) ([]bench.Row, float64, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, err
	}
	defer f.Close()
	g, err := bench.ParseGoBench(f)
	if err != nil {
		return nil, 0, err
	}
	us := func(v float64) string { return fmt.Sprintf("%.1f µs", v) }
	var rows []bench.Row
	floor := 0.0
	for _, b := range []struct{ name, metric, target string }{
		{"BenchmarkPlaidGoSyncPageDecode", "2. reference: plaid-go models decode a sync page, per transaction", "issue: about 56 µs"},
		{"BenchmarkNeededFieldsDecodeAndLine", "2. floor: encoding/json of the needed fields + one line-protocol/v2 line", "issue: about 8.4 µs"},
		{"BenchmarkNeededFieldsDecode", "2. floor, decoding part", "-"},
		{"BenchmarkLineEncode", "2. floor, line part", "issue: about 0.7 µs"},
		{"BenchmarkPluginSyncPageDecode", "2. plugin's own decoding of a sync page (goccy/go-json)", "-"},
		{"BenchmarkPluginTransactionLine", "2. plugin's transaction point: telegraf metric + line-protocol/v2 line", "-"},
	} {
		s, ok := g.Micros(b.name, "ns/txn")
		if !ok {
			continue
		}
		if b.name == "BenchmarkNeededFieldsDecodeAndLine" {
			floor = s.Median
		}
		rows = append(rows, bench.Row{Metric: b.metric, Target: b.target, Measured: s.Format(us), Verdict: "reference"})
	}
	if floor == 0 {
		return rows, 0, fmt.Errorf("%s has no BenchmarkNeededFieldsDecodeAndLine result", path)
	}
	return rows, floor, nil
}
