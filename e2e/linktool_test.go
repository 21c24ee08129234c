//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"os/exec"
	"regexp"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/plaid-sync/telegraf-plaid/internal/plaidemu"
)

type cmdResult struct {
	code           int
	stdout, stderr string
}

// runLinktool runs linktool to completion (at most a minute).
func runLinktool(t *testing.T, args ...string) cmdResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	res := cmdResult{stdout: stdout.String(), stderr: stderr.String()}
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		res.code = exit.ExitCode()
	case err != nil:
		t.Fatalf("running %v: %v", args, err)
	}
	return res
}

// lockedBuffer collects a process's output while the test reads it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

var hostedURLRe = regexp.MustCompile(`(http://\S+/link/hosted/(\S+))\n`)

// repairWithHostedLink runs a repair command line as a user would type it,
// finds the Hosted Link URL it prints, completes that Link session at the
// emulator as the user would in the browser (user_good / pass_good), and
// returns linktool's output once it has exited with success.
func (p *pipeline) repairWithHostedLink(commandLine string) string {
	p.t.Helper()
	var out lockedBuffer
	cmd := exec.Command("/bin/sh", "-c", commandLine)
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		p.t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	defer func() {
		// Whatever happened, leave nothing running.
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		select {
		case <-done:
		case <-time.After(10 * time.Second):
		}
	}()

	var hostedID string
	err := waitFor(30*time.Second, 100*time.Millisecond, func() (bool, error) {
		if m := hostedURLRe.FindStringSubmatch(out.String()); m != nil {
			hostedID = m[2]
			return true, nil
		}
		return false, nil
	})
	if err != nil {
		p.t.Fatalf("linktool printed no Hosted Link URL: %v\n%s", err, out.String())
	}
	linkToken := p.hostedLinkToken(hostedID)
	if _, err := p.emu.CompleteLink(linkToken, "", "user_good", plaidemu.GoodPassword); err != nil {
		p.t.Fatalf("completing the Link session: %v", err)
	}
	select {
	case err := <-done:
		done <- err // for the deferred cleanup
		if err != nil {
			p.t.Fatalf("%s: %v\n%s", commandLine, err, out.String())
		}
	case <-time.After(time.Minute):
		p.t.Fatalf("%s did not finish within a minute:\n%s", commandLine, out.String())
	}
	return out.String()
}

// hostedLinkToken asks the emulator's Link page which link token a Hosted
// Link id stands for, as the page itself does when the user opens it.
func (p *pipeline) hostedLinkToken(hostedID string) string {
	p.t.Helper()
	resp, err := http.Get(p.emuURL + "/link/emulator/session?hosted=" + url.QueryEscape(hostedID))
	if err != nil {
		p.t.Fatal(err)
	}
	defer resp.Body.Close()
	var s struct {
		LinkToken string `json:"link_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&s); err != nil || resp.StatusCode != http.StatusOK || s.LinkToken == "" {
		p.t.Fatalf("the emulator's Link page does not know the Hosted Link session %q: %s %v", hostedID, resp.Status, err)
	}
	return s.LinkToken
}
