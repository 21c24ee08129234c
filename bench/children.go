package bench

import (
	"context"
	"os/exec"
	"sync"
	"time"
)

// Every child process of the harness is started under rootContext, so that
// StopAll can end them all, and is reaped as soon as it exits.
var (
	rootContext, cancelRoot = context.WithCancel(context.Background())
	children                sync.WaitGroup
)

func startChild(cmd *exec.Cmd) error {
	if err := cmd.Start(); err != nil {
		return err
	}
	children.Add(1)
	return nil
}

func waitChild(cmd *exec.Cmd) error {
	defer children.Done()
	return cmd.Wait()
}

// StopAll kills every child process and waits, at most timeout, until they
// are reaped. For an interrupted run.
func StopAll(timeout time.Duration) {
	cancelRoot()
	reaped := make(chan struct{})
	go func() {
		children.Wait()
		close(reaped)
	}()
	select {
	case <-reaped:
	case <-time.After(timeout):
	}
}
