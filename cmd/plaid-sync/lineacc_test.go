package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/influxdata/line-protocol/v2/lineprotocol"
	"github.com/influxdata/telegraf"
	"github.com/influxdata/telegraf/metric"
	"github.com/stretchr/testify/require"
)

// recordingWriter keeps every Write call apart, as write(2) calls reach a
// pipe; it fails from call failAt on when failAt > 0.
type recordingWriter struct {
	calls  [][]byte
	failAt int
}

var errPipeClosed = errors.New("pipe closed")

func (w *recordingWriter) Write(p []byte) (int, error) {
	if w.failAt > 0 && len(w.calls)+1 >= w.failAt {
		return 0, errPipeClosed
	}
	w.calls = append(w.calls, bytes.Clone(p))
	return len(p), nil
}

func (w *recordingWriter) all() string {
	var b strings.Builder
	for _, c := range w.calls {
		b.Write(c)
	}
	return b.String()
}

// requireWholeLineWrites checks what a kill between any two writes relies
// on: each write holds whole lines only, and at most pipeBuf bytes unless it
// is one line alone.
func requireWholeLineWrites(t *testing.T, w *recordingWriter) {
	t.Helper()
	for i, c := range w.calls {
		require.NotEmpty(t, c, "write %d is empty", i)
		require.Equal(t, byte('\n'), c[len(c)-1], "write %d does not end a line", i)
		if len(c) > pipeBuf {
			require.Equal(t, 1, bytes.Count(c, []byte("\n")), "write %d holds %d bytes, more than %d, and more than one line", i, len(c), pipeBuf)
		}
	}
}

// requireSameOutput compares what was written with what was expected and,
// when they differ, says where rather than printing both.
func requireSameOutput(t *testing.T, want, got string) {
	t.Helper()
	if want == got {
		return
	}
	i := 0
	for i < len(want) && i < len(got) && want[i] == got[i] {
		i++
	}
	line := strings.Count(want[:i], "\n") + 1
	t.Fatalf("written %d bytes, expected %d; they differ from byte %d (line %d)", len(got), len(want), i, line)
}

// testTransaction is a point shaped like the plugin's plaid_transaction;
// padding lengthens its name field.
func testTransaction(i, padding int) telegraf.Metric {
	return metric.New("plaid_transaction",
		map[string]string{
			"account":    `Joint Checking, "Main"`,
			"account_id": fmt.Sprintf("4oYtjMDDGudKIFxlXlMto08JFwIlDiHRcw%03d", i%7),
			"category":   "GENERAL_MERCHANDISE",
			"currency":   "USD",
			"item":       "Test Chase",
		},
		map[string]any{
			"amount":            float64(i%50000)/100 + 0.07,
			"removed":           false,
			"pending":           i%5 == 0,
			"transaction_id":    fmt.Sprintf("yzrMrt0aEEWNqeAKNqmnThHfRKymU8ab%05d", i),
			"name":              "Walmart" + strings.Repeat("x", padding),
			"merchant_name":     "Walmart",
			"payment_channel":   "in store",
			"authorized_date":   "2026-09-27",
			"category_detailed": "GENERAL_MERCHANDISE_SUPERSTORES",
		},
		time.Unix(1790553600, int64(i)))
}

// referenceLine encodes one metric on its own, with a fresh encoder.
func referenceLine(t *testing.T, m telegraf.Metric) string {
	t.Helper()
	var enc lineprotocol.Encoder
	enc.SetPrecision(lineprotocol.Nanosecond)
	enc.StartLine(m.Name())
	for _, tag := range m.TagList() {
		enc.AddTag(tag.Key, tag.Value)
	}
	for _, f := range m.FieldList() {
		v, ok := lineprotocol.NewValue(f.Value)
		require.True(t, ok)
		enc.AddField(f.Key, v)
	}
	enc.EndLine(m.Time())
	require.NoError(t, enc.Err())
	return string(enc.Bytes())
}

// testGroup is n transactions, every seventh padded to the given length.
func testGroup(first, n, padding int) []telegraf.Metric {
	group := make([]telegraf.Metric, n)
	for i := range group {
		pad := 0
		if (first+i)%7 == 3 {
			pad = padding
		}
		group[i] = testTransaction(first+i, pad)
	}
	return group
}

func TestTrackedGroupsLeaveInWholeLinesOfAtMostPipeBuf(t *testing.T) {
	for _, tc := range []struct {
		name    string
		sizes   []int // groups, in points
		padding int   // the length added to every seventh point's name
	}{
		{"one point", []int{1}, 0},
		{"a page of points", []int{500}, 0},
		{"many groups, some lines near the limit", []int{3, 500, 17, 1, 250}, 3500},
		{"lines longer than the limit", []int{40, 2}, 9000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := &recordingWriter{}
			acc := newLineAccumulator(w, func(err error) { t.Errorf("dropped: %v", err) })
			tacc := acc.WithTracking(len(tc.sizes))
			var want strings.Builder
			first := 0
			for _, n := range tc.sizes {
				group := testGroup(first, n, tc.padding)
				first += n
				for _, m := range group {
					want.WriteString(referenceLine(t, m))
				}
				before := len(w.calls)
				id := tacc.AddTrackingMetricGroup(group)
				// Delivered only once all of the group is out.
				require.Greater(t, len(w.calls), before, "the group was not written before AddTrackingMetricGroup returned")
				info := <-tacc.Delivered()
				require.Equal(t, id, info.ID())
				require.True(t, info.Delivered())
			}
			require.NoError(t, acc.flush())
			requireWholeLineWrites(t, w)
			requireSameOutput(t, want.String(), w.all())
			if tc.padding > pipeBuf {
				long := 0
				for _, c := range w.calls {
					if len(c) > pipeBuf {
						long++
					}
				}
				require.Positive(t, long, "no line longer than %d bytes was written", pipeBuf)
			}
		})
	}
}

