package plaidini

import (
	"math/rand/v2"
	"strings"
)

// iniGen writes random INI files in the shapes plaid-sync's users wrote,
// and the typos and oddities they made: every configparser rule the
// package follows, and every place it deliberately differs, comes up.
type iniGen struct {
	r      *rand.Rand
	values []string // every value written into the current file
	typos  float64  // chance that a line is malformed
}

func newINIGen(seed uint64, typos float64) *iniGen {
	return &iniGen{r: rand.New(rand.NewPCG(seed, 0x706c616964)), typos: typos}
}

func (g *iniGen) chance(p float64) bool { return g.r.Float64() < p }

func pick[T any](g *iniGen, xs ...T) T { return xs[g.r.IntN(len(xs))] }

func (g *iniGen) hex(n int) string {
	const digits = "0123456789abcdef"
	b := make([]byte, n)
	for i := range b {
		b[i] = digits[g.r.IntN(len(digits))]
	}
	return string(b)
}

func (g *iniGen) uuid() string {
	return g.hex(8) + "-" + g.hex(4) + "-" + g.hex(4) + "-" + g.hex(4) + "-" + g.hex(12)
}

func (g *iniGen) token() string {
	return pick(g, "access-sandbox-", "access-production-", "access-development-", "public-sandbox-", "") + g.uuid()
}

// value returns a value for key, recording it.
func (g *iniGen) value(key string) string {
	var v string
	lower := strings.ToLower(key)
	switch {
	case g.chance(0.08):
		v = ""
	case lower == "access_token" && g.chance(0.7):
		v = g.token()
		switch {
		case g.chance(0.06):
			v += pick(g, " # old", "  ; relinked", " x")
		case g.chance(0.04):
			v = pick(g, "%%", "%(item_id)s", "%", "%(secret)s") + v[min(len(v), 5):]
		case g.chance(0.02):
			v = v[:10] + pick(g, "\u200b", "\x01", "\ufeff", "\u00a0") + v[10:]
		}
	case lower == "secret" && g.chance(0.7):
		v = g.hex(30)
		if g.chance(0.05) {
			v = v[:12] + pick(g, "%", "%%", " ", "%(client_id)s") + v[12:]
		}
	case lower == "disabled" && g.chance(0.8):
		v = pick(g, "yes", "no", "True", "FALSE", "on", "Off", "1", "0", "yes", "no", "0", "%(off)s")
		if g.chance(0.05) {
			v = pick(g, "maybe", "y", "enabled", "no # comment", "")
		}
	case lower == "environment" && g.chance(0.8):
		v = pick(g, "sandbox", "production", "development", "%(env)s", "sand%%box")
	case lower == "item_id" && g.chance(0.7):
		v = g.hex(20)
		if g.chance(0.2) {
			v += pick(g, "%%", "%(ref)s", "%(env)s", "%(ENV)s", "%(Missing)s", "%", "%(ref)", "%()s", "%%(ref)s")
		}
	default:
		v = pick(g, g.hex(14), "http://127.0.0.1:4580/a=b", "a: b = c", "caf\u00e9 \u00e9t\u00e9", "x\u00a0y",
			"50%%", "%(ref)s", "%(env)s-x", "v ; not a comment", "tab\tinside", "\x0cform", "off", g.token(), "line\u2028sep", "nel\u0085x", "\u3000wide")
	}
	g.values = append(g.values, v)
	return v
}

func (g *iniGen) key(section string) string {
	switch section {
	case "PLAID":
		return pick(g, "client_id", "secret", "environment", "Secret", "CLIENT_ID", "public_key", "ref", "env")
	case "DEFAULT":
		return pick(g, "disabled", "ref", "env", "off", "item_id", "access_token")
	}
	return pick(g, "access_token", "access_token", "access_token", "Access_Token", "item_id", "item_id",
		"disabled", "Disabled", "ref", "env", "off", "dbfile", "secret", "public_token", "note",
		"Access Token", "a:b", "item_id\u00a0", "ITEM_ID")
}

func (g *iniGen) delim() string {
	return pick(g, " = ", " = ", " = ", "=", ": ", ":", " =", "\t=\t", " :  ", "= ")
}

func (g *iniGen) indent() string {
	if g.chance(0.85) {
		return ""
	}
	return pick(g, " ", "  ", "\t", "    ", "\u00a0", "\u3000", "\x1c", "\x0b", " \t")
}

