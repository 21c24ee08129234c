package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/plaid-sync/telegraf-plaid/internal/execdlog"
)

// emulatorPackage is the emulator's Go package, built for -demo when no
// plaid-emulator program is installed.
const emulatorPackage = "github.com/plaid-sync/telegraf-plaid/cmd/plaid-emulator"

// emulatorStartTimeout bounds the wait for the emulator's "listening on"
// line; a build from source (go run) comes first and is not counted.
const emulatorStartTimeout = 30 * time.Second

// demoEmulator is a plaid-emulator process serving the demo.
type demoEmulator struct {
	cmd  *exec.Cmd
	url  string
	done chan struct{}
}

// startDemoEmulator starts plaid-emulator with no items (the demo links its
// own) and waits for its address. The program is the one next to plaid-sync
// (make build puts both in bin/), else the one on PATH, else one built from
// the source tree the current directory is in (go run ./cmd/plaid-sync).
func startDemoEmulator(ctx context.Context, log *execdlog.Logger, dir string) (*demoEmulator, error) {
	bin, err := findEmulator(ctx, log, dir)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "-listen", "127.0.0.1:0", "-items", "0", "-seed", "1",
		"-history-days", "60", "-tx-per-day", "4", "-not-ready-syncs", "0",
		"-client-id", demoClientID, "-secret", demoSecret)
	cmd.Stderr = io.Discard
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("%s: %w", bin, err)
	}
	e := &demoEmulator{cmd: cmd, done: make(chan struct{})}
	urls := make(chan string, 1)
	go func() {
		defer close(e.done)
		lines := bufio.NewScanner(stdout)
		for lines.Scan() {
			if url, ok := strings.CutPrefix(lines.Text(), "listening on "); ok {
				urls <- url
			}
		}
		_ = cmd.Wait()
	}()
	select {
	case e.url = <-urls:
		return e, nil
	case <-e.done:
		return nil, fmt.Errorf("%s exited: %v", bin, cmd.ProcessState)
	case <-ctx.Done():
		e.close()
		return nil, ctx.Err()
	case <-time.After(emulatorStartTimeout):
		e.close()
		return nil, fmt.Errorf("%s did not say where it listens within %s", bin, emulatorStartTimeout)
	}
}

func findEmulator(ctx context.Context, log *execdlog.Logger, dir string) (string, error) {
	if self, err := os.Executable(); err == nil {
		sibling := filepath.Join(filepath.Dir(self), "plaid-emulator")
		if info, err := os.Stat(sibling); err == nil && info.Mode().IsRegular() {
			return sibling, nil
		}
	}
	if path, err := exec.LookPath("plaid-emulator"); err == nil {
		return path, nil
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		return "", errors.New("no plaid-emulator next to plaid-sync or on PATH, and no go command to build it: run make build, or go run ./cmd/plaid-sync -demo in the source tree")
	}
	log.Infof("demo: building the Plaid emulator (go build %s)", emulatorPackage)
	bin := filepath.Join(dir, "plaid-emulator")
	build := exec.CommandContext(ctx, goBin, "build", "-o", bin, emulatorPackage)
	if out, err := build.CombinedOutput(); err != nil {
		return "", fmt.Errorf("building the emulator (run this in the telegraf-plaid source tree, or make build first): %v\n%s", err, bytes.TrimSpace(out))
	}
	return bin, nil
}

// advanceSummary is what /emulator/advance answers.
type advanceSummary struct {
	Today    string `json:"today"`
	Added    int    `json:"added"`
	Posted   int    `json:"posted"`
	Modified int    `json:"modified"`
	Removed  int    `json:"removed"`
}

// advance moves the emulated bank on by days through its control endpoint.
func (e *demoEmulator) advance(ctx context.Context, days int) (advanceSummary, error) {
	var sum advanceSummary
	body, _ := json.Marshal(map[string]int{"days": days})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.url+"/emulator/advance", bytes.NewReader(body))
	if err != nil {
		return sum, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return sum, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<10))
		return sum, fmt.Errorf("%s: %s", resp.Status, bytes.TrimSpace(msg))
	}
	return sum, json.NewDecoder(resp.Body).Decode(&sum)
}

// close stops the emulator: SIGTERM, then SIGKILL after 5 seconds.
func (e *demoEmulator) close() {
	_ = e.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-e.done:
	case <-time.After(5 * time.Second):
		_ = e.cmd.Process.Kill()
		<-e.done
	}
}
