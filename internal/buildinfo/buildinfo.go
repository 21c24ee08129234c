// Package buildinfo says which build of a program is running: the version
// the Makefile stamps in (-ldflags "-X main.version=..."), else the module's
// version, with the commit and whether the tree had uncommitted changes, as
// the Go toolchain records them in the binary.
package buildinfo

import (
	"fmt"
	"runtime/debug"
	"strings"
)

// Line is the -version line of program, given the version stamped into its
// main package ("" when none was).
func Line(program, stamped string) string {
	info, _ := debug.ReadBuildInfo()
	return Describe(program, stamped, info)
}

// Describe is Line for a given build record (nil when the binary has none).
func Describe(program, stamped string, info *debug.BuildInfo) string {
	version := stamped
	var details []string
	if info != nil {
		if version == "" && info.Main.Version != "" && info.Main.Version != "(devel)" {
			version = info.Main.Version
		}
		settings := map[string]string{}
		for _, s := range info.Settings {
			settings[s.Key] = s.Value
		}
		if rev := settings["vcs.revision"]; rev != "" {
			commit := "commit " + rev[:min(len(rev), 12)]
			if settings["vcs.modified"] == "true" {
				commit += " with uncommitted changes"
			}
			details = append(details, commit)
		}
		if t := settings["vcs.time"]; t != "" {
			details = append(details, t)
		}
		if info.GoVersion != "" {
			details = append(details, info.GoVersion)
		}
	}
	if version == "" {
		version = "(unversioned build)"
	}
	if len(details) == 0 {
		return fmt.Sprintf("%s %s", program, version)
	}
	return fmt.Sprintf("%s %s (%s)", program, version, strings.Join(details, ", "))
}
