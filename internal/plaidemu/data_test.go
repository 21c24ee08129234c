package plaidemu_test

import (
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/plaid/plaid-go/v42/plaid"
	"github.com/stretchr/testify/require"

	"github.com/plaid-sync/telegraf-plaid/internal/plaidemu"
)

func TestAccountsAndBalances(t *testing.T) {
	emu, client := startEmulator(t, plaidemu.Config{Seed: 21, HistoryDays: 120})
	gt := emu.GroundTruth()
	ctx := testContext(t)
	for _, info := range emu.Items() {
		want := itemByName(t, gt, info.Name)
		acc, _, err := client.PlaidApi.AccountsGet(ctx).AccountsGetRequest(*plaid.NewAccountsGetRequest(info.AccessToken)).Execute()
		require.NoError(t, err)
		require.Equal(t, info.ItemID, acc.Item.ItemId)
		require.Len(t, acc.GetAccounts(), len(want.Accounts))
		bal, _, err := client.PlaidApi.AccountsBalanceGet(ctx).AccountsBalanceGetRequest(*plaid.NewAccountsBalanceGetRequest(info.AccessToken)).Execute()
		require.NoError(t, err)
		for i, a := range acc.GetAccounts() {
			w := want.Accounts[i]
			require.Equal(t, w.AccountID, a.AccountId)
			require.Len(t, a.AccountId, 37)
			require.Equal(t, w.Name, a.Name)
			require.Equal(t, w.Mask, a.GetMask())
			require.Equal(t, w.Type, string(a.Type))
			require.Equal(t, w.Subtype, string(a.GetSubtype()))
			require.Equal(t, w.Currency, a.Balances.GetIsoCurrencyCode())
			requireBalances(t, w.Balances, a.Balances, info.Name+" / "+w.Name)
			b := bal.GetAccounts()[i]
			requireBalances(t, w.Balances, b.Balances, info.Name+" / "+w.Name+" (real time)")
			require.Nil(t, b.Balances.LastUpdatedDatetime.Get(), "only Capital One sends last_updated_datetime")
		}
		// One account only.
		req := plaid.NewAccountsGetRequest(info.AccessToken)
		opts := plaid.NewAccountsGetRequestOptions()
		opts.SetAccountIds([]string{want.Accounts[1].AccountID})
		req.SetOptions(*opts)
		one, _, err := client.PlaidApi.AccountsGet(ctx).AccountsGetRequest(*req).Execute()
		require.NoError(t, err)
		require.Len(t, one.GetAccounts(), 1)
		require.Equal(t, want.Accounts[1].AccountID, one.GetAccounts()[0].AccountId)
	}

	t.Run("balances follow the transactions", func(t *testing.T) {
		// Depository: current = opening - posted, available = current - pending.
		// Credit: current (owed) = opening + posted, available = limit - current - pending.
		type sums struct{ posted, pending, current, available int64 }
		snapshot := func(l *ledger) map[string]sums {
			out := map[string]sums{}
			for id, a := range l.accounts {
				s := sums{current: toCents(*a.Balances.Current.Get())}
				if v := a.Balances.Available.Get(); v != nil {
					s.available = toCents(*v)
				}
				out[id] = s
			}
			for _, tx := range l.txns {
				s := out[tx.AccountId]
				if tx.Pending {
					s.pending += toCents(tx.Amount)
				} else {
					s.posted += toCents(tx.Amount)
				}
				out[tx.AccountId] = s
			}
			return out
		}
		ledgers := map[string]*ledger{}
		before := map[string]map[string]sums{}
		for _, info := range emu.Items() {
			l := newLedger()
			syncItem(t, client, info.AccessToken, 500, l, nil)
			ledgers[info.Name], before[info.Name] = l, snapshot(l)
		}
		_, err := emu.Advance(6)
		require.NoError(t, err)
		checked := 0
		for _, info := range emu.Items() {
			l := ledgers[info.Name]
			syncItem(t, client, info.AccessToken, 500, l, nil)
			after := snapshot(l)
			for id, a := range l.accounts {
				b, n := before[info.Name][id], after[id]
				dPosted, dPending := n.posted-b.posted, n.pending-b.pending
				switch a.Type {
				case plaid.ACCOUNTTYPE_DEPOSITORY:
					require.Equal(t, -dPosted, n.current-b.current, "%s %s current", info.Name, a.Name)
					require.Equal(t, -dPosted-dPending, n.available-b.available, "%s %s available", info.Name, a.Name)
					checked++
				case plaid.ACCOUNTTYPE_CREDIT:
					require.Equal(t, dPosted, n.current-b.current, "%s %s current", info.Name, a.Name)
					require.Equal(t, -dPosted-dPending, n.available-b.available, "%s %s available", info.Name, a.Name)
					limit := toCents(*a.Balances.Limit.Get())
					require.Equal(t, limit-n.current-n.pending, n.available)
					checked++
				}
			}
		}
		require.GreaterOrEqual(t, checked, 6)
	})
}

