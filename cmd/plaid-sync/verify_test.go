package main

import (
	"bytes"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// The shipped plugin.conf turns the self-check on against the InfluxDB of
// sample.conf, and its options reach the plugin.
func TestShippedConfigTurnsTheSelfCheckOn(t *testing.T) {
	shipped, err := os.ReadFile("../../plugin.conf")
	require.NoError(t, err)
	p, _, err := loadConfig(writeFile(t, string(shipped)))
	require.NoError(t, err)
	require.Equal(t, "http://127.0.0.1:8086", p.VerifyURL)
	require.Equal(t, "plaid", p.VerifyDatabase)
	require.Equal(t, 24*time.Hour, time.Duration(p.VerifyInterval))
	require.Equal(t, 2*time.Minute, time.Duration(p.VerifyDelay))

	p, _, err = loadConfig(writeFile(t, "[[inputs.plaid]]\n  verify_url = \"https://influx:8086\"\n  verify_delay = \"10s\"\n  tls_server_name = \"influx.example\"\n  insecure_skip_verify = true\n"))
	require.NoError(t, err)
	require.Equal(t, "influx.example", p.ServerName)
	require.True(t, p.InsecureSkipVerify)
	require.Equal(t, 10*time.Second, time.Duration(p.VerifyDelay))
}

func TestVerifyFlagsMisused(t *testing.T) {
	conf := writeFile(t, "[[inputs.plaid]]\n  accounts_file = \"a.ini\"\n  state_dir = \""+t.TempDir()+"\"\n")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-verify", "-stdout"}, "-stdout goes with -repair"},
		{[]string{"-verify", "-influx-database", "plaid"}, "-influx-url is required"},
		{[]string{"-verify", "-influx-url", "http://127.0.0.1:1"}, "-influx-database is required"},
		{[]string{"-repair", "-influx-url", "http://127.0.0.1:1", "-influx-database", "plaid"}, "holds no state store"},
	} {
		var stdout, stderr bytes.Buffer
		code := run(append([]string{"-config", conf}, tc.args...), strings.NewReader(""), &stdout, &stderr)
		require.Equal(t, 2, code, "%v: %s", tc.args, stderr.String())
		require.Equal(t, 1, strings.Count(stderr.String(), "\n"), "%v: one line: %s", tc.args, stderr.String())
		require.Contains(t, stderr.String(), tc.want, "%v", tc.args)
		require.Empty(t, stdout.String())
	}
}
