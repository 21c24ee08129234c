package plaid

import (
	"fmt"
	"net"
	"net/url"
	"os"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/plaid-sync/telegraf-plaid/internal/plaidapi"
)

func TestUnreachable(t *testing.T) {
	dial := func(err error) error {
		op := &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", err)}
		return &plaidapi.Error{Cause: fmt.Errorf("POST /transactions/sync: %w", &url.Error{Op: "Post", URL: "https://production.plaid.com/transactions/sync", Err: op})}
	}
	dns := func(e *net.DNSError) error {
		return &plaidapi.Error{Cause: fmt.Errorf("POST /transactions/sync: %w", &net.OpError{Op: "dial", Net: "tcp", Err: e})}
	}
	for _, c := range []struct {
		name string
		err  error
		want bool
	}{
		{"connection refused", dial(syscall.ECONNREFUSED), true},
		{"no route to host", dial(syscall.EHOSTUNREACH), true},
		{"network unreachable", dial(syscall.ENETUNREACH), true},
		{"no such host", dns(&net.DNSError{Err: "no such host", Name: "production.plaid.com", IsNotFound: true}), true},
		{"DNS server timed out", dns(&net.DNSError{Err: "i/o timeout", Name: "production.plaid.com", IsTimeout: true}), false},
		{"connection reset", dial(syscall.ECONNRESET), false},
		{"Plaid's 500", &plaidapi.Error{Status: 500, Code: "INTERNAL_SERVER_ERROR"}, false},
		{"rate limit", &plaidapi.Error{Status: 429, Code: "TRANSACTIONS_SYNC_LIMIT", Type: "RATE_LIMIT_EXCEEDED"}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			require.Equal(t, c.want, unreachable(c.err), "%v", c.err)
		})
	}
}
