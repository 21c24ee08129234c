package plaidemu

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Errors of CompleteLink and CancelLink.
var (
	ErrUnknownLinkToken    = errors.New("plaidemu: unknown link token")
	ErrLinkTokenExpired    = errors.New("plaidemu: link token has expired")
	ErrUnknownInstitution  = errors.New("plaidemu: unknown institution")
	ErrInvalidCredentials  = errors.New("plaidemu: the provided credentials were not correct")
	ErrWrongInstitution    = errors.New("plaidemu: update mode links the item's own institution")
	ErrItemRemoved         = errors.New("plaidemu: the item of this link token was removed")
	errCredentialsRequired = errors.New("plaidemu: username and password are required")
)

// GoodPassword is the sandbox password Link accepts (with any username,
// e.g. "user_good").
const GoodPassword = "pass_good"

const (
	linkTTL        = 4 * time.Hour
	linkUpdateTTL  = 30 * time.Minute
	publicTokenTTL = 30 * time.Minute
)

// linkToken is a Link session configuration created by /link/token/create.
type linkToken struct {
	Token         string
	Created       time.Time
	Expires       time.Time
	Update        *item // update mode: the item whose login is repaired
	HostedID      string
	DaysRequested int
	Products      []string
	Request       linkRequest // products, required_if_supported_products and optional_products
	Webhook       string
	ClientName    string
	Language      string
	CountryCodes  []string
	RedirectURI   string
	Sessions      []*linkSession
}

// linkSession is one pass through the Link dialog.
type linkSession struct {
	ID          string
	Started     time.Time
	Finished    time.Time
	PublicToken string // success
	Inst        *institution
	Item        *item
	ExitStatus  string // exit
	RequestID   string
	Events      []linkEventRecord
}

type linkEventRecord struct {
	Name string
	At   time.Time
	ID   string
}

type publicToken struct {
	Item    *item
	Expires time.Time
	Used    bool
}

// newPublicToken mints a public token for it. Callers hold e.mu.
func (e *Emulator) newPublicToken(it *item) string {
	tok := "public-sandbox-" + uuid4(e.tokenRand)
	e.publicTokens[tok] = &publicToken{Item: it, Expires: e.now().Add(publicTokenTTL)}
	return tok
}

// activeLink returns a link token that can still be used. Callers hold e.mu.
func (e *Emulator) activeLink(token string) (*linkToken, error) {
	lt := e.links[token]
	if lt == nil {
		return nil, ErrUnknownLinkToken
	}
	if !e.now().Before(lt.Expires) {
		return nil, ErrLinkTokenExpired
	}
	return lt, nil
}

// startSession opens a Link session on lt, as opening the dialog does.
// Callers hold e.mu.
func (e *Emulator) startSession(lt *linkToken) *linkSession {
	now := e.now()
	s := &linkSession{ID: uuid4(e.tokenRand), Started: now, RequestID: shortID(e.tokenRand, 15)}
	s.Events = append(s.Events, linkEventRecord{Name: "OPEN", At: now, ID: uuid4(e.tokenRand)})
	lt.Sessions = append(lt.Sessions, s)
	return s
}

// finishSession ends the open session sessionID of lt (or a new one when
// there is none) with events. Callers hold e.mu.
func (e *Emulator) finishSession(lt *linkToken, sessionID string, events ...string) *linkSession {
	var s *linkSession
	for _, cand := range lt.Sessions {
		if sessionID != "" && cand.ID == sessionID && cand.Finished.IsZero() {
			s = cand
		}
	}
	if s == nil {
		s = e.startSession(lt)
	}
	now := e.now()
	s.Finished = now
	for _, name := range events {
		s.Events = append(s.Events, linkEventRecord{Name: name, At: now, ID: uuid4(e.tokenRand)})
	}
	return s
}

// CompleteLink does what a person does in the Link dialog: picks an
// institution and logs in. For a normal link token it creates an item
// (history generated like the others) and returns a public token; in update
// mode (token created with access_token) it repairs the item's login
// (clears ITEM_LOGIN_REQUIRED) and returns a public token for the same
// item. Wrong credentials (password other than "pass_good") give an error.
// It records the session for /link/token/get.
func (e *Emulator) CompleteLink(linkToken, institutionID, username, password string) (string, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	s, err := e.completeLink(linkToken, "", institutionID, username, password)
	if err != nil {
		return "", err
	}
	return s.PublicToken, nil
}

