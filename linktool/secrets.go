package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/sys/unix"
)

// publicTokenEnv is where --exchange finds the public token when
// --public-token is not given: out of ps and shell history.
const publicTokenEnv = "LINKTOOL_PUBLIC_TOKEN"

// credentialKeys start the INI lines whose values are secret.
var credentialKeys = []string{"secret", "client_id", "access_token", "public_key"}

// learnFileSecrets teaches the redactor the values of the file's credential
// lines before the file is parsed, so that they stay hidden even in a line
// the parser rejects (say "access_token access-..." without "=") and in the
// errors about it.
func (a *app) learnFileSecrets() {
	data, err := os.ReadFile(a.opts.config)
	if err != nil {
		return
	}
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		lower := strings.ToLower(line)
		for _, key := range credentialKeys {
			if !strings.HasPrefix(lower, key) {
				continue
			}
			value := strings.TrimLeft(line[len(key):], " \t=:")
			a.secrets.Add(strings.TrimSpace(value))
			for _, word := range strings.Fields(value) {
				a.secrets.Add(word)
			}
		}
	}
}

// readPublicToken sets the public token of --exchange from standard input
// ("--public-token -", or no --public-token and no LINKTOOL_PUBLIC_TOKEN)
// or from LINKTOOL_PUBLIC_TOKEN.
func (a *app) readPublicToken(stdin io.Reader) error {
	switch given := a.opts.publicToken; {
	case given == "" && os.Getenv(publicTokenEnv) != "":
		a.opts.publicToken = strings.TrimSpace(os.Getenv(publicTokenEnv))
	case given == "" || given == "-":
		if stdin == nil {
			stdin = strings.NewReader("")
		}
		if isTerminal(stdin) {
			fmt.Fprint(a.stderr, "Paste the public token (public-...) and press Enter: ")
		}
		line, err := bufio.NewReader(io.LimitReader(stdin, 4096)).ReadString('\n')
		if strings.TrimSpace(line) == "" {
			why := "it is empty"
			if err != nil && err != io.EOF {
				why = err.Error()
			}
			return usagef("no public token on standard input (%s): paste it when asked, pipe it in, or set %s", why, publicTokenEnv)
		}
		a.opts.publicToken = strings.TrimSpace(line)
	default:
		fmt.Fprintf(a.stderr, "Warning: a token on the command line shows in ps and in your shell history; "+
			"next time give --public-token - and paste it, or set %s.\n", publicTokenEnv)
	}
	a.secrets.Add(a.opts.publicToken)
	return nil
}

func isTerminal(r io.Reader) bool {
	f, ok := r.(*os.File)
	if !ok {
		return false
	}
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}
