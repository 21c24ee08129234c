package plaidemu

import (
	"embed"
	"errors"
	"net/http"
	"strings"
)

// The Link SDK stand-in: link-initialize.js creates a full-page iframe
// showing link.html, served from the emulator like Plaid's CDN serves its
// own, so the embedding page's Content-Security-Policy only has to allow
// the emulator's origin for scripts and frames.
//
//go:embed linkui
var linkUI embed.FS

var linkAssets = map[string]struct{ file, contentType string }{
	"/link/v2/stable/link-initialize.js": {"linkui/link-initialize.js", "text/javascript; charset=utf-8"},
	"/link/v2/stable/link.html":          {"linkui/link.html", "text/html; charset=utf-8"},
	"/link/v2/stable/link.js":            {"linkui/link.js", "text/javascript; charset=utf-8"},
	"/link/v2/stable/link.css":           {"linkui/link.css", "text/css; charset=utf-8"},
}

// dialogCSP is the dialog page's own policy: everything from the emulator,
// nothing inline; any page may frame it, as Plaid's Link can be embedded
// anywhere.
const dialogCSP = "default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; frame-ancestors *; base-uri 'none'; form-action 'none'"

// serveLinkUI answers the Link pages and the dialog's own endpoints; it
// reports false for paths it does not know.
func (e *Emulator) serveLinkUI(w http.ResponseWriter, r *http.Request, path string) bool {
	if a, ok := linkAssets[path]; ok {
		e.serveAsset(w, r, a.file, a.contentType)
		return true
	}
	if strings.HasPrefix(path, "/link/hosted/") {
		e.serveAsset(w, r, "linkui/link.html", "text/html; charset=utf-8")
		return true
	}
	switch path {
	case "/link/emulator/session":
		e.dialogSession(w, r)
	case "/link/emulator/open":
		e.dialogOpen(w, r)
	case "/link/emulator/complete":
		e.dialogComplete(w, r)
	case "/link/emulator/cancel":
		e.dialogCancel(w, r)
	default:
		return false
	}
	return true
}

func (e *Emulator) serveAsset(w http.ResponseWriter, r *http.Request, file, contentType string) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		adminError(w, http.StatusMethodNotAllowed, errors.New("only GET is allowed"))
		return
	}
	body, err := linkUI.ReadFile(file)
	if err != nil {
		adminError(w, http.StatusInternalServerError, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	if strings.HasSuffix(file, ".html") {
		h.Set("Content-Security-Policy", dialogCSP)
		h.Set("Referrer-Policy", "no-referrer")
	}
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodGet {
		_, _ = w.Write(body)
	}
}

type dialogInstitution struct {
	ID    string `json:"institution_id"`
	Name  string `json:"name"`
	Color string `json:"primary_color"`
}

// maxClientName is the longest client_name Link displays.
const maxClientName = 30

type dialogSessionResponse struct {
	LinkToken    string              `json:"link_token"`
	Mode         string              `json:"mode"` // "normal" or "update"
	Hosted       bool                `json:"hosted"`
	ClientName   string              `json:"client_name"`
	Expired      bool                `json:"expired"`
	Institutions []dialogInstitution `json:"institutions"`
	Institution  *dialogInstitution  `json:"institution,omitempty"` // update mode
}

// dialogSession tells the dialog what to show for a link token (or a
// Hosted Link id).
func (e *Emulator) dialogSession(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		adminError(w, http.StatusMethodNotAllowed, errors.New("only GET is allowed"))
		return
	}
	q := r.URL.Query()
	e.mu.Lock()
	defer e.mu.Unlock()
	lt := e.links[q.Get("token")]
	hosted := false
	if id := q.Get("hosted"); id != "" {
		lt, hosted = e.hosted[id], true
	}
	if lt == nil {
		adminError(w, http.StatusNotFound, errors.New("this Link session does not exist"))
		return
	}
	name := lt.ClientName
	if len([]rune(name)) > maxClientName {
		// Plaid accepts a longer name, and Link shows this instead.
		name = "This Application"
	}
	resp := dialogSessionResponse{LinkToken: lt.Token, Mode: "normal", Hosted: hosted, ClientName: name,
		Expired: !e.now().Before(lt.Expires), Institutions: []dialogInstitution{}}
	for _, in := range allInstitutions {
		if !in.servesAny(lt.CountryCodes) || len(lt.Request.unsupported(in)) > 0 {
			continue // Link offers the institutions of the token's countries that support its products
		}
		resp.Institutions = append(resp.Institutions, dialogInstitution{ID: in.ID, Name: in.Name, Color: in.Color})
	}
	if lt.Update != nil {
		resp.Mode = "update"
		resp.Institution = &dialogInstitution{ID: lt.Update.Inst.ID, Name: lt.Update.Inst.Name, Color: lt.Update.Inst.Color}
	}
	writeJSON(w, http.StatusOK, resp)
}