// completeLink finishes session sessionID ("" = a new one) successfully.
// Callers hold e.mu.
func (e *Emulator) completeLink(linkToken, sessionID, institutionID, username, password string) (*linkSession, error) {
	lt, err := e.activeLink(linkToken)
	if err != nil {
		return nil, err
	}
	inst := institutionByID(institutionID)
	if lt.Update != nil {
		if lt.Update.removed {
			return nil, ErrItemRemoved
		}
		if institutionID == "" {
			inst = lt.Update.Inst
		}
		if inst != lt.Update.Inst {
			return nil, fmt.Errorf("%w (%s)", ErrWrongInstitution, lt.Update.Inst.Name)
		}
	}
	if inst == nil {
		return nil, fmt.Errorf("%w %q", ErrUnknownInstitution, institutionID)
	}
	if !inst.servesAny(lt.CountryCodes) {
		return nil, fmt.Errorf("%w %q in the link token's country_codes %v", ErrUnknownInstitution, institutionID, lt.CountryCodes)
	}
	if username == "" || password == "" {
		return nil, errCredentialsRequired
	}
	if password != GoodPassword {
		return nil, ErrInvalidCredentials
	}
	if missing := lt.Request.unsupported(inst); lt.Update == nil && len(missing) > 0 {
		return nil, fmt.Errorf("%w: %s does not support %s", ErrProductsNotSupported, inst.Name, strings.Join(missing, ", "))
	}
	var it *item
	if lt.Update != nil {
		it = lt.Update
		if !it.consent.IsZero() {
			// Update mode asks for consent again.
			it.consent = e.now().AddDate(1, 0, 0)
		}
		if it.errCode != "" {
			it.errCode, it.errReason = "", ""
			e.catchUp(it)
		}
	} else {
		it = e.linkItem(inst, lt.Webhook, lt.Request, lt.DaysRequested)
	}
	s := e.finishSession(lt, sessionID, "SELECT_INSTITUTION", "SUBMIT_CREDENTIALS", "HANDOFF")
	s.PublicToken, s.Inst, s.Item = e.newPublicToken(it), inst, it
	return s, nil
}

// linkItem creates an item as Link does, with the products setProducts
// gives it; the person holds an account for each required product. When
// Transactions is among them it is initialised now with daysRequested (0 =
// Plaid's default, 90) days of history, at most HistoryDays; otherwise the
// item holds HistoryDays and the first transactions call initialises it.
// Callers checked the required products against inst and hold e.mu.
func (e *Emulator) linkItem(inst *institution, webhook string, lr linkRequest, daysRequested int) *item {
	var need []accountKind
	for _, p := range lr.Required {
		if k, ok := accountKindFor(p); ok {
			need = append(need, k)
		}
	}
	history := e.cfg.HistoryDays
	if slices.Contains(lr.all(), productTransactions) {
		if daysRequested == 0 {
			daysRequested = DefaultDaysRequested
		}
		history = min(history, daysRequested)
	}
	it := e.newItem(inst, e.uniqueItemName(inst), false, history, webhook, need)
	it.setProducts(lr)
	it.txInit = slices.Contains(it.products, productTransactions)
	return it
}

// CancelLink records an exited session (for /link/token/get) as the
// dialog's cancel does.
func (e *Emulator) CancelLink(linkToken string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	_, err := e.cancelLink(linkToken, "", "")
	return err
}

// cancelLink ends session sessionID ("" = a new one) as exited; the exit
// status says where the person left. Callers hold e.mu.
func (e *Emulator) cancelLink(linkToken, sessionID, institutionID string) (*linkSession, error) {
	lt := e.links[linkToken]
	if lt == nil {
		return nil, ErrUnknownLinkToken
	}
	inst := institutionByID(institutionID)
	if lt.Update != nil && inst == nil {
		inst = lt.Update.Inst
	}
	status := "institution_not_found"
	if inst != nil {
		status = "requires_credentials"
	}
	s := e.finishSession(lt, sessionID, "EXIT")
	s.Inst, s.ExitStatus = inst, status
	return s, nil
}

