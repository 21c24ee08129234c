package main

import (
	"bytes"
	"context"
	"errors"
	"os/exec"
	"path/filepath"
	"regexp"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// buildLinktool compiles the command as users get it.
func buildLinktool(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "linktool")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, "go", "build", "-o", bin, ".").CombinedOutput()
	require.NoError(t, err, string(out))
	return bin
}

func exitCode(t *testing.T, err error) int {
	t.Helper()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	require.NoError(t, err)
	return 0
}

func TestBinary(t *testing.T) {
	bin := buildLinktool(t)
	emu, url := startEmulator(t, -1)
	path, original := writeINI(t, t.TempDir(), url)

	run := func(args ...string) (int, string, string) {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, bin, args...)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		return exitCode(t, err), stdout.String(), stderr.String()
	}

	code, stdout, stderr := run("-c", path, "-sandbox-link", "Process Bank")
	require.Equal(t, exitOK, code, stderr)
	require.Contains(t, stdout, "Process Bank is linked and is ready to sync.\n")
	requireSaved(t, result{stdout: stdout}, path, original)
	_, ok := emuItem(t, emu, savedToken(t, path, "Process Bank"))
	require.True(t, ok)

	code, stdout, _ = run("-c", path, "--status")
	require.Equal(t, exitOK, code)
	require.Regexp(t, `^Process Bank: First Platypus Bank, \d+ accounts?, `, stdout)

	code, _, stderr = run("--link")
	require.Equal(t, exitUsage, code)
	require.Contains(t, stderr, "Run linktool -h for help.")

	// Ctrl-C while waiting for the browser.
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "-c", path, "--link", "Signal Bank", "--listen", "127.0.0.1:0")
	var out syncBuffer
	var errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	require.NoError(t, cmd.Start())
	out.waitFor(t, regexp.MustCompile(`Waiting for the browser`), 20*time.Second)
	require.NoError(t, cmd.Process.Signal(syscall.SIGINT))
	require.Equal(t, exitInterrupted, exitCode(t, cmd.Wait()))
	require.Contains(t, errOut.String(), "Interrupted. "+path+" was not changed. To try again, run:\n    linktool -c "+path+" --link 'Signal Bank' --listen 127.0.0.1:0\n")
}
