package plaid

import (
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/plaid-sync/telegraf-plaid/internal/plaidemu"
)

// BenchmarkPluginSteadyGather is a gather that finds nothing new, per item,
// with the emulator in the same process (its share is in the figures):
// items with 30 days of 3 transactions a day, backfilled first.
func BenchmarkPluginSteadyGather(b *testing.B) {
	for _, items := range []int{100, 1000} {
		b.Run(fmt.Sprintf("items=%d", items), func(b *testing.B) {
			h := newHarness(b, plaidemu.Config{Items: items, HistoryDays: 30, TxPerDay: 3})
			p := h.plugin(func(p *Plaid) { p.MaxConcurrency = 4 })
			d := newDelivery()
			d.gather(b, p)
			d.gather(b, p)
			cpu0 := processCPU()
			b.ResetTimer()
			for b.Loop() {
				d.gather(b, p)
			}
			cpu := processCPU() - cpu0
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(items), "wall-ns/item")
			b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N)/float64(items), "cpu-ns/item")
		})
	}
}

func processCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