func TestUntrackedPointsLeaveInWholeLinesOfAtMostPipeBuf(t *testing.T) {
	w := &recordingWriter{}
	acc := newLineAccumulator(w, func(err error) { t.Errorf("dropped: %v", err) })
	var want strings.Builder
	// Enough for the accumulator to write some before flush, as a replay does.
	for _, m := range testGroup(0, 3000, 5000) {
		want.WriteString(referenceLine(t, m))
		acc.AddMetric(m)
	}
	require.NotEmpty(t, w.calls, "3000 points were all held until flush")
	require.NoError(t, acc.flush())
	requireWholeLineWrites(t, w)
	requireSameOutput(t, want.String(), w.all())
	require.NoError(t, acc.flush(), "a second flush with nothing buffered")
}

func TestUntrackedAndTrackedPointsKeepTheirOrder(t *testing.T) {
	w := &recordingWriter{}
	acc := newLineAccumulator(w, nil)
	tacc := acc.WithTracking(1)
	all := testGroup(0, 30, 0)
	var want strings.Builder
	for _, m := range all {
		want.WriteString(referenceLine(t, m))
	}
	for _, m := range all[:10] {
		acc.AddMetric(m)
	}
	tacc.AddTrackingMetricGroup(all[10:20])
	for _, m := range all[20:] {
		acc.AddMetric(m)
	}
	// The other ways in; one field each, so that the order of fields in the
	// line is the order given.
	at := time.Unix(1790553600, 0)
	acc.AddFields("plaid_item", map[string]any{"status": "ok"}, map[string]string{"item": "Test Chase"}, at)
	acc.AddGauge("plaid_balance", map[string]any{"current": 12.5}, map[string]string{"item": "Test Chase"}, at)
	want.WriteString(`plaid_item,item=Test\ Chase status="ok" 1790553600000000000` + "\n")
	want.WriteString(`plaid_balance,item=Test\ Chase current=12.5 1790553600000000000` + "\n")
	require.NoError(t, acc.flush())
	requireWholeLineWrites(t, w)
	requireSameOutput(t, want.String(), w.all())
}

func TestAFailedWriteReportsTheGroupNotDelivered(t *testing.T) {
	// The second write fails: the group's first lines may be out, but the
	// group is not delivered, and nothing is written after the failure.
	w := &recordingWriter{failAt: 2}
	acc := newLineAccumulator(w, nil)
	tacc := acc.WithTracking(2)
	tacc.AddTrackingMetricGroup(testGroup(0, 100, 0))
	info := <-tacc.Delivered()
	require.False(t, info.Delivered())
	require.Len(t, w.calls, 1)
	requireWholeLineWrites(t, w)

	tacc.AddTrackingMetricGroup(testGroup(100, 1, 0))
	require.False(t, (<-tacc.Delivered()).Delivered())
	require.ErrorIs(t, acc.flush(), errPipeClosed)
	require.Len(t, w.calls, 1)
}

func TestAPointLineProtocolCannotHoldIsDroppedAlone(t *testing.T) {
	w := &recordingWriter{}
	var dropped []error
	acc := newLineAccumulator(w, func(err error) { dropped = append(dropped, err) })
	good := testGroup(0, 2, 0)
	bad := metric.New("plaid_transaction", map[string]string{"item": "x"}, map[string]any{"amount": struct{}{}}, time.Unix(1, 0))
	acc.AddMetric(good[0])
	acc.AddMetric(bad)
	acc.AddMetric(good[1])
	require.NoError(t, acc.flush())
	require.Len(t, dropped, 1)
	require.Equal(t, referenceLine(t, good[0])+referenceLine(t, good[1]), w.all())
	requireWholeLineWrites(t, w)
}

// The backfill writes hundreds of thousands of points through here: the
// figures per point are what a change to the write path must keep.
func BenchmarkTrackedGroups(b *testing.B) {
	devNull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	require.NoError(b, err)
	defer devNull.Close()
	const groupSize = 500 // the plugin's emitBatch
	group := testGroup(0, groupSize, 0)
	acc := newLineAccumulator(devNull, nil)
	tacc := acc.WithTracking(1)
	// One group first: buffers grown once are not a cost per point.
	tacc.AddTrackingMetricGroup(group)
	<-tacc.Delivered()
	b.ReportAllocs()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	b.ResetTimer()
	for range b.N {
		tacc.AddTrackingMetricGroup(group)
		<-tacc.Delivered()
	}
	b.StopTimer()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	points := float64(b.N * groupSize)
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/points, "ns/point")
	b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/points, "B/point")
	b.ReportMetric(float64(after.Mallocs-before.Mallocs)/points, "allocs/point")
}

// The replay and the per-gather balance and status points are untracked.
func BenchmarkUntrackedPoints(b *testing.B) {
	devNull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	require.NoError(b, err)
	defer devNull.Close()
	points := testGroup(0, 1000, 0)
	acc := newLineAccumulator(devNull, nil)
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		acc.AddMetric(points[i%len(points)])
	}
	require.NoError(b, acc.flush())
}
