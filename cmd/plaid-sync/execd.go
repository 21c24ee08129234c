package main

import (
	"bufio"
	"context"
	"io"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/plaid-sync/telegraf-plaid/plugins/inputs/plaid"
)

// runExecd serves Telegraf's execd input with signal = "STDIN": one gather
// per newline on stdin (newlines arriving during a gather ask for one more),
// and one per -poll_interval when given. Stdin closing, SIGINT or SIGTERM cut
// a gather in progress short, and what it committed is written out first.
//
// Telegraf's shim would do the same with one write system call per metric;
// here a tracked group of points reaches stdout in writes of whole lines, each
// small enough for the pipe to take atomically, and is reported delivered
// only once the last of them succeeded.
func runExecd(p *plaid.Plaid, o options, stdin io.Reader, stdout io.Writer) int {
	acc := newLineAccumulator(stdout, func(err error) { p.Log.Errorf("dropping a metric: %v", err) })
	acc.onError = func(err error) { p.Log.Errorf("%v", err) }

	stop := make(chan struct{})
	var stopOnce sync.Once
	stopNow := func(why string) {
		stopOnce.Do(func() {
			p.Log.Debugf("%s: stopping", why)
			close(stop)
			p.Interrupt()
		})
	}
	requests := make(chan struct{}, 1)
	go func() {
		lines := bufio.NewScanner(stdin)
		for lines.Scan() {
			select {
			case requests <- struct{}{}:
			default: // a gather is already asked for
			}
		}
		stopNow("stdin closed")
	}()
	ctx, cancelSignals := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer cancelSignals()
	go func() {
		select {
		case <-ctx.Done():
			stopNow("signal received")
		case <-stop:
		}
	}()
	var poll <-chan time.Time
	if !o.pollIntervalDisabled && o.pollInterval > 0 {
		ticker := time.NewTicker(o.pollInterval)
		defer ticker.Stop()
		poll = ticker.C
	}

	defer p.Stop()
	for {
		select {
		case <-stop:
			return 0
		case <-requests:
		case <-poll:
		}
		if err := p.Gather(acc); err != nil {
			p.Log.Errorf("%v", err)
		}
		if err := acc.flush(); err != nil {
			p.Log.Errorf("writing to stdout: %v", err)
			return 1
		}
	}
}
