package bench

import (
	"fmt"
	"io"
	"slices"
	"strings"
)

// Row is one line of the results table.
type Row struct {
	Metric   string
	Target   string
	Measured string
	Verdict  string // "met", "not met: why", or "reference" for yardsticks
}

// Summary is the median and the range of repeated measurements.
type Summary struct {
	Median, Min, Max float64
	N                int
}

// Summarize returns the median, min and max of xs.
func Summarize(xs []float64) Summary {
	if len(xs) == 0 {
		return Summary{}
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	mid := len(s) / 2
	median := s[mid]
	if len(s)%2 == 0 {
		median = (s[mid-1] + s[mid]) / 2
	}
	return Summary{Median: median, Min: s[0], Max: s[len(s)-1], N: len(s)}
}

// Format prints the median, then the range and the number of runs, each
// value through format.
func (s Summary) Format(format func(float64) string) string {
	if s.N == 1 {
		return format(s.Median) + " (1 run)"
	}
	return fmt.Sprintf("%s (%s-%s, %d runs)", format(s.Median), format(s.Min), format(s.Max), s.N)
}

func micros(v float64) string { return fmt.Sprintf("%.1f µs", v) }
func mib(v float64) string    { return fmt.Sprintf("%.1f MiB", v) }
func secs(v float64) string   { return fmt.Sprintf("%.2f s", v) }
func ratio(v float64) string  { return fmt.Sprintf("%.2fx", v) }

// WriteText prints rows as an aligned plain-text table.
func WriteText(w io.Writer, rows []Row) {
	header := Row{"metric", "target", "measured", "verdict"}
	widths := [3]int{}
	for _, r := range append([]Row{header}, rows...) {
		for i, cell := range []string{r.Metric, r.Target, r.Measured} {
			widths[i] = max(widths[i], len([]rune(cell)))
		}
	}
	line := func(r Row) {
		fmt.Fprintf(w, "%s | %s | %s | %s\n", pad(r.Metric, widths[0]), pad(r.Target, widths[1]), pad(r.Measured, widths[2]), r.Verdict)
	}
	line(header)
	fmt.Fprintf(w, "%s-+-%s-+-%s-+-%s\n", strings.Repeat("-", widths[0]), strings.Repeat("-", widths[1]), strings.Repeat("-", widths[2]), strings.Repeat("-", 7))
	for _, r := range rows {
		line(r)
	}
}

func pad(s string, width int) string {
	return s + strings.Repeat(" ", width-len([]rune(s)))
}

// WriteMarkdown prints rows as a Markdown table.
func WriteMarkdown(w io.Writer, rows []Row) {
	cell := func(s string) string { return strings.ReplaceAll(s, "|", `\|`) }
	fmt.Fprintln(w, "| metric | target | measured | verdict |")
	fmt.Fprintln(w, "|---|---|---|---|")
	for _, r := range rows {
		fmt.Fprintf(w, "| %s | %s | %s | %s |\n", cell(r.Metric), cell(r.Target), cell(r.Measured), cell(r.Verdict))
	}
}

// verdict is "met" when ok, else "not met: " and the reason.
func verdict(ok bool, reason string, args ...any) string {
	if ok {
		return "met"
	}
	return "not met: " + fmt.Sprintf(reason, args...)
}
