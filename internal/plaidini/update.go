package plaidini

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/user"
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
	lf, err := OpenLockFile(path)
	if err != nil {
		return nil, err
	}
	name := lf.Name()
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

// OpenLockFile opens the lock file of path (<path>.lock), creating it when
// missing. The lock file belongs to the owner of path: root (linktool run
// with sudo) creating it, or finding one an earlier root run left, gives it
// to that owner, since a root-owned 0600 lock file would stop the owner's
// own linktool, and the plugin's user, from opening it. A lock file that
// can only be read still locks (flock needs no write access).
func OpenLockFile(path string) (*os.File, error) {
	name := path + ".lock"
	lf, err := os.OpenFile(name, os.O_CREATE|os.O_RDWR, 0o600)
	if errors.Is(err, fs.ErrPermission) {
		if ro, roErr := os.Open(name); roErr == nil {
			return ro, nil
		}
		return nil, lockFileError(name, err)
	}
	if err != nil {
		return nil, fmt.Errorf("creating lock file %s: %w", name, err)
	}
	if os.Geteuid() == 0 {
		fileInfo, statErr := os.Stat(path)
		lockInfo, lockErr := lf.Stat()
		owner, ok := statOwner(fileInfo)
		current, ok2 := statOwner(lockInfo)
		if statErr == nil && lockErr == nil && ok && ok2 && (current.Uid != owner.Uid || current.Gid != owner.Gid) {
			if err := lf.Chown(int(owner.Uid), int(owner.Gid)); err != nil {
				_ = lf.Close()
				return nil, fmt.Errorf("giving lock file %s to the owner of %s: %w", name, path, err)
			}
		}
	}
	return lf, nil
}

// lockFileError says what to do about a lock file this user cannot open.
func lockFileError(name string, err error) error {
	owner := "another user"
	if info, statErr := os.Stat(name); statErr == nil {
		if st, ok := statOwner(info); ok {
			owner = userName(st.Uid)
		}
	}
	return fmt.Errorf("cannot open the lock file %s, which belongs to %s (%w): remove it (it holds nothing) or give it to %s with chown, e.g. sudo chown %s %s",
		name, owner, err, userName(uint32(os.Geteuid())), userName(uint32(os.Geteuid())), name)
}

// userName is the login name of uid, or the number when it has none.
func userName(uid uint32) string {
	id := strconv.FormatUint(uint64(uid), 10)
	if u, err := user.LookupId(id); err == nil {
		return u.Username
	}
	return "uid " + id
}

// CheckWritable says, before anything else is done, whether Update can
// change path: read it, take its lock and create a backup and the new copy
// in its directory. Its error names what to fix.
func CheckWritable(path string) error {
	target, err := resolve(path)
	if err != nil {
		return err
	}
	if err := unix.Access(target, unix.R_OK); err != nil {
		return fmt.Errorf("cannot read %s (%w): run linktool as the user who owns it (%s)", target, err, ownerName(target))
	}
	dir := filepath.Dir(target)
	if err := unix.Access(dir, unix.W_OK|unix.X_OK); err != nil {
		me := userName(uint32(os.Geteuid()))
		if errors.Is(err, unix.EROFS) {
			return fmt.Errorf("cannot change %s: %s is on a read-only file system, and a change creates its lock, a backup and the new copy there", path, dir)
		}
		as := fmt.Sprintf("as %s (sudo -u %s linktool ...)", ownerName(dir), ownerName(dir))
		if ownerName(dir) == "root" {
			as = "with sudo"
		}
		return fmt.Errorf("cannot change %s: a change creates the lock %s, a backup and the new copy in %s, which %s may not write (%w); run linktool %s, or let %s write to %s",
			path, filepath.Base(target)+".lock", dir, me, err, as, me, dir)
	}
	lf, err := OpenLockFile(target)
	if err != nil {
		return err
	}
	return lf.Close()
}

func ownerName(path string) string {
	info, err := os.Stat(path)
	if err != nil {
		return "its owner"
	}
	if st, ok := statOwner(info); ok {
		return userName(st.Uid)
	}
	return "its owner"
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
