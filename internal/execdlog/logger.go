// Package execdlog is a telegraf.Logger for plugins run by Telegraf's execd
// input. Each message becomes one stderr line starting with Telegraf's level
// prefix ("E! ", "W! ", "I! ", "D! "), which execd maps to its own log level.
// Unlike the shim's logger it keeps nothing in memory, and every line goes
// through a redactor (internal/redact): token shapes, the secrets given to
// Redact and those registered process-wide never reach stderr.
package execdlog

import (
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/influxdata/telegraf"

	"github.com/plaid-sync/telegraf-plaid/internal/redact"
)

// Levels, re-exported so that callers need not import telegraf for them.
const (
	LevelError = telegraf.Error
	LevelWarn  = telegraf.Warn
	LevelInfo  = telegraf.Info
	LevelDebug = telegraf.Debug
)

// maxLineBytes keeps lines far below execd's 64 KiB limit, past which it stops
// reading stderr for good.
const maxLineBytes = 8 << 10

// Logger writes level-prefixed lines.
type Logger struct {
	mu      sync.Mutex
	w       io.Writer
	level   telegraf.LogLevel
	secrets *redact.Redactor
}

// New returns a logger writing to w messages at level or more severe.
func New(w io.Writer, level telegraf.LogLevel) *Logger {
	return &Logger{w: w, level: level, secrets: redact.New()}
}

// ParseLevel maps "error", "warn", "info", "debug" (or "") to a level.
func ParseLevel(s string) (telegraf.LogLevel, error) {
	switch strings.ToLower(s) {
	case "error":
		return telegraf.Error, nil
	case "warn":
		return telegraf.Warn, nil
	case "", "info":
		return telegraf.Info, nil
	case "debug":
		return telegraf.Debug, nil
	case "trace":
		return telegraf.Trace, nil
	}
	return telegraf.None, fmt.Errorf("unknown log level %q", s)
}

// Redact makes the logger remove each secret wherever it appears, in any
// case or escaped form and even cut short (see internal/redact). Secrets
// shorter than 6 bytes are too likely to match ordinary text and are left
// out. Calling it again with the same secrets adds nothing.
func (l *Logger) Redact(secrets ...string) { l.secrets.Add(secrets...) }

func (l *Logger) SetLevel(level telegraf.LogLevel) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.level = level
}

func (l *Logger) Level() telegraf.LogLevel {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.level
}

// AddAttribute is part of telegraf.Logger; attributes are not printed.
func (*Logger) AddAttribute(string, interface{}) {}

func (l *Logger) print(level telegraf.LogLevel, prefix, msg string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if level > l.level {
		return
	}
	msg = l.secrets.String(msg)
	msg = strings.Map(func(r rune) rune {
		if r == '\n' || r == '\r' {
			return ' '
		}
		return r
	}, msg)
	if len(msg) > maxLineBytes {
		msg = msg[:maxLineBytes] + "…"
	}
	io.WriteString(l.w, prefix+msg+"\n") //nolint:errcheck // nowhere left to report a failed log write
}

func (l *Logger) Errorf(format string, args ...interface{}) {
	l.print(telegraf.Error, "E! ", fmt.Sprintf(format, args...))
}
func (l *Logger) Error(args ...interface{}) { l.print(telegraf.Error, "E! ", fmt.Sprint(args...)) }
func (l *Logger) Warnf(format string, args ...interface{}) {
	l.print(telegraf.Warn, "W! ", fmt.Sprintf(format, args...))
}
func (l *Logger) Warn(args ...interface{}) { l.print(telegraf.Warn, "W! ", fmt.Sprint(args...)) }
func (l *Logger) Infof(format string, args ...interface{}) {
	l.print(telegraf.Info, "I! ", fmt.Sprintf(format, args...))
}
func (l *Logger) Info(args ...interface{}) { l.print(telegraf.Info, "I! ", fmt.Sprint(args...)) }
func (l *Logger) Debugf(format string, args ...interface{}) {
	l.print(telegraf.Debug, "D! ", fmt.Sprintf(format, args...))
}
func (l *Logger) Debug(args ...interface{}) { l.print(telegraf.Debug, "D! ", fmt.Sprint(args...)) }
func (l *Logger) Tracef(format string, args ...interface{}) {
	l.print(telegraf.Trace, "T! ", fmt.Sprintf(format, args...))
}
func (l *Logger) Trace(args ...interface{}) { l.print(telegraf.Trace, "T! ", fmt.Sprint(args...)) }
