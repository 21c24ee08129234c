package main

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/plaid-sync/telegraf-plaid/plugins/inputs/plaid"
)

func writeFile(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "plugin.conf")
	require.NoError(t, os.WriteFile(path, []byte(content), 0o600))
	return path
}

func TestLoadConfigRejectsWhatItDoesNotKnow(t *testing.T) {
	cases := []struct {
		name    string
		content string
		want    string
	}{
		{"typo", "[[inputs.plaid]]\n  accounts_file = \"a.ini\"\n  timout = \"5m\"\n", `configuration specified the fields ["timout"], but they were not used`},
		{"wrong type", "[[inputs.plaid]]\n  max_concurrency = \"four\"\n", "line 2: (plaid.Plaid.MaxConcurrency) cannot unmarshal TOML string into int"},
		{"bad duration", "[[inputs.plaid]]\n  timeout = \"soon\"\n", "soon"},
		{"an output", "[[outputs.file]]\n[[inputs.plaid]]\n  accounts_file = \"a.ini\"\n", "output"},
		{"two plugins", "[[inputs.plaid]]\n[[inputs.plaid]]\n", "exactly one [[inputs.plaid]] table, found 2"},
		{"no plugin", "# nothing\n", "exactly one [[inputs.plaid]] table, found 0"},
		{"syntax", "[[inputs.plaid]]\n  accounts_file = \"a.ini\n", "invalid TOML syntax"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := loadConfig(writeFile(t, tc.content))
			require.Error(t, err)
			require.Contains(t, err.Error(), tc.want)
		})
	}
}

// Environment variables behave as in telegraf.conf, since Telegraf's own
// loader reads the file: $NAME and ${NAME} in values, ${NAME:-default},
// $$ for a literal dollar, nothing in comments, and an unset variable left
// as it is.
func TestEnvironmentVariablesExpandAsInTelegraf(t *testing.T) {
	t.Setenv("PLAID_TEST_SECRET", "0123456789abcdef")
	t.Setenv("PLAID_TEST_DIR", "/var/lib/plaid")
	cases := []struct {
		name  string
		line  string
		field func(p *plaid.Plaid) string
		want  string
	}{
		{"braced", `state_dir = "${PLAID_TEST_DIR}/state"`, stateDir, "/var/lib/plaid/state"},
		{"bare", `state_dir = "$PLAID_TEST_DIR"`, stateDir, "/var/lib/plaid"},
		{"default when unset", `state_dir = "${PLAID_TEST_UNSET:-/srv/plaid}"`, stateDir, "/srv/plaid"},
		{"unset stays as written", `state_dir = "${PLAID_TEST_UNSET}"`, stateDir, "${PLAID_TEST_UNSET}"},
		{"literal dollar", `state_dir = "/srv/$$money"`, stateDir, "/srv/$money"},
		{"a variable in a trailing comment", `state_dir = "/srv/plaid" # was $PLAID_TEST_UNSET`, stateDir, "/srv/plaid"},
		{"single quotes keep backslashes", `state_dir = 'C:\plaid\state'`, stateDir, `C:\plaid\state`},
		{"a secret", `secret = "${PLAID_TEST_SECRET}"`, secret(t), "0123456789abcdef"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, _, err := loadConfig(writeFile(t, "[[inputs.plaid]]\n  accounts_file = \"a.ini\"\n  # secret = \"${PLAID_TEST_UNSET}\"\n  "+tc.line+"\n"))
			require.NoError(t, err)
			require.Equal(t, tc.want, tc.field(p))
		})
	}
}

// As in telegraf.conf, a value is put in as it is: a quote in it ends the
// string, and the file no longer parses.
func TestAQuoteInAnEnvironmentVariableBreaksTheFileAsInTelegraf(t *testing.T) {
	t.Setenv("PLAID_TEST_QUOTED", `a"b`)
	_, _, err := loadConfig(writeFile(t, "[[inputs.plaid]]\n  accounts_file = \"a.ini\"\n  secret = \"${PLAID_TEST_QUOTED}\"\n"))
	require.ErrorContains(t, err, "invalid TOML syntax")
}

func stateDir(p *plaid.Plaid) string { return p.StateDir }

func secret(t *testing.T) func(p *plaid.Plaid) string {
	return func(p *plaid.Plaid) string {
		buf, err := p.Secret.Get()
		require.NoError(t, err)
		defer buf.Destroy()
		return buf.String()
	}
}

func TestLoadConfigReadsEveryOption(t *testing.T) {
	p, level, err := loadConfig(writeFile(t, `
[[inputs.plaid]]
  accounts_file = "/etc/telegraf/plaid.ini"
  state_dir = "/var/lib/telegraf/plaid"
  client_id = "id"
  environment = "production"
  base_url = "http://127.0.0.1:4580"
  balances = "realtime"
  balance_interval = "12h"
  item_status_interval = "2h"
  timezone = "Europe/Paris"
  days_requested = 365
  max_concurrency = 8
  timeout = "10m"
  request_timeout = "30s"
  replay_interval = "6h"
  replay_window = "14d"
  linktool = "/usr/local/bin/linktool"
  log_level = "debug"
`))
	require.NoError(t, err)
	require.Equal(t, "/etc/telegraf/plaid.ini", p.AccountsFile)
	require.Equal(t, "realtime", p.Balances)
	require.Equal(t, 12*time.Hour, time.Duration(p.BalanceInterval))
	require.Equal(t, 14*24*time.Hour, time.Duration(p.ReplayWindow))
	require.Equal(t, 365, p.DaysRequested)
	require.Equal(t, "debug", level)
}

// Defaults come from the plugin's factory, so an explicit zero stays zero:
// replay_window = "0s" turns the replay off.
func TestDefaultsAndExplicitZeros(t *testing.T) {
	p, _, err := loadConfig(writeFile(t, "[[inputs.plaid]]\n  accounts_file = \"a.ini\"\n"))
	require.NoError(t, err)
	require.Equal(t, 30*24*time.Hour, time.Duration(p.ReplayWindow))
	require.Equal(t, 5*time.Minute, time.Duration(p.Timeout))
	require.Equal(t, 4, p.MaxConcurrency)
	p, _, err = loadConfig(writeFile(t, "[[inputs.plaid]]\n  accounts_file = \"a.ini\"\n  replay_window = \"0s\"\n  balance_interval = \"0s\"\n"))
	require.NoError(t, err)
	require.Zero(t, p.ReplayWindow)
	require.Zero(t, p.BalanceInterval)
}

// The shipped configs are what users start from: they must load as they are.
func TestShippedConfigsLoad(t *testing.T) {
	for _, path := range []string{"../../plugin.conf", "../../plugins/inputs/plaid/sample.conf"} {
		p, _, err := loadConfig(path)
		require.NoError(t, err, path)
		require.NotEmpty(t, p.AccountsFile, path)
	}
	shipped, err := os.ReadFile("../../plugin.conf")
	require.NoError(t, err)
	embedded, err := os.ReadFile("../../plugins/inputs/plaid/sample.conf")
	require.NoError(t, err)
	require.Equal(t, string(embedded), string(shipped), "plugin.conf and the plugin's sample.conf document the same options")
}
