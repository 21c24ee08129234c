package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/plaid-sync/telegraf-plaid/internal/plaidini"
)

// The configuration's mode: the owner always reads and writes it, the
// group may (the telegraf group reads it, mode 0640), other users never.
const othersBits = 0o007

// rewrite changes the configuration through plaidini.Update, reports it,
// then gives the file back the mode it had, tightened only where it let
// every user in.
func (a *app) rewrite(edit func(*plaidini.File) error) (string, error) {
	target, err := filepath.EvalSymlinks(a.opts.config)
	if err != nil {
		target = a.opts.config // Update reports the problem
	}
	var mode fs.FileMode = 0o600
	if info, err := os.Stat(target); err == nil {
		mode = info.Mode().Perm()
	}
	backup, err := plaidini.Update(a.opts.config, a.now(), edit)
	if err != nil {
		return backup, err
	}
	a.reportRewrite(backup)
	a.restoreMode(target, mode)
	return backup, nil
}

// restoreMode says when the rewrite took access away from other users:
// plaidini.Update keeps the file's mode when it grants nothing to others
// (0600, 0640), and removes the others' bits otherwise.
func (a *app) restoreMode(target string, before fs.FileMode) {
	want := plaidini.KeptMode(before)
	if info, err := os.Stat(target); err == nil && info.Mode().Perm() != want {
		fmt.Fprintf(a.stderr, "Warning: %s has mode %04o after the rewrite, not %04o\n", a.opts.config, info.Mode().Perm(), want)
	}
	if before != want {
		fmt.Fprintf(a.stdout, "%s had mode %04o, readable or writable by every user; it now has mode %04o.\n", a.opts.config, before, want)
	}
}

// worldAccessible warns when every user may read or write the file: it
// holds the Plaid secret and every access token. Group access is fine.
func worldAccessible(path string) string {
	info, err := os.Stat(path)
	if err != nil {
		return ""
	}
	if mode := info.Mode().Perm(); mode&othersBits != 0 {
		return fmt.Sprintf("%s holds secrets but has mode %04o, which lets every user on this host read or write it; run: chmod o-rwx %s (linktool also does this at its next change of the file)", path, mode, path)
	}
	return ""
}

// removeStaleTemps deletes what rewrites killed half-way left behind: the
// temporary copies "." + name + ".tmp-" + digits next to the file (each
// holds every token), owned by this user or by the file's owner. It runs
// under the lock that plaidini.Update takes, so that it never removes the
// copy of a rewrite in progress, and never touches the file or a backup.
func (a *app) removeStaleTemps() {
	target, err := filepath.EvalSymlinks(a.opts.config)
	if err != nil {
		return
	}
	live, err := os.Stat(target)
	if err != nil {
		return
	}
	lf, err := os.OpenFile(target+".lock", os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return // a directory we cannot write: nothing could be removed either
	}
	defer lf.Close()
	if err := unix.Flock(int(lf.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		return // a rewrite is in progress; the next run will look again
	}
	defer func() { _ = unix.Flock(int(lf.Fd()), unix.LOCK_UN) }()

	dir, base := filepath.Split(target)
	if dir == "" {
		dir = "."
	}
	tempName := regexp.MustCompile(`^\.` + regexp.QuoteMeta(base) + `\.tmp-[0-9]+$`)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		if !tempName.MatchString(e.Name()) || !e.Type().IsRegular() {
			continue
		}
		path := filepath.Join(dir, e.Name())
		info, err := os.Lstat(path)
		if err != nil || !info.Mode().IsRegular() || os.SameFile(info, live) || !ownedByUsOrOwner(info, live) {
			continue
		}
		if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			fmt.Fprintf(a.stderr, "Warning: could not remove %s, left by an interrupted change of %s: %v\n", path, a.opts.config, err)
			continue
		}
		fmt.Fprintf(a.stderr, "Removed %s, a copy of %s left by an interrupted change (from %s).\n",
			path, a.opts.config, info.ModTime().UTC().Format(time.RFC3339))
	}
}

func ownedByUsOrOwner(info, live fs.FileInfo) bool {
	st, ok := info.Sys().(*syscall.Stat_t)
	owner, ok2 := live.Sys().(*syscall.Stat_t)
	if !ok || !ok2 {
		return false
	}
	return st.Uid == uint32(os.Geteuid()) || st.Uid == owner.Uid
}
