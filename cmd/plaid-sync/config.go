package main

import (
	"errors"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"

	"github.com/BurntSushi/toml"

	"github.com/plaid-sync/telegraf-plaid/plugins/inputs/plaid"
)

// envReference matches $NAME and ${NAME} as Telegraf expands them.
var envReference = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)`)

// loadConfig reads plugin.conf: one [[inputs.plaid]] table. Unlike Telegraf's
// shim it rejects keys it does not know, so that a typo such as "timout" is
// reported instead of silently ignored, and it names environment variables
// that are referenced but unset.
func loadConfig(path string) (*plaid.Plaid, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading the plugin config: %w", err)
	}
	text, err := expandEnv(string(raw))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	var doc struct {
		Inputs map[string][]toml.Primitive `toml:"inputs"`
	}
	md, err := toml.Decode(text, &doc)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	tables := doc.Inputs["plaid"]
	if len(tables) != 1 {
		return nil, fmt.Errorf("%s: expected exactly one [[inputs.plaid]] table, found %d", path, len(tables))
	}
	p := &plaid.Plaid{}
	if err := md.PrimitiveDecode(tables[0], p); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	var unknown []string
	for _, key := range md.Undecoded() {
		unknown = append(unknown, key.String())
	}
	if len(unknown) > 0 {
		slices.Sort(unknown)
		return nil, fmt.Errorf("%s: unknown keys (check their spelling against the documented options): %s", path, strings.Join(unknown, ", "))
	}
	return p, nil
}

// expandEnv replaces $NAME and ${NAME} outside comment lines, escaping the
// values for a TOML basic string as Telegraf does. Referencing an unset
// variable is an error: an empty secret would only fail later and less clearly.
func expandEnv(text string) (string, error) {
	lines := strings.SplitAfter(text, "\n")
	var errs []error
	for i, line := range lines {
		if strings.HasPrefix(strings.TrimSpace(line), "#") {
			continue
		}
		lines[i] = envReference.ReplaceAllStringFunc(line, func(ref string) string {
			m := envReference.FindStringSubmatch(ref)
			name := m[1] + m[2]
			value, ok := os.LookupEnv(name)
			if !ok {
				errs = append(errs, fmt.Errorf("line %d: environment variable %s is not set", i+1, name))
				return ""
			}
			return strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(value)
		})
	}
	return strings.Join(lines, ""), errors.Join(errs...)
}
