package main

import (
	"bufio"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/influxdata/line-protocol/v2/lineprotocol"
	"github.com/influxdata/telegraf"
	"github.com/influxdata/telegraf/metric"
)

// lineAccumulator writes metrics to stdout as line protocol with nanosecond
// timestamps. A tracked group is written through to the output before it is
// reported delivered, so a group counts as delivered only once Telegraf can
// read all of it; untracked metrics are written out by flush.
type lineAccumulator struct {
	mu        sync.Mutex
	out       *bufio.Writer
	enc       lineprotocol.Encoder
	delivered chan telegraf.DeliveryInfo
	err       error       // the first write error; nothing is delivered after it
	onDrop    func(error) // told about a metric that cannot be encoded
	onError   func(error) // told about a gather error
}

func newLineAccumulator(w io.Writer, onDrop func(error)) *lineAccumulator {
	a := &lineAccumulator{out: bufio.NewWriterSize(w, 64<<10), onDrop: onDrop}
	a.enc.SetPrecision(lineprotocol.Nanosecond)
	return a
}

// encodeLocked appends m to the buffer; the caller holds mu. A metric that
// line protocol cannot express is dropped with a report, the rest go on.
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
	if _, err := a.out.Write(a.enc.Bytes()); err != nil && a.err == nil {
		a.err = err
	}
	return true
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

// flush writes out what is buffered.
func (a *lineAccumulator) flush() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if err := a.out.Flush(); err != nil && a.err == nil {
		a.err = err
	}
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
	a.encodeLocked(m)
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

// AddTrackingMetricGroup writes the group through to the output before
// reporting it delivered; a failed write reports it not delivered.
func (a *lineAccumulator) AddTrackingMetricGroup(group []telegraf.Metric) telegraf.TrackingID {
	tracked, id := metric.WithGroupTracking(group, a.onDelivery)
	a.mu.Lock()
	for _, m := range tracked {
		a.encodeLocked(m)
	}
	if err := a.out.Flush(); err != nil && a.err == nil {
		a.err = err
	}
	failed := a.err != nil
	a.mu.Unlock()
	for _, m := range tracked {
		if failed {
			m.Drop()
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
