package main

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func writeFile(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "plugin.conf")
	require.NoError(t, os.WriteFile(path, []byte(content), 0o600))
	return path
}

func TestLoadConfigRejectsWhatItDoesNotKnow(t *testing.T) {
	t.Setenv("PLAID_TEST_SECRET", `s3cr"et\x`)
	cases := []struct {
		name    string
		content string
		want    string
	}{
		{"typo", "[[inputs.plaid]]\n  accounts_file = \"a.ini\"\n  timout = \"5m\"\n", `unknown keys (check their spelling against the documented options): inputs.plaid.timout`},
		{"wrong type", "[[inputs.plaid]]\n  max_concurrency = \"four\"\n", "max_concurrency"},
		{"bad duration", "[[inputs.plaid]]\n  timeout = \"soon\"\n", "soon"},
		{"other table", "[agent]\n  interval = \"1m\"\n[[inputs.plaid]]\n  accounts_file = \"a.ini\"\n", "agent"},
		{"two plugins", "[[inputs.plaid]]\n[[inputs.plaid]]\n", "exactly one [[inputs.plaid]] table, found 2"},
		{"no plugin", "# nothing\n", "exactly one [[inputs.plaid]] table, found 0"},
		{"syntax", "[[inputs.plaid]]\n  accounts_file = \"a.ini\n", "line 2"},
		{"unset variable", "[[inputs.plaid]]\n  # secret = \"${NOT_IN_A_COMMENT}\"\n  secret = \"${PLAID_TEST_UNSET_VAR}\"\n", "line 3: environment variable PLAID_TEST_UNSET_VAR is not set"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := loadConfig(writeFile(t, tc.content))
			require.Error(t, err)
			require.Contains(t, err.Error(), tc.want)
		})
	}
}

func TestLoadConfigReadsEveryOption(t *testing.T) {
	t.Setenv("PLAID_TEST_SECRET", `s3cr"et\x`)
	p, err := loadConfig(writeFile(t, `
[[inputs.plaid]]
  accounts_file = "/etc/telegraf/plaid.ini"
  state_dir = "/var/lib/telegraf/plaid"
  client_id = "id"
  secret = "${PLAID_TEST_SECRET}"
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
	require.Equal(t, "debug", p.LogLevel)
	secret, err := p.Secret.Get()
	require.NoError(t, err)
	require.Equal(t, `s3cr"et\x`, secret.String(), "the expanded value survives TOML quoting")
	secret.Destroy()
}

// The shipped configs are what users start from: they must load as they are.
func TestShippedConfigsLoad(t *testing.T) {
	for _, path := range []string{"../../plugin.conf", "../../plugins/inputs/plaid/sample.conf"} {
		p, err := loadConfig(path)
		require.NoError(t, err, path)
		require.NotEmpty(t, p.AccountsFile, path)
	}
	shipped, err := os.ReadFile("../../plugin.conf")
	require.NoError(t, err)
	embedded, err := os.ReadFile("../../plugins/inputs/plaid/sample.conf")
	require.NoError(t, err)
	require.Equal(t, string(embedded), string(shipped), "plugin.conf and the plugin's sample.conf document the same options")
}
