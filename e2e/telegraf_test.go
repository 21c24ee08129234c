//go:build e2e

package e2e

import (
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// substitute replaces old with new in a shipped configuration, requiring
// old to occur exactly once: should sample.conf or plugin.conf change, the
// test says which value it could not find instead of testing something else.
func substitute(t *testing.T, text, what, old, new string) string {
	t.Helper()
	if n := strings.Count(text, old); n != 1 {
		t.Fatalf("%s: expected %q exactly once, found it %d times", what, old, n)
	}
	return strings.Replace(text, old, new, 1)
}

// setOption sets an option of plugin.conf, uncommenting its documented
// default line ("  # balance_interval = ...") when it is commented out.
func setOption(t *testing.T, text, key, value string) string {
	t.Helper()
	re := regexp.MustCompile(`(?m)^([ \t]*)#?[ \t]*` + regexp.QuoteMeta(key) + `[ \t]*=.*$`)
	matches := re.FindAllStringSubmatchIndex(text, -1)
	if len(matches) != 1 {
		t.Fatalf("plugin.conf: expected one line setting %s, found %d", key, len(matches))
	}
	m := matches[0]
	return text[:m[0]] + text[m[2]:m[3]] + key + " = " + value + text[m[1]:]
}

// tomlString quotes s as a TOML basic string.
func tomlString(s string) string { return strconv.Quote(s) }

// telegrafSettings are the values of sample.conf that a test replaces:
// paths, the InfluxDB address and intervals, nothing else.
type telegrafSettings struct {
	plaidSync     string   // replaces /usr/local/bin/plaid-sync
	pluginConf    string   // replaces /etc/telegraf/plaid-plugin.conf
	influxURL     string   // replaces http://127.0.0.1:8086
	interval      string   // replaces the execd interval "30m"
	restartDelay  string   // replaces restart_delay "10s"
	flushInterval string   // replaces flush_interval "10s"
	command       []string // when set, replaces the whole command (the broken plugin)
	// telegrafDefaultBuffer drops metric_buffer_limit, leaving Telegraf's
	// default of 10,000: the control experiment of the backfill scenario.
	telegrafDefaultBuffer bool
}

// telegrafConf turns the repository's sample.conf into the test's
// configuration.
func telegrafConf(t *testing.T, s telegrafSettings) string {
	t.Helper()
	conf := repoFile(t, "sample.conf")
	conf = substitute(t, conf, "sample.conf", `interval = "30m"`, `interval = `+tomlString(s.interval))
	conf = substitute(t, conf, "sample.conf", `restart_delay = "10s"`, `restart_delay = `+tomlString(s.restartDelay))
	conf = substitute(t, conf, "sample.conf", `flush_interval = "10s"`, `flush_interval = `+tomlString(s.flushInterval))
	conf = substitute(t, conf, "sample.conf", `"http://127.0.0.1:8086"`, tomlString(s.influxURL))
	conf = substitute(t, conf, "sample.conf", `"/usr/local/bin/plaid-sync"`, tomlString(s.plaidSync))
	conf = substitute(t, conf, "sample.conf", `"/etc/telegraf/plaid-plugin.conf"`, tomlString(s.pluginConf))
	if s.telegrafDefaultBuffer {
		conf = substitute(t, conf, "sample.conf", "  metric_buffer_limit = 200000\n", "")
	}
	if s.command != nil {
		re := regexp.MustCompile(`(?m)^([ \t]*)command = \[.*\]$`)
		if n := len(re.FindAllString(conf, -1)); n != 1 {
			t.Fatalf("sample.conf: expected one command line, found %d", n)
		}
		quoted := make([]string, len(s.command))
		for i, arg := range s.command {
			quoted[i] = tomlString(arg)
		}
		conf = re.ReplaceAllLiteralString(conf, "  command = ["+strings.Join(quoted, ", ")+"]")
	}
	return conf
}

// pluginSettings are the values of plugin.conf that a test replaces.
type pluginSettings struct {
	accountsFile, stateDir, linktool    string
	timezone                            string
	balanceInterval, itemStatusInterval string
	replayInterval, replayWindow        string
	timeout                             string
	verifyURL                           string // replaces the self-check's http://127.0.0.1:8086
}

func pluginConf(t *testing.T, s pluginSettings) string {
	t.Helper()
	conf := repoFile(t, "plugin.conf")
	for _, kv := range [][2]string{
		{"accounts_file", s.accountsFile},
		{"state_dir", s.stateDir},
		{"linktool", s.linktool},
		{"timezone", s.timezone},
		{"balance_interval", s.balanceInterval},
		{"item_status_interval", s.itemStatusInterval},
		{"replay_interval", s.replayInterval},
		{"replay_window", s.replayWindow},
		{"timeout", s.timeout},
		{"verify_url", s.verifyURL},
	} {
		conf = setOption(t, conf, kv[0], tomlString(kv[1]))
	}
	return conf
}

// telegraf is the Telegraf process of a pipeline. Its log (which also holds
// plaid-sync's stderr, passed on by inputs.execd) is kept across restarts.
type telegraf struct {
	bin, confPath, logPath string
	// agentConf, when set, is a second configuration file with an [agent]
	// table, e.g. another host name.
	agentConf string
	proc      *process
}

func (tg *telegraf) start() error {
	args := []string{"--config", tg.confPath}
	if tg.agentConf != "" {
		args = append(args, "--config", tg.agentConf)
	}
	proc, err := startProcess("telegraf", tg.logPath, append([]string{tg.bin}, args...)...)
	if err != nil {
		return err
	}
	tg.proc = proc
	return nil
}

// stop shuts Telegraf down as systemctl stop does: SIGTERM, after which it
// stops plaid-sync and writes out what its buffer holds.
func (tg *telegraf) stop() error {
	if tg.proc == nil {
		return nil
	}
	err := tg.proc.stop(40 * time.Second)
	tg.proc = nil
	return err
}

// plaidSyncPIDs are the plaid-sync processes Telegraf runs.
func (tg *telegraf) plaidSyncPIDs() []int {
	if tg.proc == nil || tg.proc.exited() {
		return nil
	}
	return childrenNamed(tg.proc.pid(), "plaid-sync")
}

// log returns Telegraf's log so far.
func (tg *telegraf) log() string {
	b, err := os.ReadFile(tg.logPath)
	if err != nil {
		return fmt.Sprintf("(cannot read %s: %v)", tg.logPath, err)
	}
	return string(b)
}
