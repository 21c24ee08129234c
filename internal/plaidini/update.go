package plaidini

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// lockWait bounds how long Update waits for another process to finish
// changing the same file.
var lockWait = 10 * time.Second

// maxBackupTries bounds the search for a free backup name.
const maxBackupTries = 1000

// Update changes the file at path through edit, the one way files are
// changed: under an exclusive lock (<path>.lock), after backing up the
// original to <path>.<unix seconds>.bkp (mode 0600, never overwriting an
// existing backup), by writing a temporary file that is renamed over path.
// On any error the original file is untouched. It returns the backup path.
func Update(path string, now time.Time, edit func(*File) error) (backupPath string, err error) {
	target, err := resolve(path)
	if err != nil {
		return "", err
	}
	unlock, err := lock(target)
	if err != nil {
		return "", err
	}
	defer unlock()

	info, err := os.Stat(target)
	if err != nil {
		return "", fmt.Errorf("reading configuration: %w", err)
	}
	original, err := os.ReadFile(target)
	if err != nil {
		return "", fmt.Errorf("reading configuration: %w", err)
	}
	f, err := Parse(path, original)
	if err != nil {
		return "", err
	}
	if err := edit(f); err != nil {
		return "", err
	}
	backupPath, err = backup(target, original, now, info)
	if err != nil {
		return "", fmt.Errorf("backing up %s (the file was not changed): %w", path, err)
	}
	if err := writeAtomic(target, f.data, KeptMode(info.Mode().Perm()), info); err != nil {
		return backupPath, fmt.Errorf("writing %s (the file was not changed; a copy is in %s): %w", path, backupPath, err)
	}
	return backupPath, nil
}

// resolve follows a symbolic link so that the rename replaces the file the
// link points at rather than the link itself.
func resolve(path string) (string, error) {
	info, err := os.Lstat(path)
	if err != nil {
		return "", fmt.Errorf("reading configuration: %w", err)
	}
	if info.Mode()&fs.ModeSymlink == 0 {
		return path, nil
	}
	target, err := filepath.EvalSymlinks(path)
	if err != nil {
		return "", fmt.Errorf("following the link %s: %w", path, err)
	}
	return target, nil
}

// lock takes an exclusive flock on <path>.lock, waiting at most lockWait.
// The lock file stays in place: removing it would let two processes lock
// different files of the same name.
func lock(path string) (unlock func(), err error) {
	name := path + ".lock"
	lf, err := os.OpenFile(name, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("creating lock file %s: %w", name, err)
	}
	deadline := time.Now().Add(lockWait)
	for {
		err = unix.Flock(int(lf.Fd()), unix.LOCK_EX|unix.LOCK_NB)
		if err == nil {
			return func() {
				_ = unix.Flock(int(lf.Fd()), unix.LOCK_UN)
				_ = lf.Close()
			}, nil
		}
		if !errors.Is(err, unix.EWOULDBLOCK) && !errors.Is(err, unix.EINTR) {
			_ = lf.Close()
			return nil, fmt.Errorf("locking %s: %w", name, err)
		}
		if time.Now().After(deadline) {
			_ = lf.Close()
			return nil, fmt.Errorf("%s is being changed by another process (another linktool?) holding %s; waited %s, try again when it has finished", path, name, lockWait)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// backup copies the original to <path>.<unix seconds>.bkp, taking the next
// free second when that name exists.
func backup(path string, original []byte, now time.Time, info os.FileInfo) (string, error) {
	sec := now.Unix()
	for range maxBackupTries {
		name := path + "." + strconv.FormatInt(sec, 10) + ".bkp"
		bf, err := os.OpenFile(name, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
		if errors.Is(err, fs.ErrExist) {
			sec++
			continue
		}
		if err != nil {
			return "", err
		}
		err = writeAndSync(bf, original, 0o600, info)
		if cerr := bf.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			_ = os.Remove(name)
			return "", err
		}
		return name, syncDir(filepath.Dir(name))
	}
	return "", fmt.Errorf("no free backup name after %d tries", maxBackupTries)
}

// WriteAtomic replaces path with data: a temporary file in the same
// directory is written, synced and given perm, then renamed over path, and
// the directory is synced. Readers see the old or the new file, never a
// part of one.
func WriteAtomic(path string, data []byte, perm os.FileMode) error {
	info, err := os.Stat(path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return writeAtomic(path, data, perm, info)
}

// writeAtomic keeps the owner of the file it replaces (info, when not nil)
// so that root fixing a user's file leaves it readable by that user.
func writeAtomic(path string, data []byte, perm os.FileMode, info os.FileInfo) error {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	tmp, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return err
	}
	tmpName := tmp.Name()
	err = writeAndSync(tmp, data, perm, info)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmpName, path)
	}
	if err != nil {
		_ = os.Remove(tmpName)
		return err
	}
	return syncDir(dir)
}

func writeAndSync(f *os.File, data []byte, perm os.FileMode, info os.FileInfo) error {
	if _, err := f.Write(data); err != nil {
		return err
	}
	if err := f.Chmod(perm); err != nil {
		return err
	}
	if st, ok := statOwner(info); ok && os.Geteuid() == 0 {
		if err := f.Chown(int(st.Uid), int(st.Gid)); err != nil {
			return err
		}
	}
	return f.Sync()
}

func statOwner(info os.FileInfo) (*syscall.Stat_t, bool) {
	if info == nil {
		return nil, false
	}
	st, ok := info.Sys().(*syscall.Stat_t)
	return st, ok
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, syscall.EINVAL) {
		return fmt.Errorf("syncing directory %s: %w", dir, err)
	}
	return nil
}

// InsecurePermissions returns a warning when the file is readable or
// writable by group or others, and "" otherwise (or when it cannot be read).
func InsecurePermissions(path string) string {
	info, err := os.Stat(path)
	if err != nil {
		return ""
	}
	if mode := info.Mode().Perm(); mode&othersBits != 0 {
		return fmt.Sprintf("%s holds secrets but has mode %04o, which lets every user on this host read or write it; run: chmod o-rwx %s", path, mode, path)
	}
	return ""
}

// othersBits are the permissions of users who are neither the owner nor in
// the file's group. Group access is legitimate (the telegraf group reading
// a file its admin owns); access for everyone is not.
const othersBits = 0o007

// KeptMode is the mode a rewrite gives the file: the one it had (0600,
// 0640, 0400 stay), without any access for others, and never one the owner
// cannot read.
func KeptMode(before os.FileMode) os.FileMode {
	kept := before.Perm() &^ othersBits
	if kept&0o400 == 0 {
		kept |= 0o600
	}
	return kept
}
