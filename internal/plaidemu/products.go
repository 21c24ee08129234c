package plaidemu

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// ErrProductsNotSupported is CompleteLink's error when the institution does
// not support a product the link token requires (its products).
var ErrProductsNotSupported = errors.New("plaidemu: the institution does not support the required products")

// Product names of the products the emulator serves data for.
const (
	productTransactions = "transactions"
	productInvestments  = "investments"
	productLiabilities  = "liabilities"
)

// linkRequest is what Link was asked for: products the item must have,
// products added where the institution and the accounts support them
// (required_if_supported_products), and products added on a best-effort
// basis (optional_products).
type linkRequest struct {
	Required, IfSupported, Optional []string
}

// all lists every product named, in any role.
func (lr linkRequest) all() []string {
	return slices.Concat(lr.Required, lr.IfSupported, lr.Optional)
}

// unsupported lists the required products inst does not support.
func (lr linkRequest) unsupported(inst *institution) []string {
	var out []string
	for _, p := range lr.Required {
		if !inst.supports(p) {
			out = append(out, p)
		}
	}
	return out
}

// productsNotSupported is Plaid's error for products an institution does
// not support.
func productsNotSupported(products []string) *apiError {
	return plaidErrf("PRODUCTS_NOT_SUPPORTED", "the following products are not supported by this institution: [%s]",
		quoteAll(products))
}

func quoteAll(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", n)
	}
	return strings.Join(q, ", ")
}

// accountKindFor is the account a person needs for a product: Link makes
// them pick one when the product is required.
func accountKindFor(product string) (accountKind, bool) {
	switch product {
	case productInvestments:
		return kindInvestment, true
	case productLiabilities:
		return kindCredit, true
	}
	return 0, false
}

// hasAccountFor says whether the item holds an account the product serves.
func (it *item) hasAccountFor(product string) bool {
	return slices.ContainsFunc(it.Accounts, func(a *account) bool {
		switch product {
		case productInvestments:
			return a.Kind == kindInvestment
		case productLiabilities:
			return a.isLiability()
		case productTransactions:
			return a.servesTransactions()
		}
		return true
	})
}

// setProducts gives a newly linked item the products Link adds: every
// required one; required-if-supported and optional ones where the
// institution supports them and an account of the item is served by them.
// Balance is never listed: Plaid bills it per call. Callers checked the
// required products against the institution.
func (it *item) setProducts(lr linkRequest) {
	it.products, it.consented = nil, nil
	for _, p := range lr.all() {
		if p == "balance" || slices.Contains(it.consented, p) {
			continue
		}
		it.consented = append(it.consented, p)
		if slices.Contains(lr.Required, p) || it.Inst.supports(p) && it.hasAccountFor(p) {
			it.products = append(it.products, p)
		}
	}
}

// setPreseededProducts gives an item linked before the emulator started
// the products its accounts are served by.
func (it *item) setPreseededProducts() {
	it.products = []string{productTransactions}
	for _, p := range []string{productInvestments, productLiabilities} {
		if it.hasAccountFor(p) {
			it.products = append(it.products, p)
		}
	}
	it.consentAll()
}

// consentAll records consent to every product the institution supports,
// for items no Link consent pane was shown for: pre-seeded ones and those
// of /sandbox/public_token/create. Their other products are added by a
// first call, as Plaid does after Link.
func (it *item) consentAll() {
	it.consented = slices.DeleteFunc(slices.Clone(it.Inst.products()), func(p string) bool { return p == "balance" })
}

// productItem resolves an access token for an endpoint of product, as
// dataItem does, and answers Plaid's error when the item lacks the
// product: PRODUCTS_NOT_SUPPORTED where the institution does not support
// it, ADDITIONAL_CONSENT_REQUIRED where the user did not consent to it at
// Link. A consented product is added by its first call, as Plaid
// initialises a product after Link, once the item has an account it
// serves. Callers hold e.mu.
func (e *Emulator) productItem(token, product string) (*item, *apiError) {
	it, err := e.dataItem(token)
	if err != nil {
		return nil, err
	}
	switch {
	case slices.Contains(it.products, product):
	case !it.Inst.supports(product):
		return nil, productsNotSupported([]string{product})
	case !slices.Contains(it.consented, product):
		return nil, plaidErrf("ADDITIONAL_CONSENT_REQUIRED", "client does not have user consent to access the PRODUCT_%s product",
			strings.ToUpper(product))
	case it.hasAccountFor(product):
		it.products = append(it.products, product)
	}
	return it, nil
}

// productFinder is productItem for one product, in the form withItem takes.
func (e *Emulator) productFinder(product string) func(token string) (*item, *apiError) {
	return func(token string) (*item, *apiError) { return e.productItem(token, product) }
}
