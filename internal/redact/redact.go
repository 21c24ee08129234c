// Package redact removes secrets from text before it leaves the process:
// Plaid's token shapes (access-, public- and link- tokens of any
// environment) wherever they appear, the values written after a secret's
// key ("secret = ...", "PLAID-SECRET: ...", {"client_id": "..."}), and
// registered secrets (the Plaid secret, the client id, tokens) even when
// they are only partly there.
//
// Text is compared after undoing what servers and proxies do to echoed
// requests: ASCII case is ignored, and URL escapes (%2D, %252D), JSON
// escapes (\u002d, \\u002d, \/) and HTML character references (&#45;,
// &#x2d;) are read as the characters they stand for. A registered secret is
// found through any MinRun consecutive characters of it, so a copy cut
// short by a size limit is still found. What is found is replaced by at
// most a short prefix and "…", the form of Token.
package redact

import (
	"bytes"
	"encoding/binary"
	"io"
	"sync"
)

// MinRun is the shortest part of a registered secret that is recognised,
// and so the longest part of one that can ever be printed.
const MinRun = 12

// minSecret is the shortest secret registered at all: shorter strings are
// too likely to occur in ordinary text.
const minSecret = 6

// shown is how many characters of a secret part stay visible, enough to
// tell tokens apart.
const shown = 4

const ellipsis = "…"

// Redactor replaces token shapes, its own registered secrets and those
// registered process-wide with Register. It is safe for concurrent use.
type Redactor struct {
	mu    sync.RWMutex
	seen  map[string]struct{}
	grams map[[MinRun]byte]struct{}
	// filter has one bit per hash bucket of grams, so that most positions of
	// a text are ruled out without a map lookup.
	filter []uint64
	short  [][]byte // secrets shorter than MinRun, matched whole
}

const filterBits = 1 << 16

// New returns a redactor that knows the given secrets.
func New(secrets ...string) *Redactor {
	r := &Redactor{}
	r.Add(secrets...)
	return r
}

// std holds what Register adds; every Redactor also applies it.
var std = New()

// Register adds secrets to the process-wide set that Text and every
// Redactor remove.
func Register(secrets ...string) { std.Add(secrets...) }

// Text returns s without token shapes and process-wide registered secrets.
func Text(s string) string { return std.String(s) }

// Add registers more secrets. Empty and very short strings are ignored; a
// secret is kept once however often it is added.
func (r *Redactor) Add(secrets ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, s := range secrets {
		n := normalize(s).b
		if _, body, ok := tokenParts(n); ok {
			// The kind and environment are public; only the rest is secret.
			// Registering them would also match tokens already redacted.
			n = body
		}
		if len(n) < minSecret {
			continue
		}
		if _, dup := r.seen[string(n)]; dup {
			continue
		}
		if r.seen == nil {
			r.seen = make(map[string]struct{})
			r.grams = make(map[[MinRun]byte]struct{})
			r.filter = make([]uint64, filterBits/64)
		}
		r.seen[string(n)] = struct{}{}
		if len(n) < MinRun {
			r.short = append(r.short, n)
			continue
		}
		for i := 0; i+MinRun <= len(n); i++ {
			var g [MinRun]byte
			copy(g[:], n[i:])
			r.grams[g] = struct{}{}
			h := gramHash(n[i:])
			r.filter[h/64] |= 1 << (h % 64)
		}
	}
}

// String returns s with every secret it recognises replaced.
func (r *Redactor) String(s string) string {
	if len(s) < minSecret {
		return s
	}
	// The text is searched as it is and, when it holds escapes, decoded: a
	// '%' or '\\' before a secret must not hide it by decoding its start.
	spans := r.spans(lowered(s), nil)
	if hasEscapes(s) {
		spans = r.spans(normalize(s), spans)
	}
	if len(spans) == 0 {
		return s
	}
	return replace(s, merge(spans))
}

// spans appends what is to be replaced in t, in offsets of the original.
func (r *Redactor) spans(t text, spans []span) []span {
	n := len(spans)
	spans = tokenSpans(t.b, spans)
	spans = keyedSpans(t.b, spans)
	spans = r.secretSpans(t.b, spans)
	if r != std {
		spans = std.secretSpans(t.b, spans)
	}
	if t.from != nil {
		for i := n; i < len(spans); i++ {
			spans[i].start, spans[i].end = int(t.from[spans[i].start]), int(t.to[spans[i].end-1])
		}
	}
	return spans
}

// Error returns err with a redacted message; errors.Is and errors.As still
// see err. nil stays nil, and an error with nothing to redact is returned
// as it is.
func (r *Redactor) Error(err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	if red := r.String(msg); red != msg {
		return &redactedError{msg: red, err: err}
	}
	return err
}

type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

// Writer returns a writer that redacts each Write to w. A secret split
// across two writes is not recognised: callers write whole messages.
func (r *Redactor) Writer(w io.Writer) io.Writer { return &writer{r: r, w: w} }

type writer struct {
	r *Redactor
	w io.Writer
}

func (w *writer) Write(p []byte) (int, error) {
	if _, err := io.WriteString(w.w, w.r.String(string(p))); err != nil {
		return 0, err
	}
	return len(p), nil
}

// span is a part [start, end) of the normalised text to replace by repl.
type span struct {
	start, end int
	repl       string
}

// secretSpans appends the parts of b that are registered secrets.
func (r *Redactor) secretSpans(b []byte, spans []span) []span {
	r.mu.RLock()
	defer r.mu.RUnlock()
	if len(r.seen) == 0 {
		return spans
	}
	if len(r.grams) > 0 {
		open := -1 // start of the run of matching windows being extended
		end := 0
		for i := 0; i+MinRun <= len(b); i++ {
			h := gramHash(b[i:])
			if r.filter[h/64]&(1<<(h%64)) == 0 {
				continue
			}
			if _, ok := r.grams[[MinRun]byte(b[i:i+MinRun])]; !ok {
				continue
			}
			if open >= 0 && i <= end {
				end = i + MinRun
				continue
			}
			if open >= 0 {
				spans = append(spans, secretSpan(b, open, end))
			}
			open, end = i, i+MinRun
		}
		if open >= 0 {
			spans = append(spans, secretSpan(b, open, end))
		}
	}
	for _, sec := range r.short {
		for from := 0; from+len(sec) <= len(b); {
			i := bytes.Index(b[from:], sec)
			if i < 0 {
				break
			}
			spans = append(spans, secretSpan(b, from+i, from+i+len(sec)))
			from += i + len(sec)
		}
	}
	return spans
}

func secretSpan(b []byte, start, end int) span {
	return span{start: start, end: end, repl: string(b[start:start+shown]) + ellipsis}
}

// gramHash maps the MinRun bytes at the start of b to a filter bit.
func gramHash(b []byte) uint64 {
	x := binary.LittleEndian.Uint64(b) ^ uint64(binary.LittleEndian.Uint32(b[8:]))<<29
	return (x * 0x9e3779b97f4a7c15) >> (64 - 16)
}

// merge sorts spans by start and joins overlapping ones; a joined span keeps
// the replacement of the one that starts first (a token's form over the
// secret part inside it).
func merge(spans []span) []span {
	for i := 1; i < len(spans); i++ { // insertion sort: spans are few
		for j := i; j > 0 && spans[j].start < spans[j-1].start; j-- {
			spans[j], spans[j-1] = spans[j-1], spans[j]
		}
	}
	out := spans[:1]
	for _, s := range spans[1:] {
		last := &out[len(out)-1]
		if s.start < last.end {
			last.end = max(last.end, s.end)
			continue
		}
		out = append(out, s)
	}
	return out
}
