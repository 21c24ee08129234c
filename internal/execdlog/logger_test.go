package execdlog

import (
	"bytes"
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
	require.Equal(t, "W! token acce… failed: secret=s3cr…\n", out.String())

	for range 100 {
		log.Redact("access-sandbox-0123456789")
	}
	require.Len(t, log.secrets, 2, "the same secret is kept once")

	out.Reset()
	log.Error(strings.Repeat("x", 3*maxLineBytes))
	require.Equal(t, 1, strings.Count(out.String(), "\n"))
	require.Less(t, out.Len(), maxLineBytes+16)
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
