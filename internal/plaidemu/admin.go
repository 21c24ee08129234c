package plaidemu

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// serveAdmin answers the /emulator/ control endpoints (JSON, no auth).
func (e *Emulator) serveAdmin(w http.ResponseWriter, r *http.Request, path string) {
	type route struct {
		method string
		fn     func(w http.ResponseWriter, r *http.Request)
	}
	routes := map[string][]route{
		"/emulator/items": {{http.MethodGet, func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, http.StatusOK, e.Items())
		}}},
		"/emulator/advance": {{http.MethodPost, e.adminAdvance}},
		"/emulator/ground_truth": {{http.MethodGet, func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, http.StatusOK, e.GroundTruth())
		}}},
		"/emulator/faults": {
			{http.MethodPost, e.adminAddFault},
			{http.MethodGet, func(w http.ResponseWriter, r *http.Request) { writeJSON(w, http.StatusOK, e.Faults()) }},
			{http.MethodDelete, func(w http.ResponseWriter, r *http.Request) {
				n := len(e.Faults())
				e.ClearFaults()
				writeJSON(w, http.StatusOK, map[string]int{"cleared": n})
			}},
		},
		"/emulator/stats": {
			{http.MethodGet, func(w http.ResponseWriter, r *http.Request) { writeJSON(w, http.StatusOK, e.Stats()) }},
			{http.MethodDelete, func(w http.ResponseWriter, r *http.Request) {
				e.ResetStats()
				writeJSON(w, http.StatusOK, e.Stats())
			}},
		},
		"/emulator/rate_limits": {
			{http.MethodPost, e.adminRateLimits},
			{http.MethodGet, func(w http.ResponseWriter, r *http.Request) {
				e.mu.Lock()
				on := e.rateLimits
				e.mu.Unlock()
				writeJSON(w, http.StatusOK, map[string]bool{"enabled": on})
			}},
		},
		"/emulator/reset_cursors":                   {{http.MethodPost, e.adminResetCursors}},
		"/emulator/historical_update":               {{http.MethodPost, e.adminHistoricalUpdate}},
		"/emulator/consent":                         {{http.MethodPost, e.adminConsent}},
		"/emulator/autopay":                         {{http.MethodPost, e.adminAutopay}},
		"/emulator/apr":                             {{http.MethodPost, e.adminAPR}},
		"/emulator/investment_transactions/correct": {{http.MethodPost, e.adminCorrectInvestment}},
		"/emulator/investment_transactions/remove":  {{http.MethodPost, e.adminRemoveInvestment}},
		"/emulator/link/complete":                   {{http.MethodPost, e.adminLinkComplete}},
		"/emulator/link/cancel":                     {{http.MethodPost, e.adminLinkCancel}},
	}
	rs, ok := routes[path]
	if !ok {
		adminError(w, http.StatusNotFound, fmt.Errorf("unknown control endpoint %s", path))
		return
	}
	var allowed []string
	for _, rt := range rs {
		if rt.method == r.Method {
			rt.fn(w, r)
			return
		}
		allowed = append(allowed, rt.method)
	}
	w.Header().Set("Allow", strings.Join(allowed, ", "))
	adminError(w, http.StatusMethodNotAllowed, fmt.Errorf("%s %s is not supported; use %s", r.Method, path, strings.Join(allowed, " or ")))
}

func adminError(w http.ResponseWriter, status int, err error) {
	writeJSON(w, status, map[string]string{"error": strings.TrimPrefix(err.Error(), "plaidemu: ")})
}

// decodeStrict reads a control request; unknown fields are errors so a
// mistyped fault option does not silently do nothing.
func decodeStrict(r *http.Request, v any) error {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		return fmt.Errorf("reading the body: %w", err)
	}
	if len(body) > maxBody {
		return errors.New("body is too large")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("body is not valid JSON for this endpoint: %w", err)
	}
	if dec.More() {
		return errors.New("body holds more than one JSON value")
	}
	return nil
}

func (e *Emulator) adminAdvance(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Days *int `json:"days"`
	}
	if err := decodeStrict(r, &req); err != nil {
		adminError(w, http.StatusBadRequest, err)
		return
	}
	if req.Days == nil {
		adminError(w, http.StatusBadRequest, errors.New(`"days" is required`))
		return
	}
	sum, err := e.Advance(*req.Days)
	if err != nil {
		adminError(w, http.StatusBadRequest, err)
		return
	}
	writeJSON(w, http.StatusOK, sum)
}

func (e *Emulator) adminAddFault(w http.ResponseWriter, r *http.Request) {
	var f Fault
	if err := decodeStrict(r, &f); err != nil {
		adminError(w, http.StatusBadRequest, err)
		return
	}
	id, err := e.AddFault(f)
	if err != nil {
		adminError(w, http.StatusBadRequest, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"id": id})
}

func (e *Emulator) adminRateLimits(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Enabled *bool `json:"enabled"`
	}
	if err := decodeStrict(r, &req); err != nil {
		adminError(w, http.StatusBadRequest, err)
		return
	}
	if req.Enabled == nil {
		adminError(w, http.StatusBadRequest, errors.New(`"enabled" is required`))
		return
	}
	e.SetRateLimits(*req.Enabled)
	writeJSON(w, http.StatusOK, map[string]bool{"enabled": *req.Enabled})
}

