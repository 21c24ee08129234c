package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// laterReadOnlyDir is readOnlyDir made read-only only when the returned
// function is called.
func laterReadOnlyDir(t *testing.T, fill func(dir string)) (string, func()) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "ro")
	require.NoError(t, os.Mkdir(dir, 0o700))
	if os.Geteuid() != 0 {
		fill(dir)
		t.Cleanup(func() { _ = os.Chmod(dir, 0o700) })
		return dir, func() { require.NoError(t, os.Chmod(dir, 0o500)) }
	}
	require.NoError(t, unix.Mount("tmpfs", dir, "tmpfs", 0, "size=64k,mode=0700"), "root needs to mount a tmpfs for this test")
	t.Cleanup(func() { _ = unix.Unmount(dir, unix.MNT_DETACH) })
	fill(dir)
	return dir, func() {
		require.NoError(t, unix.Mount("tmpfs", dir, "tmpfs", unix.MS_REMOUNT|unix.MS_RDONLY, ""))
	}
}

// Every command that changes the file finds out first, before Plaid is
// called, that it could not save the result, and says why.
func TestCommandsThatChangeTheFileCheckFirst(t *testing.T) {
	emu, url := startEmulator(t, 1)
	item := emu.Items()[0]
	var original string
	dir := readOnlyDir(t, func(dir string) { _, original = writeINI(t, dir, url, item) })
	path := filepath.Join(dir, "plaid.ini")
	t.Setenv("LINKTOOL_PUBLIC_TOKEN", sandboxPublicToken(t, url))
	callsBefore := emu.Stats().Calls

	for _, args := range [][]string{
		{"--link", "New Bank", "--listen", "127.0.0.1:0"},
		{"--update", item.Name, "--listen", "127.0.0.1:0"},
		{"--remove", item.Name},
		{"--exchange", "New Bank"},
		{"--sandbox-link", "New Bank"},
	} {
		t.Run(args[0], func(t *testing.T) {
			res := runTool(t, append([]string{"-c", path}, args...)...)
			require.Equal(t, exitUsage, res.code, res.stderr)
			require.Contains(t, res.stderr, "linktool: cannot change "+path+": ")
			require.Regexp(t, "read-only file system|may not write", res.stderr)
			require.Equal(t, original, readFile(t, path))
		})
	}
	require.Equal(t, callsBefore, emu.Stats().Calls, "no command called Plaid")
	require.Equal(t, exitOK, runTool(t, "-c", path, "--status").code, "--status changes nothing and still works")
}

// A user's linktool after root's: the lock file root created (or found)
// belongs to the file's owner, so the owner is not locked out.
func TestRootLeavesTheLockFileToTheOwner(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to run linktool as root and then as another user")
	}
	const uid, gid = 4242, 4242
	bin := buildLinktool(t)
	require.NoError(t, os.Chmod(filepath.Dir(bin), 0o755))
	_, url := startEmulator(t, -1)
	dir := filepath.Join(t.TempDir(), "etc")
	require.NoError(t, os.Mkdir(dir, 0o755))
	path, _ := writeINI(t, dir, url)
	require.NoError(t, os.Chown(dir, uid, gid))
	require.NoError(t, os.Chown(path, uid, gid))
	for p := filepath.Dir(dir); p != "/"; p = filepath.Dir(p) {
		info, err := os.Stat(p)
		require.NoError(t, err)
		if info.Mode().Perm()&0o001 == 0 {
			require.NoError(t, os.Chmod(p, info.Mode().Perm()|0o001)) // the test's temporary directories
		}
	}
	// An earlier root run of an older linktool left a root-owned lock file.
	require.NoError(t, os.WriteFile(path+".lock", nil, 0o600))

	run := func(asOwner bool, args ...string) (int, string) {
		cmd := exec.Command(bin, append([]string{"-c", path}, args...)...)
		if asOwner {
			cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uid, Gid: gid}}
		}
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		err := cmd.Run()
		if err != nil {
			if _, ok := err.(*exec.ExitError); !ok {
				t.Fatal(err)
			}
		}
		return cmd.ProcessState.ExitCode(), out.String()
	}
	code, out := run(false, "--sandbox-link", "Root Bank")
	require.Equal(t, exitOK, code, out)
	info, err := os.Stat(path + ".lock")
	require.NoError(t, err)
	st := info.Sys().(*syscall.Stat_t)
	require.Equal(t, [2]uint32{uid, gid}, [2]uint32{st.Uid, st.Gid}, "the lock file belongs to the file's owner")

	code, out = run(true, "--sandbox-link", "Owner Bank")
	require.Equal(t, exitOK, code, out)
	ini := readFile(t, path)
	require.True(t, strings.Contains(ini, "[Root Bank]") && strings.Contains(ini, "[Owner Bank]"), ini)

	// The owner's file in root's directory: readable, but no lock, backup
	// or new copy can be made there.
	rootDir := filepath.Join(filepath.Dir(dir), "root-etc")
	require.NoError(t, os.Mkdir(rootDir, 0o755))
	rootPath, _ := writeINI(t, rootDir, url)
	require.NoError(t, os.Chown(rootPath, uid, gid))
	cmd := exec.Command(bin, "-c", rootPath, "--sandbox-link", "Third Bank")
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uid, Gid: gid}}
	msg, _ := cmd.CombinedOutput()
	require.Equal(t, exitUsage, cmd.ProcessState.ExitCode(), "%s", msg)
	require.Contains(t, string(msg), "a change creates the lock plaid.ini.lock, a backup and the new copy in "+rootDir+", which uid 4242 may not write (permission denied); run linktool with sudo")
	t.Logf("%s", msg)
}
