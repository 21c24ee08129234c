package buildinfo

import (
	"runtime/debug"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestDescribe(t *testing.T) {
	vcs := func(modified string) []debug.BuildSetting {
		return []debug.BuildSetting{
			{Key: "vcs", Value: "git"},
			{Key: "vcs.revision", Value: "0123456789abcdef0123456789abcdef01234567"},
			{Key: "vcs.time", Value: "2026-12-01T10:00:00Z"},
			{Key: "vcs.modified", Value: modified},
		}
	}
	cases := []struct {
		name    string
		stamped string
		info    *debug.BuildInfo
		want    string
	}{
		{"make build", "v1.4.0-3-gabc1234", &debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Version: "(devel)"}, Settings: vcs("false")},
			"linktool v1.4.0-3-gabc1234 (commit 0123456789ab, 2026-12-01T10:00:00Z, go1.26.0)"},
		{"go build of a dirty tree", "", &debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Version: "(devel)"}, Settings: vcs("true")},
			"linktool (unversioned build) (commit 0123456789ab with uncommitted changes, 2026-12-01T10:00:00Z, go1.26.0)"},
		{"go install module@version", "", &debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Version: "v1.4.0"}},
			"linktool v1.4.0 (go1.26.0)"},
		{"no build record", "", nil, "linktool (unversioned build)"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, Describe("linktool", tc.stamped, tc.info))
		})
	}
}