type linkTokenCreateRequest struct {
	ClientName   *string   `json:"client_name"`
	Language     *string   `json:"language"`
	CountryCodes *[]string `json:"country_codes"`
	User         *struct {
		ClientUserID string `json:"client_user_id"`
	} `json:"user"`
	Products     []string         `json:"products"`
	IfSupported  []string         `json:"required_if_supported_products"`
	Optional     []string         `json:"optional_products"`
	AccessToken  *string          `json:"access_token"`
	Webhook      *string          `json:"webhook"`
	RedirectURI  *string          `json:"redirect_uri"`
	HostedLink   *json.RawMessage `json:"hosted_link"`
	Transactions *struct {
		DaysRequested *int `json:"days_requested"`
	} `json:"transactions"`
}

type linkTokenCreateResponse struct {
	LinkToken     string  `json:"link_token"`
	Expiration    string  `json:"expiration"`
	HostedLinkURL *string `json:"hosted_link_url,omitempty"`
	RequestID     string  `json:"request_id"`
}

var knownProducts = []string{"transactions", "auth", "balance", "identity", "investments", "liabilities", "assets", "recurring_transactions"}

func (e *Emulator) linkTokenCreate(c *call) (any, *apiError) {
	var req linkTokenCreateRequest
	if err := c.decode(&req); err != nil {
		return nil, err
	}
	var missing []string
	if req.ClientName == nil || *req.ClientName == "" {
		missing = append(missing, "client_name")
	}
	if req.Language == nil || *req.Language == "" {
		missing = append(missing, "language")
	}
	if req.CountryCodes == nil || len(*req.CountryCodes) == 0 {
		missing = append(missing, "country_codes")
	}
	if req.User == nil {
		missing = append(missing, "user")
	} else if req.User.ClientUserID == "" {
		missing = append(missing, "user.client_user_id")
	}
	update := req.AccessToken != nil && *req.AccessToken != ""
	if !update && len(req.Products) == 0 {
		missing = append(missing, "products")
	}
	if len(missing) > 0 {
		return nil, missingFields(missing...)
	}
	seen := map[string]string{}
	for _, list := range []struct {
		field    string
		products []string
	}{{"products", req.Products}, {"required_if_supported_products", req.IfSupported}, {"optional_products", req.Optional}} {
		for _, p := range list.products {
			if !slices.Contains(knownProducts, p) {
				return nil, invalidField("%s contains an unknown product %q", list.field, p)
			}
			if other, dup := seen[p]; dup {
				return nil, invalidField("%q is in both %s and %s; a product may appear in one of them only", p, other, list.field)
			}
			seen[p] = list.field
		}
	}
	days := 0
	if req.Transactions != nil && req.Transactions.DaysRequested != nil {
		days = *req.Transactions.DaysRequested
		if days < 1 || days > 730 {
			return nil, invalidField("transactions.days_requested must be between 1 and 730, got %d", days)
		}
	}

	e.mu.Lock()
	defer e.mu.Unlock()
	lt := &linkToken{
		Token:         "link-sandbox-" + uuid4(e.tokenRand),
		Created:       e.now(),
		DaysRequested: days,
		Products:      req.Products,
		Request:       linkRequest{Required: req.Products, IfSupported: req.IfSupported, Optional: req.Optional},
		ClientName:    *req.ClientName,
		Language:      *req.Language,
		CountryCodes:  *req.CountryCodes,
	}
	if req.Webhook != nil {
		lt.Webhook = *req.Webhook
	}
	if req.RedirectURI != nil {
		lt.RedirectURI = *req.RedirectURI
	}
	ttl := linkTTL
	if update {
		it, err := e.lookupItem(*req.AccessToken)
		if err != nil {
			return nil, err
		}
		lt.Update = it
		lt.Products = nil
		ttl = linkUpdateTTL
	}
	if e.cfg.LinkTokenTTL > 0 {
		ttl = e.cfg.LinkTokenTTL
	}
	lt.Expires = lt.Created.Add(ttl)
	resp := linkTokenCreateResponse{LinkToken: lt.Token, Expiration: rfc3339(lt.Expires), RequestID: c.requestID}
	if req.HostedLink != nil {
		lt.HostedID = shortID(e.tokenRand, 24)
		e.hosted[lt.HostedID] = lt
		base := e.URL()
		if base == "" {
			base = "http://" + c.req.Host
		}
		resp.HostedLinkURL = strPtr(base + "/link/hosted/" + lt.HostedID)
	}
	e.links[lt.Token] = lt
	return resp, nil
}

