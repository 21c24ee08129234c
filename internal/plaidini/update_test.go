package plaidini

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

const sampleINI = "# keep private\n[PLAID]\nclient_id = id\nsecret = sec\n\n[Test Chase]\naccess_token = access-sandbox-1\n"

var fixedNow = time.Unix(1700000000, 0)

func addBank(name string) func(*File) error {
	return func(f *File) error {
		return f.AddSection(name, [][2]string{{"access_token", "access-sandbox-" + strings.ReplaceAll(name, " ", "")}})
	}
}

func writeSample(t *testing.T, dir string, mode os.FileMode) string {
	t.Helper()
	path := filepath.Join(dir, "plaid.ini")
	require.NoError(t, os.WriteFile(path, []byte(sampleINI), mode))
	require.NoError(t, os.Chmod(path, mode))
	return path
}

func requireMode(t *testing.T, path string, want os.FileMode) {
	t.Helper()
	info, err := os.Stat(path)
	require.NoError(t, err)
	require.Equal(t, want, info.Mode().Perm(), path)
}

// leftovers lists files in dir other than the config, its lock and backups.
func leftovers(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var out []string
	for _, e := range entries {
		n := e.Name()
		if n != "plaid.ini" && n != "plaid.ini.lock" && !strings.HasSuffix(n, ".bkp") {
			out = append(out, n)
		}
	}
	return out
}

func TestUpdateBackupAndPermissions(t *testing.T) {
	dir := t.TempDir()
	path := writeSample(t, dir, 0o644)

	backup, err := Update(path, fixedNow, addBank("New Bank"))
	require.NoError(t, err)
	require.Equal(t, path+".1700000000.bkp", backup)

	saved, err := os.ReadFile(backup)
	require.NoError(t, err)
	require.Equal(t, sampleINI, string(saved), "the backup holds the original")
	requireMode(t, backup, 0o600)
	requireMode(t, path, 0o640) // the group keeps its access; others lose theirs
	requireMode(t, path+".lock", 0o600)

	got, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, sampleINI+"\n[New Bank]\naccess_token = access-sandbox-NewBank\n", string(got))

	// Same second again: the existing backup is kept and the next second is used.
	backup2, err := Update(path, fixedNow, addBank("Third"))
	require.NoError(t, err)
	require.Equal(t, path+".1700000001.bkp", backup2)
	saved, err = os.ReadFile(backup)
	require.NoError(t, err)
	require.Equal(t, sampleINI, string(saved), "an existing backup is never overwritten")
	second, err := os.ReadFile(backup2)
	require.NoError(t, err)
	require.Equal(t, string(got), string(second))
	require.Empty(t, leftovers(t, dir))
}

func TestUpdateThroughSymlink(t *testing.T) {
	dir := t.TempDir()
	target := writeSample(t, dir, 0o600)
	link := filepath.Join(t.TempDir(), "link.ini")
	require.NoError(t, os.Symlink(target, link))

	backup, err := Update(link, fixedNow, addBank("New Bank"))
	require.NoError(t, err)
	require.Equal(t, target+".1700000000.bkp", backup)
	info, err := os.Lstat(link)
	require.NoError(t, err)
	require.NotZero(t, info.Mode()&os.ModeSymlink, "the link stays a link")
	f, err := Load(link)
	require.NoError(t, err)
	require.True(t, f.Has("New Bank"))
}

func TestUpdateKeepsOwnerWhenRoot(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("only root can change a file's owner; as another user the file keeps its owner anyway")
	}
	dir := t.TempDir()
	path := writeSample(t, dir, 0o600)
	require.NoError(t, os.Chown(path, 65534, 65534))
	backup, err := Update(path, fixedNow, addBank("New Bank"))
	require.NoError(t, err)
	for _, p := range []string{path, backup} {
		info, err := os.Stat(p)
		require.NoError(t, err)
		st := info.Sys().(*syscall.Stat_t)
		require.Equal(t, uint32(65534), st.Uid, p)
	}
}

