package main

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestFlagErrorsShowAnExample(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-c", "plaid.ini", "--status", "--timeout", "5"}, `linktool: invalid value "5" for flag -timeout: parse error (e.g. --timeout 30m)`},
		{[]string{"--status", "-c"}, "linktool: flag needs an argument: -c (e.g. -c /etc/telegraf/plaid.ini)"},
		{[]string{"-c", "plaid.ini", "--link"}, "linktool: flag needs an argument: -link (e.g. --link 'Test Chase')"},
	} {
		res := runTool(t, c.args...)
		require.Equal(t, exitUsage, res.code)
		require.Contains(t, res.stderr, c.want+"\nRun linktool -h for help.\n")
	}
}

func TestVersionFlag(t *testing.T) {
	for _, args := range [][]string{{"--version"}, {"-version"}, {"-c", "plaid.ini", "--version"}} {
		res := runTool(t, args...)
		require.Equal(t, exitOK, res.code)
		require.Regexp(t, `^linktool \S+`, res.stdout)
	}
	res := runTool(t, "-c", "plaid.ini", "--link", "x", "--", "--version")
	require.Equal(t, exitUsage, res.code, "after -- it is not a flag")
}
