package plaid

import (
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// The README's configuration section is the embedded sample.conf, as in
// Telegraf's own plugins.
func TestReadmeShowsTheSampleConfig(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	require.NoError(t, err)
	const start = "```toml @sample.conf\n"
	i := strings.Index(string(readme), start)
	require.GreaterOrEqual(t, i, 0, "README.md has no ```toml @sample.conf block")
	block := string(readme)[i+len(start):]
	block = block[:strings.Index(block, "```")]
	require.Equal(t, (&Plaid{}).SampleConfig(), block)
}