type linkTokenGetRequest struct {
	LinkToken string `json:"link_token"`
}

type linkInstitutionWire struct {
	Name          string `json:"name"`
	InstitutionID string `json:"institution_id"`
}

type linkAccountWire struct {
	ID                 string  `json:"id"`
	Name               string  `json:"name"`
	Mask               *string `json:"mask"`
	Type               string  `json:"type"`
	Subtype            string  `json:"subtype"`
	VerificationStatus *string `json:"verification_status"`
	ClassType          *string `json:"class_type"`
}

type linkSuccessMetadataWire struct {
	Institution    *linkInstitutionWire `json:"institution"`
	Accounts       []linkAccountWire    `json:"accounts"`
	LinkSessionID  string               `json:"link_session_id"`
	TransferStatus *string              `json:"transfer_status"`
}

type linkSuccessWire struct {
	PublicToken string                  `json:"public_token"`
	Metadata    linkSuccessMetadataWire `json:"metadata"`
}

type linkExitMetadataWire struct {
	Institution   *linkInstitutionWire `json:"institution"`
	Status        string               `json:"status"`
	LinkSessionID string               `json:"link_session_id"`
	RequestID     string               `json:"request_id"`
}

type linkExitWire struct {
	Error    *errorBody           `json:"error"`
	Metadata linkExitMetadataWire `json:"metadata"`
}

type linkItemAddResultWire struct {
	PublicToken string               `json:"public_token"`
	Accounts    []linkAccountWire    `json:"accounts"`
	Institution *linkInstitutionWire `json:"institution"`
}

type linkResultsWire struct {
	ItemAddResults        []linkItemAddResultWire `json:"item_add_results"`
	CraItemAddResults     []any                   `json:"cra_item_add_results"`
	CraUpdateResults      []any                   `json:"cra_update_results"`
	BankIncomeResults     []any                   `json:"bank_income_results"`
	PayrollIncomeResults  []any                   `json:"payroll_income_results"`
	DocumentIncomeResults *struct{}               `json:"document_income_results"`
}

type linkEventWire struct {
	EventName     string            `json:"event_name"`
	Timestamp     string            `json:"timestamp"`
	EventID       string            `json:"event_id"`
	EventMetadata map[string]string `json:"event_metadata"`
}

type linkSessionWire struct {
	LinkSessionID string           `json:"link_session_id"`
	StartedAt     string           `json:"started_at"`
	FinishedAt    *string          `json:"finished_at"`
	OnSuccess     *linkSuccessWire `json:"on_success"`
	OnExit        *linkExitWire    `json:"on_exit"`
	Exit          *linkExitWire    `json:"exit"`
	Events        []linkEventWire  `json:"events"`
	Results       *linkResultsWire `json:"results"`
}

type linkMetadataWire struct {
	InitialProducts []string `json:"initial_products"`
	Webhook         *string  `json:"webhook"`
	CountryCodes    []string `json:"country_codes"`
	Language        *string  `json:"language"`
	RedirectURI     *string  `json:"redirect_uri"`
	ClientName      *string  `json:"client_name"`
}

type linkTokenGetResponse struct {
	LinkToken    string            `json:"link_token"`
	CreatedAt    string            `json:"created_at"`
	Expiration   string            `json:"expiration"`
	LinkSessions []linkSessionWire `json:"link_sessions"`
	Metadata     linkMetadataWire  `json:"metadata"`
	RequestID    string            `json:"request_id"`
}

