package bench

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/plaid-sync/telegraf-plaid/internal/plaidemu"
)

// PluginConfig holds the plugin.conf options a scenario sets; empty values
// keep the plugin's defaults.
type PluginConfig struct {
	Balances           string // "cached", "realtime" or "off"
	BalanceInterval    string
	ItemStatusInterval string
	MaxConcurrency     int
	Timeout            string
}

// Workspace is a plugin's files: accounts_file, plugin.conf and state_dir.
type Workspace struct {
	Dir          string
	AccountsFile string
	ConfigFile   string
	StateDir     string
	baseURL      string
}

// NewWorkspace writes the INI file with items, as linktool would, and a
// plugin.conf in dir.
func NewWorkspace(dir, baseURL string, items []plaidemu.ItemInfo, cfg PluginConfig) (*Workspace, error) {
	ws := &Workspace{
		Dir:          dir,
		AccountsFile: filepath.Join(dir, "plaid.ini"),
		ConfigFile:   filepath.Join(dir, "plugin.conf"),
		StateDir:     filepath.Join(dir, "state"),
		baseURL:      baseURL,
	}
	if err := ws.WriteAccounts(items); err != nil {
		return nil, err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "[[inputs.plaid]]\n  accounts_file = %q\n  state_dir = %q\n  timezone = \"UTC\"\n", ws.AccountsFile, ws.StateDir)
	for _, opt := range []struct{ key, value string }{
		{"balances", quoted(cfg.Balances)},
		{"balance_interval", quoted(cfg.BalanceInterval)},
		{"item_status_interval", quoted(cfg.ItemStatusInterval)},
		{"max_concurrency", positive(cfg.MaxConcurrency)},
		{"timeout", quoted(cfg.Timeout)},
	} {
		if opt.value != "" {
			fmt.Fprintf(&b, "  %s = %s\n", opt.key, opt.value)
		}
	}
	return ws, os.WriteFile(ws.ConfigFile, []byte(b.String()), 0o600)
}

func quoted(s string) string {
	if s == "" {
		return ""
	}
	return strconv.Quote(s)
}

func positive(n int) string {
	if n <= 0 {
		return ""
	}
	return strconv.Itoa(n)
}

// WriteAccounts replaces the INI file atomically with [PLAID] and one
// section per item.
func (ws *Workspace) WriteAccounts(items []plaidemu.ItemInfo) error {
	var b strings.Builder
	fmt.Fprintf(&b, "[PLAID]\nclient_id = %s\nsecret = %s\nenvironment = sandbox\nbase_url = %s\n", ClientID, Secret, ws.baseURL)
	for _, it := range items {
		fmt.Fprintf(&b, "\n[%s]\naccess_token = %s\n", it.Name, it.AccessToken)
	}
	tmp := ws.AccountsFile + ".tmp"
	if err := os.WriteFile(tmp, []byte(b.String()), 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, ws.AccountsFile)
}

// ResetState removes the state store: the next process backfills anew.
func (ws *Workspace) ResetState() error { return os.RemoveAll(ws.StateDir) }

// Usage is what the kernel accounted to a finished process.
type Usage struct {
	User, System time.Duration
	MaxRSS       int64 // bytes
	Wall         time.Duration
}

// CPU is user plus system time.
func (u Usage) CPU() time.Duration { return u.User + u.System }

func usageOf(ps *os.ProcessState, wall time.Duration) Usage {
	u := Usage{User: ps.UserTime(), System: ps.SystemTime(), Wall: wall}
	if ru, ok := ps.SysUsage().(*syscall.Rusage); ok {
		u.MaxRSS = int64(ru.Maxrss) * 1024 // Linux reports KiB
	}
	return u
}

// processDeadline bounds any one plaid-sync process of the harness.
const processDeadline = 45 * time.Minute

// SyncProcess is plaid-sync running as Telegraf's execd input runs it
// (signal = "STDIN"): a newline per gather, line protocol on stdout, which
// is read as it comes so that the plugin never waits on the pipe.
type SyncProcess struct {
	cmd     *exec.Cmd
	cancel  context.CancelFunc
	stdin   io.WriteCloser
	stderr  *tailBuffer
	started time.Time
	items   chan string // plaid_item lines, one per item per gather
	done    chan struct{}
	waitErr error // the exit, once done is closed

	mu        sync.Mutex
	lines     map[string]int       // lines per measurement
	firstSeen map[string]time.Time // item + " " + measurement -> first line
	tee       io.Writer            // gets every line, when set
}