func TestItemStatus(t *testing.T) {
	emu, client := startEmulator(t, plaidemu.Config{Seed: 21, Items: 2, HistoryDays: 30})
	ctx := testContext(t)
	items := emu.Items()
	get := func(token string) plaid.ItemGetResponse {
		resp, _, err := client.PlaidApi.ItemGet(ctx).ItemGetRequest(*plaid.NewItemGetRequest(token)).Execute()
		require.NoError(t, err)
		return resp
	}
	chase, amex := get(items[0].AccessToken), get(items[1].AccessToken)
	require.Equal(t, items[0].ItemID, chase.Item.ItemId)
	require.Equal(t, "ins_3", chase.Item.GetInstitutionId())
	require.Equal(t, "Chase", chase.Item.GetInstitutionName())
	require.Contains(t, chase.Item.GetBilledProducts(), plaid.PRODUCTS_TRANSACTIONS)
	require.NotNil(t, chase.Item.ConsentExpirationTime.Get(), "Chase items carry a consent expiration")
	require.True(t, chase.Item.ConsentExpirationTime.Get().After(emulatedNow(300)))
	require.Nil(t, amex.Item.ConsentExpirationTime.Get())
	require.Nil(t, chase.Item.Error.Get())

	first := chase.GetStatus().Transactions.Get().LastSuccessfulUpdate.Get()
	require.NotNil(t, first)
	require.WithinDuration(t, emulatedNow(0), *first, time.Minute)
	_, err := emu.Advance(2)
	require.NoError(t, err)
	later := get(items[0].AccessToken)
	second := later.GetStatus().Transactions.Get().LastSuccessfulUpdate.Get()
	require.WithinDuration(t, first.Add(48*time.Hour), *second, time.Minute)
	require.Nil(t, later.GetStatus().Transactions.Get().LastFailedUpdate.Get())

	_, _, err = client.PlaidApi.TransactionsRefresh(ctx).TransactionsRefreshRequest(*plaid.NewTransactionsRefreshRequest(items[1].AccessToken)).Execute()
	require.NoError(t, err)

	inst, _, err := client.PlaidApi.InstitutionsGetById(ctx).InstitutionsGetByIdRequest(
		plaid.InstitutionsGetByIdRequest{InstitutionId: "ins_109508", CountryCodes: []plaid.CountryCode{plaid.COUNTRYCODE_US},
			Options: &plaid.InstitutionsGetByIdRequestOptions{IncludeOptionalMetadata: plaid.PtrBool(true)}}).Execute()
	require.NoError(t, err)
	require.Equal(t, "First Platypus Bank", inst.Institution.Name)
	require.NotEmpty(t, inst.Institution.GetUrl())
	_, resp, err := client.PlaidApi.InstitutionsGetById(ctx).InstitutionsGetByIdRequest(
		plaid.InstitutionsGetByIdRequest{InstitutionId: "ins_109508"}).Execute()
	requirePlaidError(t, err, resp, 400, "INVALID_REQUEST", "MISSING_FIELDS")
}

