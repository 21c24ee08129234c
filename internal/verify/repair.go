package verify

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/influxdata/line-protocol/v2/lineprotocol"
	"github.com/influxdata/telegraf"
)

// writeBatch is how many lines one /write request carries.
const writeBatch = 5000

// Outcome is what a repair did.
type Outcome struct {
	// Before is the first verification; After the one that followed the
	// repair written to InfluxDB (nil when nothing was written, or when
	// the repair went to another writer).
	Before  *Report `json:"before"`
	After   *Report `json:"after,omitempty"`
	Written int     `json:"written"`
}

// Repair verifies, and when InfluxDB differs writes exactly the points that
// bring it back to the ledger: to InfluxDB's write API, or as line protocol
// to to when it is not nil. Written to InfluxDB, they are verified again.
// Nothing is written unless the first verification completed, and nothing
// is ever deleted. The repair is kept in a temporary file under spoolDir
// ("" for the system's), so that memory does not grow with its size.
func Repair(ctx context.Context, l Ledger, db *Influx, o Options, spoolDir string, to io.Writer) (*Outcome, error) {
	spool, err := os.CreateTemp(spoolDir, "plaid-repair-*.lp")
	if err != nil {
		return nil, fmt.Errorf("creating the repair file: %w", err)
	}
	defer os.Remove(spool.Name())
	defer spool.Close()
	w := bufio.NewWriterSize(spool, 1<<20)
	var line []byte
	o.Repair = func(_ string, m telegraf.Metric) error {
		var err error
		if line, err = AppendLine(line[:0], m); err != nil {
			return err
		}
		_, err = w.Write(line)
		return err
	}
	before, err := Verify(ctx, l, db, o)
	if err != nil {
		return nil, err
	}
	out := &Outcome{Before: before}
	if before.Agree || before.Repairs == 0 {
		return out, nil
	}
	if err := w.Flush(); err != nil {
		return nil, fmt.Errorf("writing the repair file: %w", err)
	}
	if _, err := spool.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	if to != nil {
		n, err := io.Copy(to, spool)
		if err != nil {
			return nil, fmt.Errorf("writing the repair after %d bytes: %w", n, err)
		}
		out.Written = before.Repairs
		return out, nil
	}
	r := bufio.NewReaderSize(spool, 1<<20)
	var batch bytes.Buffer
	lines := 0
	flush := func() error {
		if lines == 0 {
			return nil
		}
		if err := db.Write(ctx, batch.Bytes()); err != nil {
			return fmt.Errorf("writing the repair to InfluxDB (%d of %d points written): %w", out.Written, before.Repairs, err)
		}
		out.Written += lines
		batch.Reset()
		lines = 0
		return nil
	}
	for {
		line, err := r.ReadBytes('\n')
		if len(line) > 0 {
			batch.Write(line)
			lines++
			if lines == writeBatch {
				if err := flush(); err != nil {
					return out, err
				}
			}
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return out, err
		}
	}
	if err := flush(); err != nil {
		return out, err
	}
	o.Repair = nil
	if out.After, err = Verify(ctx, l, db, o); err != nil {
		return out, fmt.Errorf("verifying after the repair: %w", err)
	}
	return out, nil
}

// AppendLine appends m as one line of line protocol with a nanosecond
// timestamp.
func AppendLine(buf []byte, m telegraf.Metric) ([]byte, error) {
	var enc lineprotocol.Encoder
	enc.SetBuffer(buf)
	enc.SetPrecision(lineprotocol.Nanosecond)
	enc.StartLine(m.Name())
	for _, tag := range m.TagList() {
		enc.AddTag(tag.Key, tag.Value)
	}
	for _, f := range m.FieldList() {
		v, ok := lineprotocol.NewValue(f.Value)
		if !ok {
			return buf, fmt.Errorf("%s: field %q cannot be written as line protocol (%T)", m.Name(), f.Key, f.Value)
		}
		enc.AddField(f.Key, v)
	}
	enc.EndLine(m.Time())
	if err := enc.Err(); err != nil {
		return buf, fmt.Errorf("%s: %w", m.Name(), err)
	}
	return enc.Bytes(), nil
}
