package main

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// writeOffline writes a configuration that needs no Plaid call to change:
// a section without an access token, which --remove deletes at once.
func writeOffline(t *testing.T, dir string) (string, string) {
	t.Helper()
	path := filepath.Join(dir, "plaid.ini")
	content := "[PLAID]\nclient_id = id\nsecret = s\nenvironment = sandbox\nbase_url = http://127.0.0.1:9\n\n[Old]\ndisabled = true\n"
	require.NoError(t, os.WriteFile(path, []byte(content), 0o600))
	return path, content
}

// A rewrite keeps a mode that grants nothing to others, and removes only
// the access of every user from one that does, saying so.
func TestRewriteKeepsTheFilesMode(t *testing.T) {
	cases := []struct{ before, after os.FileMode }{
		{0o600, 0o600}, {0o640, 0o640}, {0o400, 0o400}, {0o660, 0o660},
		{0o644, 0o640}, {0o666, 0o660}, {0o604, 0o600}, {0o755, 0o750},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("%04o", tc.before), func(t *testing.T) {
			path, _ := writeOffline(t, t.TempDir())
			require.NoError(t, os.Chmod(path, tc.before))
			res := runTool(t, "-c", path, "--remove", "Old")
			require.Equal(t, exitOK, res.code, res.stderr)
			require.Contains(t, res.stdout, "Old was removed.\n")
			requireMode(t, path, tc.after)
			b := backups(t, path)
			require.Len(t, b, 1)
			requireMode(t, b[0], 0o600)
			note := fmt.Sprintf("%s had mode %04o, readable or writable by every user; it now has mode %04o.\n", path, tc.before, tc.after)
			warning := fmt.Sprintf("has mode %04o, which lets every user on this host read or write it", tc.before)
			if tc.before == tc.after {
				require.NotContains(t, res.stdout, "readable or writable by every user")
				require.NotContains(t, res.stderr, "every user")
			} else {
				require.Contains(t, res.stdout, note)
				require.Contains(t, res.stderr, warning)
			}
		})
	}
}

// Copies left by a rewrite killed half-way are removed at the next run;
// the file, its backups, other files' copies and anything not owned by
// this user or the file's owner stay.
func TestStaleTemporaryCopiesAreRemoved(t *testing.T) {
	dir := t.TempDir()
	path, content := writeOffline(t, dir)
	stale := []string{".plaid.ini.tmp-123456789", ".plaid.ini.tmp-42"}
	kept := []string{"plaid.ini.1700000000.bkp", ".plaid.ini.tmp-x1", ".other.ini.tmp-123", "plaid.ini.tmp-5", ".plaid.ini.tmp-77.bkp"}
	for _, name := range append(stale, kept...) {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600))
	}
	require.NoError(t, os.Symlink(path, filepath.Join(dir, ".plaid.ini.tmp-99")))
	kept = append(kept, ".plaid.ini.tmp-99")
	if os.Geteuid() == 0 {
		foreign := filepath.Join(dir, ".plaid.ini.tmp-31337")
		require.NoError(t, os.WriteFile(foreign, []byte(content), 0o600))
		require.NoError(t, os.Chown(foreign, 54321, 54321))
		kept = append(kept, ".plaid.ini.tmp-31337")
	}

	// While another process holds the rewrite lock, nothing is touched.
	lf, err := os.OpenFile(path+".lock", os.O_CREATE|os.O_RDWR, 0o600)
	require.NoError(t, err)
	require.NoError(t, unix.Flock(int(lf.Fd()), unix.LOCK_EX))
	res := runTool(t, "-c", path, "--status")
	require.NotContains(t, res.stderr, "Removed ")
	for _, name := range stale {
		require.FileExists(t, filepath.Join(dir, name))
	}
	require.NoError(t, lf.Close())

	res = runTool(t, "-c", path, "--status")
	for _, name := range stale {
		require.NoFileExists(t, filepath.Join(dir, name))
		require.Contains(t, res.stderr, "Removed "+filepath.Join(dir, name)+", a copy of "+path+" left by an interrupted change")
	}
	for _, name := range kept {
		_, err := os.Lstat(filepath.Join(dir, name))
		require.NoError(t, err, "%s is kept", name)
	}
	require.Equal(t, content, readFile(t, path))
	t.Logf("%d stale copies removed, %d look-alikes kept", len(stale), len(kept))

	// Through a symbolic link, the copies next to the real file are found.
	link := filepath.Join(t.TempDir(), "link.ini")
	require.NoError(t, os.Symlink(path, link))
	require.NoError(t, os.WriteFile(filepath.Join(dir, ".plaid.ini.tmp-7"), []byte(content), 0o600))
	runTool(t, "-c", link, "--status")
	require.NoFileExists(t, filepath.Join(dir, ".plaid.ini.tmp-7"))
}

// The page's server drops a client that sends its headers or its body too
// slowly, rather than waiting for ever.
func TestPageDropsSlowClients(t *testing.T) {
	oldHeader, oldRead := pageHeaderTimeout, pageReadTimeout
	pageHeaderTimeout, pageReadTimeout = 200*time.Millisecond, 400*time.Millisecond
	t.Cleanup(func() { pageHeaderTimeout, pageReadTimeout = oldHeader, oldRead })
	page, err := listenPage("127.0.0.1:0")
	require.NoError(t, err)
	page.start("Bank", false, "link-sandbox-x", plaidSDKURL, "https://sandbox.plaid.com")
	t.Cleanup(page.close)
	addr := page.listener.Addr().String()
	token := page.pageToken

	for name, request := range map[string]string{
		"headers never end": "GET /link?token=" + token + " HTTP/1.1\r\nHost: " + addr + "\r\n",
		"body never ends": "POST /link/success?token=" + token + " HTTP/1.1\r\nHost: " + addr + "\r\nOrigin: http://" + addr +
			"\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"public_token\":\"public-sandbox-",
	} {
		t.Run(name, func(t *testing.T) {
			conn, err := net.Dial("tcp", addr)
			require.NoError(t, err)
			defer conn.Close()
			_, err = conn.Write([]byte(request))
			require.NoError(t, err)
			// Far longer than the page's timeouts: a server without them
			// keeps the connection open past this deadline.
			require.NoError(t, conn.SetReadDeadline(time.Now().Add(10*time.Second)))
			buf := make([]byte, 4096)
			var got strings.Builder
			for {
				n, err := conn.Read(buf)
				got.Write(buf[:n])
				if err != nil {
					var ne net.Error
					if ok := asNetError(err, &ne); ok && ne.Timeout() {
						t.Fatalf("the server kept a stalled connection open for 10s (read %q)", got.String())
					}
					break // closed by the server
				}
			}
		})
	}
	select {
	case r := <-page.results:
		t.Fatalf("a stalled request was taken as a report: %+v", r)
	default:
	}
}

func asNetError(err error, target *net.Error) bool {
	ne, ok := err.(net.Error)
	if ok {
		*target = ne
	}
	return ok
}