// StartSync starts bin (plaid-sync) on the workspace's plugin.conf.
func StartSync(bin string, ws *Workspace, extraArgs ...string) (*SyncProcess, error) {
	ctx, cancel := context.WithTimeout(rootContext, processDeadline)
	args := append([]string{"-config", ws.ConfigFile, "-poll_interval_disabled", "-gather_at_start=false"}, extraArgs...)
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = ws.Dir
	dieWithParent(cmd)
	p := &SyncProcess{
		cmd: cmd, cancel: cancel, stderr: newTailBuffer(32 << 10),
		items: make(chan string, 4096), done: make(chan struct{}),
		lines: map[string]int{}, firstSeen: map[string]time.Time{},
	}
	cmd.Stderr = p.stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		cancel()
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		cancel()
		return nil, err
	}
	p.stdin = stdin
	p.started = time.Now()
	if err := startChild(cmd); err != nil {
		cancel()
		return nil, fmt.Errorf("starting %s: %w", bin, err)
	}
	go p.read(stdout)
	return p, nil
}

// read counts stdout's lines until the process closes it, then reaps the
// process.
func (p *SyncProcess) read(stdout io.Reader) {
	defer close(p.done)
	defer func() { p.waitErr = waitChild(p.cmd) }()
	sc := bufio.NewScanner(stdout)
	sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
	for sc.Scan() {
		line := sc.Bytes()
		measurement, item := measurementAndItem(line)
		key := item + " " + measurement
		p.mu.Lock()
		p.lines[measurement]++
		if _, seen := p.firstSeen[key]; !seen {
			p.firstSeen[key] = time.Now()
		}
		if p.tee != nil {
			_, _ = p.tee.Write(line)
			_, _ = p.tee.Write([]byte{'\n'})
		}
		p.mu.Unlock()
		if measurement == "plaid_item" {
			select {
			case p.items <- string(line):
			default:
				// Nobody is waiting for gathers: never block the plugin's stdout.
			}
		}
	}
	_, _ = io.Copy(io.Discard, stdout)
}

// Tee copies every line the process writes from now on to w, which is
// written to while the process runs: read it after Stop.
func (p *SyncProcess) Tee(w io.Writer) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.tee = w
}

// PID is the process id.
func (p *SyncProcess) PID() int { return p.cmd.Process.Pid }

// Gather is what one gather wrote.
type Gather struct {
	Wall      time.Duration  // from the newline to the last item's plaid_item line
	ItemLines []string       // the plaid_item lines
	Lines     map[string]int // lines per measurement
}

// Gather writes one newline and waits until every one of items has written
// its plaid_item line.
func (p *SyncProcess) Gather(items int, timeout time.Duration) (Gather, error) {
	before := p.lineCounts()
	start := time.Now()
	if _, err := p.stdin.Write([]byte("\n")); err != nil {
		return Gather{}, fmt.Errorf("writing to plaid-sync's stdin: %w (stderr: %s)", err, p.stderr.String())
	}
	g := Gather{Lines: map[string]int{}}
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for len(g.ItemLines) < items {
		select {
		case line := <-p.items:
			g.ItemLines = append(g.ItemLines, line)
		case <-p.done:
			return g, fmt.Errorf("plaid-sync exited during a gather: %s", p.stderr.String())
		case <-deadline.C:
			return g, fmt.Errorf("gather did not finish within %s (%d of %d items); stderr: %s", timeout, len(g.ItemLines), items, p.stderr.String())
		}
	}
	g.Wall = time.Since(start)
	for m, n := range p.lineCounts() {
		if d := n - before[m]; d > 0 {
			g.Lines[m] = d
		}
	}
	return g, nil
}

func (p *SyncProcess) lineCounts() map[string]int {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make(map[string]int, len(p.lines))
	for k, v := range p.lines {
		out[k] = v
	}
	return out
}

// FirstSeen is when the first line of measurement for item was read.
func (p *SyncProcess) FirstSeen(item, measurement string) (time.Time, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	t, ok := p.firstSeen[item+" "+measurement]
	return t, ok
}

// RSS is the process's resident set size now, from /proc.
func (p *SyncProcess) RSS() (int64, error) {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.PID()))
	if err != nil {
		return 0, err
	}
	for line := range strings.SplitSeq(string(raw), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kib, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kib * 1024, err
		}
	}
	return 0, fmt.Errorf("no VmRSS in /proc/%d/status", p.PID())
}

