package plaid

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"

	"github.com/influxdata/telegraf"

	"github.com/plaid-sync/telegraf-plaid/internal/itemhealth"
	"github.com/plaid-sync/telegraf-plaid/internal/plaidini"
)

// configuredItem is one linked item of accounts_file.
type configuredItem struct {
	Name        string
	AccessToken string
}

// fileStamp tells whether accounts_file changed since it was last read.
type fileStamp struct {
	modTime time.Time
	size    int64
	inode   uint64
}

func stampOf(info fs.FileInfo) fileStamp {
	st := fileStamp{modTime: info.ModTime(), size: info.Size()}
	st.inode = inodeOf(info)
	return st
}

// accountsFile is accounts_file as last read successfully. linktool replaces
// it atomically, so a read sees either the old or the new file; a file that
// fails to parse keeps the previous good version in use.
type accountsFile struct {
	path      string
	shard     shard // the items this instance syncs
	stamp     fileStamp
	settings  plaidini.Settings
	lastError string
}

func openAccountsFile(path string, sh shard) (*accountsFile, error) {
	a := &accountsFile{path: path, shard: sh}
	info, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("accounts_file %q does not exist: create it with a [PLAID] section and link a bank with: linktool -c %s --link 'My Bank'", path, itemhealth.ShellQuote(path))
	}
	if err != nil {
		return nil, fmt.Errorf("accounts_file: %w", err)
	}
	if err := a.read(info); err != nil {
		return nil, err
	}
	return a, nil
}

// warnSkipped names, once per read of the file, each item section that is
// not synced and what makes it sync again.
func (a *accountsFile) warnSkipped(log telegraf.Logger, linktool string) {
	for _, s := range a.settings.Skipped {
		log.Warnf("%s; to link it again: %s", s, itemhealth.Commands{Linktool: linktool, File: a.path}.Link(s.Section))
	}
}

func (a *accountsFile) read(info fs.FileInfo) error {
	f, err := plaidini.Load(a.path)
	if err != nil {
		return fmt.Errorf("accounts_file: %w", err)
	}
	settings, err := f.Settings()
	if err != nil {
		return fmt.Errorf("accounts_file: %w", err)
	}
	// Sections that cannot sync are reported by the instance that would
	// sync them, once for the fleet.
	skipped := settings.Skipped[:0:0]
	for _, sk := range settings.Skipped {
		if a.shard.owns(sk.Section) {
			skipped = append(skipped, sk)
		}
	}
	settings.Skipped = skipped
	a.settings = settings
	a.stamp = stampOf(info)
	return nil
}

// refresh re-reads the file when it changed. A broken file is reported once
// and the previous version stays in use.
func (a *accountsFile) refresh(log telegraf.Logger, linktool string) {
	info, err := os.Stat(a.path)
	if err != nil {
		a.report(log, fmt.Sprintf("accounts_file: %v; keeping the %d items read before", err, len(a.settings.Items)))
		return
	}
	if stampOf(info) == a.stamp {
		return
	}
	before := len(a.enabledItems())
	if err := a.read(info); err != nil {
		a.report(log, fmt.Sprintf("%v; keeping the %d items read before", err, len(a.settings.Items)))
		return
	}
	a.lastError = ""
	log.Infof("accounts_file changed: %d items to sync (were %d)", len(a.enabledItems()), before)
	a.warnSkipped(log, linktool)
	if warning := a.permissionWarning(); warning != "" {
		log.Warn(warning)
	}
}

func (a *accountsFile) report(log telegraf.Logger, msg string) {
	if msg != a.lastError {
		log.Warn(msg)
		a.lastError = msg
	}
}

func (a *accountsFile) permissionWarning() string {
	return plaidini.InsecurePermissions(a.path)
}

// checkedTags says which item tags this instance's self-check covers: the
// tag of an item in the file belongs to the shard that syncs the item; any
// other tag (an item no longer linked) to the shard its own hash names, so
// that exactly one instance reports it.
func (a *accountsFile) checkedTags() func(tag string) bool {
	if a.shard.count <= 1 {
		return nil
	}
	ours := make(map[string]bool, len(a.settings.Items))
	for _, it := range a.settings.Items {
		ours[cleanTag(it.Name)] = a.shard.owns(it.Name)
	}
	return func(tag string) bool {
		if owned, listed := ours[tag]; listed {
			return owned
		}
		return a.shard.owns(tag)
	}
}

func (a *accountsFile) enabledItems() []configuredItem {
	items := make([]configuredItem, 0, len(a.settings.Items))
	for _, it := range a.settings.Items {
		if !it.Disabled && a.shard.owns(it.Name) {
			items = append(items, configuredItem{Name: it.Name, AccessToken: it.AccessToken})
		}
	}
	return items
}
