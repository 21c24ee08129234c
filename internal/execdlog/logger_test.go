package execdlog

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestLinesCarryTelegrafsLevelPrefix(t *testing.T) {
	var out bytes.Buffer
	log := New(&out, LevelInfo)
	log.Errorf("e %d", 1)
	log.Warn("w")
	log.Infof("i")
	log.Debugf("hidden at info")
	require.Equal(t, "E! e 1\nW! w\nI! i\n", out.String())

	out.Reset()
	log.SetLevel(LevelDebug)
	log.Debug("now shown")
	require.Equal(t, "D! now shown\n", out.String())
}

func TestEveryMessageIsOneLineWithoutSecrets(t *testing.T) {
	var out bytes.Buffer
	log := New(&out, LevelInfo)
	log.Redact("access-sandbox-0123456789", "s3cr3t-value", "")
	log.Warnf("token %s failed:\nsecret=%s", "access-sandbox-0123456789", "s3cr3t-value")
	require.Equal(t, "W! token access-sandbox-0123… failed: secret=s3cr…\n", out.String())

	out.Reset()
	log.Error(strings.Repeat("x", 3*maxLineBytes))
	require.Equal(t, 1, strings.Count(out.String(), "\n"))
	require.Less(t, out.Len(), maxLineBytes+16)
}

// Copies of a secret that are not exact still do not pass, at any level.
func TestSecretsInAnyFormAreRemoved(t *testing.T) {
	const secret = "8c2d0e6f4a1b3c5d7e9f0a2b4c6d8e"
	const token = "access-production-8f3a1b2c-1111-4222-8333-444455556666"
	var out bytes.Buffer
	log := New(&out, LevelDebug)
	log.Redact(secret)
	for _, echo := range []string{
		strings.ToUpper(secret), secret[3:19], strings.ReplaceAll(token, "-", "%2D"),
		strings.ReplaceAll(token, "-", `\u002d`), strings.ToUpper(token[:40]),
	} {
		log.Errorf("e %s", echo)
		log.Warnf("w %s", echo)
		log.Infof("i %s", echo)
		log.Debugf("d %s", echo)
	}
	got := strings.ToLower(out.String())
	require.Equal(t, 20, strings.Count(got, "\n"))
	for _, s := range []string{secret, token[len("access-production-"):]} {
		for i := 0; i+12 <= len(s); i++ {
			require.NotContains(t, got, s[i:i+12], got)
		}
	}
}

func TestParseLevel(t *testing.T) {
	for in, want := range map[string]any{"": LevelInfo, "error": LevelError, "WARN": LevelWarn, "debug": LevelDebug} {
		got, err := ParseLevel(in)
		require.NoError(t, err)
		require.Equal(t, want, got)
	}
	_, err := ParseLevel("loud")
	require.ErrorContains(t, err, `unknown log level "loud"`)
}

// The cost of one log line with the plugin's usual registrations (the
// secret, the client id and 50 access tokens), on the hot path.
func BenchmarkLogLine(b *testing.B) {
	log := New(io.Discard, LevelInfo)
	log.Redact("8c2d0e6f4a1b3c5d7e9f0a2b4c6d8e", "5f0c1d2e3a4b5c6d7e8f9a0b")
	for i := range 50 {
		log.Redact(fmt.Sprintf("access-production-%08x-1111-4222-8333-444455556666", i))
	}
	b.ReportAllocs()
	for b.Loop() {
		log.Infof("[%s] %d new transactions (%d pending), %d archived over %d accounts in %s", "Test Chase", 12, 3, 0, 4, "183ms")
	}
}
