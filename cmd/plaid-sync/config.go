package main

import (
	"fmt"
	"os"

	"github.com/influxdata/telegraf/config"

	"github.com/plaid-sync/telegraf-plaid/plugins/inputs/plaid"
)

// loadConfig reads plugin.conf, one [[inputs.plaid]] table, with Telegraf's
// own config loader: environment variables, comments, defaults and the
// per-plugin log_level behave exactly as they do in telegraf.conf, and a key
// the plugin does not know is an error, as in Telegraf. It returns the
// plugin, not yet initialised, and the log level the table sets.
func loadConfig(path string) (*plaid.Plaid, string, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, "", fmt.Errorf("reading the plugin config: %w", err)
	}
	c := config.NewConfig()
	c.Agent.OmitHostname = true
	if err := c.LoadConfigData(raw, path); err != nil {
		return nil, "", fmt.Errorf("%s: %w", path, err)
	}
	if n := len(c.Outputs) + len(c.Processors) + len(c.Aggregators); n > 0 {
		return nil, "", fmt.Errorf("%s: holds %d output, processor or aggregator tables; it holds the plugin's one [[inputs.plaid]] table, and the rest belongs in telegraf.conf", path, n)
	}
	if len(c.Inputs) != 1 || c.Inputs[0].Config.Name != "plaid" {
		found := 0
		for _, in := range c.Inputs {
			if in.Config.Name == "plaid" {
				found++
			}
		}
		if found == 1 {
			return nil, "", fmt.Errorf("%s: holds other input plugins; it holds the plugin's one [[inputs.plaid]] table", path)
		}
		return nil, "", fmt.Errorf("%s: expected exactly one [[inputs.plaid]] table, found %d", path, found)
	}
	in := c.Inputs[0]
	p, ok := in.Input.(*plaid.Plaid)
	if !ok {
		return nil, "", fmt.Errorf("%s: [[inputs.plaid]] is not this plugin", path)
	}
	return p, in.Config.LogLevel, nil
}
