package itemhealth

import (
	"os/exec"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestClassify(t *testing.T) {
	for _, tc := range []struct {
		code string
		want Repair
	}{
		{"", None},
		{"ITEM_LOGIN_REQUIRED", Update},
		{"ACCESS_NOT_GRANTED", Update},
		{"PASSWORD_RESET_REQUIRED", Update},
		{"USER_SETUP_REQUIRED", Update},
		{"ITEM_LOCKED", Update},
		{"INSUFFICIENT_CREDENTIALS", Update},
		{"INVALID_CREDENTIALS", Update},
		{"INVALID_MFA", Update},
		{"INVALID_SEND_METHOD", Update},
		{"INVALID_UPDATED_USERNAME", Update},
		{"USER_INPUT_TIMEOUT", Update},
		{"MFA_NOT_SUPPORTED", Update},
		{"NO_ACCOUNTS", Update},
		{"ITEM_NOT_FOUND", Link},
		{"INVALID_ACCESS_TOKEN", Link},
		{"ITEM_NOT_SUPPORTED", Link},
		{"PRODUCTS_NOT_SUPPORTED", Link},
		{"INSTITUTION_NO_LONGER_SUPPORTED", Link},
		{"INSTITUTION_DOWN", Wait},
		{"INSTITUTION_NOT_RESPONDING", Wait},
		{"INSTITUTION_NOT_AVAILABLE", Wait},
		{"INTERNAL_SERVER_ERROR", Wait},
		{"PLANNED_MAINTENANCE", Wait},
		{"PRODUCT_NOT_READY", Wait},
		{"TRANSACTIONS_SYNC_LIMIT", Wait},
		{"ACCOUNTS_BALANCE_GET_LIMIT", Wait},
		{"RATE_LIMIT_EXCEEDED", Wait},
		{"INVALID_API_KEYS", Config},
		{"UNAUTHORIZED_ENVIRONMENT", Config},
		// Webhook codes are never the error of an API response.
		{"PENDING_EXPIRATION", None},
		{"PENDING_DISCONNECT", None},
		{"SOMETHING_NEW", None},
	} {
		require.Equal(t, tc.want, Classify(tc.code), tc.code)
	}
}

func TestWebhookRepair(t *testing.T) {
	require.Equal(t, Update, WebhookRepair("PENDING_EXPIRATION"))
	require.Equal(t, Update, WebhookRepair("PENDING_DISCONNECT"))
	require.Equal(t, None, WebhookRepair("LOGIN_REPAIRED"))
	require.Equal(t, None, WebhookRepair("ITEM_LOGIN_REQUIRED"))
}

func TestCommands(t *testing.T) {
	c := Commands{Linktool: "/opt/bin/linktool", File: "/etc/telegraf/plaid.ini"}
	require.Equal(t, "/opt/bin/linktool -c /etc/telegraf/plaid.ini --update 'Test Chase'", c.Update("Test Chase"))
	require.Equal(t, "/opt/bin/linktool -c /etc/telegraf/plaid.ini --link 'Chase'", c.Link("Chase"))
	require.Equal(t, "/opt/bin/linktool -c /etc/telegraf/plaid.ini --remove 'Chase' && /opt/bin/linktool -c /etc/telegraf/plaid.ini --link 'Chase'", c.Relink("Chase"))
	require.Equal(t, c.Update("x"), c.For(Update, "x"))
	require.Equal(t, c.Relink("x"), c.For(Link, "x"))
	require.Empty(t, c.For(Wait, "x"))
	require.Empty(t, c.For(Config, "x"))
	require.Empty(t, c.For(None, "x"))

	c = Commands{File: "my files/plaid's.ini"}
	require.Equal(t, `linktool -c 'my files/plaid'\''s.ini' --update 'Bob'\''s Bank'`, c.Update("Bob's Bank"))
	require.Equal(t, `linktool -c 'my files/plaid'\''s.ini' --exchange 'B' --public-token -`, c.Command("--exchange", "B", "--public-token", "-"))
}

// The quoting survives a real shell: the words it splits into are the
// original strings.
func TestQuotingThroughShell(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh on this machine")
	}
	for _, s := range []string{"plain", "with space", "it's", `back\slash "dq" $HOME ` + "`x`", "tab\there", "", "a'b'c", "semi;colon&amp|pipe", "100%", "ünï"} {
		for _, quoted := range []string{ShellQuote(s), SingleQuote(s)} {
			out, err := exec.Command(sh, "-c", "printf '%s' "+quoted).Output()
			require.NoError(t, err, quoted)
			require.Equal(t, s, string(out), "quoted as %s", quoted)
		}
	}
	require.Equal(t, "/etc/plaid.ini", ShellQuote("/etc/plaid.ini"))
	require.Equal(t, "'a b'", ShellQuote("a b"))
}

func TestStale(t *testing.T) {
	now := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	require.False(t, Stale(time.Time{}, now), "never updated is not stale")
	require.False(t, Stale(now.Add(-StaleAfter), now), "exactly 3 days is not older than 3 days")
	require.True(t, Stale(now.Add(-StaleAfter-time.Second), now))
	require.False(t, Stale(now.Add(-time.Hour), now))
}

func TestConsent(t *testing.T) {
	now := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	require.Equal(t, 3, ConsentDaysLeft(now.Add(72*time.Hour), now))
	require.Equal(t, 3, ConsentDaysLeft(now.Add(71*time.Hour), now), "a started day counts")
	require.Equal(t, 0, ConsentDaysLeft(now, now))
	require.Equal(t, -1, ConsentDaysLeft(now.Add(-25*time.Hour), now))
	require.True(t, ConsentExpiring(now.Add(72*time.Hour), now, 7))
	require.True(t, ConsentExpiring(now.Add(7*24*time.Hour), now, 7))
	require.False(t, ConsentExpiring(now.Add(8*24*time.Hour), now, 7))
	require.False(t, ConsentExpiring(time.Time{}, now, 7), "no consent, no expiry")
	require.True(t, ConsentExpiring(now.Add(-time.Hour), now, 0), "expired warns even with 0 days")
}
