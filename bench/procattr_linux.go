package bench

import (
	"os/exec"
	"syscall"
)

// dieWithParent makes the child get SIGKILL if the harness dies first, so an
// interrupted run leaves no process behind.
func dieWithParent(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
