package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/plaid-sync/telegraf-plaid/internal/redact/hostile"
)

// output is what one linktool run printed, minus the deliberate exception
// (the token that is the only way back), which is checked on its own.
type output struct {
	what string
	text string
}

// runToolWithInput runs linktool in-process with stdin.
func runToolWithInput(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var stdout, stderr syncBuffer
	code := run(ctx, args, strings.NewReader(stdin), &stdout, &stderr)
	return result{code: code, stdout: stdout.String(), stderr: stderr.String()}
}

// A Plaid that echoes every request in its errors, in every style, form and
// cut, answering each endpoint linktool calls in turn: no part of the
// secret, the client id or any token that went through it shows in what
// linktool prints, except the one token a failure leaves as the only way
// back, printed once.
func TestHostilePlaidLeavesNoSecretInOutput(t *testing.T) {
	fastHostedPolling(t)
	emu, url := startEmulator(t, 3)
	h, err := hostile.New(url)
	require.NoError(t, err)
	t.Cleanup(func() { _ = h.Close() })
	items := emu.Items()
	path, original := writeINI(t, t.TempDir(), h.URL, items...)
	all := hostile.Echoes(hostile.Styles...)
	var outputs []output
	runs := 0
	collect := func(what string, res result) {
		runs++
		outputs = append(outputs, output{what: what, text: res.stdout + res.stderr})
	}

	// --status, until every echo has answered /item/get or another call.
	h.Answer(all, "*")
	for i := 0; len(h.Used()) < len(all) && i < 60; i++ {
		res := runTool(t, "-c", path, "--status")
		require.Equal(t, exitFailed, res.code)
		require.Contains(t, res.stdout, "could not check with Plaid")
		collect("--status", res)
	}
	require.GreaterOrEqual(t, len(h.Used()), len(all))

	// --remove: Plaid fails, the section stays.
	h.Answer(all, "/item/remove")
	for range all {
		res := runTool(t, "-c", path, "--remove", items[0].Name)
		require.Equal(t, exitFailed, res.code, res.stderr)
		require.Contains(t, res.stderr, "Removing "+items[0].Name+" at Plaid failed: /item/remove: ")
		collect("--remove", res)
	}
	require.Equal(t, original, readFile(t, path))

	// --update: the link token cannot be created for the item.
	h.Answer(all, "/link/token/create")
	for i := 0; i < len(all); i += 5 {
		res := runTool(t, "-c", path, "--update", items[1].Name, "--hosted")
		require.Equal(t, exitFailed, res.code, res.stderr)
		require.Contains(t, res.stderr, "/link/token/create: ")
		collect("--update --hosted", res)
	}

	// --sandbox-link: no public token.
	h.Answer(all, "/sandbox/public_token/create")
	for i := 0; i < len(all); i += 5 {
		res := runTool(t, "-c", path, "--sandbox-link", "New Bank")
		require.Equal(t, exitFailed, res.code, res.stderr)
		collect("--sandbox-link", res)
	}

	// Hosted Link: polling the session fails (retryable), then the wait ends.
	h.Answer(hostile.Echoes(hostile.HTML502, hostile.JSON500), "/link/token/get")
	for range 3 {
		res := runTool(t, "-c", path, "--link", "Hosted Bank", "--hosted", "--timeout", "700ms")
		require.Equal(t, exitFailed, res.code, res.stderr)
		require.Contains(t, res.stderr, "Checking the Link session failed (/link/token/get: ")
		collect("--link --hosted", res)
	}

	// The exchange fails: the public token is printed once, past the
	// redactor, on the line after the command that takes it.
	h.Answer(all, "/item/public_token/exchange")
	exceptions := 0
	for i := 0; i < len(all); i += 4 {
		res := runTool(t, "-c", path, "--sandbox-link", "Exchange Bank")
		require.Equal(t, exitFailed, res.code, res.stderr)
		const intro = "and paste this public token when it asks (it is shown here only):\n    "
		at := strings.Index(res.stderr, intro)
		require.GreaterOrEqual(t, at, 0, res.stderr)
		rest := res.stderr[at+len(intro):]
		public := rest[:strings.IndexByte(rest, '\n')]
		require.True(t, strings.HasPrefix(public, "public-sandbox-"), public)
		require.Equal(t, 1, strings.Count(strings.ToLower(res.stdout+res.stderr), public[len("public-sandbox-"):][:12]),
			"the public token shows once:\n%s", res.stderr)
		res.stderr = strings.Replace(res.stderr, public, "(the deliberate exception)", 1)
		collect("exchange failure", res)
		exceptions++
	}
	require.Equal(t, original, readFile(t, path))

	secrets := append([]string{emuSecret, emuClientID}, h.Tokens()...)
	kinds := map[string]int{}
	for _, s := range h.Tokens() {
		kinds[s[:strings.IndexByte(s, '-')]]++
	}
	require.NotZero(t, kinds["access"])
	require.NotZero(t, kinds["public"])
	require.NotZero(t, kinds["link"])
	for _, o := range outputs {
		require.Empty(t, hostile.Leaks(o.text, secrets...), "%s printed:\n%s", o.what, o.text)
	}
	t.Logf("%d linktool runs, %d hostile answers (%d distinct echoes), %d recovery tokens printed once each; checked for %d secrets (%v)",
		runs, len(h.Used()), len(all), exceptions, len(secrets), kinds)
}

