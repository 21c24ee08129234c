//go:build e2e

package e2e

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

var renderDashboard = flag.Bool("render-dashboard", false,
	"TestDashboard also renders the panels' query results to dashboards/telegraf-plaid.png")

// tools are the programs the pipeline is made of.
type tools struct {
	telegraf  string // built by scripts/setup.sh from the module proxy
	influxd   string // Debian's influxdb package
	chromium  string // only for rendering the dashboard picture
	plaidSync string // built from this checkout
	linktool  string // built from this checkout
}

var (
	buildOnce  sync.Once
	buildDir   string
	buildErr   error
	moduleRoot string
)

func TestMain(m *testing.M) {
	flag.Parse()
	// go test runs in the package directory; the module root is its parent.
	if wd, err := os.Getwd(); err == nil {
		moduleRoot = filepath.Dir(wd)
	}
	code := m.Run()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

// needTools returns the tools, failing the test with what to run when one
// is missing. Under -short the end-to-end tests are skipped: they take
// minutes and need installed software.
func needTools(t *testing.T) tools {
	t.Helper()
	if testing.Short() {
		t.Skip("end-to-end test: not run with -short")
	}
	home, _ := os.UserHomeDir()
	tl := tools{
		telegraf: envOr("TELEGRAF_BIN", filepath.Join(home, ".cache", "telegraf-plaid", "telegraf-v1.37.2", "telegraf")),
		influxd:  envOr("INFLUXD_BIN", lookPath("influxd")),
		chromium: envOr("CHROMIUM_BIN", lookPath("chromium")),
	}
	for name, path := range map[string]string{"TELEGRAF_BIN (telegraf)": tl.telegraf, "INFLUXD_BIN (influxd)": tl.influxd} {
		if !isExecutable(path) {
			t.Fatalf("%s not found at %q: run `make setup` (or ./scripts/e2e.sh, which runs it) to install InfluxDB and build Telegraf", name, path)
		}
	}
	buildOnce.Do(buildBinaries)
	if buildErr != nil {
		t.Fatalf("building plaid-sync and linktool: %v", buildErr)
	}
	tl.plaidSync = filepath.Join(buildDir, "plaid-sync")
	tl.linktool = filepath.Join(buildDir, "linktool")
	return tl
}

// buildBinaries builds plaid-sync and linktool from this checkout, once per
// test run: the pipeline runs them as real processes.
func buildBinaries() {
	buildDir, buildErr = os.MkdirTemp("", "telegraf-plaid-e2e-bin-")
	if buildErr != nil {
		return
	}
	goBin := lookPath("go")
	if goBin == "" && os.Getenv("GOROOT") != "" {
		goBin = filepath.Join(os.Getenv("GOROOT"), "bin", "go")
	}
	if goBin == "" {
		buildErr = fmt.Errorf("the go command is not on PATH")
		return
	}
	cmd := exec.Command(goBin, "build", "-o", buildDir+string(filepath.Separator), "./cmd/plaid-sync", "./linktool")
	cmd.Dir = moduleRoot
	if out, err := cmd.CombinedOutput(); err != nil {
		buildErr = fmt.Errorf("%v\n%s", err, out)
	}
}

func envOr(name, fallback string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return fallback
}

func lookPath(name string) string {
	p, err := exec.LookPath(name)
	if err != nil {
		return ""
	}
	return p
}

func isExecutable(path string) bool {
	if path == "" {
		return false
	}
	info, err := os.Stat(path)
	return err == nil && !info.IsDir() && info.Mode()&0o111 != 0
}

// repoFile reads a file of the repository, such as sample.conf.
func repoFile(t *testing.T, rel string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(moduleRoot, rel))
	if err != nil {
		t.Fatalf("reading %s: %v", rel, err)
	}
	return string(b)
}
