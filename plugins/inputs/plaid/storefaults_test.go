package plaid

import (
	"bytes"
	"crypto/rand"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/influxdata/telegraf/testutil"
	"github.com/stretchr/testify/require"

	"github.com/plaid-sync/telegraf-plaid/internal/plaidemu"
)

// A damaged or lost state store, followed by a day of changes at the bank
// that includes removals and modifications: the plugin never panics, says
// what happened, moves the file aside, and InfluxDB ends up equal to the
// bank, with nothing lost and nothing counted twice.
func TestDamagedStateStoreRecovers(t *testing.T) {
	const pageSize = 4096
	damage := map[string]func(t *testing.T, path string){
		"deleted":          func(t *testing.T, path string) { require.NoError(t, os.Remove(path)) },
		"truncated to 0":   func(t *testing.T, path string) { require.NoError(t, os.Truncate(path, 0)) },
		"truncated midway": func(t *testing.T, path string) { require.NoError(t, os.Truncate(path, fileSize(t, path)/2)) },
		"random bytes over the pages holding a transaction": func(t *testing.T, path string) {
			raw, err := os.ReadFile(path)
			require.NoError(t, err)
			// A transaction id of the emulator's, in the index and in a point.
			id := regexp.MustCompile(`[0-9A-Za-z]{37}`).Find(raw[2*pageSize:])
			require.NotNil(t, id)
			hit := 0
			for off := bytes.Index(raw, id); off >= 0; {
				page := int64(off) / pageSize
				overwrite(t, path, page*pageSize, pageSize)
				hit++
				next := bytes.Index(raw[(page+1)*pageSize:], id)
				if next < 0 {
					break
				}
				off = int((page+1)*pageSize) + next
			}
			t.Logf("overwrote %d pages holding %s", hit, id)
		},
		"both meta pages overwritten": func(t *testing.T, path string) {
			overwrite(t, path, 0, 2*pageSize)
		},
	}
	for name, harm := range damage {
		t.Run(name, func(t *testing.T) {
			h := newHarness(t, plaidemu.Config{Seed: 41, Items: 2, HistoryDays: 60, TxPerDay: 4})
			state := filepath.Join(h.dir, "state")
			view := newInfluxView()
			run := func(log *testutil.CaptureLogger) {
				p := newPlugin(h.ini, state, log)
				require.NoError(t, p.Init())
				d := newDelivery()
				view.add(d.gather(t, p)...)
				p.Stop()
			}
			run(&testutil.CaptureLogger{}) // the backfill; its close leaves a snapshot
			advance(t, h, 1)
			run(&testutil.CaptureLogger{})
			requireMatchesTruth(t, view, h.emu.GroundTruth())

			harm(t, filepath.Join(state, "plaid-state.db"))
			sum := advance(t, h, 2)
			log := &testutil.CaptureLogger{}
			run(log)

			warnings := strings.Join(log.Warnings(), "\n")
			require.Contains(t, warnings, "snapshot")
			require.Contains(t, warnings, "nothing is lost or counted twice")
			require.Empty(t, log.Errors())
			if name != "deleted" {
				aside, err := filepath.Glob(filepath.Join(state, "plaid-state.db.*-*"))
				require.NoError(t, err)
				require.Len(t, aside, 1, "the damaged file is kept for inspection")
			}
			requireMatchesTruth(t, view, h.emu.GroundTruth())
			t.Logf("%s: recovered; the bank then added %d, modified %d, removed %d, dropped %d; InfluxDB equals the bank: 0 lost, 0 doubled",
				name, sum.Added, sum.Modified, sum.Removed, sum.Dropped)
		})
	}
}

// With no snapshot to restore, the loss is an error that says what to do.
func TestLostStateStoreWithoutSnapshotSaysHowToRepair(t *testing.T) {
	h := newHarness(t, plaidemu.Config{Seed: 42, Items: 1, HistoryDays: 20, TxPerDay: 3})
	state := filepath.Join(h.dir, "state")
	p := h.plugin(func(p *Plaid) { p.StateDir = state })
	newDelivery().gather(t, p)
	p.Stop()
	require.NoError(t, os.Remove(filepath.Join(state, "plaid-state.db")))
	require.NoError(t, os.Remove(filepath.Join(state, "plaid-state.snapshot")))

	log := &testutil.CaptureLogger{}
	p = newPlugin(h.ini, state, log)
	require.NoError(t, p.Init())
	defer p.Stop()
	errs := strings.Join(log.Errors(), "\n")
	require.Contains(t, errs, "was missing")
	require.Contains(t, errs, "no snapshot could restore it")
	require.Contains(t, errs, "-verify -repair")
}