// Mistyped credential lines are refused without being echoed.
func TestMalformedCredentialsAreNotEchoed(t *testing.T) {
	const (
		secret = "8c2d0e6f4a1b3c5d7e9f0a2b4c6d8e"
		token  = "access-production-8f3a1b2c-1111-4222-8333-444455556666"
	)
	for name, content := range map[string]string{
		"token without =":  "[PLAID]\nclient_id = 5f0c1d2e3a4b5c6d7e8f9a0b\nsecret = " + secret + "\nenvironment = production\n\n[Bank]\naccess_token " + token + "\n",
		"secret without =": "[PLAID]\nclient_id = 5f0c1d2e3a4b5c6d7e8f9a0b\nsecret " + secret + "\nenvironment = production\n",
		"token in header":  "[PLAID]\nclient_id = x\nsecret = y\nenvironment = production\n[" + token + "\n",
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "plaid.ini")
			require.NoError(t, os.WriteFile(path, []byte(content), 0o600))
			for _, args := range [][]string{{"--status"}, {"--remove", "Bank"}, {"--exchange", "Bank", "--public-token", "public-production-x"}} {
				res := runTool(t, append([]string{"-c", path}, args...)...)
				require.NotEqual(t, exitOK, res.code)
				require.Contains(t, res.stderr, "plaid.ini", "the error names the file")
				require.Empty(t, hostile.Leaks(res.stdout+res.stderr, secret, token, "5f0c1d2e3a4b5c6d7e8f9a0b"), "%v:\n%s", args, res.stderr)
			}
		})
	}
}

func TestExchangeReadsThePublicTokenFromStdinOrTheEnvironment(t *testing.T) {
	emu, url := startEmulator(t, -1)
	path, _ := writeINI(t, t.TempDir(), url)
	for name, how := range map[string]func(t *testing.T, public string) result{
		"stdin": func(t *testing.T, public string) result {
			return runToolWithInput(t, public+"\n", "-c", path, "--exchange", "Stdin Bank", "--public-token", "-")
		},
		"stdin without the flag": func(t *testing.T, public string) result {
			return runToolWithInput(t, "  "+public+"\n", "-c", path, "--exchange", "Piped Bank")
		},
		"environment": func(t *testing.T, public string) result {
			t.Setenv(publicTokenEnv, public)
			return runTool(t, "-c", path, "--exchange", "Env Bank")
		},
	} {
		t.Run(name, func(t *testing.T) {
			public := sandboxPublicToken(t, url)
			res := how(t, public)
			require.Equal(t, exitOK, res.code, res.stderr)
			require.Contains(t, res.stdout, " is linked and is ready to sync.\n")
			require.NotContains(t, res.stderr, "shows in ps")
			require.Empty(t, hostile.Leaks(res.stdout+res.stderr, public, emuSecret))
		})
	}
	for _, it := range []string{"Stdin Bank", "Piped Bank", "Env Bank"} {
		_, ok := emuItem(t, emu, savedToken(t, path, it))
		require.True(t, ok, it)
	}

	res := runToolWithInput(t, "", "-c", path, "--exchange", "Nothing Bank")
	require.Equal(t, exitUsage, res.code, res.stderr)
	require.Contains(t, res.stderr, "no public token on standard input (it is empty): paste it when asked, pipe it in, or set "+publicTokenEnv)

	res = runTool(t, "-c", path, "--exchange", "Flag Bank", "--public-token", sandboxPublicToken(t, url))
	require.Equal(t, exitOK, res.code, res.stderr)
	require.Contains(t, res.stderr, "Warning: a token on the command line shows in ps and in your shell history")
}

func TestHelpRecommendsStdinForThePublicToken(t *testing.T) {
	res := runTool(t, "-h")
	require.Contains(t, res.stdout, "LINKTOOL_PUBLIC_TOKEN")
	require.Contains(t, res.stdout, fmt.Sprintf("prefer stdin or %s", publicTokenEnv))
}