func TestUpdateFailuresLeaveOriginal(t *testing.T) {
	tests := []struct {
		name    string
		content string
		edit    func(*File) error
		msg     string
	}{
		{"malformed file", "[PLAID]\nclient_id = x\n[Broken\n", addBank("X"), "plaid.ini:3: section header \"[Broken\" is missing its closing ']'"},
		{"edit refuses", sampleINI, addBank("Test Chase"), "section [Test Chase] already exists"},
		{"edit callback error", sampleINI, func(*File) error { return errors.New("stop here") }, "stop here"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "plaid.ini")
			require.NoError(t, os.WriteFile(path, []byte(tc.content), 0o600))
			_, err := Update(path, fixedNow, tc.edit)
			require.ErrorContains(t, err, tc.msg)
			got, err := os.ReadFile(path)
			require.NoError(t, err)
			require.Equal(t, tc.content, string(got))
			matches, _ := filepath.Glob(path + ".*.bkp")
			require.Empty(t, matches, "no backup when nothing is written")
			require.Empty(t, leftovers(t, dir))
		})
	}
}

func TestUpdateMissingFile(t *testing.T) {
	_, err := Update(filepath.Join(t.TempDir(), "plaid.ini"), fixedNow, addBank("X"))
	require.ErrorContains(t, err, "plaid.ini")
	require.ErrorIs(t, err, os.ErrNotExist)
}

// mountTmpfs mounts a small tmpfs, which needs root; it reports false when
// the system does not allow it.
func mountTmpfs(t *testing.T, size string) (string, bool) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "mnt")
	require.NoError(t, os.Mkdir(dir, 0o700))
	if err := unix.Mount("tmpfs", dir, "tmpfs", 0, "size="+size+",mode=0700"); err != nil {
		t.Logf("mounting a tmpfs: %v", err)
		return "", false
	}
	t.Cleanup(func() { _ = unix.Unmount(dir, unix.MNT_DETACH) })
	return dir, true
}

func TestUpdateReadOnlyDirectory(t *testing.T) {
	var dir string
	if os.Geteuid() == 0 {
		// Root ignores directory permissions; a read-only mount stops it.
		var ok bool
		dir, ok = mountTmpfs(t, "64k")
		require.True(t, ok, "running as root, this test needs to mount a tmpfs (CAP_SYS_ADMIN)")
		writeSample(t, dir, 0o600)
		require.NoError(t, unix.Mount("tmpfs", dir, "tmpfs", unix.MS_REMOUNT|unix.MS_RDONLY, ""))
	} else {
		dir = t.TempDir()
		writeSample(t, dir, 0o600)
		require.NoError(t, os.Chmod(dir, 0o500))
		t.Cleanup(func() { _ = os.Chmod(dir, 0o700) })
	}
	path := filepath.Join(dir, "plaid.ini")
	_, err := Update(path, fixedNow, addBank("New Bank"))
	require.Error(t, err)
	require.Contains(t, err.Error(), path+".lock")
	require.Regexp(t, "read-only file system|permission denied", err.Error())
	got, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, sampleINI, string(got))
}

// bigINI returns a valid file of about n bytes.
func bigINI(n int) string {
	var b strings.Builder
	b.WriteString(sampleINI)
	for i := 0; b.Len() < n; i++ {
		fmt.Fprintf(&b, "# padding line %04d .......................................................\n", i)
	}
	return b.String()
}

