//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"html"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/plaid-sync/telegraf-plaid/internal/plaidemu"
)

// The picture of the dashboard: each panel's real query results from the
// test InfluxDB drawn as SVG in the dashboard's grid, and screenshotted in
// headless Chromium. Run by TestDashboard with -render-dashboard.

var palette = []string{"#73bf69", "#f2cc0c", "#8ab8ff", "#ff780a", "#f2495c", "#5794f2", "#b877d9", "#705da0", "#37872d", "#fade2a", "#96d98d", "#ffb357"}

// point is one value of a drawn series.
type point struct {
	t time.Time
	v float64
}

type drawnSeries struct {
	name   string
	points []point
}

func toDrawn(ss []series, alias string) []drawnSeries {
	var out []drawnSeries
	for _, s := range ss {
		d := drawnSeries{name: aliasName(alias, s)}
		for _, row := range s.Values {
			if row[1] == nil {
				continue
			}
			d.points = append(d.points, point{time.Unix(0, asInt(row[0])), asFloat(row[1])})
		}
		if len(d.points) > 0 {
			out = append(out, d)
		}
	}
	return out
}

// aliasName expands $tag_x in a Grafana alias.
func aliasName(alias string, s series) string {
	if alias == "" {
		return s.Name
	}
	name := alias
	for k, v := range s.Tags {
		name = strings.ReplaceAll(name, "$tag_"+k, v)
	}
	return name
}