// Stop closes stdin, as Telegraf does on shutdown, and waits for the exit.
func (p *SyncProcess) Stop() (Usage, error) {
	defer p.cancel()
	_ = p.stdin.Close()
	select {
	case <-p.done:
	case <-time.After(time.Minute):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
	wall := time.Since(p.started)
	if err := p.waitErr; err != nil {
		return Usage{}, fmt.Errorf("plaid-sync: %w; stderr: %s", err, p.stderr.String())
	}
	return usageOf(p.cmd.ProcessState, wall), nil
}

// Kill ends the process at once, for cleanup after a failure.
func (p *SyncProcess) Kill() {
	_ = p.cmd.Process.Kill()
	<-p.done
	p.cancel()
}

// RunOnce runs plaid-sync -once and counts the lines it writes.
func RunOnce(bin string, ws *Workspace, extraArgs ...string) (Usage, map[string]int, error) {
	ctx, cancel := context.WithTimeout(rootContext, processDeadline)
	defer cancel()
	args := append([]string{"-config", ws.ConfigFile, "-once"}, extraArgs...)
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = ws.Dir
	dieWithParent(cmd)
	counter := &lineCounter{counts: map[string]int{}}
	stderr := newTailBuffer(32 << 10)
	cmd.Stdout, cmd.Stderr = counter, stderr
	start := time.Now()
	err := startChild(cmd)
	if err == nil {
		err = waitChild(cmd)
	}
	if err != nil {
		return Usage{}, nil, fmt.Errorf("plaid-sync -once: %w; stderr: %s", err, stderr.String())
	}
	return usageOf(cmd.ProcessState, time.Since(start)), counter.counts, nil
}

// lineCounter counts line-protocol lines per measurement.
type lineCounter struct {
	partial []byte
	counts  map[string]int
}

func (c *lineCounter) Write(b []byte) (int, error) {
	n := len(b)
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			c.partial = append(c.partial, b...)
			break
		}
		line := b[:i]
		if len(c.partial) > 0 {
			line = append(c.partial, line...)
			c.partial = c.partial[:0]
		}
		m, _ := measurementAndItem(line)
		c.counts[m]++
		b = b[i+1:]
	}
	return n, nil
}

// measurementAndItem reads the measurement and the item tag of a line.
func measurementAndItem(line []byte) (measurement, item string) {
	end := bytes.IndexAny(line, ", ")
	if end < 0 {
		return string(line), ""
	}
	measurement = string(line[:end])
	i := bytes.Index(line, []byte(",item="))
	if i < 0 {
		return measurement, ""
	}
	var b []byte
	for j := i + len(",item="); j < len(line); j++ {
		c := line[j]
		if c == '\\' && j+1 < len(line) {
			j++
			b = append(b, line[j])
			continue
		}
		if c == ',' || c == ' ' {
			break
		}
		b = append(b, c)
	}
	return measurement, string(b)
}

// intField reads an integer field (name=12i) of a line-protocol line.
func intField(line, name string) (int64, bool) {
	fields, ok := fieldSet(line)
	if !ok {
		return 0, false
	}
	for _, prefix := range []string{name + "=", "," + name + "="} {
		i := strings.Index(fields, prefix)
		if i < 0 || (prefix[0] != ',' && i != 0) {
			continue
		}
		rest := fields[i+len(prefix):]
		end := strings.IndexAny(rest, "i, ")
		if end < 0 {
			end = len(rest)
		}
		v, err := strconv.ParseInt(rest[:end], 10, 64)
		return v, err == nil
	}
	return 0, false
}

// fieldSet is the part of a line after the measurement and tags, which end
// at the first space that is not escaped.
func fieldSet(line string) (string, bool) {
	for i := 0; i < len(line); i++ {
		switch line[i] {
		case '\\':
			i++
		case ' ':
			return line[i+1:], true
		}
	}
	return "", false
}

// MemorySample splits resident memory, from /proc/PID/smaps, into
// anonymous memory (Go heap, stacks, runtime), the state store's memory map
// and the rest (mostly the binary's own pages).
type MemorySample struct {
	RSS, Anon, Store int64 // bytes
}

// storeFileSuffix names the state store's file in /proc/PID/smaps.
const storeFileSuffix = "/plaid-state.db"

func (p *SyncProcess) memorySample() (MemorySample, error) {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/smaps", p.PID()))
	if err != nil {
		return MemorySample{}, err
	}
	var s MemorySample
	inStore := false
	for line := range strings.SplitSeq(string(raw), "\n") {
		name, rest, ok := strings.Cut(line, ":")
		if !ok || strings.Contains(name, " ") || strings.Contains(name, "-") {
			// A mapping's header: "start-end perms offset dev inode path".
			inStore = strings.HasSuffix(strings.TrimSpace(line), storeFileSuffix)
			continue
		}
		kib, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
		if err != nil {
			continue
		}
		switch name {
		case "Rss":
			s.RSS += kib * 1024
			if inStore {
				s.Store += kib * 1024
			}
		case "Anonymous":
			s.Anon += kib * 1024
		}
	}
	return s, nil
}

// SampleMemory polls the process's memory every interval until the returned
// function is called, which gives the sample with the largest RSS.
func (p *SyncProcess) SampleMemory(interval time.Duration) func() MemorySample {
	stop := make(chan struct{})
	result := make(chan MemorySample, 1)
	go func() {
		var peak MemorySample
		tick := time.NewTicker(interval)
		defer tick.Stop()
		for {
			if s, err := p.memorySample(); err == nil && s.RSS > peak.RSS {
				peak = s
			}
			select {
			case <-stop:
				result <- peak
				return
			case <-tick.C:
			}
		}
	}()
	return func() MemorySample {
		close(stop)
		return <-result
	}
}