func TestTransactionsGet(t *testing.T) {
	emu, client := startEmulator(t, plaidemu.Config{Seed: 21, Items: 1, HistoryDays: 200})
	info := emu.Items()[0]
	ctx := testContext(t)
	l := newLedger()
	syncItem(t, client, info.AccessToken, 500, l, nil)

	start, end := "2025-12-01", "2026-03-14"
	var want []string
	for _, tx := range l.txns {
		if tx.Date >= start && tx.Date <= end {
			want = append(want, tx.TransactionId)
		}
	}
	var got []plaid.Transaction
	for offset := int32(0); ; offset += 100 {
		req := plaid.NewTransactionsGetRequest(info.AccessToken, start, end)
		opts := plaid.NewTransactionsGetRequestOptions()
		opts.SetCount(100)
		opts.SetOffset(offset)
		req.SetOptions(*opts)
		resp, _, err := client.PlaidApi.TransactionsGet(ctx).TransactionsGetRequest(*req).Execute()
		require.NoError(t, err)
		require.Equal(t, int32(len(want)), resp.GetTotalTransactions())
		require.Equal(t, info.ItemID, resp.Item.ItemId)
		got = append(got, resp.GetTransactions()...)
		if len(resp.GetTransactions()) < 100 {
			break
		}
	}
	require.Len(t, got, len(want))
	ids := make([]string, len(got))
	for i, tx := range got {
		ids[i] = tx.TransactionId
		if i > 0 {
			require.GreaterOrEqual(t, got[i-1].Date, tx.Date, "newest first")
		}
		require.Equal(t, l.txns[tx.TransactionId].Amount, tx.Amount)
	}
	sort.Strings(ids)
	sort.Strings(want)
	require.Equal(t, want, ids)

	// One account; count 500; an offset past the end.
	acct := emu.GroundTruth().Items[0].Accounts[0]
	req := plaid.NewTransactionsGetRequest(info.AccessToken, "2025-01-01", end)
	opts := plaid.NewTransactionsGetRequestOptions()
	opts.SetAccountIds([]string{acct.AccountID})
	opts.SetCount(500)
	req.SetOptions(*opts)
	resp, _, err := client.PlaidApi.TransactionsGet(ctx).TransactionsGetRequest(*req).Execute()
	require.NoError(t, err)
	require.Equal(t, int32(acct.Count), resp.GetTotalTransactions())
	require.Len(t, resp.GetAccounts(), 1)
	for _, tx := range resp.GetTransactions() {
		require.Equal(t, acct.AccountID, tx.AccountId)
	}
	opts.SetOffset(100000)
	req.SetOptions(*opts)
	resp, _, err = client.PlaidApi.TransactionsGet(ctx).TransactionsGetRequest(*req).Execute()
	require.NoError(t, err)
	require.Empty(t, resp.GetTransactions())

	for _, count := range []int32{0, 501} {
		opts.SetCount(count)
		req.SetOptions(*opts)
		_, httpResp, err := client.PlaidApi.TransactionsGet(ctx).TransactionsGetRequest(*req).Execute()
		requirePlaidError(t, err, httpResp, 400, "INVALID_REQUEST", "INVALID_FIELD")
	}
}