// timeSeriesSVG draws series over [from, to] as lines or bars.
func timeSeriesSVG(series []drawnSeries, from, to time.Time, width, height int, bars bool) string {
	const left, right, top, bottom = 70, 10, 10, 24
	w, h := float64(width-left-right), float64(height-top-bottom)
	lo, hi := 0.0, 0.0
	first := true
	for _, s := range series {
		for _, p := range s.points {
			if first {
				lo, hi, first = p.v, p.v, false
			}
			lo, hi = math.Min(lo, p.v), math.Max(hi, p.v)
		}
	}
	if bars {
		lo, hi = math.Min(lo, 0), math.Max(hi, 0)
	}
	if hi == lo {
		hi, lo = hi+1, lo-1
	}
	pad := (hi - lo) * 0.05
	hi, lo = hi+pad, lo-pad
	x := func(t time.Time) float64 {
		return left + w*float64(t.Sub(from))/float64(to.Sub(from))
	}
	y := func(v float64) float64 { return top + h*(hi-v)/(hi-lo) }
	var b strings.Builder
	fmt.Fprintf(&b, `<svg width="%d" height="%d" xmlns="http://www.w3.org/2000/svg">`, width, height)
	for i := 0; i <= 4; i++ {
		v := lo + (hi-lo)*float64(i)/4
		fmt.Fprintf(&b, `<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" class="grid"/><text x="%d" y="%.1f" class="axis" text-anchor="end">%s</text>`,
			left, width-right, y(v), y(v), left-6, y(v)+4, shortNumber(v))
	}
	for i := 0; i <= 4; i++ {
		t := from.Add(time.Duration(float64(to.Sub(from)) * float64(i) / 4))
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" class="axis" text-anchor="middle">%s</text>`, x(t), height-6, axisTime(t, to.Sub(from)))
	}
	for i, s := range series {
		color := palette[i%len(palette)]
		if bars {
			barW := math.Max(1, w/(float64(to.Sub(from))/float64(24*time.Hour))-1)
			for _, p := range s.points {
				if p.v == 0 {
					continue
				}
				y0, y1 := y(0), y(p.v)
				fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s" fill-opacity="0.85"/>`,
					x(p.t), math.Min(y0, y1), barW, math.Abs(y1-y0), color)
			}
			continue
		}
		var path strings.Builder
		for j, p := range s.points {
			cmd := "L"
			if j == 0 {
				cmd = "M"
			}
			fmt.Fprintf(&path, "%s%.1f,%.1f ", cmd, x(p.t), y(p.v))
		}
		fmt.Fprintf(&b, `<path d="%s" fill="none" stroke="%s" stroke-width="2"/>`, path.String(), color)
		if len(s.points) == 1 {
			fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="3" fill="%s"/>`, x(s.points[0].t), y(s.points[0].v), color)
		}
	}
	b.WriteString(`</svg>`)
	return b.String()
}

func legendHTML(series []drawnSeries, withLast bool) string {
	var b strings.Builder
	b.WriteString(`<div class="legend">`)
	for i, s := range series {
		last := ""
		if withLast && len(s.points) > 0 {
			last = " " + fmt.Sprintf("%.2f", s.points[len(s.points)-1].v)
		}
		fmt.Fprintf(&b, `<span><i style="background:%s"></i>%s%s</span>`, palette[i%len(palette)], html.EscapeString(s.name), last)
	}
	b.WriteString(`</div>`)
	return b.String()
}

// barGaugeHTML draws one horizontal bar per value.
func barGaugeHTML(labels []string, values []float64, maxValue float64, unit string) string {
	if maxValue <= 0 {
		for _, v := range values {
			maxValue = math.Max(maxValue, v)
		}
	}
	var b strings.Builder
	for i, l := range labels {
		frac := 0.0
		if maxValue > 0 {
			frac = math.Max(0, math.Min(1, values[i]/maxValue))
		}
		color := palette[i%len(palette)]
		if unit == "%" {
			color = "#73bf69"
			if values[i] >= 30 {
				color = "#ff9830"
			}
			if values[i] >= 70 {
				color = "#f2495c"
			}
		}
		fmt.Fprintf(&b, `<div class="bar"><div class="label">%s</div><div class="track"><div style="width:%.1f%%;background:%s"></div></div><div class="value">%s%s</div></div>`,
			html.EscapeString(l), frac*100, color, formatAmount(values[i]), unit)
	}
	return b.String()
}

func tableHTML(columns []string, rows [][]string, statusColumn int) string {
	var b strings.Builder
	b.WriteString(`<table><tr>`)
	for _, c := range columns {
		fmt.Fprintf(&b, `<th>%s</th>`, html.EscapeString(c))
	}
	b.WriteString(`</tr>`)
	for _, r := range rows {
		b.WriteString(`<tr>`)
		for i, c := range r {
			class := ""
			if i == statusColumn {
				class = ` class="bad"`
				if c == "ok" {
					class = ` class="good"`
				}
			}
			fmt.Fprintf(&b, `<td%s>%s</td>`, class, html.EscapeString(c))
		}
		b.WriteString(`</tr>`)
	}
	b.WriteString(`</table>`)
	return b.String()
}

func shortNumber(v float64) string {
	a := math.Abs(v)
	switch {
	case a >= 1e6:
		return fmt.Sprintf("%.1fM", v/1e6)
	case a >= 1e4:
		return fmt.Sprintf("%.0fK", v/1e3)
	case a >= 1e3:
		return fmt.Sprintf("%.1fK", v/1e3)
	}
	return fmt.Sprintf("%.0f", v)
}

func formatAmount(v float64) string {
	s := fmt.Sprintf("%.2f", math.Abs(v))
	intPart, frac := s[:len(s)-3], s[len(s)-3:]
	var b strings.Builder
	for i, c := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	sign := ""
	if v < 0 {
		sign = "-"
	}
	return sign + b.String() + frac
}

func axisTime(t time.Time, span time.Duration) string {
	if span > 48*time.Hour {
		return t.Format("Jan 2")
	}
	return t.Format("15:04:05")
}

// renderPanels draws every panel from the test InfluxDB and writes a PNG.
// Transactions are shown over the dashboard's default range (90 days up to
// the emulated today); balances and item health exist only since the
// plugin first ran, so those panels show the test's own seconds from
// pollsFrom, when every item had synced once.
func renderPanels(t *testing.T, p *pipeline, d grafanaDashboard, gt plaidemu.GroundTruth, vars grafanaVars, pollsFrom time.Time, out string) {
	t.Helper()
	if !isExecutable(p.tools.chromium) {
		t.Fatalf("CHROMIUM_BIN (chromium) not found at %q: run `make setup`", p.tools.chromium)
	}
	today, _ := time.Parse(time.DateOnly, gt.Today)
	loc, _ := time.LoadLocation(testTimezone)
	txRange := newGrafanaRange(time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, loc).AddDate(0, 0, -90),
		time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, loc).AddDate(0, 0, 1))
	pollRange := newGrafanaRange(pollsFrom, time.Now().Add(2*time.Second))
	pollPanels := map[string]bool{"Balances": true, "Net worth ($currency)": true, "Credit utilisation": true, "Item health": true,
		portfolioPanel: true}

	const unitW, unitH = 66, 34
	rows := 0 // grid units the panels fill
	for _, panel := range d.allPanels() {
		rows = max(rows, panel.GridPos.Y+panel.GridPos.H)
	}
	var body strings.Builder
	for _, panel := range d.allPanels() {
		r := txRange
		if pollPanels[panel.Title] {
			r = pollRange
		}
		res := runDashboard(t, p, grafanaDashboard{Panels: []grafanaPanel{panel}}, r, vars)[panel.Title]
		g := panel.GridPos
		w, h := g.W*unitW-12, g.H*unitH-12
		title := strings.NewReplacer("$tz", vars.tz, "$currency", vars.currency).Replace(panel.Title)
		note := "last 90 days"
		if pollPanels[panel.Title] {
			what := "balances are"
			if panel.Title == portfolioPanel {
				what = "holdings are"
			}
			note = fmt.Sprintf("the %s after the first sync: %s polled from then on", pollRange.to.Sub(pollRange.from).Round(time.Second), what)
		}
		fmt.Fprintf(&body, `<div class="panel" style="left:%dpx;top:%dpx;width:%dpx;height:%dpx"><h2>%s <small>%s</small></h2>`,
			g.X*unitW+6, g.Y*unitH+6, w, h, html.EscapeString(title), note)
		body.WriteString(renderPanel(panel, res, r, w, h-34))
		body.WriteString(`</div>`)
	}
	page := fmt.Sprintf(`<!doctype html><html><head><meta charset="utf-8"><style>%s</style></head><body><h1>Plaid: spending, cash flow, balances</h1>
<div class="vars">Bank: All · Currency: %s · Time zone: %s · telegraf-plaid dashboard, panels drawn from the end-to-end test's InfluxDB</div>
<div class="grid" style="height:%dpx">%s</div></body></html>`, renderCSS, vars.currency, vars.tz, rows*unitH, body.String())
	htmlPath := filepath.Join(p.dir, "dashboard.html")
	writeFile(t, htmlPath, page, 0o644)

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(p.tools.chromium),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("no-first-run", true),
		chromedp.UserDataDir(filepath.Join(p.dir, "chromium")),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(allocCtx)
	defer cancel()
	ctx, cancelTimeout := context.WithTimeout(ctx, time.Minute)
	defer cancelTimeout()
	err := chromedp.Do(ctx,
		chromedp.EmulateViewport(24*unitW+20, int64(rows*unitH+90)),
		chromedp.Navigate("file://"+htmlPath),
	)
	if err != nil {
		t.Fatalf("opening the dashboard page in Chromium: %v", err)
	}
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("rendering the dashboard in Chromium: %v", err)
	}
	if err := os.WriteFile(out, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s (%d bytes)", out, len(png))
}

func renderPanel(panel grafanaPanel, res panelResult, r grafanaRange, w, h int) string {
	switch panel.Title {
	case "Item health":
		var rows [][]string
		for _, s := range res.series["A"] {
			row := []string{s.Tags["item"], s.Tags["institution"]}
			for _, c := range []string{"status", "login required", "repair command"} {
				row = append(row, fmt.Sprint(s.column(c)[0]))
			}
			if v := s.column("last successful update")[0]; v != nil {
				row = append(row, time.UnixMilli(asInt(v)).UTC().Format("2006-01-02 15:04 UTC"))
			} else {
				row = append(row, "")
			}
			rows = append(rows, row)
		}
		return tableHTML([]string{"item", "institution", "status", "login required", "repair command", "last successful update"}, rows, 2)
	case "Top merchants":
		totals, counts := map[string]float64{}, map[string]int{}
		for _, s := range res.series["A"] {
			for i := range s.Values {
				k := fmt.Sprint(s.column("merchant_name")[i]) + "\x00" + fmt.Sprint(s.column("currency")[i])
				totals[k] += asFloat(s.column("amount")[i])
				counts[k]++
			}
		}
		keys := make([]string, 0, len(totals))
		for k := range totals {
			keys = append(keys, k)
		}
		sort.Slice(keys, func(i, j int) bool { return totals[keys[i]] > totals[keys[j]] })
		var rows [][]string
		for _, k := range keys[:min(10, len(keys))] {
			name, currency, _ := strings.Cut(k, "\x00")
			rows = append(rows, []string{name, currency, formatAmount(totals[k]), fmt.Sprint(counts[k])})
		}
		return tableHTML([]string{"merchant", "currency", "spent", "purchases"}, rows, -1)
	case "Upcoming payments":
		ss := slices.Clone(res.series["A"])
		sort.Slice(ss, func(i, j int) bool { return fmt.Sprint(ss[i].column("due")[0]) < fmt.Sprint(ss[j].column("due")[0]) })
		var rows [][]string
		for _, s := range ss {
			rows = append(rows, []string{s.Tags["item"], s.Tags["account"], fmt.Sprint(s.column("due")[0]),
				formatAmount(asFloat(s.column("minimum")[0])), fmt.Sprint(asInt(s.column("days left")[0])), fmt.Sprint(s.column("overdue")[0])})
		}
		return tableHTML([]string{"item", "account", "due", "minimum", "days left", "overdue"}, rows, -1)
	case "Spending by category", "Credit utilisation", "APRs and interest rates", "Portfolio allocation", "Gains against cost basis":
		var labels []string
		var values []float64
		for _, target := range panel.Targets {
			for _, s := range res.series[target.RefID] {
				if v, ok := lastValue(s); ok {
					labels, values = append(labels, aliasName(target.Alias, s)), append(values, v)
				}
			}
		}
		idx := make([]int, len(labels))
		for i := range idx {
			idx[i] = i
		}
		sort.Slice(idx, func(a, b int) bool { return values[idx[a]] > values[idx[b]] })
		var l []string
		var v []float64
		for _, i := range idx {
			l, v = append(l, labels[i]), append(v, values[i])
		}
		if panel.Title == "Credit utilisation" {
			return barGaugeHTML(l, v, 100, "%")
		}
		return barGaugeHTML(l, v, 0, "")
	}
	var all []drawnSeries
	if strings.HasPrefix(panel.Title, "Net worth") {
		// The panel's transformations: per-account series joined on time
		// and summed per row.
		sums := map[int64]float64{}
		for _, ss := range res.series {
			for _, s := range ss {
				for _, row := range s.Values {
					if row[1] != nil {
						sums[asInt(row[0])] += asFloat(row[1])
					}
				}
			}
		}
		nw := drawnSeries{name: "net worth"}
		for ts, v := range sums {
			nw.points = append(nw.points, point{time.Unix(0, ts), v})
		}
		sort.Slice(nw.points, func(i, j int) bool { return nw.points[i].t.Before(nw.points[j].t) })
		return timeSeriesSVG([]drawnSeries{nw}, r.from, r.to, w, h-18, false) + legendHTML([]drawnSeries{nw}, true)
	}
	for _, target := range panel.Targets {
		all = append(all, toDrawn(res.series[target.RefID], target.Alias)...)
	}
	bars := strings.HasPrefix(panel.Title, "Cash flow")
	legendLines := (len(all) + 3) / 4
	return timeSeriesSVG(all, r.from, r.to, w, h-legendLines*18, bars) + legendHTML(all, !bars)
}

const renderCSS = `
body { margin: 0; padding: 10px; background: #111217; color: #ccccdc; font: 13px/1.3 "DejaVu Sans", Arial, sans-serif; }
h1 { font-size: 18px; margin: 4px 6px; color: #fff; font-weight: 500; }
.vars { margin: 0 6px 8px; color: #8e8e98; }
.grid { position: relative; }
.panel { position: absolute; background: #181b1f; border: 1px solid #2c3235; border-radius: 3px; padding: 6px 8px; box-sizing: border-box; overflow: hidden; }
h2 { font-size: 13px; margin: 0 0 8px; color: #d8d9da; font-weight: 500; }
h2 small { color: #6e6e78; font-weight: 400; margin-left: 6px; }
.grid line.grid, svg .grid { stroke: #2c3235; stroke-width: 1; }
svg text.axis { fill: #8e8e98; font-size: 11px; }
.legend span { display: inline-block; margin: 2px 12px 0 0; font-size: 11px; }
.legend i { display: inline-block; width: 12px; height: 4px; margin: 0 5px 2px 0; vertical-align: middle; }
.bar { display: flex; align-items: center; margin: 3px 0; }
.bar .label { width: 42%; font-size: 11px; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.bar .track { flex: 1; height: 12px; background: #22252b; margin: 0 8px; }
.bar .track div { height: 100%; }
.bar .value { width: 86px; text-align: right; font-size: 11px; color: #fff; }
table { border-collapse: collapse; width: 100%; font-size: 11px; }
th { text-align: left; color: #8ab8ff; font-weight: 500; border-bottom: 1px solid #2c3235; padding: 3px 6px; }
td { border-bottom: 1px solid #22252b; padding: 3px 6px; white-space: nowrap; }
td.good { background: #1a7f4b; color: #fff; }
td.bad { background: #c4162a; color: #fff; }
`