// keyLine writes a key line, sometimes followed by continuation lines.
func (g *iniGen) keyLine(b *strings.Builder, section, eol string, used map[string]bool) {
	ind := g.indent()
	k := g.key(section)
	for i := 0; used[strings.ToLower(k)] && i < 5 && !g.chance(0.05); i++ {
		k = g.key(section) // most sections set each key once
	}
	used[strings.ToLower(k)] = true
	b.WriteString(ind + k + g.delim() + g.value(k) + pick(g, "", "", "", " ", "\t") + eol)
	for g.chance(0.06) {
		if g.chance(0.3) {
			b.WriteString(pick(g, "", "  ", "  # inside") + eol)
		}
		b.WriteString(ind + pick(g, "  ", "\t", "     ") + g.value("note") + eol)
	}
}

// badLine writes a line configparser refuses or reads oddly.
func (g *iniGen) badLine(b *strings.Builder, section, eol string) {
	k := g.key(section)
	switch g.r.IntN(8) {
	case 0, 1, 2:
		b.WriteString(k + pick(g, " ", "\t", "  ") + g.value(k) + eol) // forgotten '='
	case 3:
		b.WriteString(g.value(k) + eol) // a value alone
	case 4:
		b.WriteString(pick(g, "[Unclosed", "[] = x", "[New Bank = 1", "[", "[]") + eol)
	case 5:
		b.WriteString(pick(g, "= ", ": ") + g.value(k) + eol)
	case 6:
		b.WriteString("[" + g.value("access_token") + eol)
	default:
		b.WriteString(k + eol)
	}
}

// file returns a new file and the values written into it.
func (g *iniGen) file() ([]byte, []string) {
	g.values = nil
	eol := pick(g, "\n", "\n", "\n", "\n", "\n", "\n", "\r\n", "\r")
	var b strings.Builder
	if g.chance(0.02) {
		b.WriteString("\ufeff")
	}
	for g.chance(0.3) {
		b.WriteString(pick(g, "# plaid-sync configuration", "; comment", "", "   ") + eol)
	}
	if g.chance(g.typos / 2) {
		g.keyLine(&b, "x", eol, map[string]bool{}) // before any header
	}
	sections := g.r.IntN(6)
	usedSections := map[string]bool{}
	for range sections {
		name := pick(g, "PLAID", "PLAID", "plaid-sync", "DEFAULT", "Chase", "Test Bank", "Ally", "Amex",
			"plaid", "default", " Spaced ", "Bank]x", "Credit Union "+g.hex(2))
		if usedSections[name] && !g.chance(0.1) {
			continue // most files have each section once
		}
		usedSections[name] = true
		usedKeys := map[string]bool{}
		headerIndent := ""
		if g.chance(0.03) {
			headerIndent = pick(g, " ", "\t") // reads as a continuation after a key
		}
		b.WriteString(headerIndent + "[" + name + "]" + pick(g, "", "", "", "", " ; note", "  ") + eol)
		if IsItemSection(name) && g.chance(0.6) {
			// most banks were linked: their section starts with a token
			ind := g.indent()
			b.WriteString(ind + pick(g, "access_token", "access_token", "Access_Token") + g.delim() + g.value("access_token") + eol)
			usedKeys["access_token"] = true
		}
		lines := g.r.IntN(6)
		for range lines {
			switch {
			case g.chance(g.typos):
				g.badLine(&b, name, eol)
			case g.chance(0.1):
				k := g.key(name)
				b.WriteString(pick(g, "# ", ";", "  # ", "#") + k + " = " + g.value(k) + eol) // commented out
			case g.chance(0.08):
				b.WriteString(pick(g, "", " ", "\t") + eol)
			default:
				g.keyLine(&b, name, eol, usedKeys)
			}
		}
		if g.chance(0.5) {
			b.WriteString(eol)
		}
	}
	data := []byte(b.String())
	if g.chance(0.01) && len(data) > 0 {
		at := g.r.IntN(len(data))
		data = append(data[:at:at], append([]byte{0xff}, data[at:]...)...)
	}
	if g.chance(0.1) {
		data = []byte(strings.TrimRight(string(data), "\r\n"))
	}
	return data, g.values
}
