package bench

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/plaid-sync/telegraf-plaid/internal/plaidemu"
)

// Credentials the emulator is started with and the plugin is given.
const (
	ClientID = "bench_client_id"
	Secret   = "bench_secret_0123456789"
)

// emulatorStartTimeout bounds the generation of the emulator's data: 100,000
// transactions take a few seconds.
const emulatorStartTimeout = 2 * time.Minute

// EmulatorOptions are plaid-emulator's data flags.
type EmulatorOptions struct {
	Items       int
	HistoryDays int
	TxPerDay    float64
	Seed        int64
	// NotReadySyncs is how many syncs of a newly linked item answer
	// NOT_READY, as Plaid does while it fetches a new item's history; 0
	// means its data is ready at once.
	NotReadySyncs int
}

// Emulator is a plaid-emulator process. It runs apart from the plugin so
// that its work is never counted in the plugin's CPU time or memory.
type Emulator struct {
	URL    string
	cmd    *exec.Cmd
	stderr *tailBuffer
	done   chan struct{}
	http   *http.Client
}

// StartEmulator starts bin (plaid-emulator) on a free port of 127.0.0.1.
func StartEmulator(bin string, o EmulatorOptions) (*Emulator, error) {
	seed := o.Seed
	if seed == 0 {
		seed = 1
	}
	args := []string{
		"-listen", "127.0.0.1:0",
		"-items", strconv.Itoa(o.Items),
		"-history-days", strconv.Itoa(o.HistoryDays),
		"-tx-per-day", strconv.FormatFloat(o.TxPerDay, 'f', -1, 64),
		"-seed", strconv.FormatInt(seed, 10),
		"-not-ready-syncs", strconv.Itoa(o.NotReadySyncs),
		"-client-id", ClientID,
		"-secret", Secret,
	}
	cmd := exec.CommandContext(rootContext, bin, args...)
	dieWithParent(cmd)
	e := &Emulator{cmd: cmd, stderr: newTailBuffer(16 << 10), done: make(chan struct{}), http: &http.Client{Timeout: time.Minute}}
	cmd.Stderr = e.stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := startChild(cmd); err != nil {
		return nil, fmt.Errorf("starting %s: %w", bin, err)
	}
	urls := make(chan string, 1)
	go func() {
		defer close(e.done)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if url, ok := strings.CutPrefix(sc.Text(), "listening on "); ok {
				urls <- url
			}
		}
		_ = waitChild(cmd)
	}()
	select {
	case e.URL = <-urls:
		return e, nil
	case <-e.done:
		return nil, fmt.Errorf("plaid-emulator exited before listening: %s", e.stderr.String())
	case <-time.After(emulatorStartTimeout):
		e.Close()
		return nil, fmt.Errorf("plaid-emulator did not listen within %s", emulatorStartTimeout)
	}
}

// Close stops the emulator: SIGTERM, then SIGKILL if it lingers.
func (e *Emulator) Close() {
	if e == nil || e.cmd.Process == nil {
		return
	}
	_ = e.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-e.done:
	case <-time.After(10 * time.Second):
		_ = e.cmd.Process.Kill()
		<-e.done
	}
}

func (e *Emulator) admin(method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		raw, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(raw)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, e.URL+path, body)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := e.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s %s: %s: %s", method, path, resp.Status, raw)
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(raw, out)
}

// Items lists the linked items with their access tokens.
func (e *Emulator) Items() ([]plaidemu.ItemInfo, error) {
	var items []plaidemu.ItemInfo
	return items, e.admin(http.MethodGet, "/emulator/items", nil, &items)
}

// Stats returns the calls and response bytes since the last ResetStats.
func (e *Emulator) Stats() (plaidemu.Stats, error) {
	var s plaidemu.Stats
	return s, e.admin(http.MethodGet, "/emulator/stats", nil, &s)
}

// ResetStats zeroes the emulator's counters.
func (e *Emulator) ResetStats() error {
	return e.admin(http.MethodDelete, "/emulator/stats", nil, nil)
}

// AddFault injects a fault, such as latency on every endpoint.
func (e *Emulator) AddFault(f plaidemu.Fault) error {
	return e.admin(http.MethodPost, "/emulator/faults", f, nil)
}

// ClearFaults removes every fault.
func (e *Emulator) ClearFaults() error {
	return e.admin(http.MethodDelete, "/emulator/faults", nil, nil)
}

// Advance moves the bank's calendar on: new, posted and corrected
// transactions appear.
func (e *Emulator) Advance(days int) (plaidemu.AdvanceSummary, error) {
	var s plaidemu.AdvanceSummary
	return s, e.admin(http.MethodPost, "/emulator/advance", map[string]int{"days": days}, &s)
}

// Truth is the part of the emulator's ground truth the harness uses.
type Truth struct {
	Today    string `json:"today"`
	Count    int    `json:"count"`     // live transactions, pending included
	SumCents int64  `json:"sum_cents"` // their sum(amount), in cents
}

// Truth returns the emulated date, the number of live transactions and
// their sum.
func (e *Emulator) Truth() (Truth, error) {
	var t Truth
	return t, e.admin(http.MethodGet, "/emulator/ground_truth", nil, &t)
}

// tailBuffer keeps the last bytes written to it, for error messages.
type tailBuffer struct {
	mu    sync.Mutex
	limit int
	buf   []byte
}

func newTailBuffer(limit int) *tailBuffer { return &tailBuffer{limit: limit} }

func (b *tailBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf = append(b.buf, p...)
	if over := len(b.buf) - b.limit; over > 0 {
		b.buf = append(b.buf[:0], b.buf[over:]...)
	}
	return len(p), nil
}

func (b *tailBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return strings.TrimSpace(string(b.buf))
}