// A state store that cannot be written stops Init with a message that says
// what to fix, and moves nothing; once writable, the next start catches up.
func TestReadOnlyStateStore(t *testing.T) {
	h := newHarness(t, plaidemu.Config{Seed: 43, Items: 1, HistoryDays: 20, TxPerDay: 3})
	state := filepath.Join(h.dir, "state")
	view := newInfluxView()
	p := h.plugin(func(p *Plaid) { p.StateDir = state })
	view.add(newDelivery().gather(t, p)...)
	p.Stop()

	restore := makeReadOnly(t, state)
	advance(t, h, 1)
	p = newPlugin(h.ini, state, testutil.Logger{Quiet: true})
	err := p.Init()
	require.Error(t, err)
	require.Contains(t, err.Error(), "cannot be written")
	require.Contains(t, err.Error(), "write access to state_dir")
	restore()
	aside, _ := filepath.Glob(filepath.Join(state, "plaid-state.db.*"))
	require.Empty(t, aside, "nothing is moved aside for a permission problem")

	p = h.plugin(func(p *Plaid) { p.StateDir = state })
	view.add(newDelivery().gather(t, p)...)
	requireMatchesTruth(t, view, h.emu.GroundTruth())
}

// A full disk fails the sync with a clear error and loses nothing: once
// there is room again the next gather catches up exactly.
func TestFullDiskLosesNothing(t *testing.T) {
	requireRoot(t)
	h := newHarness(t, plaidemu.Config{Seed: 44, Items: 1, HistoryDays: 90, TxPerDay: 4})
	state := filepath.Join(h.dir, "state")
	require.NoError(t, os.MkdirAll(state, 0o700))
	mount(t, "-t", "tmpfs", "-o", "size=4m", "tmpfs", state)
	view := newInfluxView()
	p := h.plugin(func(p *Plaid) { p.StateDir = state })
	d := newDelivery()
	view.add(d.gather(t, p)...)

	filler := filepath.Join(state, "filler")
	fill(t, filler)
	sum := advance(t, h, 3)
	metrics := d.gather(t, p)
	view.add(metrics...)
	var status, message string
	for _, m := range metrics {
		if m.Name() == measurementItem {
			status = m.Fields()["status"].(string)
			message = m.Fields()["error_message"].(string)
		}
	}
	require.NotEqual(t, statusOK, status)
	require.Contains(t, message, "no space left on device")

	require.NoError(t, os.Remove(filler))
	view.add(d.gather(t, p)...)
	requireMatchesTruth(t, view, h.emu.GroundTruth())
	t.Logf("full disk: the sync failed with %q, then caught up with %d added, %d modified, %d removed: 0 lost, 0 doubled", status, sum.Added, sum.Modified, sum.Removed)
}

func advance(t *testing.T, h *harness, days int) plaidemu.AdvanceSummary {
	t.Helper()
	sum, err := h.emu.Advance(days)
	require.NoError(t, err)
	return sum
}

func fileSize(t *testing.T, path string) int64 {
	t.Helper()
	info, err := os.Stat(path)
	require.NoError(t, err)
	return info.Size()
}

func overwrite(t *testing.T, path string, offset, n int64) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	require.NoError(t, err)
	junk := make([]byte, n)
	_, _ = rand.Read(junk)
	_, err = f.WriteAt(junk, offset)
	require.NoError(t, err)
	require.NoError(t, f.Close())
}

func requireRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Fatal("this test mounts a small tmpfs and must run as root (as CI does)")
	}
}

func mount(t *testing.T, args ...string) {
	t.Helper()
	out, err := exec.Command("mount", args...).CombinedOutput()
	require.NoError(t, err, "mount %v: %s", args, out)
	target := args[len(args)-1]
	t.Cleanup(func() { _ = exec.Command("umount", "-l", target).Run() })
}

// makeReadOnly makes dir read-only for this process, also as root (a
// read-only bind mount), and returns what undoes it.
func makeReadOnly(t *testing.T, dir string) func() {
	t.Helper()
	if os.Geteuid() != 0 {
		require.NoError(t, os.Chmod(filepath.Join(dir, "plaid-state.db"), 0o400))
		require.NoError(t, os.Chmod(dir, 0o500))
		return func() {
			_ = os.Chmod(dir, 0o700)
			_ = os.Chmod(filepath.Join(dir, "plaid-state.db"), 0o600)
		}
	}
	mount(t, "--bind", dir, dir)
	out, err := exec.Command("mount", "-o", "remount,bind,ro", dir).CombinedOutput()
	require.NoError(t, err, "%s", out)
	return func() { require.NoError(t, exec.Command("umount", dir).Run()) }
}

// fill takes every free byte of the file system that holds path.
func fill(t *testing.T, path string) {
	t.Helper()
	f, err := os.Create(path)
	require.NoError(t, err)
	defer f.Close()
	chunk := make([]byte, 64<<10)
	for i := 0; i < 1<<14; i++ {
		if _, err := f.Write(chunk); err != nil {
			require.ErrorContains(t, err, "no space left on device")
			return
		}
	}
	t.Fatalf("%s never filled up", path)
}