func (e *Emulator) dialogOpen(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		adminError(w, http.StatusMethodNotAllowed, errors.New("only POST is allowed"))
		return
	}
	var req struct {
		LinkToken string `json:"link_token"`
	}
	if err := decodeStrict(r, &req); err != nil {
		adminError(w, http.StatusBadRequest, err)
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	lt, err := e.activeLink(req.LinkToken)
	if err != nil {
		dialogError(w, err)
		return
	}
	s := e.startSession(lt)
	writeJSON(w, http.StatusOK, map[string]string{"link_session_id": s.ID})
}

// dialogResult is what the dialog hands to onSuccess / onExit.
type dialogResult struct {
	PublicToken   string               `json:"public_token,omitempty"`
	LinkSessionID string               `json:"link_session_id"`
	Institution   *linkInstitutionWire `json:"institution"`
	Accounts      []linkAccountWire    `json:"accounts,omitempty"`
	Status        string               `json:"status,omitempty"`
	RequestID     string               `json:"request_id"`
}

func (e *Emulator) dialogComplete(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		adminError(w, http.StatusMethodNotAllowed, errors.New("only POST is allowed"))
		return
	}
	var req linkCompleteRequest
	if err := decodeStrict(r, &req); err != nil {
		adminError(w, http.StatusBadRequest, err)
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	s, err := e.completeLink(req.LinkToken, req.LinkSessionID, req.InstitutionID, req.Username, req.Password)
	if err != nil {
		dialogError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, dialogResult{PublicToken: s.PublicToken, LinkSessionID: s.ID,
		Institution: linkInstitution(s.Inst), Accounts: linkAccounts(s.Item), RequestID: s.RequestID})
}

func (e *Emulator) dialogCancel(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		adminError(w, http.StatusMethodNotAllowed, errors.New("only POST is allowed"))
		return
	}
	var req struct {
		LinkToken     string `json:"link_token"`
		LinkSessionID string `json:"link_session_id"`
		InstitutionID string `json:"institution_id"`
	}
	if err := decodeStrict(r, &req); err != nil {
		adminError(w, http.StatusBadRequest, err)
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	s, err := e.cancelLink(req.LinkToken, req.LinkSessionID, req.InstitutionID)
	if err != nil {
		dialogError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, dialogResult{LinkSessionID: s.ID, Institution: linkInstitution(s.Inst),
		Status: s.ExitStatus, RequestID: s.RequestID})
}

// dialogError answers the dialog with Plaid-style codes it can show.
func dialogError(w http.ResponseWriter, err error) {
	code, display := "INVALID_REQUEST", "Something went wrong. Please try again."
	switch {
	case errors.Is(err, ErrInvalidCredentials), errors.Is(err, errCredentialsRequired):
		code, display = "INVALID_CREDENTIALS", "The provided credentials were not correct. Please try again."
	case errors.Is(err, ErrLinkTokenExpired):
		code, display = "INVALID_LINK_TOKEN", "This link has expired. Please start again."
	case errors.Is(err, ErrUnknownLinkToken):
		code, display = "INVALID_LINK_TOKEN", "This link is not valid."
	case errors.Is(err, ErrUnknownInstitution), errors.Is(err, ErrWrongInstitution):
		code, display = "INVALID_INSTITUTION", "Please choose another institution."
	case errors.Is(err, ErrProductsNotSupported):
		code, display = "PRODUCTS_NOT_SUPPORTED", "Connectivity not supported. Please choose another institution."
	case errors.Is(err, ErrItemRemoved):
		code, display = "ITEM_NOT_FOUND", "This connection no longer exists."
	}
	writeJSON(w, linkErrorStatus(err), map[string]string{"error_code": code,
		"error_message": strings.TrimPrefix(err.Error(), "plaidemu: "), "display_message": display})
}
