package bench

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"runtime/pprof"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestPeakHeapProfile writes the heap profile taken at the largest live heap
// of a backfill, which -memprofile (written at exit) cannot show. It runs
// only when asked, as docs/benchmarks.md describes:
//
//	PLAID_BENCH_PEAK_HEAP=/tmp/peak.prof PLAID_BENCH_TX_PER_DAY=14 go test -run TestPeakHeapProfile ./bench/
//	go tool pprof -sample_index=inuse_space -top /tmp/peak.prof
//
// The plugin runs in the test process; the emulator is a process of its own
// so that its data is not in the profile.
func TestPeakHeapProfile(t *testing.T) {
	out := os.Getenv("PLAID_BENCH_PEAK_HEAP")
	if out == "" {
		t.Skip("set PLAID_BENCH_PEAK_HEAP to a file to write the profile")
	}
	txPerDay := 14.0
	if v := os.Getenv("PLAID_BENCH_TX_PER_DAY"); v != "" {
		var err error
		txPerDay, err = strconv.ParseFloat(v, 64)
		require.NoError(t, err)
	}
	bin := filepath.Join(t.TempDir(), "plaid-emulator")
	build := exec.Command("go", "build", "-o", bin, "../cmd/plaid-emulator")
	build.Stderr = os.Stderr
	require.NoError(t, build.Run())
	emu, err := StartEmulator(bin, EmulatorOptions{Items: 10, HistoryDays: 730, TxPerDay: txPerDay})
	require.NoError(t, err)
	defer emu.Close()
	items, err := emu.Items()
	require.NoError(t, err)
	ws, err := NewWorkspace(t.TempDir(), emu.URL, items, PluginConfig{})
	require.NoError(t, err)
	f := &economyFixture{items: items, ws: ws}

	runtime.MemProfileRate = 2048
	p := f.plugin(t, nil)
	stop, done := make(chan struct{}), make(chan struct{})
	var peak bytes.Buffer
	var peakLive uint64
	go func() {
		defer close(done)
		live := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
		for {
			select {
			case <-stop:
				return
			case <-time.After(5 * time.Millisecond):
			}
			metrics.Read(live)
			if v := live[0].Value.Uint64(); v > peakLive {
				peakLive = v
				peak.Reset()
				_ = pprof.Lookup("heap").WriteTo(&peak, 0)
			}
		}
	}()
	f.gather(t, p, &countingAccumulator{})
	close(stop)
	<-done
	t.Logf("largest live heap: %d bytes; profile in %s", peakLive, out)
	require.NoError(t, os.WriteFile(out, peak.Bytes(), 0o644))
}
