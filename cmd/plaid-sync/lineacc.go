package main

import (
	"bufio"
	"io"
	"sync"
	"time"

	"github.com/influxdata/telegraf"
	"github.com/influxdata/telegraf/metric"
	"github.com/influxdata/telegraf/plugins/serializers/influx"
)

// lineAccumulator writes metrics as line protocol, the way the shim does, for
// -once and -demo. A tracked group is reported delivered once it has been
// written through to the output.
type lineAccumulator struct {
	mu         sync.Mutex
	out        *bufio.Writer
	serializer *influx.Serializer
	delivered  chan telegraf.DeliveryInfo
	err        error
}

func newLineAccumulator(w io.Writer) (*lineAccumulator, error) {
	s := &influx.Serializer{}
	if err := s.Init(); err != nil {
		return nil, err
	}
	return &lineAccumulator{out: bufio.NewWriterSize(w, 64<<10), serializer: s}, nil
}

// writeLocked serialises m into the buffer; the caller holds mu.
func (a *lineAccumulator) writeLocked(m telegraf.Metric) {
	b, err := a.serializer.Serialize(m)
	if err == nil {
		_, err = a.out.Write(b)
	}
	if err != nil && a.err == nil {
		a.err = err
	}
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
	a.writeLocked(m)
}

func (a *lineAccumulator) SetPrecision(time.Duration) {}

// AddError is part of telegraf.Accumulator; the plugin logs its own errors.
func (*lineAccumulator) AddError(error) {}

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
// reporting it delivered.
func (a *lineAccumulator) AddTrackingMetricGroup(group []telegraf.Metric) telegraf.TrackingID {
	tracked, id := metric.WithGroupTracking(group, a.onDelivery)
	a.mu.Lock()
	for _, m := range tracked {
		a.writeLocked(m)
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
	}
}

func (a *lineAccumulator) Delivered() <-chan telegraf.DeliveryInfo { return a.delivered }

func at(t []time.Time) time.Time {
	if len(t) > 0 {
		return t[0]
	}
	return time.Now()
}
