package main

import (
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/influxdata/line-protocol/v2/lineprotocol"
	"github.com/influxdata/telegraf"
	"github.com/influxdata/telegraf/metric"
)

// pipeBuf is the most one write(2) to a pipe moves atomically on Linux
// (PIPE_BUF): a process killed at any moment has written such a write whole
// or not at all.
const pipeBuf = 4096

// untrackedBacklog bounds the untracked lines held between flushes (a replay
// writes thousands of them).
const untrackedBacklog = 64 << 10

// lineAccumulator writes metrics to stdout as line protocol with nanosecond
// timestamps. Every write(2) holds whole lines only and at most pipeBuf
// bytes, so a SIGKILL between two writes never leaves Telegraf a line cut
// short, which it would parse at EOF into a bogus point. A line longer than
// pipeBuf (rare: a point is some 450 bytes) goes out alone, in one write that
// may be cut if the process is killed while the pipe is full. A tracked group
// is reported delivered once its last write succeeded; untracked metrics are
// written out by flush, or once untrackedBacklog bytes wait.
type lineAccumulator struct {
	mu        sync.Mutex
	out       io.Writer
	enc       lineprotocol.Encoder
	lines     []byte // encoded lines not yet written
	lineEnds  []int  // offset in lines just past each line
	delivered chan telegraf.DeliveryInfo
	err       error       // the first write error; nothing is written or delivered after it
	onDrop    func(error) // told about a metric that cannot be encoded
	onError   func(error) // told about a gather error
}

func newLineAccumulator(w io.Writer, onDrop func(error)) *lineAccumulator {
	a := &lineAccumulator{out: w, onDrop: onDrop}
	a.enc.SetPrecision(lineprotocol.Nanosecond)
	return a
}

// encodeLocked appends m to the lines to write; the caller holds mu. A
// metric that line protocol cannot express is dropped with a report, the
// rest go on.
func (a *lineAccumulator) encodeLocked(m telegraf.Metric) bool {
	a.enc.Reset()
	a.enc.StartLine(m.Name())
	for _, tag := range m.TagList() {
		a.enc.AddTag(tag.Key, tag.Value)
	}
	for _, field := range m.FieldList() {
		v, ok := fieldValue(field.Value)
		if !ok {
			a.enc.ClearErr()
			a.drop(fmt.Errorf("%s: field %q has a value line protocol cannot hold (%T)", m.Name(), field.Key, field.Value))
			return false
		}
		a.enc.AddField(field.Key, v)
	}
	a.enc.EndLine(m.Time())
	if err := a.enc.Err(); err != nil {
		a.enc.ClearErr()
		a.drop(fmt.Errorf("%s: %w", m.Name(), err))
		return false
	}
	a.lines = append(a.lines, a.enc.Bytes()...)
	a.lineEnds = append(a.lineEnds, len(a.lines))
	return true
}

// writeLocked writes every encoded line out, as many whole lines a write as
// fit in pipeBuf, and records the first error; the caller holds mu.
func (a *lineAccumulator) writeLocked() {
	start := 0
	for i := 0; i < len(a.lineEnds) && a.err == nil; {
		// Always at least one line, however long.
		j := i + 1
		for j < len(a.lineEnds) && a.lineEnds[j]-start <= pipeBuf {
			j++
		}
		end := a.lineEnds[j-1]
		if _, err := a.out.Write(a.lines[start:end]); err != nil {
			a.err = err
		}
		start, i = end, j
	}
	a.lines, a.lineEnds = a.lines[:0], a.lineEnds[:0]
}

func (a *lineAccumulator) drop(err error) {
	if a.onDrop != nil {
		a.onDrop(err)
	}
}

func fieldValue(v any) (lineprotocol.Value, bool) {
	switch x := v.(type) {
	case float64:
		return lineprotocol.FloatValue(x)
	case int64:
		return lineprotocol.IntValue(x), true
	case uint64:
		return lineprotocol.UintValue(x), true
	case bool:
		return lineprotocol.BoolValue(x), true
	case string:
		return lineprotocol.StringValue(x)
	}
	return lineprotocol.NewValue(v)
}

// flush writes out the untracked metrics still held.
func (a *lineAccumulator) flush() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.writeLocked()
	return a.err
}

func (a *lineAccumulator) AddFields(name string, fields map[string]interface{}, tags map[string]string, t ...time.Time) {
	a.AddMetric(metric.New(name, tags, fields, at(t), telegraf.Untyped))
}

func (a *lineAccumulator) AddGauge(name string, fields map[string]interface{}, tags map[string]string, t ...time.Time) {
	a.AddMetric(metric.New(name, tags, fields, at(t), telegraf.Gauge))
}

func (a *lineAccumulator) AddCounter(name string, fields map[string]interface{}, tags map[string]string, t ...time.Time) {
	a.AddMetric(metric.New(name, tags, fields, at(t), telegraf.Counter))
}

func (a *lineAccumulator) AddSummary(name string, fields map[string]interface{}, tags map[string]string, t ...time.Time) {
	a.AddMetric(metric.New(name, tags, fields, at(t), telegraf.Summary))
}

func (a *lineAccumulator) AddHistogram(name string, fields map[string]interface{}, tags map[string]string, t ...time.Time) {
	a.AddMetric(metric.New(name, tags, fields, at(t), telegraf.Histogram))
}

func (a *lineAccumulator) AddMetric(m telegraf.Metric) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.encodeLocked(m) && len(a.lines) >= untrackedBacklog {
		a.writeLocked()
	}
}

func (a *lineAccumulator) SetPrecision(time.Duration) {}

// AddError reports a gather error the way Telegraf's execd counts one: as
// an E! line on stderr.
func (a *lineAccumulator) AddError(err error) {
	if a.onError != nil && err != nil {
		a.onError(err)
	}
}

func (a *lineAccumulator) WithTracking(maxTracked int) telegraf.TrackingAccumulator {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.delivered = make(chan telegraf.DeliveryInfo, maxTracked)
	return a
}

func (a *lineAccumulator) AddTrackingMetric(m telegraf.Metric) telegraf.TrackingID {
	return a.AddTrackingMetricGroup([]telegraf.Metric{m})
}

// AddTrackingMetricGroup writes the group out, after any untracked metrics
// still held, before reporting it delivered; a failed write reports it not
// delivered.
func (a *lineAccumulator) AddTrackingMetricGroup(group []telegraf.Metric) telegraf.TrackingID {
	tracked, id := metric.WithGroupTracking(group, a.onDelivery)
	a.mu.Lock()
	for _, m := range tracked {
		a.encodeLocked(m)
	}
	a.writeLocked()
	failed := a.err != nil
	a.mu.Unlock()
	for _, m := range tracked {
		if failed {
			// Reject, not Drop: a dropped metric counts as delivered.
			m.Reject()
		} else {
			m.Accept()
		}
	}
	return id
}

func (a *lineAccumulator) onDelivery(info telegraf.DeliveryInfo) {
	select {
	case a.delivered <- info:
	default:
		// The plugin drains deliveries after every group; an overflow only
		// means the group is written again after a restart.
	}
}

func (a *lineAccumulator) Delivered() <-chan telegraf.DeliveryInfo { return a.delivered }

func at(t []time.Time) time.Time {
	if len(t) > 0 {
		return t[0]
	}
	return time.Now()
}