func (e *Emulator) adminResetCursors(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Item string `json:"item"`
	}
	if err := decodeStrict(r, &req); err != nil {
		adminError(w, http.StatusBadRequest, err)
		return
	}
	if req.Item == "" {
		adminError(w, http.StatusBadRequest, errors.New(`"item" is required (an item name, item_id or access_token)`))
		return
	}
	info, err := e.ResetCursors(req.Item)
	if err != nil {
		adminError(w, http.StatusNotFound, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"name": info.Name, "item_id": info.ItemID})
}

func (e *Emulator) adminHistoricalUpdate(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Item string `json:"item"`
	}
	if err := decodeStrict(r, &req); err != nil {
		adminError(w, http.StatusBadRequest, err)
		return
	}
	if req.Item == "" {
		adminError(w, http.StatusBadRequest, errors.New(`"item" is required (an item name, item_id or access_token)`))
		return
	}
	if err := e.CompleteHistoricalUpdate(req.Item); err != nil {
		adminError(w, http.StatusNotFound, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]bool{"historical_update_complete": true})
}

func (e *Emulator) adminConsent(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Item    string     `json:"item"`
		Expires *time.Time `json:"consent_expiration_time"`
	}
	if err := decodeStrict(r, &req); err != nil {
		adminError(w, http.StatusBadRequest, err)
		return
	}
	if req.Item == "" {
		adminError(w, http.StatusBadRequest, errors.New(`"item" is required (an item name, item_id or access_token)`))
		return
	}
	var at time.Time
	if req.Expires != nil {
		at = *req.Expires
	}
	if err := e.SetConsentExpiration(req.Item, at); err != nil {
		adminError(w, http.StatusNotFound, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"consent_expiration_time": req.Expires})
}

type linkCompleteRequest struct {
	LinkToken     string `json:"link_token"`
	LinkSessionID string `json:"link_session_id,omitempty"`
	InstitutionID string `json:"institution_id"`
	Username      string `json:"username"`
	Password      string `json:"password"`
}

func (e *Emulator) adminLinkComplete(w http.ResponseWriter, r *http.Request) {
	var req linkCompleteRequest
	if err := decodeStrict(r, &req); err != nil {
		adminError(w, http.StatusBadRequest, err)
		return
	}
	tok, err := e.CompleteLink(req.LinkToken, req.InstitutionID, req.Username, req.Password)
	if err != nil {
		adminError(w, linkErrorStatus(err), err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"public_token": tok})
}

func (e *Emulator) adminLinkCancel(w http.ResponseWriter, r *http.Request) {
	var req struct {
		LinkToken string `json:"link_token"`
	}
	if err := decodeStrict(r, &req); err != nil {
		adminError(w, http.StatusBadRequest, err)
		return
	}
	if err := e.CancelLink(req.LinkToken); err != nil {
		adminError(w, linkErrorStatus(err), err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]bool{"cancelled": true})
}

func linkErrorStatus(err error) int {
	if errors.Is(err, ErrUnknownLinkToken) {
		return http.StatusNotFound
	}
	return http.StatusBadRequest
}

// adminItemChange decodes a control request into req (which must have an
// "item"), runs change and answers ok, or the error.
func adminItemChange(w http.ResponseWriter, r *http.Request, req any, item func() string, change func() error) {
	if err := decodeStrict(r, req); err != nil {
		adminError(w, http.StatusBadRequest, err)
		return
	}
	if item() == "" {
		adminError(w, http.StatusBadRequest, errors.New(`"item" is required (an item name, item_id or access_token)`))
		return
	}
	if err := change(); err != nil {
		adminError(w, http.StatusNotFound, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]bool{"ok": true})
}

func (e *Emulator) adminAutopay(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Item string `json:"item"`
		On   bool   `json:"on"`
	}
	adminItemChange(w, r, &req, func() string { return req.Item }, func() error { return e.SetAutopay(req.Item, req.On) })
}

func (e *Emulator) adminAPR(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Item      string  `json:"item"`
		AccountID string  `json:"account_id"`
		Percent   float64 `json:"apr_percentage"`
	}
	adminItemChange(w, r, &req, func() string { return req.Item }, func() error { return e.SetAPR(req.Item, req.AccountID, req.Percent) })
}

func (e *Emulator) adminCorrectInvestment(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Item   string  `json:"item"`
		ID     string  `json:"investment_transaction_id"`
		Amount float64 `json:"amount"`
	}
	adminItemChange(w, r, &req, func() string { return req.Item }, func() error { return e.CorrectInvestmentTransaction(req.Item, req.ID, req.Amount) })
}

func (e *Emulator) adminRemoveInvestment(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Item string `json:"item"`
		ID   string `json:"investment_transaction_id"`
	}
	adminItemChange(w, r, &req, func() string { return req.Item }, func() error { return e.RemoveInvestmentTransaction(req.Item, req.ID) })
}
