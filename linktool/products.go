package main

import (
	"fmt"
	"slices"
	"strings"

	"github.com/plaid/plaid-go/v42/plaid"
)

// defaultProducts is what a new link asks for without --products.
const defaultProducts = "transactions"

// linkableProducts are the products the plaid-sync plugin reads.
var linkableProducts = []string{"transactions", "investments", "liabilities"}

// linkProducts is --products in Plaid's terms: products the institution
// must support (products), products added when it supports them
// (required_if_supported_products) and products the user may add
// (optional_products).
type linkProducts struct {
	required, ifSupported, optional []string
}

// parseProducts reads a comma-separated list of NAME, NAME:required_if_supported
// or NAME:optional.
func parseProducts(list string) (linkProducts, error) {
	var lp linkProducts
	seen := map[string]bool{}
	for _, entry := range strings.Split(list, ",") {
		entry = strings.TrimSpace(strings.ToLower(entry))
		if entry == "" {
			continue
		}
		name, kind, _ := strings.Cut(entry, ":")
		if !slices.Contains(linkableProducts, name) {
			return lp, fmt.Errorf("%q is not one of %s", name, strings.Join(linkableProducts, ", "))
		}
		if seen[name] {
			return lp, fmt.Errorf("%s is named twice", name)
		}
		seen[name] = true
		switch kind {
		case "", "required":
			lp.required = append(lp.required, name)
		case "required_if_supported":
			lp.ifSupported = append(lp.ifSupported, name)
		case "optional":
			lp.optional = append(lp.optional, name)
		default:
			return lp, fmt.Errorf("%s:%s: say NAME (required), NAME:required_if_supported or NAME:optional", name, kind)
		}
	}
	if len(lp.required) == 0 {
		return lp, fmt.Errorf("at least one product must be required (Plaid's products), e.g. --products transactions,investments:optional")
	}
	return lp, nil
}

// all lists every product named, in any role.
func (lp linkProducts) all() []string {
	return slices.Concat(lp.required, lp.ifSupported, lp.optional)
}

func plaidProducts(names []string) []plaid.Products {
	out := make([]plaid.Products, len(names))
	for i, n := range names {
		out[i] = plaid.Products(n)
	}
	return out
}

// products is --products, parsed when the options were read.
func (a *app) products() linkProducts {
	lp, err := parseProducts(a.opts.products)
	if err != nil {
		return linkProducts{required: []string{defaultProducts}} // parseOptions refused it already
	}
	return lp
}
