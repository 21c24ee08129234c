// Package plaidemu is a faithful emulator of the parts of Plaid's API that
// telegraf-plaid uses: items, accounts and balances, /transactions/sync and
// /transactions/get with realistic, deterministic bank data, Link (with a
// browser SDK stand-in and Hosted Link), the sandbox endpoints, investments
// and liabilities. It answers the real plaid-go client over HTTP exactly as
// Plaid does, including Plaid's error shapes, rate limits and faults injected
// on demand, so the product can be run and tested without Plaid keys.
//
// An item linked through Link has the products Link was asked for, as far
// as its institution supports them (Capital One has no Investments): the
// required ones (products), and required-if-supported and optional ones
// where an account of the item is served by them. Endpoints of a product an
// item lacks answer PRODUCTS_NOT_SUPPORTED or ADDITIONAL_CONSENT_REQUIRED.
//
// An emulator holds everything in memory. The same Config and the same
// sequence of calls give the same data: ids, tokens and amounts.
//
// Liabilities follow the bank's billing cycles: a card's statement is cut
// on the 28th and due on the 25th of the next month, a loan's is cut on the
// 20th and due on the 5th. Autopay pays on the due date; SetAutopay turns
// it off, after which a statement is overdue from the day after its due
// date. SetAPR resets a rate. GroundTruth's Liabilities say what
// /liabilities/get answers.
//
// Security prices move every day (the same for every seed); investment
// accounts get a dividend on the 1st, a buy on the 15th, a sell every other
// month on the 20th and an account fee on the 28th, which change quantities,
// cash and cost basis. GroundTruth's Holdings say what
// /investments/holdings/get answers, its InvestmentTransactions what
// /investments/transactions/get lists; CorrectInvestmentTransaction and
// RemoveInvestmentTransaction restate or withdraw one.
package plaidemu