func (e *Emulator) linkTokenGet(c *call) (any, *apiError) {
	var req linkTokenGetRequest
	if err := c.decode(&req); err != nil {
		return nil, err
	}
	if req.LinkToken == "" {
		return nil, missingFields("link_token")
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	lt := e.links[req.LinkToken]
	if lt == nil {
		return nil, plaidErr("INVALID_LINK_TOKEN")
	}
	products := lt.Products
	if products == nil {
		products = []string{}
	}
	resp := linkTokenGetResponse{
		LinkToken:    lt.Token,
		CreatedAt:    rfc3339(lt.Created),
		Expiration:   rfc3339(lt.Expires),
		LinkSessions: []linkSessionWire{},
		Metadata: linkMetadataWire{InitialProducts: products, Webhook: optStr(lt.Webhook), CountryCodes: lt.CountryCodes,
			Language: optStr(lt.Language), RedirectURI: optStr(lt.RedirectURI), ClientName: optStr(lt.ClientName)},
		RequestID: c.requestID,
	}
	for _, s := range lt.Sessions {
		resp.LinkSessions = append(resp.LinkSessions, e.sessionWire(s))
	}
	return resp, nil
}

func linkInstitution(inst *institution) *linkInstitutionWire {
	if inst == nil {
		return nil
	}
	return &linkInstitutionWire{Name: inst.Name, InstitutionID: inst.ID}
}

func linkAccounts(it *item) []linkAccountWire {
	out := []linkAccountWire{}
	if it == nil {
		return out
	}
	for _, a := range it.Accounts {
		out = append(out, linkAccountWire{ID: a.ID, Name: a.Name, Mask: optStr(a.Mask), Type: a.Type, Subtype: a.Subtype})
	}
	return out
}

func (e *Emulator) sessionWire(s *linkSession) linkSessionWire {
	w := linkSessionWire{LinkSessionID: s.ID, StartedAt: rfc3339(s.Started), FinishedAt: timePtr(s.Finished), Events: []linkEventWire{}}
	for _, ev := range s.Events {
		md := map[string]string{"link_session_id": s.ID, "request_id": s.RequestID}
		if s.Inst != nil {
			md["institution_id"], md["institution_name"] = s.Inst.ID, s.Inst.Name
		}
		if ev.Name == "EXIT" {
			md["exit_status"] = s.ExitStatus
		}
		w.Events = append(w.Events, linkEventWire{EventName: ev.Name, Timestamp: rfc3339(ev.At), EventID: ev.ID, EventMetadata: md})
	}
	if s.PublicToken != "" {
		accts := linkAccounts(s.Item)
		w.OnSuccess = &linkSuccessWire{PublicToken: s.PublicToken, Metadata: linkSuccessMetadataWire{
			Institution: linkInstitution(s.Inst), Accounts: accts, LinkSessionID: s.ID}}
		w.Results = &linkResultsWire{
			ItemAddResults:       []linkItemAddResultWire{{PublicToken: s.PublicToken, Accounts: accts, Institution: linkInstitution(s.Inst)}},
			CraItemAddResults:    []any{},
			CraUpdateResults:     []any{},
			BankIncomeResults:    []any{},
			PayrollIncomeResults: []any{},
		}
		return w
	}
	if s.Finished.IsZero() {
		return w // still open
	}
	exit := &linkExitWire{Metadata: linkExitMetadataWire{Institution: linkInstitution(s.Inst), Status: s.ExitStatus,
		LinkSessionID: s.ID, RequestID: s.RequestID}}
	w.OnExit, w.Exit = exit, exit
	return w
}

type publicTokenExchangeRequest struct {
	PublicToken string `json:"public_token"`
}

type publicTokenExchangeResponse struct {
	AccessToken string `json:"access_token"`
	ItemID      string `json:"item_id"`
	RequestID   string `json:"request_id"`
}

func (e *Emulator) itemPublicTokenExchange(c *call) (any, *apiError) {
	var req publicTokenExchangeRequest
	if err := c.decode(&req); err != nil {
		return nil, err
	}
	if req.PublicToken == "" {
		return nil, missingFields("public_token")
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	pt := e.publicTokens[req.PublicToken]
	switch {
	case pt == nil:
		return nil, plaidErrf("INVALID_PUBLIC_TOKEN", "provided public token is in an invalid format or does not exist")
	case pt.Used:
		return nil, plaidErrf("INVALID_PUBLIC_TOKEN", "provided public token has already been exchanged")
	case !e.now().Before(pt.Expires):
		return nil, plaidErrf("INVALID_PUBLIC_TOKEN", "provided public token is expired")
	case pt.Item.removed:
		return nil, plaidErr("ITEM_NOT_FOUND")
	}
	pt.Used = true
	return publicTokenExchangeResponse{AccessToken: pt.Item.AccessToken, ItemID: pt.Item.ID, RequestID: c.requestID}, nil
}
