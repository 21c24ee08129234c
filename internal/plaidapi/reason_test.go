package plaidapi

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// An OAuth item error names its reason in the message, so that a revoked
// consent reads differently from an expired one.
func TestErrorCodeReason(t *testing.T) {
	e := FromResponse(400, []byte(`{"error_type":"ITEM_ERROR","error_code":"ITEM_LOGIN_REQUIRED","error_code_reason":"OAUTH_CONSENT_EXPIRED","error_message":"consent expired","request_id":"r9"}`))
	require.Equal(t, "ITEM_LOGIN_REQUIRED", e.Code)
	require.Equal(t, "OAUTH_CONSENT_EXPIRED", e.Reason)
	require.Equal(t, "ITEM_LOGIN_REQUIRED (OAUTH_CONSENT_EXPIRED): consent expired (HTTP 400, request_id r9)", e.Error())

	e = FromResponse(400, []byte(`{"error_type":"ITEM_ERROR","error_code":"ITEM_LOCKED","error_code_reason":null,"error_message":"locked"}`))
	require.Empty(t, e.Reason)
	require.Equal(t, "ITEM_LOCKED: locked (HTTP 400)", e.Error())
}