func TestUpdateFullDiskTmpfs(t *testing.T) {
	dir, ok := mountTmpfs(t, "16k")
	if !ok {
		t.Skip("cannot mount a tmpfs here; TestUpdateFileSizeLimit covers write failures with RLIMIT_FSIZE")
	}
	// 16 KiB is four pages. A 5 KiB file and its backup take all of them, so
	// the new file cannot be written; a 9 KiB file cannot even be backed up.
	tests := []struct {
		name      string
		size      int
		msg       string
		hasBackup bool
	}{
		{"write of the new file fails", 5000, "writing " + dir + "/plaid.ini (the file was not changed; a copy is in", true},
		{"backup fails", 9000, "backing up " + dir + "/plaid.ini (the file was not changed)", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			entries, _ := os.ReadDir(dir)
			for _, e := range entries {
				require.NoError(t, os.Remove(filepath.Join(dir, e.Name())))
			}
			path := filepath.Join(dir, "plaid.ini")
			content := bigINI(tc.size)
			require.NoError(t, os.WriteFile(path, []byte(content), 0o600))

			_, err := Update(path, fixedNow, addBank("New Bank"))
			require.Error(t, err)
			require.Contains(t, err.Error(), tc.msg)
			require.Contains(t, err.Error(), "no space left on device")
			got, rerr := os.ReadFile(path)
			require.NoError(t, rerr)
			require.Equal(t, content, string(got), "the original is untouched")
			require.Empty(t, leftovers(t, dir), "no temporary file is left behind")
			backups, _ := filepath.Glob(path + ".*.bkp")
			if tc.hasBackup {
				require.Len(t, backups, 1)
			} else {
				require.Empty(t, backups, "a partial backup is removed")
			}
		})
	}
}

// The child process of TestUpdateFileSizeLimit: it runs one Update under a
// file size limit and reports the error on stdout.
func runFileSizeLimitChild() {
	path := os.Getenv("PLAIDINI_FSIZE_PATH")
	limit, _ := strconv.ParseUint(os.Getenv("PLAIDINI_FSIZE_LIMIT"), 10, 64)
	if err := unix.Setrlimit(unix.RLIMIT_FSIZE, &unix.Rlimit{Cur: limit, Max: limit}); err != nil {
		fmt.Println("setrlimit:", err)
		os.Exit(3)
	}
	_, err := Update(path, fixedNow, func(f *File) error {
		return f.SetKey("PLAID", "padding", strings.Repeat("x", int(limit)))
	})
	fmt.Println("update error:", err)
	os.Exit(0)
}

func TestMain(m *testing.M) {
	if os.Getenv("PLAIDINI_FSIZE_PATH") != "" {
		runFileSizeLimitChild()
	}
	os.Exit(m.Run())
}

func TestUpdateFileSizeLimit(t *testing.T) {
	dir := t.TempDir()
	path := writeSample(t, dir, 0o600)
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "PLAIDINI_FSIZE_PATH="+path, "PLAIDINI_FSIZE_LIMIT="+strconv.Itoa(len(sampleINI)+100))
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, string(out))
	require.Contains(t, string(out), "update error: writing "+path+" (the file was not changed; a copy is in "+path+".1700000000.bkp): write ")
	require.Contains(t, string(out), "file too large")
	got, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, sampleINI, string(got))
	require.Empty(t, leftovers(t, dir))
}

func TestUpdateLockHeldElsewhere(t *testing.T) {
	old := lockWait
	lockWait = 300 * time.Millisecond
	t.Cleanup(func() { lockWait = old })

	dir := t.TempDir()
	path := writeSample(t, dir, 0o600)
	// flock locks belong to an open file, so a second open in this process
	// conflicts just as another process would.
	lf, err := os.OpenFile(path+".lock", os.O_CREATE|os.O_RDWR, 0o600)
	require.NoError(t, err)
	defer lf.Close()
	require.NoError(t, unix.Flock(int(lf.Fd()), unix.LOCK_EX))

	_, err = Update(path, fixedNow, addBank("New Bank"))
	require.ErrorContains(t, err, path+" is being changed by another process (another linktool?) holding "+path+".lock")
	got, rerr := os.ReadFile(path)
	require.NoError(t, rerr)
	require.Equal(t, sampleINI, string(got))

	require.NoError(t, unix.Flock(int(lf.Fd()), unix.LOCK_UN))
	_, err = Update(path, fixedNow, addBank("New Bank"))
	require.NoError(t, err, "works once the lock is released")
}

