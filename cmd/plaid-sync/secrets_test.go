package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/plaid-sync/telegraf-plaid/internal/plaidemu"
	"github.com/plaid-sync/telegraf-plaid/internal/redact/hostile"
)

// A Plaid (or a proxy) that echoes every request back in its errors, in
// every style, form and cut: no part of the secret, the client id or a
// token reaches stdout (the metrics, error_message above all), stderr (the
// log at every level and the -once summary) or the state directory.
func TestHostilePlaidEchoesReachNoOutput(t *testing.T) {
	e := newEnv(t, plaidemu.Config{Seed: 36, Items: 6, HistoryDays: 10, TxPerDay: 2})
	h, err := hostile.New(e.url)
	require.NoError(t, err)
	t.Cleanup(func() { _ = h.Close() })
	ini, err := os.ReadFile(e.ini)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(e.ini, []byte(strings.Replace(string(ini), e.url, h.URL, 1)), 0o600))

	secrets := []string{testSecret, testClientID}
	for _, it := range e.emu.Items() {
		secrets = append(secrets, it.AccessToken)
	}
	echoes := hostile.Echoes(hostile.Styles...)
	h.Answer(echoes, "*")
	levels := []string{"debug", "info", "warn", "error"}
	runs := 0
	for ; len(h.Used()) < len(echoes) && runs < 40; runs++ {
		level := levels[runs%len(levels)]
		e.writeConf(t, "  log_level = \""+level+"\"\n  timeout = \"3s\"\n")
		before := len(h.Used())
		stdout, stderr, code := runOnce(t, e)
		require.Equal(t, 1, code, "every item failed")
		require.Contains(t, stdout, "plaid_item,", "the failures are reported as metrics")
		require.Contains(t, stdout, "error_message=")
		require.Contains(t, stderr, "*** Plaid error:")
		used := h.Used()[before:]
		require.NotEmpty(t, used)
		require.Empty(t, hostile.Leaks(stdout, secrets...), "stdout at %s after %v:\n%s", level, used, stdout)
		require.Empty(t, hostile.Leaks(stderr, secrets...), "stderr at %s after %v:\n%s", level, used, stderr)
	}
	require.GreaterOrEqual(t, len(h.Used()), len(echoes), "every echo was answered")

	files := 0
	require.NoError(t, filepath.WalkDir(filepath.Join(e.dir, "state"), func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		require.NoError(t, err)
		require.Empty(t, hostile.Leaks(string(data), secrets...), "state file %s", path)
		files++
		return nil
	}))
	t.Logf("%d hostile answers (%d distinct echoes) over %d runs at 4 log levels; %d state files checked",
		len(h.Used()), len(echoes), runs, files)
}

// A mistyped credential line is reported by file and line, without its
// value, whether the parser quotes the line or not.
func TestMistypedCredentialLinesAreNotEchoed(t *testing.T) {
	const (
		secret = "8c2d0e6f4a1b3c5d7e9f0a2b4c6d8e"
		token  = "access-production-8f3a1b2c-1111-4222-8333-444455556666"
	)
	for name, ini := range map[string]string{
		"secret":       "[PLAID]\nclient_id = 5f0c1d2e3a4b5c6d7e8f9a0b\nsecret " + secret + "\nenvironment = production\n",
		"access token": "[PLAID]\nclient_id = 5f0c1d2e3a4b5c6d7e8f9a0b\nsecret = " + secret + "\nenvironment = production\n\n[Bank]\naccess_token " + token + "\n",
		"client id":    "[PLAID]\nclient_id: 5f0c1d2e3a4b5c6d7e8f9a0b x\n[broken\n",
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			e := &env{dir: dir, ini: filepath.Join(dir, "plaid.ini"), conf: filepath.Join(dir, "plugin.conf")}
			require.NoError(t, os.WriteFile(e.ini, []byte(ini), 0o600))
			e.writeConf(t, "  log_level = \"debug\"\n")
			stdout, stderr, code := runOnce(t, e)
			require.Equal(t, 1, code, stderr)
			require.Contains(t, stderr, "E! ")
			require.Contains(t, stderr, "plaid.ini:", "the error names the file")
			require.Empty(t, hostile.Leaks(stdout+stderr, secret, token, "5f0c1d2e3a4b5c6d7e8f9a0b"), stderr)
		})
	}
}
