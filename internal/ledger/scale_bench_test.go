package ledger

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// BenchmarkOpenAtScale opens a ledger of many items (90 transactions
// each, delivered) and reports the file's size per transaction and the
// growth of the process's peak resident memory during Open, which reads and
// checks every page.
func BenchmarkOpenAtScale(b *testing.B) {
	const items, perItem = 1000, 90
	dir := b.TempDir()
	l, _, err := Open(dir, Options{SnapshotInterval: -1})
	if err != nil {
		b.Fatal(err)
	}
	day := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range items {
		name := fmt.Sprintf("item-%05d", i)
		txs := make([]Txn, perItem)
		for j := range txs {
			txs[j] = txn(fmt.Sprintf("%s-tx-%03d", name, j), float64(j)+0.5, day.AddDate(0, 0, j/3).Format(time.DateOnly))
		}
		if _, err := l.StagePage(name, &Page{Changes: added(txs...), NextCursor: "c1"}); err != nil {
			b.Fatal(err)
		}
		if _, err := l.Apply(name, shape, func(g Group) error { l.Delivered(name, g.Seq); return nil }); err != nil {
			b.Fatal(err)
		}
	}
	if err := l.SettleDelivered(); err != nil {
		b.Fatal(err)
	}
	if err := l.Close(); err != nil {
		b.Fatal(err)
	}
	info, err := os.Stat(filepath.Join(dir, storeFile))
	if err != nil {
		b.Fatal(err)
	}
	var peak float64
	b.ResetTimer()
	for b.Loop() {
		before := resetPeakRSS(b)
		l, _, err := Open(dir, Options{SnapshotInterval: -1})
		if err != nil {
			b.Fatal(err)
		}
		peak = max(peak, peakRSS(b)-before)
		if err := l.Close(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(info.Size())/(items*perItem), "file-B/txn")
	b.ReportMetric(peak/(1<<20), "open-peak-MiB")
}

// resetPeakRSS resets the kernel's peak resident size of the process and
// returns the current one, in bytes.
func resetPeakRSS(b *testing.B) float64 {
	if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil {
		b.Skip("peak RSS cannot be reset here:", err)
	}
	return statusBytes(b, "VmRSS:")
}

func peakRSS(b *testing.B) float64 { return statusBytes(b, "VmHWM:") }

func statusBytes(b *testing.B, field string) float64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), field); ok {
			kb, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			if err != nil {
				b.Fatal(err)
			}
			return kb * 1024
		}
	}
	b.Fatal(field, "not in /proc/self/status")
	return 0
}