func TestUpdatesSerialize(t *testing.T) {
	dir := t.TempDir()
	path := writeSample(t, dir, 0o600)

	firstInside := make(chan struct{})
	releaseFirst := make(chan struct{})
	var wg sync.WaitGroup
	errs := make(chan error, 2)
	wg.Add(1)
	go func() {
		defer wg.Done()
		_, err := Update(path, fixedNow, func(f *File) error {
			close(firstInside)
			select {
			case <-releaseFirst:
			case <-time.After(10 * time.Second):
				return errors.New("never released")
			}
			return addBank("First")(f)
		})
		errs <- err
	}()
	select {
	case <-firstInside:
	case <-time.After(10 * time.Second):
		t.Fatal("first update never ran")
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		_, err := Update(path, fixedNow, addBank("Second"))
		errs <- err
	}()
	close(releaseFirst)
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	// Had the second update read the file before the first one wrote it,
	// one of the two sections would be lost.
	f, err := Load(path)
	require.NoError(t, err)
	require.Equal(t, []string{"PLAID", "Test Chase", "First", "Second"}, f.SectionNames())
	backups, _ := filepath.Glob(path + ".*.bkp")
	require.Len(t, backups, 2)
}

func TestReadersSeeCompleteFiles(t *testing.T) {
	dir := t.TempDir()
	path := writeSample(t, dir, 0o600)
	const updates = 30

	done := make(chan struct{})
	readerErr := make(chan error, 1)
	go func() {
		deadline := time.Now().Add(30 * time.Second)
		reads := 0
		for time.Now().Before(deadline) {
			data, err := os.ReadFile(path)
			if err != nil {
				readerErr <- err
				return
			}
			f, err := Parse(path, data)
			if err != nil {
				readerErr <- fmt.Errorf("read a partial file: %w", err)
				return
			}
			names := f.SectionNames()
			for i, n := range names[2:] {
				if n != "Bank "+strconv.Itoa(i) {
					readerErr <- fmt.Errorf("unexpected sections %v", names)
					return
				}
			}
			reads++
			select {
			case <-done:
				if reads == 0 {
					readerErr <- errors.New("no reads")
				}
				readerErr <- nil
				return
			default:
			}
		}
		readerErr <- errors.New("reader ran out of time")
	}()
	for i := range updates {
		_, err := Update(path, fixedNow, addBank("Bank "+strconv.Itoa(i)))
		require.NoError(t, err)
	}
	close(done)
	require.NoError(t, <-readerErr)
	f, err := Load(path)
	require.NoError(t, err)
	require.Len(t, f.SectionNames(), 2+updates)
}

func TestWriteAtomic(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "new.ini")
	require.NoError(t, WriteAtomic(path, []byte("[A]\n"), 0o600))
	requireMode(t, path, 0o600)
	require.NoError(t, WriteAtomic(path, []byte("[B]\n"), 0o640))
	requireMode(t, path, 0o640)
	got, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, "[B]\n", string(got))
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Len(t, entries, 1, "no temporary file is left")

	err = WriteAtomic(filepath.Join(dir, "missing", "x.ini"), []byte("x"), 0o600)
	require.ErrorIs(t, err, os.ErrNotExist)
}

func TestKeptMode(t *testing.T) {
	for before, want := range map[os.FileMode]os.FileMode{
		0o600: 0o600, 0o640: 0o640, 0o400: 0o400, 0o660: 0o660,
		0o644: 0o640, 0o666: 0o660, 0o604: 0o600, 0o777: 0o770, 0o044: 0o640, 0o000: 0o600,
	} {
		require.Equal(t, want, KeptMode(before), "from %04o", before)
	}
}