// TestTransactionData checks that generated transactions look like Plaid's
// and include the hard cases encoders must survive.
func TestTransactionData(t *testing.T) {
	emu, client := startEmulator(t, plaidemu.Config{Seed: 1, Items: 4, HistoryDays: 365})
	idRe := regexp.MustCompile(`^[0-9A-Za-z]{37}$`)
	dateRe := regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)
	seen := map[string]bool{}
	mark := func(cond bool, what string) {
		if cond {
			seen[what] = true
		}
	}
	currencies := map[string]bool{}
	for _, info := range emu.Items() {
		l := newLedger()
		syncItem(t, client, info.AccessToken, 500, l, nil)
		for _, a := range l.accounts {
			mark(strings.ContainsAny(a.Name, `"`), "account name with a quote")
			mark(strings.ContainsAny(a.Name, "=") && strings.ContainsRune(a.Name, '💶'), "account name with = and emoji")
			currencies[a.Balances.GetIsoCurrencyCode()] = true
			mark(a.Type == plaid.ACCOUNTTYPE_CREDIT && a.Balances.Limit.Get() != nil, "credit card with a limit")
			require.NotEqual(t, plaid.ACCOUNTTYPE_INVESTMENT, a.Type, "sync omits investment accounts")
		}
		for _, a := range itemByName(t, emu.GroundTruth(), info.Name).Accounts {
			mark(a.Type == "investment", "investment account")
			mark(a.Type == "loan", "loan account")
		}
		for _, tx := range l.txns {
			require.Regexp(t, idRe, tx.TransactionId)
			require.Regexp(t, dateRe, tx.Date)
			require.Contains(t, []string{"online", "in store", "other"}, tx.PaymentChannel)
			require.Equal(t, tx.Amount, float64(toCents(tx.Amount))/100, "whole cents")
			require.True(t, tx.IsoCurrencyCode.Get() != nil, "iso_currency_code is set")
			require.Nil(t, tx.UnofficialCurrencyCode.Get())
			mark(tx.Pending, "pending")
			mark(tx.PendingTransactionId.Get() != nil, "posted from pending")
			mark(tx.Amount < 0, "money in")
			mark(tx.MerchantName.Get() == nil, "no merchant name")
			mark(tx.PersonalFinanceCategory.Get() == nil, "no category")
			mark(strings.Contains(tx.Name, `"`), "quote")
			mark(strings.Contains(tx.Name, ","), "comma")
			mark(strings.HasSuffix(tx.Name, `\`), "trailing backslash")
			mark(strings.Contains(tx.Name, "="), "equals sign")
			mark(strings.ContainsRune(tx.Name, '🍕'), "emoji")
			mark(strings.ContainsAny(tx.Name, "スターバックス"), "Japanese")
			mark(strings.ContainsAny(tx.Name, "Кофейня"), "Cyrillic")
			mark(strings.ContainsAny(tx.Name, "مطعم"), "Arabic")
			mark(tx.Location.City.Get() != nil, "location")
			mark(tx.GetAuthorizedDate() != "" && tx.GetAuthorizedDate() < tx.Date, "authorized before posted")
			if pfc := tx.PersonalFinanceCategory.Get(); pfc != nil {
				require.True(t, strings.HasPrefix(pfc.Detailed, pfc.Primary+"_"), pfc.Detailed)
				mark(pfc.Primary == "INCOME" && tx.Amount < 0, "paycheck")
				mark(pfc.Primary == "TRANSFER_IN" || pfc.Primary == "TRANSFER_OUT", "transfer")
				mark(pfc.Primary == "LOAN_PAYMENTS", "card or loan payment")
			}
		}
	}
	for _, want := range []string{"account name with a quote", "account name with = and emoji", "credit card with a limit",
		"investment account", "loan account", "pending", "posted from pending", "money in", "no merchant name", "no category",
		"quote", "comma", "trailing backslash", "equals sign", "emoji", "Japanese", "Cyrillic", "Arabic", "location",
		"authorized before posted", "paycheck", "transfer", "card or loan payment"} {
		require.True(t, seen[want], "no transaction or account shows %q", want)
	}
	require.True(t, currencies["USD"])
	require.GreaterOrEqual(t, len(currencies), 2, "a foreign-currency account exists")
}

func TestHoldingsAndLiabilities(t *testing.T) {
	emu, client := startEmulator(t, plaidemu.Config{Seed: 21, Items: 3, HistoryDays: 60})
	ctx := testContext(t)
	gt := emu.GroundTruth()
	for _, info := range emu.Items() {
		want := itemByName(t, gt, info.Name)
		var investment, liability []plaidemu.AccountTruth
		for _, a := range want.Accounts {
			switch a.Type {
			case "investment":
				investment = append(investment, a)
			case "credit", "loan":
				liability = append(liability, a)
			}
		}
		h, resp, err := client.PlaidApi.InvestmentsHoldingsGet(ctx).InvestmentsHoldingsGetRequest(*plaid.NewInvestmentsHoldingsGetRequest(info.AccessToken)).Execute()
		if len(investment) == 0 {
			requirePlaidError(t, err, resp, 400, "ITEM_ERROR", "NO_INVESTMENT_ACCOUNTS")
		} else {
			require.NoError(t, err)
			securities := map[string]plaid.Security{}
			for _, s := range h.GetSecurities() {
				securities[s.SecurityId] = s
			}
			for _, a := range investment {
				var total int64
				for _, hd := range h.GetHoldings() {
					if hd.AccountId == a.AccountID {
						total += toCents(hd.InstitutionValue)
						require.Contains(t, securities, hd.SecurityId)
					}
				}
				require.Equal(t, toCents(*a.Balances.Current), total, "holdings add up to the balance")
			}
		}
		l, resp, err := client.PlaidApi.LiabilitiesGet(ctx).LiabilitiesGetRequest(*plaid.NewLiabilitiesGetRequest(info.AccessToken)).Execute()
		if len(liability) == 0 {
			requirePlaidError(t, err, resp, 400, "ITEM_ERROR", "NO_LIABILITY_ACCOUNTS")
			continue
		}
		require.NoError(t, err)
		lb := l.GetLiabilities()
		n := len(lb.GetCredit()) + len(lb.GetMortgage()) + len(lb.GetStudent())
		require.Equal(t, len(liability), n)
		for _, c := range lb.GetCredit() {
			require.NotEmpty(t, c.GetAprs())
			require.NotEmpty(t, c.GetNextPaymentDueDate())
		}
	}
}

func TestSandboxTransactionsCreate(t *testing.T) {
	emu, client := startEmulator(t, plaidemu.Config{Seed: 21, Items: 1, HistoryDays: 30})
	info := emu.Items()[0]
	ctx := testContext(t)
	l := newLedger()
	syncItem(t, client, info.AccessToken, 500, l, nil)

	tx := func(daysAgo int, amount float64, desc string) plaid.CustomSandboxTransaction {
		d := fixedToday.AddDate(0, 0, -daysAgo).Format(time.DateOnly)
		return *plaid.NewCustomSandboxTransaction(d, d, amount, desc)
	}
	create := func(txs ...plaid.CustomSandboxTransaction) (*plaid.APIResponse, error) {
		_, resp, err := client.PlaidApi.SandboxTransactionsCreate(ctx).SandboxTransactionsCreateRequest(
			*plaid.NewSandboxTransactionsCreateRequest(info.AccessToken, txs)).Execute()
		if resp == nil {
			return nil, err
		}
		return &plaid.APIResponse{Response: resp}, err
	}
	_, err := create(tx(1, 12.34, `Corner "Deli", NYC`), tx(3, -500, "Refund = yes"))
	require.NoError(t, err)

	rep := syncItem(t, client, info.AccessToken, 500, l, nil)
	require.Len(t, rep.added, 2)
	names := map[string]float64{}
	for _, a := range rep.added {
		names[a.txn.Name] = a.txn.Amount
	}
	require.Equal(t, map[string]float64{`Corner "Deli", NYC`: 12.34, "Refund = yes": -500}, names)
	requireLedgerMatchesTruth(t, l, itemByName(t, emu.GroundTruth(), info.Name))

	eleven := make([]plaid.CustomSandboxTransaction, 11)
	for i := range eleven {
		eleven[i] = tx(1, 1, "x")
	}
	for name, txs := range map[string][]plaid.CustomSandboxTransaction{
		"too many":  eleven,
		"too old":   {tx(20, 1, "old")},
		"in future": {tx(-2, 1, "future")},
	} {
		resp, err := create(txs...)
		require.NotNil(t, resp, name)
		requirePlaidError(t, err, resp.Response, 400, "INVALID_REQUEST", "INVALID_FIELD")
	}
}
