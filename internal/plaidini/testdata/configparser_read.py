"""Reads INI files the way plaid-sync read its configuration.

plaid-sync built a configparser.ConfigParser() with its defaults, read the
file as UTF-8 text, took client_id, secret and environment from [PLAID], and
from every other section (bar [plaid-sync]) access_token, item_id and
disabled, skipping a section whose access_token is missing or empty.

Input on stdin: a JSON list of base64-encoded files. Output on stdout: a
JSON list with, for each file, either {"error": "<exception class>",
"section": <the section it names, if any>} or
{"plaid": {...}, "items": [...], "skipped": [...]}; the secret and each
token are also given as written (raw_secret, raw_token), so the Go test can
check why it refused one. One process reads them all, so the Go test starts
Python once.
"""

import base64
import configparser
import io
import json
import sys


def read(data):
    cp = configparser.ConfigParser()
    cp.read_file(io.TextIOWrapper(io.BytesIO(data), encoding="utf-8"))
    plaid = {k: cp.get("PLAID", k, fallback=None) for k in ("client_id", "secret", "environment")}
    # As written, to tell why a credential is refused on the Go side.
    plaid["raw_secret"] = cp.get("PLAID", "secret", raw=True, fallback=None)
    items, skipped = [], []
    for name in cp.sections():
        if name in ("PLAID", "plaid-sync"):
            continue
        token = cp.get(name, "access_token", fallback="")
        if not token:
            skipped.append(name)
            continue
        items.append({
            "name": name,
            "access_token": token,
            "raw_token": cp.get(name, "access_token", raw=True),
            "item_id": cp.get(name, "item_id", fallback=None),
            "disabled": cp.getboolean(name, "disabled", fallback=False),
        })
    return {"plaid": plaid, "items": items, "skipped": skipped}


def main():
    out = []
    for encoded in json.load(sys.stdin):
        try:
            out.append(read(base64.b64decode(encoded)))
        except (configparser.Error, ValueError) as e:  # UnicodeDecodeError is a ValueError
            out.append({"error": type(e).__name__, "section": getattr(e, "section", None)})
    sys.stdout.write(json.dumps(out))  # dumps uses the C encoder; dump does not


main()
