package buildinfo_test

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// The three programs, built as the Makefile builds them, say which build
// they are.
func TestEveryProgramPrintsItsVersion(t *testing.T) {
	if testing.Short() {
		t.Skip("builds three programs")
	}
	dir := t.TempDir()
	build := exec.Command("go", "build", "-ldflags", "-X main.version=v1.2.3-test", "-o", dir+string(filepath.Separator),
		"./cmd/plaid-sync", "./linktool", "./cmd/plaid-emulator")
	build.Dir = filepath.Join("..", "..")
	out, err := build.CombinedOutput()
	require.NoError(t, err, "%s", out)
	for _, c := range []struct{ program, flag string }{
		{"plaid-sync", "-version"},
		{"linktool", "--version"},
		{"linktool", "-version"},
		{"plaid-emulator", "-version"},
	} {
		out, err := exec.Command(filepath.Join(dir, c.program), c.flag).CombinedOutput()
		require.NoError(t, err, "%s %s: %s", c.program, c.flag, out)
		line := strings.TrimSpace(string(out))
		require.Regexp(t, `^`+c.program+` v1\.2\.3-test \(.*go1\.\d+`, line)
		t.Logf("%s %s: %s", c.program, c.flag, line)
	}
}
