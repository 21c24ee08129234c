package main

import (
	"testing"

	"github.com/plaid/plaid-go/v42/plaid"
	"github.com/stretchr/testify/require"
)

func TestParseCountryCodes(t *testing.T) {
	codes, err := parseCountryCodes("gb, IE,GB  fr")
	require.NoError(t, err)
	require.Equal(t, []plaid.CountryCode{"GB", "IE", "FR"}, codes)

	_, err = parseCountryCodes("US,XX")
	require.ErrorContains(t, err, `"XX" is not a country Plaid serves`)
	_, err = parseCountryCodes(" , ")
	require.ErrorContains(t, err, "no country code given")
}

func TestCountryAndLanguageFlagsAreChecked(t *testing.T) {
	_, err := parseOptions([]string{"-c", "x.ini", "--link", "B", "--country-codes", "GB,ZZ"})
	require.ErrorContains(t, err, `--country-codes: "ZZ" is not a country Plaid serves`)
	_, err = parseOptions([]string{"-c", "x.ini", "--link", "B", "--language", "klingon"})
	require.ErrorContains(t, err, `--language: "klingon" is not a language Link is shown in`)
	_, err = parseOptions([]string{"-c", "x.ini", "--link", "B", "--consent-warning-days", "3"})
	require.ErrorContains(t, err, "--consent-warning-days goes with --status")
	o, err := parseOptions([]string{"-c", "x.ini", "--link", "B", "--country-codes", "GB", "--language", "fr"})
	require.NoError(t, err)
	require.Equal(t, "GB", o.countryCodes)
	require.Equal(t, "fr", o.language)
}
